"""Drift and data quality exactly as Azure ML's model monitor computes them, fast.

One-liners return a tidy table shaped like Azure's signal output:

>>> from mlcheckup import drift
>>> table = drift.compare(reference_df, production_df)            # doctest: +SKIP
>>> table = drift.data_quality(reference_df, production_df)       # doctest: +SKIP

Objects keep state: :class:`Reference` sorts and counts the baseline once; :class:`DriftDetector`
runs a schedule over time with the SDK's default windows. The single-feature metric functions
(:func:`jensen_shannon_distance`, :func:`population_stability_index`,
:func:`normalized_wasserstein_distance`, :func:`two_sample_ks_pvalue`,
:func:`pearsons_chi_squared_pvalue`) and Azure's binning (:func:`sturges_edges`,
:func:`histogram`) are there to compare a hand-written implementation with.

On Spark: :func:`mlcheckup.drift.spark.compare` takes two PySpark DataFrames and returns the same
table (PySpark is imported only when it is called).

Direction: ``*_distance``, ``*_index`` and ``*_rate`` are better lower (breach above the
threshold); the two tests return p-values, better higher (breach below). Defaults are the SDK's:
``normalized_wasserstein_distance`` 0.1 for numerical features, ``jensen_shannon_distance`` 0.1
for categorical ones, 0.0 for the data quality rates. Definitions: ``azure-api.md`` §2.5-2.6.
"""

from ..errors import KSRowLimitError
from . import spark
from ._binning import bin_edges, histogram, sturges_bin_count, sturges_edges
from ._typing import INTEGER_CATEGORICAL_RATIO, type_family
from .importance import attribution_drift, feature_importance
from .metrics import (
    KS_ROW_LIMIT,
    category_counts,
    jensen_shannon_distance,
    normalized_wasserstein_distance,
    pearsons_chi_squared_pvalue,
    population_stability_index,
    two_sample_ks_pvalue,
)
from .quality import data_quality
from .reference import DRIFT_COLUMNS, Reference, azure_signal_output, compare, feature_types, prediction_drift
from .thresholds import (
    CATEGORICAL_METRICS,
    DEFAULT_DRIFT_THRESHOLDS,
    DEFAULT_QUALITY_THRESHOLDS,
    NUMERICAL_METRICS,
    P_VALUE_METRICS,
    QUALITY_METRICS,
    WIRE_NAMES,
    breached,
)
from .windows import DriftDetector, LookbackWindows, default_windows, parse_duration, run_times

__all__ = [
    "CATEGORICAL_METRICS",
    "DEFAULT_DRIFT_THRESHOLDS",
    "DEFAULT_QUALITY_THRESHOLDS",
    "DRIFT_COLUMNS",
    "INTEGER_CATEGORICAL_RATIO",
    "KS_ROW_LIMIT",
    "NUMERICAL_METRICS",
    "P_VALUE_METRICS",
    "QUALITY_METRICS",
    "WIRE_NAMES",
    "DriftDetector",
    "KSRowLimitError",
    "LookbackWindows",
    "Reference",
    "attribution_drift",
    "azure_signal_output",
    "bin_edges",
    "breached",
    "category_counts",
    "compare",
    "data_quality",
    "default_windows",
    "feature_importance",
    "feature_types",
    "histogram",
    "jensen_shannon_distance",
    "normalized_wasserstein_distance",
    "parse_duration",
    "pearsons_chi_squared_pvalue",
    "population_stability_index",
    "prediction_drift",
    "run_times",
    "spark",
    "sturges_bin_count",
    "sturges_edges",
    "two_sample_ks_pvalue",
    "type_family",
]
