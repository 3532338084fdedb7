"""Where the course's files are: the bundled datasets and the ignored run folder.

Notebooks run from ``notebooks/<lesson>/``, ``solutions/<lesson>/`` or, while autograded, from
``grading/autograded/<student>/<lesson>/``; every path here is found by walking up from the
working folder, so the same code works at any depth.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import ConfigurationError

#: Name of the ignored folder where servers, collected data and telemetry of a run are written.
RUN_FOLDER = ".mlcheckup"


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
    """Return (and create) a folder under the course's ignored ``.mlcheckup/`` run folder.

    >>> run_dir("endpoints", "digits").name
    'digits'
    """
    folder = course_root(start).joinpath(RUN_FOLDER, *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
