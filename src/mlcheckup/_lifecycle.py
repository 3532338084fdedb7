"""One lifecycle for every local server: created → starting → running → stopped (or failed).

Private to mlcheckup. :class:`Managed` gives a server a :class:`State`, a context manager,
precise misuse errors and a process-wide safety net that stops any server still running when
the Python process exits (the only global state the package keeps, as STYLE.md §14 allows).
"""

from __future__ import annotations

import atexit
import enum
import warnings

from .errors import ServerError


class State(enum.Enum):
    """Where a local server is in its life. A server runs at most once."""

    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


#: Servers started and not stopped yet, in start order. Strong references on purpose: a server
#: whose object the notebook dropped (a cell re-run rebinds the name) must still be stopped.
_LIVE: dict[int, Managed] = {}


@atexit.register
def stop_all() -> None:
    """Stop every server this process started and has not stopped yet (runs at exit).

    Servers stop in reverse start order (an endpoint before the telemetry store it sends to); a
    server that fails to stop does not keep the others running, and is reported as a warning.
    """
    failures = []
    for server in reversed(list(_LIVE.values())):
        try:
            server.stop()
        except Exception as error:
            failures.append(f"{server.label}: {type(error).__name__}: {error}")
    if failures:
        warnings.warn(f"could not stop {len(failures)} server(s) cleanly: {'; '.join(failures)}",
                      RuntimeWarning, stacklevel=2)


class Managed:
    """Mixin: ``start()`` once, ``stop()`` any number of times, ``with`` for both.

    Subclasses implement ``_start()`` (which may raise; whatever it started is then stopped
    through ``_stop()``) and ``_stop()`` (which must be safe to call on a half-started server),
    and give a readable ``label``.
    """

    label = "server"
    _state = State.CREATED
    #: Why a server that was running is not any more (set when its process or thread is found gone).
    failure: str | None = None

    @property
    def state(self) -> State:
        """The :class:`State` of this server; it follows the process: a server found dead is ``FAILED``."""
        if self._state is State.RUNNING:
            cause = self._died()
            if cause:
                self._state, self.failure = State.FAILED, cause
        return self._state

    def _died(self) -> str | None:
        """Why the running server is gone (its process exited, its thread ended), or None if it is alive."""
        return None

    def start(self):
        """Start the server and return it once it answers; stop what was started if it fails."""
        if self._state is State.RUNNING:
            raise ServerError(f"{self.label} is already running at {getattr(self, 'url', '?')}")
        if self._state is not State.CREATED:
            raise ServerError(f"cannot restart {self.label} ({self._state.value}); create a new one")
        self._state = State.STARTING
        _LIVE[id(self)] = self
        try:
            self._start()
        except BaseException:
            self._state = State.FAILED
            try:
                self._stop()
            finally:
                _LIVE.pop(id(self), None)
            raise
        self._state = State.RUNNING
        return self

    def stop(self) -> None:
        """Stop the server (and what it started). Stopping a server that is not running does nothing.

        A server found dead (``FAILED``) is cleaned up too, and stays ``FAILED``.
        """
        if self._state in (State.STARTING, State.RUNNING) or id(self) in _LIVE:
            dead = self.state is State.FAILED
            try:
                self._stop()
            finally:
                self._state = State.FAILED if dead else State.STOPPED
                _LIVE.pop(id(self), None)

    def _require_running(self, action: str) -> None:
        state = self.state
        if state is not State.RUNNING:
            hint = "call .start() or use it in a `with` block" if state is State.CREATED else "create a new one"
            why = f" ({self.failure})" if state is State.FAILED and self.failure else ""
            raise ServerError(f"cannot {action}: {self.label} is {state.value}{why}; {hint}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _start(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _stop(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
