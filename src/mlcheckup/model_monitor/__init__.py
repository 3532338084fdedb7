"""Azure ML model monitors (``MonitorSchedule``): built and checked offline by the SDK itself, and run here.

The builders return real ``azure.ai.ml.entities`` objects, the ones
``ml_client.schedules.begin_create_or_update`` takes in Azure mode. :func:`validate` runs the SDK's
schema on them offline (YAML dump, ``load_schedule``, then the REST conversion made on create) and
compares what the SDK would *send* with what was asked for.

The builders refuse the traps of azure-ai-ml 1.35.2 (azure-api.md §2.1-2.4) with a message that
says what, what was received and how to fix it:

* ``runtime_version`` must be "3.4" or "3.5" (the Learn docs still show "3.3", which fails on create);
* the categorical test is ``pearsons_chi_squared_test`` (the YAML reference's ``chi_squared_test``
  is an unknown field, reported by ``load_schedule`` as an empty ``NotImplementedError``);
* only ONE metric per feature type is sent (the first of JSD, NWD, PSI, KS/chi²), so each builder
  takes one metric per type: add one signal per metric to watch several;
* a drift threshold of 0 is silently dropped (the SDK tests ``if threshold:``);
* ``DataQualityMetricThreshold._to_rest_object`` sends the *numerical* thresholds for categorical
  features too (``DataQualitySignal`` happens not to call it in 1.35.2): :func:`validate` compares
  what the SDK sends with what was asked for, so such silent changes are caught whatever the path;
* notifications need ``AlertNotification(emails=[...])`` (else the service fails with
  "The value for '.emails' is missing");
* a schedule with no signals is Azure's *out-of-box* monitor: the create call fills in three
  default signals (:data:`DEFAULT_SIGNALS`); :func:`with_default_signals` does the same offline, and
  :func:`validate`, :func:`sent_thresholds` and :func:`local_signals` work on
  the filled schedule.

Alerts are off unless asked for (``alert=False``), as in the SDK: pass ``alert=True`` to each signal
that should email.

What the layer does not build (it still validates such schedules when the SDK accepts them):
``pre_processing_component`` (for data collected outside Azure ML) and generation safety and
quality signals (the ``generation-safety-quality-monitoring.yaml`` of azureml-examples is refused by the SDK itself: its ``data_window_size`` and
``workspace_connection_id`` keys are unknown to the azure-ai-ml 1.35.2 schema).

The package's parts: signal builders and thresholds (``_signals``), the schedule and its default
signals (``_schedule``), what the SDK makes of it offline (``_sdk``: YAML, REST payload, what is sent,
:func:`validate`), model performance with ground truth (``_performance``, taught in lesson 06),
and :func:`local_signals` (``_local``), which runs the schedule's signals on local data with
:mod:`mlcheckup.drift`, configured from what the SDK would send.

Taught in lesson 04, §7.
"""

from ..errors import MonitorConfigError
from ._local import UNSUPPORTED, LocalSignal, local_signals
from ._performance import performance_signal, sent_performance_thresholds, validate_performance
from ._schedule import monitor_schedule, with_default_signals
from ._sdk import default_signals, load_yaml, rest_payload, schema_message, sent_thresholds, to_yaml, validate
from ._signals import (
    custom_signal,
    data_drift_signal,
    data_input,
    data_quality_signal,
    drift_thresholds,
    feature_attribution_drift_signal,
    prediction_drift_signal,
    quality_thresholds,
    top_features,
)
from ._vocabulary import DEFAULT_SIGNALS, INSTANCE_TYPES, ML_TASKS, RUNTIME_VERSIONS, WEEK_DAYS

__all__ = [
    "DEFAULT_SIGNALS",
    "INSTANCE_TYPES",
    "ML_TASKS",
    "RUNTIME_VERSIONS",
    "UNSUPPORTED",
    "WEEK_DAYS",
    "LocalSignal",
    "MonitorConfigError",
    "custom_signal",
    "data_drift_signal",
    "data_input",
    "data_quality_signal",
    "default_signals",
    "drift_thresholds",
    "feature_attribution_drift_signal",
    "load_yaml",
    "local_signals",
    "monitor_schedule",
    "performance_signal",
    "prediction_drift_signal",
    "quality_thresholds",
    "rest_payload",
    "schema_message",
    "sent_performance_thresholds",
    "sent_thresholds",
    "to_yaml",
    "top_features",
    "validate",
    "validate_performance",
    "with_default_signals",
]
