"""The workspace a notebook works in: :func:`connect` returns the local one or the Azure one.

Which one is decided by :mod:`mlcheckup.mode` (a ``config.json`` *and* ``MLCHECKUP_MODE=azure`` for
Azure); both workspaces have the same ``deploy/invoke/logs/teardown`` (:mod:`mlcheckup.deploy`).
The mode's names are re-exported here, so that a lesson needs one import.

Taught in lesson 02.
"""

from __future__ import annotations

import os

from .deploy import AzureWorkspace, LocalWorkspace
from .mode import MODE_VARIABLE, Mode, detect_mode, find_config, ml_client

__all__ = ["MODE_VARIABLE", "AzureWorkspace", "LocalWorkspace", "Mode", "connect", "detect_mode", "find_config",
           "ml_client"]


def connect(start: str | os.PathLike | None = None, *, credential=None, environ: dict | None = None,
            quiet: bool = False):
    """Connect a notebook to its workspace: Azure if configured *and* asked for, local otherwise.

    Prints one line saying which mode and why (unless ``quiet``).

    Parameters
    ----------
    start : path, optional
        Where to look for ``config.json`` (the working folder by default).
    credential : azure.core.credentials.TokenCredential, optional
        Azure mode only; ``DefaultAzureCredential()`` by default.
    environ : dict, optional
        Environment to read ``MLCHECKUP_MODE`` from (``os.environ`` by default).

    Returns
    -------
    LocalWorkspace or AzureWorkspace
        Both have ``deploy(endpoint, deployment)``, ``invoke``, ``logs`` and ``teardown``
        (see :mod:`mlcheckup.deploy`). Building the Azure one makes no network call.

    Raises
    ------
    ConfigurationError
        If ``MLCHECKUP_MODE`` is invalid, or is ``azure`` without a ``config.json``.

    Examples
    --------
    >>> workspace = connect()                                   # doctest: +SKIP
    local mode: no workspace config.json found, so everything runs on this machine

    Taught in lesson 02.
    """
    mode = detect_mode(start, environ)
    if not quiet:
        print(mode)
    if mode.is_azure:
        return AzureWorkspace(mode, ml_client(mode, credential))
    return LocalWorkspace(mode)
