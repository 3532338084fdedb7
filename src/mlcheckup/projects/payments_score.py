"""score.py: score card payments for fraud and watch every prediction.

The same file runs locally under azureml-inference-server-http and in an Azure ML managed
online deployment:

* it refuses a malformed request with a 4xx and a message that says what to send (wrong shape,
  not a number, an input outside its range such as ``hour`` 24 or a negative ``amount``);
* it collects its inputs and outputs with the azureml-ai-monitoring ``Collector`` under the
  request's ``x-request-id`` (joined later with the chargebacks, the late labels);
* it reports to Application Insights: a ``FraudScored`` custom event per request, a
  ``HighRiskPayment`` one per payment it would block, an ``InvalidRequest`` one per refusal.

Written by mlcheckup.projects.write_payments_project. Taught in lesson 07.
"""

import os
import sys

import joblib
import numpy as np
import pandas as pd
from azureml.ai.monitoring import Collector
from azureml.ai.monitoring.context import BasicCorrelationContext

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # mlcheckup_serving.py sits next to this file
from mlcheckup_serving import (
    CUSTOM_EVENT,
    CollectorGuard,
    RequestError,
    parse_rows,
    request_id,
    telemetry_logger,
)

FEATURES = ["amount", "hour", "merchant_category", "distance_km", "card_age_days", "foreign", "online"]
LOW = [0.01, 0, 0, 0.0, 0, 0, 0]
HIGH = [10000.0, 23, 7, 20000.0, 20000, 1, 1]
INTEGER = ["hour", "merchant_category", "card_age_days", "foreign", "online"]
BLOCK_ABOVE = 0.5
log = telemetry_logger()
model = guard = inputs_collector = outputs_collector = None


def init():
    """Load the model once per worker and set up data collection."""
    global model, guard, inputs_collector, outputs_collector
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.joblib"))
    guard = CollectorGuard(log)
    inputs_collector = Collector(name="model_inputs", on_error=guard.on_error)
    outputs_collector = Collector(name="model_outputs", on_error=guard.on_error)
    guard.watch()


def check_ranges(X):
    """Raise RequestError (400) for the first input outside its range or not a whole number where one is needed."""
    for j, name in enumerate(FEATURES):
        bad = np.flatnonzero((X[:, j] < LOW[j]) | (X[:, j] > HIGH[j])
                             | ((name in INTEGER) & (X[:, j] != np.round(X[:, j]))))
        if bad.size:
            kind = "a whole number " if name in INTEGER else ""
            raise RequestError(f"row {bad[0]}, {name} is {X[bad[0], j]:g}; it must be {kind}between {LOW[j]:g} "
                               f"and {HIGH[j]:g} (columns in order: {', '.join(FEATURES)})", "out_of_range")


def run(raw_data, request_headers):
    """Score ``{"data": [[7 inputs], ...]}``; answer 400/413 for a request that cannot be scored."""
    rid = request_id(request_headers)
    try:
        X = parse_rows(raw_data, n_features=len(FEATURES))
        check_ranges(X)
    except RequestError as error:
        log.warning("refused request %s: %s", rid, error.message,
                    extra={CUSTOM_EVENT: "InvalidRequest", "request_id": rid, "reason": error.code,
                           "status": error.status})
        return error.response()
    frame = pd.DataFrame(X, columns=FEATURES)
    for name in INTEGER:
        frame[name] = frame[name].astype("int64")
    context = inputs_collector.collect(frame, BasicCorrelationContext(id=rid))
    risk = np.round(model.predict_proba(X)[:, 1], 4)
    blocked = (risk > BLOCK_ABOVE).astype(int)
    outputs_collector.collect(pd.DataFrame({"fraud_risk": risk, "blocked": blocked}), context)
    log.info("scored %d payments", len(X), extra={CUSTOM_EVENT: "FraudScored", "request_id": rid, "rows": len(X),
                                                    "max_risk": float(risk.max()), "blocked": int(blocked.sum())})
    for i in np.flatnonzero(blocked):
        log.info("high risk payment", extra={CUSTOM_EVENT: "HighRiskPayment", "request_id": rid, "row": int(i),
                                             "risk": float(risk[i])})
    return {"fraud_risk": risk.tolist(), "blocked": blocked.tolist()}
