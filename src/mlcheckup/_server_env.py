"""The environment an Azure ML deployment gives its inference server, built locally (private).

:func:`deployment_environment` lays out the model as Azure does (``AZUREML_MODEL_DIR`` =
``.../azureml-models/<name>/<version>``, the model under its own name) and returns the server's
environment variables: the inherited ones minus any data collector or App Insights settings of
the laptop, plus Azure's (``AZUREML_ENTRY_SCRIPT``, ``AML_APP_ROOT``, ``SERVICE_NAME`` ...) and the
quiet, proxy-free settings every local server gets. Data collection and App Insights variables
are added by the endpoint, which starts the services they point to.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .appinsights import QUIET_ENVIRONMENT

__all__ = ["SERVER_VERSION", "deployment_environment", "link_model"]

SERVER_VERSION = "azmlinfsrv/1.5.1"


def link_model(model: Path, layout: Path) -> None:
    """Make ``model`` appear as ``layout/<model name>`` (a symlink, or a copy where symlinks are not allowed)."""
    layout.mkdir(parents=True, exist_ok=True)
    target = layout / model.name
    try:
        target.symlink_to(model.resolve(), target_is_directory=model.is_dir())
    except OSError:  # no symlinks here: copy instead
        (shutil.copytree if model.is_dir() else shutil.copy2)(model, target)


def deployment_environment(folder: Path, *, model: Path, model_name: str, model_version: str, score_script: Path,
                           app_root: Path, name: str, deployment: str) -> dict:
    """The server's environment, with the model laid out under ``folder`` and a private ``TMPDIR`` there."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AZUREML_MDC_", "AML_APP_INSIGHTS", "APPLICATIONINSIGHTS_"))}
    layout = folder / "azureml-models" / model_name / model_version
    link_model(model, layout)
    (folder / "tmp").mkdir()
    env.update({
        "AZUREML_MODEL_DIR": str(layout), "AZUREML_ENTRY_SCRIPT": str(score_script),
        "AML_APP_ROOT": str(app_root), "SERVICE_NAME": name, "WORKSPACE_NAME": "local",
        "HOSTNAME": f"{name}-{deployment}-local", "HTTP_X_MS_SERVER_VERSION": SERVER_VERSION,
        "PYTHONUNBUFFERED": "1", "TMPDIR": str(folder / "tmp"), "AML_APP_INSIGHTS_ENABLED": "false",
        # the Collector and the exporter honour HTTP(S)_PROXY: keep loopback traffic off any proxy
        "NO_PROXY": ",".join(filter(None, ["127.0.0.1,localhost", os.environ.get("NO_PROXY")])),
        "no_proxy": ",".join(filter(None, ["127.0.0.1,localhost", os.environ.get("no_proxy")])),
        **QUIET_ENVIRONMENT,
    })
    return env
