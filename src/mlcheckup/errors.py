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

    The message says what to do, as Learn's *Troubleshoot online endpoints* table does: **424**,
    the model (``score.py``'s ``run()``) answered something other than 200 (its status is in the
    ``ms-azureml-model-error-statuscode`` and ``ms-azureml-model-error-reason`` headers; read the
    container log); **429**, more requests at once than ``2 x max_concurrent_requests_per_instance x
    instance_count`` (retry with backoff, scale out); **408**, the model took longer than
    ``request_timeout_ms``; another 4xx, the request itself is wrong; 5xx, score.py or the server failed.

    Attributes
    ----------
    status : int
        HTTP status the client received.
    message : str
        The server's ``message`` field.
    model_status : int or None
        For a 424: the model's own status (``ms-azureml-model-error-statuscode``).
    model_reason : str or None
        For a 424: the model's reason phrase (``ms-azureml-model-error-reason``).
    """

    def __init__(self, status: int, message: str, label: str, *, model_status: int | None = None,
                 model_reason: str | None = None) -> None:
        if status == 424:
            said = f" (the model answered {model_status} {model_reason or ''})".replace(" )", ")") \
                if model_status is not None else ""
            kind, hint = (f"answered HTTP 424 Model Error: the model's container did not answer 200{said}",
                          "the request reached score.py and run() failed or refused it: read the response headers "
                          "ms-azureml-model-error-statuscode and ms-azureml-model-error-reason, and the container "
                          "log (endpoint.console_log(), AmlOnlineEndpointConsoleLog on Azure)")
        elif status == 429:
            kind, hint = ("refused the request with HTTP 429 Too many pending requests",
                          "2 x max_concurrent_requests_per_instance x instance_count requests were already being "
                          "processed: retry with backoff, or scale out (more instances, or a higher "
                          "max_concurrent_requests_per_instance if the model can serve them)")
        elif status == 408:
            kind, hint = ("timed the request out with HTTP 408",
                          "the model took longer than request_timeout_ms: make run() faster, or raise "
                          "request_timeout_ms (at most 180000)")
        elif status < 500:
            kind, hint = f"refused the request with HTTP {status}", "fix the request"
        else:
            kind, hint = f"failed with HTTP {status}", "read endpoint.logs() for the traceback"
        super().__init__(f"{label} {kind}: {message}; {hint}")
        self.status, self.message = status, message
        self.model_status, self.model_reason = model_status, model_reason


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
