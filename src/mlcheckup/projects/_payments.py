"""The payments project: card-payment fraud, a tabular model whose truth arrives days later.

A card issuer scores every payment for fraud as it happens; whether it *was* fraud is known
only later, when the cardholder disputes it (a chargeback) or the issuer's review window closes. The
data are synthetic (:func:`generate_payments`, bundled as ``datasets/payments.csv``); the true
fraud model is :func:`fraud_probability`, so a scenario can change it (concept drift) and know
the answer. :func:`write_payments_project` writes a deployable folder::

    payments/
      score.py                 init() / run(): 4xx for bad requests, Collector, App Insights
      mlcheckup_serving.py     copy of mlcheckup.serving (the same folder deploys to Azure)
      conda.yaml               the scoring environment, pinned to this course's lock
      model/model.joblib       logistic regression on the bundled payments
      model/metadata.json      its ROC AUC and accuracy on a held-out quarter

Taught in lesson 07.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from .. import _validate
from .._process import session_dir
from ..errors import ValidationError
from ._digits import conda_environment

#: Seed of the bundled ``datasets/payments.csv``.
PAYMENTS_SEED = 2407
#: Rows in the bundled data.
PAYMENTS_ROWS = 5000
#: First timestamp of the bundled data (its rows span 28 days).
PAYMENTS_START = "2024-02-05"
#: The model's inputs, in the order ``score.py`` expects them.
PAYMENT_FEATURES = ("amount", "hour", "merchant_category", "distance_km", "card_age_days", "foreign", "online")
#: Inclusive range of each input that ``score.py`` accepts (anything else is a 400).
PAYMENT_RANGES = {"amount": (0.01, 10_000.0), "hour": (0, 23), "merchant_category": (0, 7),
                  "distance_km": (0.0, 20_000.0), "card_age_days": (0, 20_000), "foreign": (0, 1), "online": (0, 1)}
#: Every column of the bundled CSV.
PAYMENT_COLUMNS = ("transaction_id", "time", *PAYMENT_FEATURES, "fraud", "label_delay_hours")
#: Fraud log-odds added per merchant category (0 groceries ... 7 gift cards and crypto).
_MERCHANT_RISK = np.array([-0.8, -0.4, 0.0, 0.1, 0.3, 0.5, 0.9, 1.6])
_MERCHANT_MIX = np.array([0.26, 0.18, 0.14, 0.12, 0.11, 0.09, 0.06, 0.04])
_HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PaymentsProject:
    """Paths of a written payments project (see :func:`write_payments_project`)."""

    folder: Path
    score_script: Path
    model_dir: Path
    conda_file: Path
    auc: float


def fraud_probability(features: pd.DataFrame, *, concept: float = 0.0) -> np.ndarray:
    """The true probability that each payment is fraud.

    Parameters
    ----------
    features : pandas.DataFrame
        Columns :data:`PAYMENT_FEATURES`.
    concept : float, default 0
        Concept drift, 0 (as in the bundled data) to 1: fraudsters move from online to in-store
        (card skimming), so the same in-store payment becomes far riskier and online ones safer,
        while the inputs look exactly as before.

    Returns
    -------
    numpy.ndarray of float, one probability per row.
    """
    if not 0 <= concept <= 1:
        raise ValidationError(f"concept must be between 0 and 1 (got {concept!r}); 0 is no drift")
    night = features["hour"].to_numpy() < 6
    online = features["online"].to_numpy()
    logit = (-3.3 + 0.7 * np.log(features["amount"].to_numpy() / 40) + 1.3 * features["foreign"].to_numpy()
             + (1.0 - 2.0 * concept) * online + 2.2 * concept * (1 - online)
             + 0.9 * night + 0.35 * np.log1p(features["distance_km"].to_numpy())
             - 0.45 * np.log1p(features["card_age_days"].to_numpy() / 30)
             + _MERCHANT_RISK[features["merchant_category"].to_numpy().astype(int)])
    return 1 / (1 + np.exp(-logit))


def payment_features(rng: np.random.Generator, times: pd.DatetimeIndex) -> pd.DataFrame:
    """Draw one payment per time: the inputs of :data:`PAYMENT_FEATURES` (drawn in a fixed order)."""
    n = len(times)
    amount = np.clip(np.round(rng.lognormal(3.4, 1.05, n), 2), 0.5, 9_999.0)
    merchant = rng.choice(len(_MERCHANT_MIX), size=n, p=_MERCHANT_MIX)
    distance = np.round(np.minimum(rng.exponential(12.0, n) + rng.binomial(1, 0.05, n) * rng.exponential(800, n),
                                   19_999.0), 1)
    card_age = np.minimum(rng.gamma(1.6, 500.0, n).astype(np.int64), 19_999)
    foreign = rng.binomial(1, 0.06, n)
    online = rng.binomial(1, 0.45, n)
    return pd.DataFrame({"amount": amount, "hour": np.asarray(times.hour, dtype=np.int64),
                         "merchant_category": merchant.astype(np.int64), "distance_km": distance,
                         "card_age_days": card_age, "foreign": foreign.astype(np.int64),
                         "online": online.astype(np.int64)})


def label_delays(rng: np.random.Generator, fraud: np.ndarray) -> np.ndarray:
    """Hours until each payment's truth is known: chargebacks in 1-10 days, the rest when the 3-day review closes."""
    disputes = 24 + rng.gamma(2.0, 30.0, len(fraud))
    return np.round(np.where(fraud == 1, np.minimum(disputes, 240), 72 + rng.uniform(0, 24, len(fraud))), 1)


