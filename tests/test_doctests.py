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
    if not info.name.endswith("_score")  # scoring scripts meant for the inference server, not for import
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples find datasets/ and write run files to the ignored .mlcheckup/
    module = importlib.import_module(name)
    # an example in a package's private module is written against the package's face
    package, _, leaf = name.rpartition(".")
    face = vars(importlib.import_module(package)) if leaf.startswith("_") and package != "mlcheckup" else {}
    public = {key: face[key] for key in face.get("__all__", ())}
    result = doctest.testmod(module, extraglobs=public, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
