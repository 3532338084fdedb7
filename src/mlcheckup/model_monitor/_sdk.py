"""What the SDK makes of a schedule offline: YAML, the REST payload, what is sent, validation (private)."""

from __future__ import annotations

import os
import re

import pandas as pd

from .. import _sdk_yaml
from ..errors import MonitorConfigError
from ._schedule import monitor_schedule, with_default_signals


# --- offline validation ---------------------------------------------------------------------
def to_yaml(schedule, path: str | os.PathLike | None = None) -> str:
    """The schedule as Azure ML YAML (``az ml schedule create -f``); also written to ``path``.

    Examples
    --------
    >>> schedule = monitor_schedule("m", emails=["a@example.com"],
    ...                             signals={"drift": data_drift_signal("azureml:train:1")})
    >>> print(to_yaml(schedule).split("create_monitor:")[1].split("monitoring_target")[0].strip())
    compute:
        runtime_version: '3.4'
        instance_type: standard_e4s_v3

    Taught in lesson 04, §7.
    """
    return _sdk_yaml.to_yaml(schedule, path)


def _first_branch(node, path=()) -> list[str]:
    """Flatten marshmallow's nested messages, following one alternative of each union.

    The alternative kept is the first whose ``type`` was accepted (the signal's own schema), else
    the first one.
    """
    if isinstance(node, dict):
        lines = []
        for key, value in node.items():
            lines += _first_branch(value, (*path, str(key)) if key != "value" else path)
        return lines
    if isinstance(node, list):
        if node and all(isinstance(item, dict) for item in node):
            # a union: the alternative whose "type" matched is the one that describes the mistake
            matching = [item for item in node if "type" not in item]
            return _first_branch((matching or node)[0], path)
        return [f"{'.'.join(path)}: {' '.join(map(str, node))}"]
    return [f"{'.'.join(path)}: {node}"]


def schema_message(error: BaseException) -> str:
    """The real complaint behind ``load_schedule``'s empty NotImplementedError, first branch only."""
    details = _sdk_yaml.schema_details(error)
    lines = [details[:400]] if isinstance(details, str) else _first_branch(details)
    for field, hint in (("chi_squared_test", "use pearsons_chi_squared_test"),):
        if any(field in line and "pearsons" not in line for line in lines):
            lines.append(hint)
    return "; ".join(lines)


def load_yaml(source: str | os.PathLike):
    """Load a monitor YAML file (or YAML text) with the SDK, with a readable error.

    Parameters
    ----------
    source : path or str
        A path to a YAML file, or the YAML text itself (a string of several lines, or one line
        such as ``"name: m"``). Nothing is ever written next to ``source``.

    Raises
    ------
    MonitorConfigError
        If ``source`` names no file, or with the schema's complaint, e.g.
        ``create_monitor.monitoring_signals.drift.metric_thresholds.categorical.chi_squared_test:
        Unknown field.``
    """
    from azure.ai.ml.entities._load_functions import load_schedule

    with _sdk_yaml.scratch_yaml("monitor.yml") as scratch:
        path = _sdk_yaml.yaml_source(source, scratch, error=MonitorConfigError)
        try:
            return load_schedule(path)
        except Exception as error:  # NotImplementedError wrapping marshmallow's ValidationError
            raise MonitorConfigError(f"the Azure ML schema rejects this monitor: {schema_message(error)}") from None


def _rest(schedule):
    try:
        with _sdk_yaml.quiet_sdk():
            return with_default_signals(schedule)._to_rest_object()
    except Exception as error:  # MlException for the runtime version, among others
        details = re.findall(r"\(x\) (.+)", str(error)) or [str(error).strip().splitlines()[0][:300]]
        raise MonitorConfigError(f"azure-ai-ml refuses to send this monitor: {'; '.join(details)}") from None


def rest_payload(schedule) -> dict:
    """The REST body the SDK sends on create (defaults filled in as the create call does), as a dict.

    Data asset references stay as written (the create call also resolves them to ARM ids online).
    """
    with _sdk_yaml.quiet_sdk():
        return _rest(schedule).as_dict()


def sent_rows(schedule) -> list[tuple[str, str, str, str, float]]:
    """(signal, signal type, data type, metric, threshold) the SDK would send, from a private copy."""
    rows = []
    for name, signal in _rest(schedule).properties.action.monitor_definition.signals.items():
        payload = signal.as_dict()
        items = payload.get("metricThresholds") or []
        if isinstance(items, dict):  # generation signals: {metric: threshold}
            items = [{"metric": key, "threshold": {"value": value}} for key, value in items.items()]
        if payload.get("metricThreshold"):  # feature attribution drift sends a single one
            items = [*items, payload["metricThreshold"]]
        for item in items:
            metric = re.sub(r"(?<!^)(?=[A-Z])", "_", item["metric"]).lower()
            rows.append((name, payload.get("signalType"), item.get("dataType"), metric,
                         (item.get("threshold") or {}).get("value")))
    return rows