def generate_payments(seed: int = PAYMENTS_SEED, *, rows: int = PAYMENTS_ROWS, start=PAYMENTS_START,
                      days: int = 28) -> pd.DataFrame:
    """Generate card payments with their fraud truth (columns :data:`PAYMENT_COLUMNS`).

    Times follow a day/night cycle (few payments at night); the same arguments always give the
    same table, byte for byte once written by ``datasets/generate_payments.py``.

    >>> generate_payments(rows=3).columns.tolist()[:4]
    ['transaction_id', 'time', 'amount', 'hour']
    """
    seed = _validate.whole("seed", seed, 0)
    rows = _validate.whole("rows", rows, 1)
    days = _validate.whole("days", days, 1)
    rng = np.random.Generator(np.random.PCG64(seed))
    start = pd.Timestamp(start)
    minutes = np.arange(days * 24 * 60)
    weight = 0.25 + np.sin(np.pi * ((minutes / 60) % 24) / 24) ** 2
    picked = np.sort(rng.choice(minutes, size=rows, p=weight / weight.sum()))
    times = pd.DatetimeIndex(start + pd.to_timedelta(picked, unit="min") + pd.to_timedelta(rng.integers(0, 60, rows),
                                                                                            unit="s"))
    features = payment_features(rng, times)
    fraud = rng.binomial(1, fraud_probability(features)).astype(np.int64)
    table = pd.DataFrame({"transaction_id": [f"tx-{seed}-{i:06d}" for i in range(rows)], "time": times})
    table = pd.concat([table, features], axis=1)
    table["fraud"] = fraud
    table["label_delay_hours"] = label_delays(rng, fraud)
    return table


def load_payments() -> pd.DataFrame:
    """The bundled ``datasets/payments.csv`` (times parsed), the training data of the payments model."""
    path = _HERE.parents[2] / "datasets" / "payments.csv"
    if not path.is_file():
        return generate_payments()
    return pd.read_csv(path, parse_dates=["time"])


def fraud_model():
    """The unfitted model: logistic regression on log amounts and distances and one-hot merchant categories."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    logged = make_pipeline(FunctionTransformer(np.log1p), StandardScaler())
    columns = ColumnTransformer([("log", logged, [0, 3, 4]),
                                 ("merchant", OneHotEncoder(categories=[list(range(8))]), [2]),
                                 ("plain", "passthrough", [1, 5, 6])])
    return make_pipeline(columns, LogisticRegression(max_iter=2000))


def write_payments_project(folder: str | os.PathLike | None = None, *, retrain: bool = False) -> PaymentsProject:
    """Write (or refresh) the deployable payments project and return its paths.

    Parameters
    ----------
    folder : path, optional
        Where to write; ``projects/payments`` in this process's run folder by default.
    retrain : bool, default False
        Train again even if ``model/model.joblib`` exists (training takes well under a second).

    Taught in lesson 07.
    """
    import joblib
    from sklearn.metrics import roc_auc_score

    folder = Path(folder) if folder else session_dir() / "projects" / "payments"
    model_dir = folder / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_HERE / "payments_score.py", folder / "score.py")
    shutil.copyfile(_HERE.parent / "serving.py", folder / "mlcheckup_serving.py")
    (folder / "conda.yaml").write_text(yaml.safe_dump(conda_environment("payments-scoring"), sort_keys=False))
    metadata = model_dir / "metadata.json"
    if retrain or not (model_dir / "model.joblib").is_file() or not metadata.is_file():
        table = load_payments()
        X, y = table[list(PAYMENT_FEATURES)].to_numpy(float), table["fraud"].to_numpy()
        cut = len(table) * 3 // 4
        model = fraud_model().fit(X[:cut], y[:cut])
        auc = float(roc_auc_score(y[cut:], model.predict_proba(X[cut:])[:, 1]))
        accuracy = float(model.score(X[cut:], y[cut:]))
        joblib.dump(model, model_dir / "model.joblib")
        metadata.write_text(json.dumps({"auc": auc, "accuracy": accuracy, "n_train": cut,
                                        "features": list(PAYMENT_FEATURES), "scikit-learn": version("scikit-learn")}))
    return PaymentsProject(folder, folder / "score.py", model_dir, folder / "conda.yaml",
                           json.loads(metadata.read_text())["auc"])


def payments_payload(rows: int = 2, start: int = 0) -> dict:
    """A valid scoring request: ``{"data": [[7 inputs], ...]}`` from the bundled payments.

    >>> len(payments_payload(3)["data"][0])
    7
    """
    rows, start = _validate.whole("rows", rows, 1), _validate.whole("start", start, 0)
    table = load_payments()
    picked = table[list(PAYMENT_FEATURES)].take(np.arange(start, start + rows) % len(table))
    return {"data": picked.to_numpy(float).tolist()}
