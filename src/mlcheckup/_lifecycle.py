"""One lifecycle for every local server: created → starting → running → stopped (or failed).

Private to mlcheckup. :class:`Managed` gives a server a :class:`State`, a context manager,
precise misuse errors and a process-wide safety net that stops any server still running when
the Python process exits (the only global state the package keeps, as STYLE.md §14 allows).
"""

from __future__ import annotations

import atexit
import enum
import weakref

from .errors import ServerError


class State(enum.Enum):
    """Where a local server is in its life. A server runs at most once."""

    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    STOPPED = "stopped"
    FAILED = "failed"


_LIVE: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def stop_all() -> None:
    """Stop every server this process started and has not stopped yet (runs at exit)."""
    for server in list(_LIVE):
        server.stop()


class Managed:
    """Mixin: ``start()`` once, ``stop()`` any number of times, ``with`` for both.

    Subclasses implement ``_start()`` (which may raise; whatever it started is then stopped
    through ``_stop()``) and ``_stop()`` (which must be safe to call on a half-started server),
    and give a readable ``label``.
    """

    label = "server"
    _state = State.CREATED

    @property
    def state(self) -> State:
        """The :class:`State` of this server."""
        return self._state

    def start(self):
        """Start the server and return it once it answers; stop what was started if it fails."""
        if self._state is State.RUNNING:
            raise ServerError(f"{self.label} is already running at {getattr(self, 'url', '?')}")
        if self._state is not State.CREATED:
            raise ServerError(f"cannot restart {self.label} ({self._state.value}); create a new one")
        self._state = State.STARTING
        _LIVE.add(self)
        try:
            self._start()
        except BaseException:
            self._state = State.FAILED
            self._stop()
            _LIVE.discard(self)
            raise
        self._state = State.RUNNING
        return self

    def stop(self) -> None:
        """Stop the server. Stopping a server that is not running does nothing."""
        if self._state in (State.STARTING, State.RUNNING):
            try:
                self._stop()
            finally:
                self._state = State.STOPPED
                _LIVE.discard(self)

    def _require_running(self, action: str) -> None:
        if self._state is not State.RUNNING:
            hint = "call .start() or use it in a `with` block" if self._state is State.CREATED else "create a new one"
            raise ServerError(f"cannot {action}: {self.label} is {self._state.value}; {hint}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _start(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _stop(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
