"""Helpers and fixtures shared by the runtime tests (tests/test_runtime_*.py); import a fixture as ``<name>_fixture``."""

from __future__ import annotations

import pytest

from mlcheckup import entities
from mlcheckup.projects import write_digits_project


def digits_entities(project, **deployment_options):
    """The digits endpoint ``digits-endpoint`` and its deployment ``blue``, built from a written project."""
    endpoint = entities.build_endpoint("digits-endpoint", description="handwritten digits")
    deployment = entities.build_deployment(
        "blue", "digits-endpoint", model=entities.build_model(project.model_dir, "digits", 1), code=project.folder,
        environment=entities.build_environment(project.conda_file), **deployment_options)
    return endpoint, deployment


@pytest.fixture(scope="module", name="project")
def project_fixture(tmp_path_factory):
    """The digits project written once per test module (model trained on the bundled digits)."""
    return write_digits_project(tmp_path_factory.mktemp("digits"))


@pytest.fixture(name="built")
def built_fixture(project):
    """Fresh ``(endpoint, deployment)`` entities for the module's project."""
    return digits_entities(project)
