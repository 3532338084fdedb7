"""The environment files agree with the lock, and the running environment is the lock."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;]+)(\s*;.*)?$")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", text)).lower()


def _lock() -> dict[str, str]:
    pins, lines = {}, (ROOT / "requirements.txt").read_text().splitlines()
    for line in lines:
        line = line.split("#")[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        assert match, f"requirements.txt line is not an exact pin: {line!r}"
        pins[_name(match.group(1))] = match.group(2)
    return pins


def _direct() -> list[str]:
    names = []
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.append(_name(re.split(r"[<>=!~;\s]", line, maxsplit=1)[0]))
    return names


def test_lock_was_compiled_from_requirements_in_for_python_311():
    header = (ROOT / "requirements.txt").read_text()[:400]
    assert "requirements.in" in header and "--python-version 3.11" in header


def test_every_direct_dependency_is_pinned_in_the_lock():
    lock = _lock()
    missing = [name for name in _direct() if name not in lock]
    assert not missing, f"in requirements.in but not in the lock: {missing}; run `make lock`"


def test_opentelemetry_stack_is_the_one_the_inference_server_pins():
    lock = _lock()
    assert lock["azureml-inference-server-http"] == "1.5.1"
    assert lock["opentelemetry-sdk"] == lock["opentelemetry-api"] == "1.33.0"


def test_environment_yml_installs_python_311_the_lock_and_the_package_only():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict))
    assert pip_section == ["-r requirements.txt", "-e ."], "environment.yml must not list versions of its own"
    conda_packages = [d for d in deps if isinstance(d, str)]
    assert sorted(conda_packages) == ["pip", "python=3.11"]


def test_pyproject_lists_no_second_set_of_versions():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == []
    assert project["requires-python"].startswith(">=3.11")


def test_make_looks_for_exactly_the_pythons_the_package_supports():
    import tomllib

    from packaging.specifiers import SpecifierSet

    spec = SpecifierSet(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"])
    supported = [f"3.{minor}" for minor in range(8, 20) if f"3.{minor}" in spec]
    makefile = (ROOT / "Makefile").read_text()
    candidates = re.search(r"for p in ([^;]+); do", makefile)[1].split()
    assert candidates == [f"python{v}" for v in supported] + ["python3"]
    assert re.search(r"^SUPPORTED := (.+)$", makefile, flags=re.M)[1] == ", ".join(supported[:-1]) + " or " + supported[-1]
    bounds = re.search(r"sys\.exit\(not \((\d+), (\d+)\) <= sys\.version_info\[:2\] <= \((\d+), (\d+)\)\)", makefile)
    assert (f"{bounds[1]}.{bounds[2]}", f"{bounds[3]}.{bounds[4]}") == (supported[0], supported[-1])
    readme = (ROOT / "README.md").read_text()
    assert f"Python {', '.join(supported[:-1])} or {supported[-1]}" in readme, "the README must name the supported versions"


@pytest.mark.parametrize("name, version", sorted(_lock().items()))
def test_installed_package_matches_the_lock(name, version):
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        pytest.fail(f"{name}=={version} is in the lock but not installed; run `make venv`")
    assert installed == version, f"{name}: installed {installed}, lock says {version}; run `make venv`"
