"""Every error mlcheckup raises, in one tree.

Each class derives from :class:`MlCheckupError` *and* from the builtin it refines, so a
generic ``except ValueError`` (or ``RuntimeError``, ...) still catches it::

    MlCheckupError
    ├── ConfigurationError(MlCheckupError, RuntimeError)   mode, workspace or environment set up wrong
    ├── ServerError(MlCheckupError, RuntimeError)          a local server failed to start or answer
    │   └── DiskFullError                                  the disk that holds its files is full
    ├── ValidationError(MlCheckupError, ValueError)        bad input to an mlcheckup function
    │   └── SchemaMismatchError                            two tables that must share columns do not
    └── CheckFailed(MlCheckupError, AssertionError)        a graded check in a notebook test cell failed
        └── ExerciseNotStarted                             the checked function is still the release stub
"""

from __future__ import annotations


class MlCheckupError(Exception):
    """Base class for every error mlcheckup raises."""


class ConfigurationError(MlCheckupError, RuntimeError):
    """The mode, the workspace configuration or the local environment is set up wrong."""


class ServerError(MlCheckupError, RuntimeError):
    """A local server (endpoint, data collector sink, telemetry ingestion) failed."""


class DiskFullError(ServerError):
    """A local server could not write its files (collected data, telemetry, logs): the disk is full."""


class ValidationError(MlCheckupError, ValueError):
    """An argument passed to an mlcheckup function is not valid."""


class SchemaMismatchError(ValidationError):
    """Two tables that must share columns (reference and production, say) do not."""


class MonitorConfigError(ValidationError):
    """A monitor definition that Azure ML would reject, or silently change."""


class CheckFailed(MlCheckupError, AssertionError):
    """A check in a notebook test cell failed; the message says what and how to fix it."""


class ExerciseNotStarted(CheckFailed):
    """The function a test cell checks still raises the release stub's ``NotImplementedError``."""