def sent_thresholds(schedule) -> pd.DataFrame:
    """What the SDK actually sends: one row per signal, data type and metric, with its threshold.

    Examples
    --------
    >>> schedule = monitor_schedule("m", emails=["a@example.com"],
    ...                             signals={"drift": data_drift_signal("azureml:train:1")})
    >>> sent_thresholds(schedule)[["signal", "data_type", "metric_name", "threshold"]]
      signal    data_type                      metric_name  threshold
    0  drift    Numerical  normalized_wasserstein_distance        0.1
    1  drift  Categorical          jensen_shannon_distance        0.1

    Taught in lesson 04, §7.
    """
    return pd.DataFrame(sent_rows(validate(schedule, check_sent=False)),
                        columns=["signal", "signal_type", "data_type", "metric_name", "threshold"])


def _asked(signal) -> list[tuple[str, str, float]]:
    """(data type, metric, threshold) a signal object asks for, before the SDK's filtering."""
    thresholds = getattr(signal, "metric_thresholds", None)
    asked = []
    for kind, label in (("numerical", "Numerical"), ("categorical", "Categorical")):
        metrics = getattr(thresholds, kind, None)
        for metric, value in (vars(metrics) if metrics is not None else {}).items():
            if value is not None and metric not in ("metric", "metric_threshold"):
                asked.append((label, metric, value))
    return asked


def validate(schedule, *, check_sent: bool = True, deployment=None):
    """Check a ``MonitorSchedule`` offline with the SDK: YAML round trip, then the REST conversion.

    Also compares, signal by signal, the thresholds asked for with those the SDK would send, to catch
    its silent changes (one metric per type, zero thresholds dropped, categorical data quality
    thresholds replaced by the numerical ones) in schedules built without these builders.

    Parameters
    ----------
    check_sent : bool
        Also compare the thresholds asked for with those the SDK sends (the REST conversion runs
        either way, so a wrong runtime version is always caught).
    deployment : ManagedOnlineDeployment, optional
        For a schedule without signals: the deployment whose data collector is checked (see
        :func:`with_default_signals`).

    Returns
    -------
    MonitorSchedule
        The schedule loaded back from its YAML, with Azure's default signals filled in if it had
        none (as the create call fills them).

    Raises
    ------
    MonitorConfigError
        With the first problem found and how to fix it.

    Taught in lesson 04, §7.
    """
    with _sdk_yaml.scratch_yaml("monitor.yml") as path:
        try:
            schedule.dump(path)
        except Exception as error:
            raise MonitorConfigError(f"the schedule cannot be written as YAML: {schema_message(error)}") from None
        loaded = load_yaml(path)
    loaded = with_default_signals(loaded, deployment=deployment)
    sent = {(name, data_type, metric): value for name, _, data_type, metric, value in sent_rows(loaded)}
    if not check_sent:
        return loaded
    for name, signal in (loaded.create_monitor.monitoring_signals or {}).items():
        for data_type, metric, value in _asked(signal):
            if (name, data_type, metric) not in sent:
                raise MonitorConfigError(
                    f"signal {name!r} asks for {data_type.lower()} {metric}={value}, which azure-ai-ml 1.35.2 does "
                    "not send (it sends one drift metric per feature type and drops zero thresholds); "
                    "keep one non-zero metric per type, and add one signal per extra metric"
                )
            if sent[name, data_type, metric] != value:
                raise MonitorConfigError(
                    f"signal {name!r}: {data_type.lower()} {metric} is set to {value}, but azure-ai-ml sends "
                    f"{sent[name, data_type, metric]} (DataQualityMetricThreshold copies the numerical values "
                    "into the categorical ones); use the same data quality thresholds for both types"
                )
    return loaded


def default_signals(ml_task: str = "classification") -> pd.DataFrame:
    """The signals, metrics and thresholds an out-of-box monitor gets (what :func:`sent_thresholds` shows).

    Examples
    --------
    >>> table = default_signals()
    >>> table.groupby("signal", sort=False)["metric_name"].apply(sorted).to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'data-drift-signal': ['jensen_shannon_distance', 'normalized_wasserstein_distance'],
     'prediction-drift-signal': ['jensen_shannon_distance', 'normalized_wasserstein_distance'],
     'data-quality-signal': ['data_type_error_rate', 'data_type_error_rate', 'null_value_rate', 'null_value_rate',
                             'out_of_bounds_rate', 'out_of_bounds_rate']}
    >>> table.groupby("signal", sort=False)["threshold"].max().to_dict()
    {'data-drift-signal': 0.1, 'prediction-drift-signal': 0.1, 'data-quality-signal': 0.0}
    """
    schedule = monitor_schedule("out-of-box", endpoint="endpoint", deployment="deployment", ml_task=ml_task,
                                emails=["you@example.com"])
    return sent_thresholds(schedule)
