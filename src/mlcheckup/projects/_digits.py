"""The digits project: a digits classifier ready to deploy, locally or to Azure.

:func:`write_digits_project` writes a deployable folder (the *code* of a deployment and its
model), trained on scikit-learn's bundled ``load_digits`` (nothing is downloaded)::

    digits/
      score.py                 init() / run(): 4xx for bad requests, Collector, App Insights
      mlcheckup_serving.py     copy of mlcheckup.serving (the same folder deploys to Azure)
      conda.yaml               the scoring environment, pinned to this course's lock
      model/model.joblib       LogisticRegression on the first 1 500 digits
      model/metadata.json      its accuracy on the other 297

Taught in lessons 02 and 05.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import yaml

from .. import _validate
from .._process import session_dir

#: Digits used for training; the rest (297) are held out.
N_TRAIN = 1500
_HERE = Path(__file__).resolve().parent
_SCORING_PACKAGES = ("azureml-inference-server-http", "azureml-ai-monitoring", "azure-monitor-opentelemetry-exporter",
                     "opentelemetry-sdk", "scikit-learn", "joblib", "numpy", "pandas")


@dataclass(frozen=True)
class DigitsProject:
    """Paths of a written digits project (see :func:`write_digits_project`)."""

    folder: Path
    score_script: Path
    model_dir: Path
    conda_file: Path
    accuracy: float


def conda_environment(name: str = "digits-scoring") -> dict:
    """The scoring environment as a conda dict: Python 3.11 and this course's pinned packages."""
    pins = [f"{package}=={version(package)}" for package in _SCORING_PACKAGES]
    return {"name": name, "channels": ["conda-forge"], "dependencies": ["python=3.11", "pip", {"pip": pins}]}


def load_digits_data():
    """``(X, y)``: the 1 797 bundled 8x8 digits, 64 pixel columns with values 0-16."""
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def write_digits_project(folder: str | os.PathLike | None = None, *, retrain: bool = False) -> DigitsProject:
    """Write (or refresh) the deployable digits project and return its paths.

    Parameters
    ----------
    folder : path, optional
        Where to write; ``projects/digits`` in this process's run folder by default.
    retrain : bool, default False
        Train again even if ``model/model.joblib`` exists (training takes about a second).

    Examples
    --------
    >>> from mlcheckup.endpoint import LocalEndpoint
    >>> project = write_digits_project()
    >>> endpoint = LocalEndpoint(project.score_script, project.model_dir)   # doctest: +SKIP
    >>> sorted(path.name for path in project.folder.iterdir())
    ['conda.yaml', 'mlcheckup_serving.py', 'model', 'score.py']

    Taught in lesson 02.
    """
    import joblib
    from sklearn.linear_model import LogisticRegression

    folder = Path(folder) if folder else session_dir() / "projects" / "digits"
    model_dir = folder / "model"
    model_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_HERE / "digits_score.py", folder / "score.py")
    shutil.copyfile(_HERE.parent / "serving.py", folder / "mlcheckup_serving.py")
    (folder / "conda.yaml").write_text(yaml.safe_dump(conda_environment(), sort_keys=False))
    metadata = model_dir / "metadata.json"
    if retrain or not (model_dir / "model.joblib").is_file() or not metadata.is_file():
        X, y = load_digits_data()
        model = LogisticRegression(max_iter=5000).fit(X[:N_TRAIN], y[:N_TRAIN])
        joblib.dump(model, model_dir / "model.joblib")
        accuracy = float(model.score(X[N_TRAIN:], y[N_TRAIN:]))
        metadata.write_text(json.dumps({"accuracy": accuracy, "n_train": N_TRAIN, "features": 64,
                                        "scikit-learn": version("scikit-learn")}))
    accuracy = json.loads(metadata.read_text())["accuracy"]
    return DigitsProject(folder, folder / "score.py", model_dir, folder / "conda.yaml", accuracy)


def digits_payload(rows: int = 2, start: int = N_TRAIN) -> dict:
    """A valid scoring request: ``{"data": [[64 pixels], ...]}`` with held-out digits.

    >>> len(digits_payload(3)["data"]), len(digits_payload(3)["data"][0])
    (3, 64)
    """
    rows = _validate.whole("rows", rows, 1, hint="e.g. rows=2")
    start = _validate.whole("start", start, 0, hint=f"e.g. start={N_TRAIN}, the first held-out digit")
    X, _ = load_digits_data()
    picked = np.take(X, range(start, start + rows), axis=0, mode="wrap")
    return {"data": picked.tolist()}
