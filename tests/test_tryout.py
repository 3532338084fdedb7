"""A run() written in a notebook, copied into score.py and served by the real inference server."""

from __future__ import annotations

import functools
import os

import psutil
import pytest
from runtime_support import project_fixture  # noqa: F401 (pytest fixture)

from mlcheckup._lifecycle import State
from mlcheckup.errors import ValidationError
from mlcheckup.projects import digits_payload
from mlcheckup.tryout import Tryout, function_source, score_script, server_error, write_score_script

PREAMBLE = '''
import json
import os

import joblib
import numpy as np
from azureml_inference_server_http.api.aml_response import AMLResponse

model = None


def init():
    global model
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.joblib"))
'''


def run(raw_data):
    try:
        rows = np.asarray(json.loads(raw_data)["data"], dtype=float)  # noqa: F821 (names of the preamble)
    except (ValueError, KeyError, TypeError) as error:
        return AMLResponse({"message": f"cannot read the rows: {error}"}, 400, json_str=True)  # noqa: F821
    return {"predictions": model.predict(rows).tolist()}  # noqa: F821


def run_raising(raw_data):
    raise ValueError(f"nothing scored for {len(raw_data)} bytes")


def run_with_a_notebook_global(raw_data):
    return {"rows": NOTEBOOK_ONLY}  # noqa: F821 (defined in the notebook, not in score.py)


def test_the_source_of_a_def_is_read_and_dedented():
    def inner(x):
        return x + 1

    assert function_source(inner) == "def inner(x):\n    return x + 1\n"


@pytest.mark.parametrize("thing, words", [
    (lambda raw: raw, "lambda"),
    (len, "function defined with def"),
    (functools.cache(run), "function defined with def"),
])
def test_what_cannot_be_copied_is_named(thing, words):
    with pytest.raises(ValidationError, match=words):
        function_source(thing)


def test_a_decorated_function_is_refused():
    def decorate(fn):
        return fn

    @decorate
    def scored(raw_data):
        return raw_data

    with pytest.raises(ValidationError, match="decorator"):
        function_source(scored)


def test_the_script_is_the_preamble_then_the_function(tmp_path):
    text = score_script(run, PREAMBLE)
    assert text.startswith("import json") and text.rstrip().endswith("return {\"predictions\": model.predict(rows).tolist()}  # noqa: F821")
    assert "def init():" in text and text.count("def run(raw_data):") == 1
    path = write_score_script(tmp_path / "code" / "score.py", run, PREAMBLE)
    assert path.read_text() == text


def test_another_name_is_served_as_run():
    assert score_script(run_raising, PREAMBLE).rstrip().endswith("run = run_raising")


def test_a_preamble_that_is_not_python_is_refused():
    with pytest.raises(ValidationError, match="not be valid Python"):
        score_script(run, "def init(:\n    pass")


@pytest.mark.slow
def test_a_notebook_run_is_served_reused_replaced_and_stopped(project):
    with Tryout(project.model_dir, PREAMBLE) as tryout:
        endpoint = tryout.serve(run)
        assert endpoint.state is State.RUNNING and tryout.script.read_text() == score_script(run, PREAMBLE)
        good = endpoint.post(digits_payload(3))
        assert good.status_code == 200 and len(good.json()["predictions"]) == 3
        refused = endpoint.post("not json")
        assert refused.status_code == 400 and "cannot read the rows" in refused.json()["message"]
        assert server_error(endpoint) is None  # a refusal is an answer, not an error
        assert tryout.serve(run) is endpoint  # same source: same server

        failing = tryout.serve(run_raising)  # new source: the old server stops, a new one starts
        assert failing is not endpoint and endpoint.state is State.STOPPED
        answer = failing.post(digits_payload(1))
        assert answer.status_code == 500
        assert server_error(failing).startswith("ValueError: nothing scored for")

        missing = tryout.serve(run_with_a_notebook_global)
        assert missing.post(digits_payload(1)).status_code == 500
        assert server_error(missing) == "NameError: name 'NOTEBOOK_ONLY' is not defined"
    assert missing.state is State.STOPPED
    tryout.stop()  # twice: nothing happens
    leftovers = [p for p in psutil.Process(os.getpid()).children(recursive=True) if "gunicorn" in " ".join(p.cmdline())]
    assert leftovers == []

