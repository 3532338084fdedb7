"""Every Examples section in the mlcheckup package runs (numpydoc doctests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import mlcheckup

ROOT = Path(__file__).resolve().parent.parent

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(mlcheckup.__path__, "mlcheckup.")
    if ".examples" not in info.name  # scoring scripts meant for the inference server, not for import
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples find datasets/ and write run files to the ignored .mlcheckup/
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
