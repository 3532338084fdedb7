"""Azure's metric names, default thresholds and breach directions for drift and data quality.

Names are the SDK's (``NumericalDriftMetrics``, ``CategoricalDriftMetrics``,
``DataQualityMetricsNumerical``); :data:`WIRE_NAMES` gives the names Azure's jobs write.
Direction: ``*_distance``, ``*_index`` and ``*_rate`` are better lower and breach when the value is
*above* the threshold; the two tests report a p-value, better higher, and breach when it is *below*.
Azure stores values and thresholds as float32 and compares them in float32; so does :func:`breached`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .. import _validate
from ..errors import ValidationError

__all__ = ["CATEGORICAL_METRICS", "DEFAULT_DRIFT_THRESHOLDS", "DEFAULT_QUALITY_THRESHOLDS", "NUMERICAL_METRICS",
    "P_VALUE_METRICS", "QUALITY_METRICS", "WIRE_NAMES", "breached", "check_metric", "check_threshold",
    "metric_plan", "past_threshold"]

NUMERICAL_METRICS = (
    "jensen_shannon_distance",
    "normalized_wasserstein_distance",
    "population_stability_index",
    "two_sample_kolmogorov_smirnov_test",
)
CATEGORICAL_METRICS = ("jensen_shannon_distance", "population_stability_index", "pearsons_chi_squared_test")
QUALITY_METRICS = ("null_value_rate", "data_type_error_rate", "out_of_bounds_rate")

#: Metrics that are p-values: a breach is a value *below* the threshold.
P_VALUE_METRICS = frozenset({"two_sample_kolmogorov_smirnov_test", "pearsons_chi_squared_test"})

#: What the SDK sends when a drift signal (data or prediction) has no metric_thresholds.
DEFAULT_DRIFT_THRESHOLDS = {
    "numerical": {"normalized_wasserstein_distance": 0.1},
    "categorical": {"jensen_shannon_distance": 0.1},
}
#: What the SDK sends for a data-quality signal without metric_thresholds (both feature types).
DEFAULT_QUALITY_THRESHOLDS = dict.fromkeys(QUALITY_METRICS, 0.0)

#: Names in Azure's signal output and REST payloads.
WIRE_NAMES = {
    "jensen_shannon_distance": "JensenShannonDistance",
    "normalized_wasserstein_distance": "NormalizedWassersteinDistance",
    "population_stability_index": "PopulationStabilityIndex",
    "two_sample_kolmogorov_smirnov_test": "TwoSampleKolmogorovSmirnovTest",
    "pearsons_chi_squared_test": "PearsonsChiSquaredTest",
    "null_value_rate": "NullValueRate",
    "data_type_error_rate": "DataTypeErrorRate",
    "out_of_bounds_rate": "OutOfBoundsRate",
}

_ALLOWED = {"numerical": NUMERICAL_METRICS, "categorical": CATEGORICAL_METRICS, "quality": QUALITY_METRICS}
_HINTS = {
    "chi_squared_test": "pearsons_chi_squared_test (the YAML reference's 'chi_squared_test' is rejected by the SDK)",
    "ks_test": "two_sample_kolmogorov_smirnov_test",
    "kolmogorov_smirnov": "two_sample_kolmogorov_smirnov_test",
    "wasserstein_distance": "normalized_wasserstein_distance",
    "psi": "population_stability_index",
    "jsd": "jensen_shannon_distance",
    "jensen_shannon_divergence": "jensen_shannon_distance",
}


def check_metric(name: str, kind: str) -> str:
    """Return ``name`` if it is a metric of ``kind`` (numerical, categorical, quality), else raise."""
    allowed = _ALLOWED[kind]
    if name in allowed:
        return name
    hint = _HINTS.get(str(name).lower())
    if hint is None and kind == "categorical" and name == "two_sample_kolmogorov_smirnov_test":
        hint = "pearsons_chi_squared_test (KS applies to numerical features only)"
    if hint is None and kind == "categorical" and name == "normalized_wasserstein_distance":
        hint = "jensen_shannon_distance (Wasserstein needs numbers)"
    raise ValidationError(
        f"{name!r} is not a {kind} metric of Azure ML; allowed: {', '.join(allowed)}"
        + (f"; did you mean {hint}?" if hint else "")
    )


def _is_pair(spec) -> bool:
    """``(name, threshold)``: a name, then a number (not a list of two names)."""
    return (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[0], str)
            and not isinstance(spec[1], str | bool) and (spec[1] is None or np.isscalar(spec[1])))


def metric_plan(spec, kind: str) -> dict[str, float | None]:
    """Normalize a metrics argument to ``{metric: threshold or None}``: the one parser of metric specs.

    ``spec`` may be None (Azure's default), ``"all"``, one metric name, ``(name, threshold)``, a
    list of names, or a dict ``{name: threshold}``. A named metric without a threshold takes
    Azure's default when it has one. :func:`mlcheckup.drift.compare`, :class:`DriftDetector` and the
    builders of :mod:`mlcheckup.model_monitor` all read their ``numerical=``/``categorical=`` with it.

    >>> metric_plan(None, "numerical")
    {'normalized_wasserstein_distance': 0.1}
    >>> metric_plan(("pearsons_chi_squared_test", 0.05), "categorical")
    {'pearsons_chi_squared_test': 0.05}
    """
    defaults = DEFAULT_QUALITY_THRESHOLDS if kind == "quality" else DEFAULT_DRIFT_THRESHOLDS[kind]
    if spec is None:
        return dict(defaults)
    if isinstance(spec, str):
        spec = list(_ALLOWED[kind]) if spec == "all" else [spec]
    if _is_pair(spec):
        items = [spec]
    elif isinstance(spec, Mapping):
        items = list(spec.items())
    elif isinstance(spec, Iterable):
        items = [(name, defaults.get(name)) for name in spec]
    else:
        raise ValidationError(f"{kind} metrics must be a name, (name, threshold), a list of names or a dict "
                              f"name -> threshold (got {type(spec).__name__})")
    plan = {}
    for name, threshold in items:
        check_metric(name, kind)
        plan[name] = None if threshold is None else check_threshold(name, threshold)
    return plan


def check_threshold(name: str, threshold) -> float:
    """A threshold must be a finite number >= 0 (and <= 1 for p-values and rates)."""
    upper = 1.0 if (name in P_VALUE_METRICS or name in QUALITY_METRICS) else np.inf
    return _validate.threshold(f"threshold of {name}", threshold, 0.0, upper)


def past_threshold(values, threshold, direction: str = "above") -> np.ndarray:
    """The one breach comparison, in float32 as Azure stores values: above (or below) ``threshold``.

    A missing value or threshold (NaN) is never past it.

    >>> past_threshold([0.1 + 1e-12, 0.2], 0.1).tolist()   # equal in float32
    [False, True]
    """
    value = np.asarray(values, dtype=np.float64).astype(np.float32)
    limit = np.asarray(threshold, dtype=np.float64).astype(np.float32)
    with np.errstate(invalid="ignore"):
        return value < limit if direction == "below" else value > limit


def breached(metric_name, metric_value, threshold_value):
    """Azure's breach test, in float32: value > threshold, or value < threshold for p-values.

    Works on scalars or arrays. A missing value or threshold (NaN) is never a breach, as Azure
    filters such rows out before evaluating.

    >>> bool(breached("jensen_shannon_distance", 0.2, 0.1))
    True
    >>> bool(breached("pearsons_chi_squared_test", 0.2, 0.05))
    False
    """
    names = np.asarray(metric_name, dtype=object)
    is_p = np.vectorize(P_VALUE_METRICS.__contains__, otypes=[bool])(names) if names.size else names.astype(bool)
    return np.where(is_p, past_threshold(metric_value, threshold_value, "below"),
                    past_threshold(metric_value, threshold_value, "above"))
