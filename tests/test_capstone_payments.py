"""The capstone's payments project: its model, and its score.py served by the real inference server."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mlcheckup.endpoint import LocalEndpoint
from mlcheckup.errors import ValidationError
from mlcheckup.projects import (
    PAYMENT_FEATURES,
    fraud_probability,
    load_payments,
    payments_payload,
    write_payments_project,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return write_payments_project(tmp_path_factory.mktemp("payments"))


@pytest.fixture(scope="module")
def endpoint(project):
    with LocalEndpoint(project.score_script, project.model_dir, name="payments-endpoint",
                       model_name="payments") as served:
        yield served


def test_the_model_beats_chance_and_concept_drift_moves_the_truth_not_the_inputs(project):
    assert 0.75 < project.auc < 0.95
    features = load_payments()[list(PAYMENT_FEATURES)]
    before, after = fraud_probability(features), fraud_probability(features, concept=1.0)
    assert after.mean() > before.mean() * 1.3
    with pytest.raises(ValidationError, match=r"concept must be between 0 and 1 \(got 2\)"):
        fraud_probability(features, concept=2)


def test_score_py_scores_and_collects_inputs_and_outputs(endpoint):
    reply = endpoint.post(payments_payload(4), headers={"x-request-id": "ok-1"})
    assert reply.status_code == 200
    risks = reply.json()["fraud_risk"]
    assert len(risks) == 4 and all(0 <= r <= 1 for r in risks)
    outputs = endpoint.collected("model_outputs")
    assert {"ok-1_0", "ok-1_3"} <= set(outputs["correlationid"])
    inputs = endpoint.collected("model_inputs")
    assert str(inputs["hour"].dtype) == "int64" and list(inputs.columns[:7]) == list(PAYMENT_FEATURES)


@pytest.mark.parametrize(("row", "message"), [
    ([10, 24, 1, 1, 1, 0, 0], "hour is 24; it must be a whole number between 0 and 23"),
    ([-5, 3, 1, 1, 1, 0, 0], "amount is -5; it must be between 0.01 and 10000"),
    ([10, 3, 1.5, 1, 1, 0, 0], "merchant_category is 1.5; it must be a whole number"),
    ([10, 3, 1, 1, 1, 0], "row 0 has 6 values, expected 7"),
    ([10, 3, "x", 1, 1, 0, 0], 'row 0, column 2 is "x", not a number'),
])
def test_score_py_refuses_bad_input_with_a_400_and_says_why(endpoint, row, message):
    reply = endpoint.post({"data": [row]})
    assert reply.status_code == 400
    assert message in reply.json()["message"]
    assert endpoint.post(payments_payload(1)).status_code == 200   # the server stays up


def test_score_py_refuses_a_body_that_is_not_json(endpoint):
    reply = endpoint.post(b"amount=10", headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and "not JSON" in json.loads(reply.text)["message"]
    assert np.isfinite(endpoint.post(payments_payload(2)).json()["fraud_risk"]).all()


def test_score_py_sends_its_custom_events_to_app_insights(project):
    from mlcheckup.appinsights import AppInsightsIngestion

    with AppInsightsIngestion() as store, LocalEndpoint(project.score_script, project.model_dir, app_insights=store,
                                                        name="payments-endpoint", model_name="payments") as served:
        served.post(payments_payload(3), headers={"x-request-id": "events-1"})
        served.post({"data": [[10, 24, 1, 1, 1, 0, 0]]}, headers={"x-request-id": "events-2"})
        store.wait_for("customEvents", 1, where="name = 'FraudScored'")
        store.wait_for("customEvents", 1, where="name = 'InvalidRequest'")
        events = store.query("SELECT name FROM customEvents")
    assert {"FraudScored", "InvalidRequest"} <= set(events["name"])
