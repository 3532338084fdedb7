"""Where the course's files are: the bundled datasets and the ignored run folder.

Notebooks run from ``notebooks/<lesson>/``, ``solutions/<lesson>/`` or, while autograded, from
``grading/autograded/<student>/<lesson>/``; every path here is found by walking up from the
working folder, so the same code works at any depth.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigurationError

__all__ = ["RUN_DIR_VARIABLE", "RUN_FOLDER", "course_root", "datasets_dir", "run_dir"]

#: Name of the ignored folder where servers, collected data and telemetry of a run are written.
RUN_FOLDER = ".mlcheckup"
#: Environment variable that moves the run folder elsewhere (the test suite points it at a temp folder).
RUN_DIR_VARIABLE = "MLCHECKUP_RUN_DIR"


def course_root(start: str | os.PathLike | None = None) -> Path:
    """Return the course folder: the nearest folder at or above ``start`` holding ``datasets/``.

    Parameters
    ----------
    start : path, optional
        Where to start looking; the working folder by default.

    Raises
    ------
    ConfigurationError
        If no folder above ``start`` has a ``datasets/`` folder.
    """
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "datasets").is_dir():
            return folder
    raise ConfigurationError(
        f"no 'datasets' folder found in {here} or any folder above it; "
        "open the notebook from inside the ml-checkup course folder"
    )


def datasets_dir(start: str | os.PathLike | None = None) -> Path:
    """Return the bundled ``datasets/`` folder (see :func:`course_root`)."""
    return course_root(start) / "datasets"


def run_dir(*parts: str, start: str | os.PathLike | None = None) -> Path:
    """Return (and create) a folder under the run folder.

    The run folder is the course's ignored ``.mlcheckup/``, or the folder named by the
    environment variable ``MLCHECKUP_RUN_DIR`` when it is set.

    >>> run_dir("endpoints", "digits").name
    'digits'
    """
    override = os.environ.get(RUN_DIR_VARIABLE)
    root = Path(override) if override else course_root(start) / RUN_FOLDER
    folder = root.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
