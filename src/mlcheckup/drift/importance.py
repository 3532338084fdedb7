"""Feature importance and feature attribution drift, as Azure's monitor computes them, approximated.

Azure's ``feature_importance_metrics`` component (Azure/azureml-assets @4b41f8cc,
``compute_feature_importance.py``) trains a LightGBM surrogate on the *whole* reference
(``max_depth=5, n_estimators=200, learning_rate=0.1, random_state=777``; classification when the
target column is categorical or the task says so), splits the reference with
``train_test_split(test_size=0.5, or 5000 rows above 10 000, random_state=0)``, and takes the
global importance of interpret-community's ``TreeExplainer`` (mean absolute SHAP value) on the test
half. Top-N feature filters keep the N largest; feature attribution drift compares the importances
of reference and production with ``sklearn.metrics.ndcg_score`` (features sorted by name).

**What is approximated.** Neither LightGBM nor SHAP is part of this course's environment, so the
surrogate here is scikit-learn's ``HistGradientBoosting`` with the same depth, rounds, learning
rate and seed, and the importance is its *permutation importance* on the same test split. The
ranking agrees with Azure's where importances are well apart; near-ties may swap, and the values
(hence NDCG) are not Azure's. Pass Azure's own importances (``importance=``) where they matter.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from . import _typing

__all__ = ["TASKS", "attribution_drift", "feature_importance", "top_features"]

TASKS = ("classification", "regression")


def _task(task: str | None, target_is_categorical: bool) -> str:
    if task is not None:
        return _validate.choice("task", task.lower() if isinstance(task, str) else task, TASKS,
                                "or None to infer it from the target's type")
    return "classification" if target_is_categorical else "regression"


def feature_importance(reference: pd.DataFrame, target_column: str, *, task: str | None = None,
                       feature_type_override: Mapping[str, str] | None = None) -> pd.Series:
    """Importance of each feature for predicting ``target_column``, largest first (approximated).

    Parameters
    ----------
    reference : pandas.DataFrame
        Features and the target column.
    target_column : str
    task : {'classification', 'regression'}, optional
        Default: classification when the target is categorical by Azure's typing rule.
    feature_type_override : dict, optional

    Returns
    -------
    pandas.Series
        Indexed by feature name, sorted by decreasing importance.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame({"signal": rng.normal(size=400), "noise": rng.normal(size=400)})
    >>> x["label"] = (x["signal"] > 0).map({True: "yes", False: "no"})
    >>> feature_importance(x, "label").index[0]
    'signal'
    """
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.inspection import permutation_importance
    from sklearn.model_selection import train_test_split

    if not isinstance(reference, pd.DataFrame):
        raise ValidationError(f"reference must be a pandas DataFrame (got {type(reference).__name__})")
    if target_column not in reference.columns:
        raise ValidationError(f"target column {target_column!r} is not in the reference; its columns are "
                              f"{list(reference.columns)[:20]}: Azure fails the same way ('Target column = ... is "
                              "not in the dataset'); pass the training data with its label")
    features = [c for c in reference.columns if c != target_column]
    if not features or len(reference) < 4:
        raise ValidationError(f"feature importance needs at least one feature and 4 rows "
                              f"(got {len(features)} features, {len(reference)} rows)")
    types = _typing.reference_types(reference, list(reference.columns), feature_type_override)
    categorical = [c for c in features if types[c].data_type == _typing.CATEGORICAL]
    x = reference[features].copy()
    for column in features:
        if column in categorical:
            x[column] = x[column].astype(str).astype("category")
        elif pd.api.types.is_datetime64_any_dtype(x[column]):
            x[column] = x[column].astype("int64")
        else:
            x[column] = pd.to_numeric(x[column], errors="coerce")
    y = reference[target_column]
    kind = _task(task, types[target_column].data_type == _typing.CATEGORICAL)
    options = {"max_depth": 5, "max_iter": 200, "learning_rate": 0.1, "random_state": 777,
               "categorical_features": "from_dtype"}
    if kind == "classification":
        model, y = HistGradientBoostingClassifier(**options), y.astype(str)
    else:
        model, y = HistGradientBoostingRegressor(**options), pd.to_numeric(y, errors="coerce")
    model.fit(x, y)
    test_size = 5000 if len(reference) > 10000 else 0.5
    _, x_test, _, y_test = train_test_split(x, y, test_size=test_size, random_state=0)
    result = permutation_importance(model, x_test, y_test, n_repeats=5, random_state=0)
    importance = pd.Series(np.maximum(result.importances_mean, 0.0), index=features, name="importance")
    return importance.sort_values(ascending=False, kind="stable")


def top_features(importance: pd.Series, n: int) -> list[str]:
    """The ``n`` most important features (Azure sorts by value, largest first, and keeps ``n``)."""
    return list(pd.Series(importance).sort_values(ascending=False, kind="stable").index[:n])


def attribution_drift(reference_importance: pd.Series, production_importance: pd.Series) -> float:
    """NDCG of production importances against the reference's (Azure: features sorted by name).

    1.0 is the same ranking; Azure's feature attribution drift breaches *below* its threshold.

    >>> attribution_drift(pd.Series({"a": 3.0, "b": 1.0}), pd.Series({"a": 2.0, "b": 0.5}))
    1.0
    """
    from sklearn.metrics import ndcg_score

    base, prod = pd.Series(reference_importance), pd.Series(production_importance)
    if len(base) < 2:
        raise ValidationError(f"attribution drift ranks at least 2 features (got {len(base)}: {dict(base)}); "
                              "pass the importances of every feature, e.g. from feature_importance()")
    if set(base.index) != set(prod.index):
        raise ValidationError(f"feature names in baseline and production differ: "
                              f"{sorted(set(base.index) ^ set(prod.index))} (Azure fails the same way)")
    names = sorted(base.index)
    return float(ndcg_score(np.asarray([base[names].to_numpy()]), np.asarray([prod[names].to_numpy()])))
