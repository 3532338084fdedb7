"""The common test: every public function and class refuses a bad argument with a helpful ValidationError.

Modelled on scikit-learn's ``sklearn/tests/test_public_functions.py`` and ``utils/estimator_checks``:
walk every PUBLIC callable of :mod:`mlcheckup` (public modules; the names in ``__all__`` where a
module declares it, else the names not starting with ``_``), and call it once per probe with ONE
bad argument, all other arguments valid. Each call must raise
:class:`~mlcheckup.errors.ValidationError` whose message echoes the value given and says how to
fix it (STYLE.md §4(b) 12: what, received value, how to fix).

The probes are derived from the signature:

===================  ===========================  ====================================
parameter default    wrong-typed probe            out-of-range probe
===================  ===========================  ====================================
int (not bool)       ``"many"``                   ``-1`` (when the default is >= 0)
float                ``"high"``                   ``nan``
str, a duration      ``7`` (a number, no unit)    ``"-5min"``
str, a choice        ``3``                        ``"no-such-choice"`` (choices read from
                                                  the numpydoc ``name : {'a', 'b'}`` line)
bool, None, other    none (truthiness is Python's convention; None needs the table)
===================  ===========================  ====================================

What cannot be derived is explicit: :data:`VALID` gives valid values for required parameters
(by parameter name, or per callable), :data:`EXTRA_PROBES` adds probes, :data:`SKIP` lists what
cannot be called offline or in a test process, with the reason. A case that fails today in a
module its owner has yet to fix is listed in :data:`KNOWN_FAILURES` and marked
``xfail(strict=True)`` with what to change: once fixed it XPASSes, the test fails, and the
entry must be removed. No server is started, nothing is written outside ``tmp_path``.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import math
import pkgutil
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import mlcheckup
from mlcheckup.errors import ValidationError

# --- what to walk -------------------------------------------------------------------------------
#: Public modules that cannot be imported or called in a test process, with the reason.
SKIP_MODULES = {
    "mlcheckup.serving": "runs inside the inference server, next to score.py, where mlcheckup is not installed; "
                         "its errors are RequestError 4xx answers (tests/test_runtime_serving.py)",
    "mlcheckup.projects.digits_score": "a score.py: imports mlcheckup_serving, which exists only in a served folder",
    "mlcheckup.examples.digits_score": "a score.py: imports mlcheckup_serving, which exists only in a served folder",
    "mlcheckup.projects.payments_score": "a score.py: imports mlcheckup_serving, which exists only in a served folder",
}
#: Public callables not called here, with the reason (a name matches itself and what it prefixes).
SKIP = {
    # local servers and processes: starting one is not offline-cheap; their arguments are checked
    # before anything starts in tests/test_runtime_*.py
    "mlcheckup.endpoint.LocalEndpoint": "starts the inference server (tests/test_runtime_endpoint.py)",
    "mlcheckup.tryout.Tryout": "starts the inference server (tests/test_tryout.py)",
    "mlcheckup.frontend.FrontEnd": "starts a front-door server (tests/test_runtime_*.py)",
    "mlcheckup.appinsights.AppInsightsIngestion": "starts a local ingestion server (tests/test_runtime_appinsights.py)",
    "mlcheckup.datacollector.DataCollectorSink": "starts a local sink server (tests/test_runtime_datacollector.py)",
    "mlcheckup.alerts.WebhookReceiver": "starts a webhook server (tests/test_alerts.py)",
    "mlcheckup.platform_metrics.ProcessSampler": "samples live processes on a thread",
    # Azure and the SDK: a workspace, credentials or the network
    "mlcheckup.mode.ml_client": "builds an azure-ai-ml MLClient for a real workspace",
    "mlcheckup.workspace.connect": "connects to a workspace (or starts local services)",
    "mlcheckup.connect": "connects to a workspace (or starts local services)",
    # the grading kit: its arguments are a test author's, checked by tests/test_core.py
    "mlcheckup.grading.call": "calls student code with any arguments (a pass-through)",
    "mlcheckup.grading.check": "runs test-cell checks (CheckFailed, not ValidationError, is its contract)",
    "mlcheckup.grading.rerun_visible_tests": "re-runs a notebook's visible tests in its namespace",
    **{f"mlcheckup.grading.{name}": "checks a student's value: a wrong one is a CheckFailed, by contract"
       for name in ("expect", "expect_type", "expect_equal", "expect_columns", "passed")},
    "mlcheckup.appinsights.LoopbackService": "the base class of the local servers",
    # alerts: needs a telemetry store (a local server), or is a result the toolkit builds
    "mlcheckup.alerts.Rule": "the common base of MetricRule and LogRule (probed), never built on its own",
    "mlcheckup.alerts.evaluate": "needs a telemetry store; its rule goes through as_rule, probed via to_azure",
    "mlcheckup.alerts.replay_scenario": "exports a scenario's traffic to a telemetry store (a local server)",
    "mlcheckup.alerts.Alert": "a result record evaluate() builds; learners read it, never build it",
    "mlcheckup.alerts.Evaluation": "a result record evaluate() builds; learners read it, never build it",
    "mlcheckup.alerts.AzureRequest": "a result record azure_request() builds; learners read it, never build it",
    "mlcheckup.alerts.payload": "formats the common-alert-schema body of a rule that was probed when built; "
                                "evaluate() and test cells call it with values they computed",
    "mlcheckup.alerts.app_insights_id": "formats a resource id from three names; any name Azure allows is text",
    # drift: results and table-level helpers whose inputs are tables the package itself makes
    "mlcheckup.drift.LookbackWindows": "a result record default_windows() builds",
    "mlcheckup.drift.azure_signal_output": "reshapes a drift table that compare() made",
    "mlcheckup.drift.prediction_drift": "compare() on one column; its arguments are probed through compare",
    "mlcheckup.drift.reference.drift_table": "compare()'s engine on a prepared Reference; probed through compare",
    "mlcheckup.drift.breached": "vectorised over metric tables (a NaN is 'no breach' by Azure's rule, not an error)",
    "mlcheckup.drift.thresholds.past_threshold": "vectorised over metric tables (NaN means no breach)",
    "mlcheckup.drift.histogram": "PySpark's histogram on edges from sturges_edges; probed through compare",
    "mlcheckup.drift.sturges_edges": "edges for two samples; the samples are probed through the metric functions",
    "mlcheckup.drift.type_family": "reads a Series' dtype; any Series has one (None when unknown)",
    "mlcheckup.drift.importance.top_features": "sorts a Series feature_importance() made",
    "mlcheckup.drift.quality.round_half_up": "rounds a number data_quality() computed",
    "mlcheckup.drift.quality.type_errors": "counts values data_quality() read",
    "mlcheckup.drift.spark.compare": "needs two PySpark DataFrames, so a Spark session (a JVM); its arguments are "
                                     "checked in the tests of the Spark backend",
    "mlcheckup.drift.spark.prediction_drift": "spark.compare on one column (see it)",
    "mlcheckup.drift.spark.data_quality": "needs two PySpark DataFrames, so a Spark session (a JVM); its arguments "
    "are checked in the tests of the Spark backend",
    "mlcheckup.drift.spark.validated_yaml": "takes the SparkJob entity spark_job() built; spark_job's arguments are probed",
    "mlcheckup.drift.spark.is_spark_frame": "a predicate: any value is a valid question (True or False)",
    "mlcheckup.drift.spark.spark_family": "reads a Spark DataType; any type has a family (None when unknown)",
}

# --- valid values for required parameters ---------------------------------------------------------
_RNG = np.random.default_rng(0)
_FRAME = pd.DataFrame({"price": _RNG.normal(1.4, 0.2, 200), "volume": _RNG.normal(50, 5, 200),
                       "region": _RNG.choice(["West", "East"], 200)})


def _rule():
    from mlcheckup import alerts

    return alerts.MetricRule(name="slow", metric_name="requests/duration", time_aggregation="Average",
                             operator="GreaterThan", threshold=100)


def _scenario():
    from mlcheckup import scenarios

    return scenarios.make("sudden", seed=0, days=7, requests_per_hour=5)


def _predictions():
    times = pd.date_range("2024-03-04", periods=40, freq="3h")
    return pd.DataFrame({"correlationid": [f"r{i}_0" for i in range(40)], "time": times,
                         "prediction": np.arange(40) % 10, "label": (np.arange(40) % 7).astype(float),
                         "confidence": np.linspace(0.5, 1.0, 40)})


def _calibrator():
    from mlcheckup import labels

    table = _predictions()
    return labels.ConfidenceCalibrator().fit(table["confidence"], table["prediction"] == table["label"])


@functools.cache
def _platform_metrics():
    from mlcheckup import platform_metrics

    return platform_metrics.compute(platform_metrics.synthetic_traffic(seed=0).head(500))


#: Valid values by parameter name, for every callable (a factory is called for each case).
VALID_BY_NAME = {
    "reference": lambda: _FRAME.iloc[:100], "production": lambda: _FRAME.iloc[100:], "data": lambda: _FRAME,
    "kind": lambda: "sudden", "name": lambda: "probe", "rule": _rule, "item": _rule, "what": lambda: "probe",
    "label": lambda: "probe",
}
_SAMPLES = {"reference": lambda: [1.0, 2.0, 2.5, 3.0], "production": lambda: [2.0, 3.0, 3.5]}
_LETTERS = {"reference": lambda: ["a", "b", "b"], "production": lambda: ["a", "a", "b"]}
#: Valid arguments per callable, where the parameter name is not enough: {target: {param: factory}}.
VALID = {
    **{f"mlcheckup.drift.{name}": _SAMPLES for name in ("jensen_shannon_distance", "normalized_wasserstein_distance",
                                                          "population_stability_index", "two_sample_ks_pvalue")},
    "mlcheckup.drift.pearsons_chi_squared_pvalue": _LETTERS,
    "mlcheckup.drift.category_counts": _LETTERS,
    "mlcheckup.drift.bin_edges": {"lo": lambda: 0.0, "hi": lambda: 1.0, "k": lambda: 4},
    "mlcheckup.drift.sturges_bin_count": {"n_reference": lambda: 100, "n_production": lambda: 50},
    "mlcheckup.drift.attribution_drift": {"reference_importance": lambda: pd.Series({"a": 3.0, "b": 1.0}),
                                          "production_importance": lambda: pd.Series({"a": 2.0, "b": 0.5})},
    "mlcheckup.drift.feature_importance": {"target_column": lambda: "price"},
    "mlcheckup.drift.parse_duration": {"text": lambda: "P7D"},
    "mlcheckup.drift.run_times": {"first": lambda: "2024-01-01", "last": lambda: "2024-01-08"},
    "mlcheckup.drift.metrics.check_ks_row_limit": {"mode": lambda: "raise"},
    "mlcheckup.drift.thresholds.check_metric": {"name": lambda: "population_stability_index",
                                                "kind": lambda: "numerical"},
    "mlcheckup.drift.thresholds.check_threshold": {"name": lambda: "population_stability_index",
                                                   "threshold": lambda: 0.1},
    "mlcheckup.drift.thresholds.metric_plan": {"spec": lambda: "population_stability_index",
                                               "kind": lambda: "numerical"},
    "mlcheckup.drift.windows.check_frequency": {"frequency": lambda: "day"},
    "mlcheckup.alerts.ActionGroup": {"name": lambda: "oncall"},
    "mlcheckup.alerts.Notification": {"payload": lambda: {}},
    "mlcheckup.alerts.LogRule": {"query": lambda: "SELECT timestamp FROM exceptions", "operator": lambda: "GreaterThan",
                                 "threshold": lambda: 1.0},
    "mlcheckup.alerts.MetricRule": {"metric_name": lambda: "requests/duration", "time_aggregation": lambda: "Average",
                                    "operator": lambda: "GreaterThan", "threshold": lambda: 100.0},
    "mlcheckup.alerts.duration": {"value": lambda: "PT5M"},
    "mlcheckup.grading.expect_close": {"got": lambda: 1.0, "expected": lambda: 1.0},
    "mlcheckup.alerts.iso_duration": {"value": lambda: "PT5M"},
    # what the lessons build on: scenarios, labels, plots, platform metrics, model_monitor, kql
    "mlcheckup.plots.incident_spans": {"scenario": _scenario},
    "mlcheckup.plots.scenario_overview": {"scenario": _scenario},
    "mlcheckup.labels.realized_accuracy": {"table": _predictions},
    "mlcheckup.labels.estimated_accuracy": {"table": _predictions, "calibrator": _calibrator},
    "mlcheckup.labels.ground_truth_feed": {"predictions": _predictions, "truth": lambda: np.arange(40) % 10},
    "mlcheckup.labels.wilson_interval": {"successes": lambda: 3, "n": lambda: 10},
    "mlcheckup.labels.labels_needed": {"width": lambda: 0.1},
    "mlcheckup.labels.bootstrap_interval": {"actual": lambda: [1.0, 2.0, 3.0], "predicted": lambda: [1.5, 2.0, 2.5]},
    **{f"mlcheckup.labels.{name}": {"confidence": lambda: [0.9, 0.6], "correct": lambda: [True, False]}
       for name in ("reliability_table", "expected_calibration_error")},
    "mlcheckup.platform_metrics.series": {"metrics": _platform_metrics, "name": lambda: "RequestsPerMinute"},
    "mlcheckup.kql.query": {"text": lambda: "T | take 3", "source": lambda: {"T": _FRAME}},
    "mlcheckup.model_monitor.performance_signal": {"production": lambda: "azureml:outputs:1",
                                                   "ground_truth": lambda: "azureml:truth:1",
                                                   "classification": lambda: {"accuracy": 0.9}},
    **{f"mlcheckup.model_monitor.{name}": {"reference": lambda: "azureml:train:1", "production": lambda: "azureml:p:1"}
       for name in ("data_drift_signal", "prediction_drift_signal")},
}

#: Probes that cannot be derived from a default: {target: [(param, value), ...]}.
EXTRA_PROBES = {
    "mlcheckup.alerts.MetricRule": [("threshold", "high"), ("threshold", math.inf), ("operator", ">"),
                                    ("window_size", 7), ("window_size", "PT2H"), ("time_aggregation", "Avg"),
                                    ("severity", 5), ("severity", True)],
    "mlcheckup.alerts.LogRule": [("threshold", None), ("query", 3), ("number_of_evaluation_periods", 7)],
    "mlcheckup.alerts.ActionGroup": [("name", 3), ("webhooks", "ftp://example.org"), ("short_name", "x" * 13)],
    "mlcheckup.alerts.Notification": [("payload", 3), ("payload", {"schemaId": "no-such-schema"})],
    "mlcheckup.alerts.azure_request": [("item", 3), ("scope", "not-a-resource-id")],
    "mlcheckup.alerts.to_azure": [("rule", 3), ("scope", "not-a-resource-id")],
    "mlcheckup.alerts.duration": [("value", 7), ("value", "-5min"), ("value", "month"), ("value", True),
                                  ("value", "P")],
    "mlcheckup.alerts.iso_duration": [("value", 7), ("value", "-5min")],
    "mlcheckup.drift.DriftDetector": [("production_window", 7), ("production_window", "-5min"),
                                     ("production_offset", "later"), ("n_jobs", "many"), ("n_jobs", 0),
                                     ("signal", "no-such-choice"), ("interval", 0), ("interval", 1.5)],
    "mlcheckup.drift.Reference": [("data", 3), ("features", ["no-such-column"]),
                                  ("feature_type_override", {"price": "no-such-type"})],
    "mlcheckup.drift.compare": [("n_jobs", "many"), ("n_jobs", 0), ("numerical", "psi"), ("production", 3)],
    "mlcheckup.drift.data_quality": [("production", 3), ("numerical", {"null_value_rate": 2.0})],
    "mlcheckup.drift.feature_types": [("reference", 3), ("feature_type_override", {"price": "text"})],
    "mlcheckup.drift.feature_importance": [("reference", 3), ("target_column", "no-such-column")],
    "mlcheckup.drift.parse_duration": [("text", 7), ("text", "7 days")],
    "mlcheckup.grading.expect_close": [("tol", -1.0), ("expected", math.inf), ("expected", "1.0")],
    "mlcheckup.drift.run_times": [("frequency", "fortnight")],
    "mlcheckup.drift.default_windows": [("interval", 0), ("interval", "2")],
    **{f"mlcheckup.drift.{name}": [("reference", 3), ("production", "abc")]
       for name in ("jensen_shannon_distance", "normalized_wasserstein_distance", "population_stability_index",
                    "two_sample_ks_pvalue", "pearsons_chi_squared_pvalue", "category_counts")},
    "mlcheckup.drift.normalized_wasserstein_distance": [("reference", 3), ("reference", ["a", "b"])],
    "mlcheckup.drift.bin_edges": [("k", 0), ("k", "four"), ("lo", math.nan), ("hi", -1.0)],
    "mlcheckup.drift.sturges_bin_count": [("n_reference", "many"), ("n_production", 2.5)],
    "mlcheckup.drift.attribution_drift": [("reference_importance", pd.Series({"a": 1.0}))],
    "mlcheckup.drift.metrics.check_ks_row_limit": [("mode", "no-such-choice")],
    "mlcheckup.drift.thresholds.check_metric": [("name", "psi")],
    "mlcheckup.drift.thresholds.check_threshold": [("threshold", "high"), ("threshold", -1.0)],
    "mlcheckup.drift.thresholds.metric_plan": [("spec", 3), ("spec", {"population_stability_index": -1.0})],
    "mlcheckup.drift.windows.check_frequency": [("frequency", "fortnight")],
    **{f"mlcheckup.model_monitor.{name}": [("production_window", 7), ("production_window", "month")]
       for name in ("data_drift_signal", "prediction_drift_signal")},
    "mlcheckup.model_monitor.performance_signal": [("window", "month")],
    "mlcheckup.plots.scenario_overview": [("freq", 6), ("freq", "MS")],
    **{f"mlcheckup.labels.{name}": [("freq", "month")] for name in ("realized_accuracy", "estimated_accuracy")},
    "mlcheckup.labels.ground_truth_feed": [("median_delay", 2), ("missing", 1.5)],
    "mlcheckup.labels.wilson_interval": [("confidence", 1.0)],
}
#: Parameter names that hold a duration (probed as one).
DURATION_PARAMS = {"window_size", "evaluation_frequency", "production_window", "production_offset", "freq",
                   "every", "grain", "median_delay", "window", "long", "short"}

#: Cases that fail today in modules whose owner has yet to fix them: {case id: "<module>: <what to change>"}.
KNOWN_FAILURES: dict[str, str] = {}


# --- discovery ------------------------------------------------------------------------------------
#: Public modules that failed to import during the walk: {name: error} (a test fails on each).
IMPORT_ERRORS: dict[str, str] = {}


def _public_modules() -> list[ModuleType]:
    modules = [mlcheckup]
    for info in pkgutil.walk_packages(mlcheckup.__path__, "mlcheckup.", onerror=lambda name: None):
        if any(part.startswith("_") for part in info.name.split(".")[1:]) or info.name in SKIP_MODULES:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                modules.append(importlib.import_module(info.name))
            except Exception as error:
                IMPORT_ERRORS[info.name] = f"{type(error).__name__}: {error}"
    return modules


def public_callables() -> dict[str, object]:
    """``{first public path: callable}``, each callable once, package faces first."""
    found: dict[str, object] = {}
    seen: set[int] = set()
    for module in _public_modules():
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name, None)
            if not callable(obj) or not str(getattr(obj, "__module__", "")).startswith("mlcheckup"):
                continue
            if (inspect.isclass(obj) and issubclass(obj, BaseException)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{module.__name__}.{name}"] = obj
    return found


def _skipped(target: str) -> str | None:
    return next((why for name, why in SKIP.items() if target == name or target.startswith(name + ".")), None)


def _choices(obj, param: str) -> list[str]:
    """The choices of ``param`` from its numpydoc line ``param : {'a', 'b'}``."""
    match = re.search(rf"^\s*{re.escape(param)}\s*:\s*\{{([^}}]*)\}}", inspect.getdoc(obj) or "", re.M)
    return re.findall(r"['\"]([^'\"]+)['\"]", match.group(1)) if match else []


def _derived(obj, name: str, param: inspect.Parameter) -> list:
    default = param.default
    if name in DURATION_PARAMS and (isinstance(default, str) or default is inspect.Parameter.empty):
        return [7, "-5min"]
    if isinstance(default, bool) or default is inspect.Parameter.empty or default is None:
        return ["no-such-choice"] if _choices(obj, name) else []
    if isinstance(default, int):
        return ["many"] + ([-1] if default >= 0 else [])
    if isinstance(default, float):
        return ["high", math.nan]
    if isinstance(default, str) and _choices(obj, name):
        return [3, "no-such-choice"]
    return []


@dataclass(frozen=True)
class Case:
    target: str
    param: str
    value: object

    @property
    def id(self) -> str:
        return f"{self.target}:{self.param}={self.value!r}"


def _signature(obj) -> inspect.Signature | None:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _base_call(target: str, obj) -> dict | None:
    """Valid keyword arguments for every required parameter, or None if one is unknown."""
    sig = _signature(obj)
    if sig is None:
        return None
    known = {**VALID_BY_NAME, **VALID.get(target, {})}
    base = {}
    for name, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in VALID.get(target, {}):
            base[name] = known[name]
        elif param.default is inspect.Parameter.empty:
            if name not in known:
                return None
            base[name] = known[name]
    return base


def cases() -> tuple[list[Case], list[str]]:
    """Every probe of every callable that can be called, and the callables that cannot be."""
    found, unprobed = [], []
    for target, obj in public_callables().items():
        if _skipped(target):
            continue
        base, sig = _base_call(target, obj), _signature(obj)
        if base is None or sig is None:
            unprobed.append(target)
            continue
        probes = [(name, value) for name, param in sig.parameters.items()
                  if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
                  for value in _derived(obj, name, param)]
        probes += [p for p in EXTRA_PROBES.get(target, []) if p not in probes]
        if not probes:
            unprobed.append(target)
        found += [Case(target, name, value) for name, value in probes]
    return found, unprobed


CASES, UNPROBED = cases()
FIX_WORDS = re.compile(r"\b(must|expected|use|pass|give|should|choose|write|set|one of|e\.g\.|such as|allowed|"
                       r"did you mean)\b", re.I)


def _echoes(message: str, value) -> bool:
    """Whether ``message`` shows ``value``, or the bad part of it (an item of a list, dict or Series)."""
    if isinstance(value, pd.Series):
        value = value.to_dict()
    parts = [*value.keys(), *value.values()] if isinstance(value, dict) else \
        list(value) if isinstance(value, list | tuple) else []
    if any(_echoes(message, part) for part in parts):
        return True
    shown = {repr(value), str(value)} | (set() if isinstance(value, str) else {f"got {type(value).__name__}"})
    if isinstance(value, float) and math.isnan(value):
        shown.add("nan")
    return any(text in message for text in shown)


def _params(case_list):
    for case in case_list:
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[case.id])] if case.id in KNOWN_FAILURES else []
        yield pytest.param(case, id=case.id, marks=marks)


# --- the tests -------------------------------------------------------------------------------------
@pytest.mark.timeout(5)  # a bad argument once looped forever (drift.run_times with interval=-1)
@pytest.mark.parametrize("case", list(_params(CASES)))
def test_a_bad_argument_gets_a_validation_error_that_echoes_it_and_says_how_to_fix_it(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever a call writes lands in tmp_path
    obj = public_callables()[case.target]
    kwargs = {name: make() for name, make in _base_call(case.target, obj).items()}
    kwargs[case.param] = case.value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj(**kwargs)
        except ValidationError as error:
            message = str(error)
        except Exception as error:
            pytest.fail(f"{case.id} raised {type(error).__name__}: {str(error)[:200]}; expected a ValidationError")
        else:
            pytest.fail(f"{case.id} was accepted; expected a ValidationError")
    assert _echoes(message, case.value), f"the message does not show the value given: {message}"
    assert FIX_WORDS.search(message), f"the message does not say what to pass instead: {message}"


def test_every_public_module_imports():
    assert IMPORT_ERRORS == {}, "public modules that do not import (the walk skipped them)"


def test_the_walk_finds_the_public_surface():
    """The walk sees the package faces and every kind of callable (a broken walk tests nothing)."""
    found = public_callables()
    for name in ("mlcheckup.drift.compare", "mlcheckup.alerts.MetricRule", "mlcheckup.drift.DriftDetector",
                 "mlcheckup.alerts.duration", "mlcheckup.drift.parse_duration"):
        assert name in found, f"{name} is not found by the walk"
    assert not any(".\u005f" in target.replace("mlcheckup.", "", 1) for target in found), "a private name leaked"
    assert len(CASES) > 50


@pytest.mark.parametrize("package", ["mlcheckup.drift", "mlcheckup.alerts", "mlcheckup.errors", "mlcheckup.grading"])
def test_every_public_callable_of_the_validated_packages_is_probed(package):
    """In the packages already brought under the contract, a new public callable needs probes or a SKIP entry."""
    missing = [t for t in UNPROBED if t == package or t.startswith(package + ".")]
    assert missing == [], f"add valid arguments (VALID) or a justified SKIP entry for: {missing}"


# --- one error tree -------------------------------------------------------------------------------
#: Error classes allowed outside errors.py, with the reason.
ERRORS_ELSEWHERE = {
    "mlcheckup.serving.RequestError": SKIP_MODULES["mlcheckup.serving"],
    "mlcheckup._loopback.RequestRefused": "internal: a local server's handler raises it to answer a 4xx; it never "
                                          "leaves the server thread",
}
#: Error classes still outside errors.py whose owner has yet to move them: {path: "<module>: <what to change>"}.
STRAY_ERRORS = {
}


def _error_classes() -> dict[str, type]:
    """Every exception class (not warnings) a module of mlcheckup defines, private modules too, by path."""
    found = {}
    for info in pkgutil.walk_packages(mlcheckup.__path__, "mlcheckup.", onerror=lambda name: None):
        if info.name in SKIP_MODULES and info.name != "mlcheckup.serving":
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception:  # reported by test_every_public_module_imports
            continue
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, Exception) and not issubclass(obj, Warning) \
                    and obj.__module__ == info.name \
                    and not name.startswith("_"):
                found[f"{info.name}.{name}"] = obj
    return found


ERROR_CLASSES = _error_classes()


@pytest.mark.parametrize("path", [
    pytest.param(path, marks=[pytest.mark.xfail(strict=True, reason=STRAY_ERRORS[path])] if path in STRAY_ERRORS
                 else []) for path in sorted(set(ERROR_CLASSES) - set(ERRORS_ELSEWHERE) | set(STRAY_ERRORS))])
def test_every_error_class_lives_in_errors_py(path):
    assert path.startswith("mlcheckup.errors."), f"{path}: define it in mlcheckup/errors.py and import it here"


def test_errors_moved_to_errors_py_stay_importable_where_lessons_import_them():
    from mlcheckup import drift, errors
    from mlcheckup.endpoint import ScoringError

    assert drift.KSRowLimitError is errors.KSRowLimitError
    assert ScoringError is errors.ScoringError
    assert issubclass(errors.MonitorConfigError, ValueError) and issubclass(errors.KSRowLimitError, ValueError)


# --- one home for the exception-line regex ----------------------------------------------------------
_SRC = Path(mlcheckup.__file__).parent
_DEFINITION = re.compile(r"^\s*_?EXCEPTION_LINE\s*=", re.M)


def test_the_exception_line_regex_is_defined_once():
    homes = sorted(str(path.relative_to(_SRC)) for path in _SRC.rglob("*.py") if _DEFINITION.search(path.read_text()))
    assert homes == ["_serverlog.py"], f"the exception-line regex is defined in {homes}; keep the one in _serverlog.py"


@pytest.mark.parametrize("line, name", [
    ("ValueError: row 0 has 3 values", "ValueError"),
    ("mlcheckup_serving.RequestError: row 0, column 1 is 99", "mlcheckup_serving.RequestError"),
    ("azureml_inference_server_http.api.UserScriptException: run() failed",
     "azureml_inference_server_http.api.UserScriptException"),
    ("SystemExit: 3", "SystemExit"),
    ("KeyboardInterrupt: ", "KeyboardInterrupt"),
])
def test_the_exception_line_reads_the_end_of_a_traceback(line, name):
    from mlcheckup._serverlog import EXCEPTION_LINE

    match = EXCEPTION_LINE.match(line)
    assert match and match.group(1) == name


@pytest.mark.parametrize("line", [
    "UserWarning: X does not have valid feature names",  # a warning in the log is not the server's error
    "2026-12-05 12:00:00,000 I [1] azmlinfsrv - POST /score 200",
    '  File "score.py", line 3, in run',
    "Traceback (most recent call last):",
])
def test_the_exception_line_ignores_warnings_and_other_log_lines(line):
    from mlcheckup._serverlog import EXCEPTION_LINE

    assert EXCEPTION_LINE.match(line) is None
