"""mlcheckup: the toolkit of the ML Check-up course.

Monitor machine-learning models with Azure Machine Learning, Application Insights and Azure
Monitor, offline on a laptop through the real Azure components that run locally, or on a real
workspace when one is configured (see :mod:`mlcheckup.workspace`).
"""

from .errors import (
    CheckFailed,
    ConfigurationError,
    ExerciseNotStarted,
    MlCheckupError,
    SchemaMismatchError,
    ServerError,
    ValidationError,
)
from .mode import Mode, detect_mode
from .paths import course_root, datasets_dir, run_dir

__version__ = "0.1.0"


def __getattr__(name: str):
    """``mlcheckup.connect`` loads the deployment machinery on first use, so ``import mlcheckup`` stays fast."""
    if name == "connect":
        from .workspace import connect

        return connect
    raise AttributeError(f"module 'mlcheckup' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

__all__ = [
    "CheckFailed",
    "ConfigurationError",
    "ExerciseNotStarted",
    "MlCheckupError",
    "Mode",
    "SchemaMismatchError",
    "ServerError",
    "ValidationError",
    "connect",
    "course_root",
    "datasets_dir",
    "detect_mode",
    "run_dir",
]
