"""score.py: classify 8x8 handwritten digits (64 pixels, each 0-16) and watch every prediction.

The same file runs locally under azureml-inference-server-http and in an Azure ML managed
online deployment. It shows the three things a monitored model does besides predicting:

* it refuses a malformed request with a 4xx and a message that says what to send
  (``parse_rows`` / ``RequestError``), and the server stays up;
* it collects its inputs and outputs with the azureml-ai-monitoring ``Collector``, under one
  correlation id per request (the request's ``x-request-id``), so they can be joined later;
* it reports to Application Insights: a ``Prediction`` custom event per request (and a
  ``LowConfidencePrediction`` one when the model hesitates), a ``predict`` span (the
  ``dependencies`` table) and a ``predictions`` counter per digit (``customMetrics``).

Written by mlcheckup.projects.write_digits_project. Taught in lessons 02 and 05.
"""

import os
import sys

import joblib
import numpy as np
import pandas as pd
from azureml.ai.monitoring import Collector
from azureml.ai.monitoring.context import BasicCorrelationContext
from opentelemetry import trace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # mlcheckup_serving.py sits next to this file
from mlcheckup_serving import (
    CUSTOM_EVENT,
    CollectorGuard,
    RequestError,
    meter,
    parse_rows,
    request_id,
    telemetry_logger,
)

FEATURES = [f"pixel_{i}" for i in range(64)]
LOW_CONFIDENCE = 0.6
log = telemetry_logger()
tracer = trace.get_tracer("digits")
model = guard = inputs_collector = outputs_collector = predictions = None


def init():
    """Load the model once per worker and set up data collection and metrics."""
    global model, guard, inputs_collector, outputs_collector, predictions
    model = joblib.load(os.path.join(os.environ["AZUREML_MODEL_DIR"], "model", "model.joblib"))
    guard = CollectorGuard(log)
    inputs_collector = Collector(name="model_inputs", on_error=guard.on_error)
    outputs_collector = Collector(name="model_outputs", on_error=guard.on_error)
    guard.watch()
    predictions = meter("digits").create_counter("predictions", description="predictions made, by digit")


def run(raw_data, request_headers):
    """Score ``{"data": [[64 pixel values], ...]}``; answer 400/413 for a request that cannot be scored."""
    rid = request_id(request_headers)
    try:
        X = parse_rows(raw_data, n_features=len(FEATURES), low=0, high=16)
    except RequestError as error:
        log.warning("refused request %s: %s", rid, error.message,
                    extra={CUSTOM_EVENT: "InvalidRequest", "request_id": rid, "reason": error.code,
                           "status": error.status})
        return error.response()
    with tracer.start_as_current_span("predict") as span:
        span.set_attribute("request_id", rid)
        span.set_attribute("rows", len(X))
        context = inputs_collector.collect(pd.DataFrame(X, columns=FEATURES), BasicCorrelationContext(id=rid))
        proba = model.predict_proba(X)
        labels = model.classes_[proba.argmax(axis=1)]
        confidence = np.round(proba.max(axis=1), 4)
        outputs_collector.collect(pd.DataFrame({"prediction": labels, "confidence": confidence}), context)
        for digit in labels:
            predictions.add(1, {"digit": str(digit)})
        log.info("scored %d rows", len(X), extra={CUSTOM_EVENT: "Prediction", "request_id": rid, "rows": len(X),
                                                  "min_confidence": float(confidence.min())})
        if confidence.min() < LOW_CONFIDENCE:
            log.info("low confidence", extra={CUSTOM_EVENT: "LowConfidencePrediction", "request_id": rid,
                                              "confidence": float(confidence.min())})
    return {"predictions": labels.tolist(), "confidence": confidence.tolist()}
