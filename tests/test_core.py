"""Unit tests of mlcheckup's core: errors, paths, mode switch and the test-cell checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

import mlcheckup
from mlcheckup import errors
from mlcheckup.grading import call, check, expect_close, expect_columns, expect_equal, expect_type
from mlcheckup.mode import MODE_VARIABLE, detect_mode, find_config, ml_client
from mlcheckup.paths import course_root, datasets_dir, run_dir


# --- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "cls, builtin",
    [(errors.ConfigurationError, RuntimeError), (errors.ServerError, RuntimeError),
     (errors.ValidationError, ValueError), (errors.SchemaMismatchError, ValueError),
     (errors.CheckFailed, AssertionError), (errors.ExerciseNotStarted, AssertionError)],
)
def test_every_error_is_also_the_matching_builtin(cls, builtin):
    assert issubclass(cls, errors.MlCheckupError) and issubclass(cls, builtin)


def test_public_names_are_exported():
    assert set(mlcheckup.__all__) <= set(dir(mlcheckup))


# --- paths ----------------------------------------------------------------------------------
def test_course_root_is_found_from_any_depth(tmp_path, monkeypatch):
    monkeypatch.delenv("MLCHECKUP_RUN_DIR", raising=False)
    (tmp_path / "datasets").mkdir()
    deep = tmp_path / "grading" / "autograded" / "alice" / "01-why-monitor"
    deep.mkdir(parents=True)
    assert course_root(deep) == tmp_path
    assert datasets_dir(deep) == tmp_path / "datasets"
    made = run_dir("endpoints", "x", start=deep)
    assert made == tmp_path / ".mlcheckup" / "endpoints" / "x" and made.is_dir()


def test_run_dir_can_be_moved_by_one_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MLCHECKUP_RUN_DIR", str(tmp_path / "elsewhere"))
    assert run_dir("a", start=tmp_path) == tmp_path / "elsewhere" / "a"


def test_course_root_outside_the_course_says_what_to_do(tmp_path):
    with pytest.raises(errors.ConfigurationError, match="open the notebook from inside"):
        course_root(tmp_path)


# --- mode -----------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _no_config_above(tmp_path, monkeypatch):
    """F22: the mode tests see only the configs they write, never a stray /tmp/config.json above tmp_path."""
    import functools

    from mlcheckup import mode

    monkeypatch.setattr(mode, "find_config", functools.partial(find_config, stop_at=tmp_path))


def test_find_config_can_stop_searching_at_a_folder(tmp_path):
    """F22: stop_at bounds the upward search (the SDK's own search goes to the filesystem root)."""
    stray = tmp_path / "config.json"
    stray.write_text("{}")
    course = tmp_path / "course" / "lesson"
    course.mkdir(parents=True)
    assert find_config(course) == stray
    assert find_config(course, stop_at=course.parent) is None and find_config(course, stop_at=course) is None
    assert find_config(course, stop_at=tmp_path) == stray
    with pytest.raises(errors.ValidationError, match=r"stop_at must be .* or a folder above it"):
        find_config(course, stop_at=tmp_path / "elsewhere")


def _config(folder):
    (folder / ".azureml").mkdir(parents=True)
    path = folder / ".azureml" / "config.json"
    path.write_text(json.dumps({"subscription_id": "0" * 8, "resource_group": "rg", "workspace_name": "ws"}))
    return path


def test_local_without_config(tmp_path):
    mode = detect_mode(tmp_path, environ={})
    assert mode.name == "local" and "no workspace config.json" in str(mode)


def test_config_alone_does_not_switch_to_azure(tmp_path):
    path = _config(tmp_path)
    below = tmp_path / "a" / "b"
    below.mkdir(parents=True)
    mode = detect_mode(below, environ={})
    assert mode.name == "local" and mode.config_path == path and MODE_VARIABLE in mode.reason


def test_config_and_variable_switch_to_azure_and_build_a_client_offline(tmp_path):
    path = _config(tmp_path)
    mode = detect_mode(tmp_path, environ={MODE_VARIABLE: "Azure"})
    assert mode.is_azure and mode.config_path == path
    client = ml_client(mode, credential=object())  # building the client makes no network call
    assert client.workspace_name == "ws" and client.resource_group_name == "rg"


def test_azure_requested_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(errors.ConfigurationError, match=r"no config\.json"):
        detect_mode(tmp_path, environ={MODE_VARIABLE: "azure"})


def test_unknown_mode_is_a_clear_error(tmp_path):
    with pytest.raises(errors.ConfigurationError, match="must be 'local' or 'azure'"):
        detect_mode(tmp_path, environ={MODE_VARIABLE: "cloud"})


def test_no_client_in_local_mode(tmp_path):
    with pytest.raises(errors.ConfigurationError):
        ml_client(detect_mode(tmp_path, environ={}))


def test_find_config_looks_in_plain_folders_too(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert find_config(tmp_path) == tmp_path / "config.json"


# --- test-cell checks -----------------------------------------------------------------------
def _message(fn, *args, **kwargs) -> str:
    with pytest.raises(errors.CheckFailed) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_expect_close_layers_type_then_finite_then_value():
    assert "should be a number" in _message(expect_close, "f(x)", "0.5", 0.5)
    assert "finite" in _message(expect_close, "f(x)", float("nan"), 0.5)
    message = _message(expect_close, "f(x)", 1.0, 0.5, hint="divide")
    assert message == "✗ f(x) should be 0.5, but it is 1.\n  Next step: divide"
    expect_close("f(x)", np.float64(0.5 + 1e-12), 0.5)


def test_hidden_checks_do_not_reveal_the_expected_value():
    message = _message(expect_close, "psi on fresh data", 0.25, 0.123456, reveal=False)
    assert "0.123456" not in message and "0.25" in message
    assert "0.9" not in _message(expect_equal, "label", 0.1, 0.9, reveal=False)


def test_call_reports_stub_and_crash_and_keeps_stderr_clean(capsys):
    def stub():
        raise NotImplementedError

    def crash():
        raise ZeroDivisionError("division by zero")

    import logging
    import sys

    student_log = logging.getLogger("test.student")
    handler = logging.StreamHandler(sys.stderr)  # made before the call, as logging.basicConfig() does
    student_log.addHandler(handler)

    def noisy():
        import warnings

        warnings.warn("careful", stacklevel=2)
        print("debug", file=sys.stderr)
        student_log.warning("logged")
        return 3

    with pytest.raises(errors.ExerciseNotStarted, match="not written yet"):
        call(stub)
    assert "ZeroDivisionError" in _message(call, crash)
    hinted = _message(call, crash, hint="return 0.0 when the batch is empty")
    assert "Next step: return 0.0 when the batch is empty (run it on the example" in hinted
    assert call(noisy) == 3
    student_log.removeHandler(handler)
    captured = capsys.readouterr()
    assert captured.err == "" and "debug" in captured.out and "logged" in captured.out
    assert handler.stream is sys.stderr  # given back after the call


def test_type_columns_and_check():
    assert "should be a float, but it is a str" in _message(expect_type, "x", "1", float)
    import pandas as pd

    assert "missing the column(s) ['b']" in _message(expect_columns, "frame", pd.DataFrame({"a": [1]}), ["a", "b"])
    check("all good", [lambda: None])


def test_expect_equal_compares_arrays_and_frames_by_type_shape_and_value():
    import pandas as pd

    expect_equal("mix", pd.Series([0.5, 0.5], index=[0, 1]), pd.Series([0.5, 0.5], index=[0, 1]))
    expect_equal("counts", np.array([1, 2]), np.array([1, 2]))
    assert "should have shape (2,)" in _message(expect_equal, "counts", np.array([1, 2, 3]), np.array([1, 2]))
    assert "should be a Series, but it is a list" in _message(expect_equal, "mix", [0.5], pd.Series([0.5]))
    assert "but it is" in _message(expect_equal, "mix", pd.Series([0.4, 0.6]), pd.Series([0.5, 0.5]))
    frame = pd.DataFrame({"a": [1.0]})
    assert "but it is" in _message(expect_equal, "table", frame.assign(a=2.0), frame)
    assert "but it is" in _message(expect_equal, "n", np.array([1, 1]), 1)  # no broadcasting pass


def test_expect_close_refuses_a_non_finite_expected_value():
    with pytest.raises(ValueError, match="fix the test"):
        expect_close("broken test", 0.1, float("nan"))


def test_waits_draw_a_text_bar_whose_last_state_is_full(capsys):
    from mlcheckup._progress import finish, progress

    with progress(4, "waiting for rows", unit="row") as bar:
        bar.delay = 0  # shown at once here; waits show it after 2 s
        bar.update(1)
        finish(bar)
    last = capsys.readouterr().out.rstrip("\n").split("\r")[-1]
    assert last.startswith("waiting for rows: 100%") and "4/4" in last  # what a saved notebook keeps


def test_a_short_wait_shows_no_bar(capsys):
    from mlcheckup._progress import finish, progress

    with progress(4, "waiting for rows") as bar:
        finish(bar)
    assert capsys.readouterr().out == ""
