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
from .paths import course_root, datasets_dir, run_dir
from .workspace import Mode, connect, detect_mode

__version__ = "0.1.0"

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
