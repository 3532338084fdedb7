"""Every error mlcheckup raises, in one tree.

Each class derives from :class:`MlCheckupError` *and* from the builtin it refines, so a
generic ``except ValueError`` (or ``RuntimeError``, ...) still catches it::

    MlCheckupError
    ├── ConfigurationError(MlCheckupError, RuntimeError)   mode, workspace or environment set up wrong
    ├── ServerError(MlCheckupError, RuntimeError)          a local server failed to start or answer
    │   ├── DiskFullError                                  the disk that holds its files is full
    │   └── ScoringError                                   an endpoint answered a scoring request with an HTTP error
    ├── ValidationError(MlCheckupError, ValueError)        bad input to an mlcheckup function
    │   ├── SchemaMismatchError                            two tables that must share columns do not
    │   ├── KSRowLimitError                                a KS test on a window Azure's job refuses (>= 10,000 rows)
    │   ├── MonitorConfigError                             a monitor definition Azure ML would reject or change
    │   └── KqlError                                       a KQL query that cannot run locally
    └── CheckFailed(MlCheckupError, AssertionError)        a graded check in a notebook test cell failed
        └── ExerciseNotStarted                             the checked function is still the release stub

Messages say what was wrong, echo the value received (``(got ...)``) and say how to fix it;
the scalar checks that write them live in one private module, :mod:`mlcheckup._validate`.
Lessons may import each class from here, from :mod:`mlcheckup`, or from the module that
raises it (``mlcheckup.drift.KSRowLimitError``, ``mlcheckup.endpoint.ScoringError``...).

One error is outside this tree on purpose: ``mlcheckup.serving.RequestError`` (a
``ValueError``) runs inside the inference server, next to ``score.py`` in a deployment, where
mlcheckup is not installed.
"""

from __future__ import annotations

__all__ = ["CheckFailed", "ConfigurationError", "DiskFullError", "ExerciseNotStarted", "KSRowLimitError",
           "KqlError", "MlCheckupError", "MonitorConfigError", "SchemaMismatchError", "ScoringError",
           "ServerError", "ValidationError"]


class MlCheckupError(Exception):
    """Base class for every error mlcheckup raises."""


class ConfigurationError(MlCheckupError, RuntimeError):
    """The mode, the workspace configuration or the local environment is set up wrong."""


class ServerError(MlCheckupError, RuntimeError):
    """A local server (endpoint, data collector sink, telemetry ingestion) failed."""


class DiskFullError(ServerError):
    """A local server could not write its files (collected data, telemetry, logs): the disk is full."""


class ScoringError(ServerError):
    """The endpoint answered a scoring request with an HTTP error.

    Attributes
    ----------
    status : int
        HTTP status (4xx: the request was refused; 5xx: score.py or the server failed).
    message : str
        The server's ``message`` field.
    """

    def __init__(self, status: int, message: str, label: str) -> None:
        kind = "refused the request" if status < 500 else "failed"
        hint = "fix the request" if status < 500 else "read endpoint.logs() for the traceback"
        super().__init__(f"{label} {kind} with HTTP {status}: {message}; {hint}")
        self.status, self.message = status, message


class ValidationError(MlCheckupError, ValueError):
    """An argument passed to an mlcheckup function is not valid."""


class SchemaMismatchError(ValidationError):
    """Two tables that must share columns (reference and production, say) do not."""


class KSRowLimitError(ValidationError):
    """A KS test was asked for on a window of 10 000 rows or more, where Azure's job fails."""


class MonitorConfigError(ValidationError):
    """A monitor definition that Azure ML would reject, or silently change."""


class KqlError(ValidationError):
    """A KQL query that cannot run here: a syntax error, a construct the local engine refuses,
    an unknown table or column."""


class CheckFailed(MlCheckupError, AssertionError):
    """A check in a notebook test cell failed; the message says what and how to fix it."""


class ExerciseNotStarted(CheckFailed):
    """The function a test cell checks still raises the release stub's ``NotImplementedError``."""
