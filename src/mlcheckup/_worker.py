"""The gunicorn worker of a local endpoint: a sync worker that an idle or slow client cannot block (private).

It runs inside the inference server (``gunicorn -k mlcheckup._worker.FrontDoorWorker``), never in
the notebook. gunicorn's sync worker serves one connection at a time and faces clients directly,
so one client that connects and sends nothing (or half a request) holds the worker until the 300 s
worker timeout. In Azure a front end stands before the server and passes on whole requests only;
this worker does the front end's part of that job, and nothing else changes: one request at a time
per worker, ``run()`` on the worker's main thread (so ``SCORING_TIMEOUT_MS`` still works), no
keep-alive, as with ``azmlinfsrv``.

* A connection that has sent nothing yet is *parked*: the worker serves the others and takes it
  up when its first bytes arrive; one that stays silent :data:`IDLE_TIMEOUT` seconds is closed.
* Once a request has started, all of it (head and body) must arrive within
  :data:`READ_TIMEOUT` seconds, else the connection is closed with one WARNING line in the log
  (a stalled or very slow client); answering takes as long as ``run()`` needs.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import time

from gunicorn import util
from gunicorn.workers.sync import StopWaiting, SyncWorker

#: Seconds a connection may stay open without sending anything before it is closed.
IDLE_TIMEOUT = 30.0
#: Seconds a started request has to arrive whole (head and body).
READ_TIMEOUT = 5.0
#: Silent connections kept at most (the oldest is closed beyond that); select() needs fds < 1024.
MAX_PARKED = 200


class _Deadline(socket.socket):
    """A client socket whose reads end at a deadline until the answer starts (then it is a plain socket)."""

    __slots__ = ("deadline", "gave_up", "log", "peer")

    def recv(self, size, flags=0):
        if self.gave_up:
            return b""
        remaining = self.deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            if self.deadline != float("inf"):
                self.settimeout(remaining)
            return super().recv(size, flags)
        except TimeoutError:
            self.gave_up = True
            self.log.warning("closed the connection of %s: its request did not arrive whole within %g s "
                             "(an idle or stalled client; the next one is served)", self.peer, READ_TIMEOUT)
            with contextlib.suppress(OSError):
                self.shutdown(socket.SHUT_RD)
            # ECONNRESET: gunicorn closes the connection quietly (a timeout would log a traceback)
            raise ConnectionResetError(errno.ECONNRESET, "request not received in time") from None

    def sendall(self, data, flags=0):
        if self.deadline != float("inf"):  # the request has been read: no deadline for the rest
            self.deadline = float("inf")
            self.settimeout(None)
        return super().sendall(data, flags)


class FrontDoorWorker(SyncWorker):
    """gunicorn's sync worker that parks silent connections and bounds reads of started requests."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._parked: dict[socket.socket, tuple] = {}  # client -> (listener, addr, deadline), oldest first

    def accept(self, listener) -> None:
        client, addr = listener.accept()
        util.close_on_exec(client)
        try:
            first = client.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:  # nothing sent yet: serve the others meanwhile
            self._park(listener, client, addr)
            return
        except OSError:
            client.close()
            return
        if not first:  # connected and closed at once
            client.close()
            return
        self._serve(listener, client, addr)

    def _park(self, listener, client, addr) -> None:
        if len(self._parked) >= MAX_PARKED:
            oldest = next(iter(self._parked))
            del self._parked[oldest]
            oldest.close()
        self._parked[client] = (listener, addr, time.monotonic() + IDLE_TIMEOUT)

    def _serve(self, listener, client, addr) -> None:
        timed = _Deadline(fileno=client.detach())
        timed.deadline, timed.gave_up, timed.log, timed.peer = time.monotonic() + READ_TIMEOUT, False, self.log, addr
        self.handle(listener, timed, addr)

    def _expire(self) -> None:
        now = time.monotonic()
        for client in [c for c, (_, _, deadline) in self._parked.items() if deadline <= now]:
            del self._parked[client]
            client.close()

    def wait(self, timeout):
        self._expire()
        if not self._parked:
            return super().wait(timeout)
        self.notify()
        soonest = min(deadline for _, _, deadline in self._parked.values())
        try:
            ready = select.select(self.wait_fds + list(self._parked), [], [],
                                  max(0.0, min(timeout, soonest - time.monotonic())))[0]
        except OSError as error:
            if error.args[0] == errno.EINTR:
                return self.sockets
            if error.args[0] == errno.EBADF:
                if self.nr < 0:
                    return self.sockets
                raise StopWaiting from None
            raise
        if self.PIPE[0] in ready:
            os.read(self.PIPE[0], 1)
        for client in [c for c in ready if c in self._parked]:
            listener, addr, _ = self._parked.pop(client)
            self._serve(listener, client, addr)
        return [fd for fd in ready if fd in self.wait_fds]
