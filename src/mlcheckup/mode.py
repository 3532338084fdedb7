"""Local or Azure: the one place that decides where a notebook's work goes.

A notebook talks to Azure only when **both** hold:

1. a workspace ``config.json`` is found (``.azureml/config.json`` or ``config.json`` in the
   working folder or any folder above it, as ``MLClient.from_config`` searches), and
2. the environment variable ``MLCHECKUP_MODE`` is ``azure``.

Otherwise the notebook runs locally, and :func:`mlcheckup.workspace.connect` says so, and why, in one line.

Taught in lesson 00, §2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError, ValidationError

__all__ = ["MODE_VARIABLE", "Mode", "detect_mode", "find_config", "ml_client"]

MODE_VARIABLE = "MLCHECKUP_MODE"
_MODES = ("local", "azure")
_CONFIG_PLACES = (".azureml", "aml_config", "")


@dataclass(frozen=True)
class Mode:
    """Which mode a notebook runs in, and the reason, in words a learner can read."""

    name: str
    reason: str
    config_path: Path | None = None

    @property
    def is_azure(self) -> bool:
        return self.name == "azure"

    def __str__(self) -> str:
        return f"{self.name} mode: {self.reason}"


def find_config(start: str | os.PathLike | None = None, *, stop_at: str | os.PathLike | None = None) -> Path | None:
    """Return the workspace ``config.json`` that ``MLClient.from_config`` would use, or None.

    Mirrors the SDK's search: in ``.azureml/``, ``aml_config/`` or the folder itself, from
    ``start`` (the working folder) up through at most 20 parents.

    Parameters
    ----------
    stop_at : path, optional
        Last folder searched (``start`` or a folder above it); tests pass their temporary folder
        so that a stray ``config.json`` higher up cannot change the mode.
    """
    here = Path(start or Path.cwd()).resolve()
    folders = [here, *here.parents][:21]
    if stop_at is not None:
        last = Path(stop_at).resolve()
        if last not in folders:
            raise ValidationError(f"stop_at must be the start folder {here} or a folder above it (got {last})")
        folders = folders[:folders.index(last) + 1]
    for folder in folders:
        for place in _CONFIG_PLACES:
            candidate = folder / place / "config.json"
            if candidate.is_file():
                return candidate
    return None


def detect_mode(start: str | os.PathLike | None = None, environ: dict | None = None) -> Mode:
    """Decide the mode from ``MLCHECKUP_MODE`` and the presence of a workspace config.

    Raises
    ------
    ConfigurationError
        If ``MLCHECKUP_MODE`` is set to something other than ``local`` or ``azure``.
    """
    environ = os.environ if environ is None else environ
    wanted = environ.get(MODE_VARIABLE, "").strip().lower()
    if wanted and wanted not in _MODES:
        raise ConfigurationError(
            f"{MODE_VARIABLE} must be 'local' or 'azure' (got {environ[MODE_VARIABLE]!r}); "
            f"unset it to run locally"
        )
    config = find_config(start)
    if wanted != "azure":
        if config is None:
            return Mode("local", "no workspace config.json found, so everything runs on this machine")
        return Mode("local", f"found {config}, but {MODE_VARIABLE} is not 'azure'", config)
    if config is None:
        raise ConfigurationError(
            f"{MODE_VARIABLE}=azure but no config.json was found above {Path(start or Path.cwd())}; "
            "download it from the Azure ML studio (workspace > Download config.json) into the course folder"
        )
    return Mode("azure", f"{MODE_VARIABLE}=azure and workspace config {config}", config)


def ml_client(mode: Mode, credential=None):
    """Build the ``MLClient`` for Azure mode (no network call happens until its first operation).

    ``DefaultAzureCredential`` is only created here, in Azure mode: in local mode its
    managed-identity probe would try to reach 169.254.169.254.
    """
    if not mode.is_azure:
        raise ConfigurationError(f"no MLClient in {mode}; set {MODE_VARIABLE}=azure and add config.json")
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    return MLClient.from_config(credential or DefaultAzureCredential(), path=str(mode.config_path))
