"""Production scenarios with known incidents, and a scorer for the alerts of a monitor.

A scenario is a stream of production data over simulated time, the reference data a model is
trained on, and an answer key: the incident table (when each problem starts and ends, what
shifted, how strongly, for what share of traffic). Nothing is downloaded and nothing sleeps.

* ``make(kind, seed=...)``: a :class:`Scenario`; ``KINDS`` lists the kinds. Digits kinds
  stream requests to a digit reader built on scikit-learn's bundled ``load_digits``; avocado
  kinds are weekly rows of a synthetic avocado market.
* ``score_alerts(incidents, alerts, period=...)`` (or ``scenario.score(alerts)``): detection
  delay per incident, missed incidents, false alarms per week, as an :class:`AlertScore`.
* :func:`mlcheckup.plots.scenario_overview` draws the picture a learner should see.
* ``load_avocado()``, ``split_avocado()``, ``generate_avocado()``, ``avocado_price_model()``:
  the bundled avocado market, its generator and a price model to monitor.
* ``digits_reference()``: the reference (training) digits shared by every digits scenario.

Two words describe every incident: its ``shift`` (covariate, prior, concept, quality, latency,
errors: what changed) and its ``pattern`` (gradual, sudden, recurring: how it unfolds in time).

Examples
--------
>>> import pandas as pd
>>> from mlcheckup import scenarios
>>> stream = scenarios.make("concept", seed=7)
>>> stream.incidents[["shift", "pattern", "affected"]].iloc[0].tolist()
['concept', 'sudden', 'class 7 → 1']
>>> stream.score([stream.incidents.start[0] + pd.Timedelta(hours=5)]).summary()["mean_delay"]
5.0

Taught in lessons 01, 04 and 05; the datasets are described in ``datasets/README.md``.
"""

from ._avocado import (
    AVOCADO_COLUMNS,
    AVOCADO_FEATURES,
    AVOCADO_SEED,
    AVOCADO_TARGET,
    PRODUCTION_START,
    AvocadoCraze,
    SupplyShock,
    avocado_price_model,
    generate_avocado,
    load_avocado,
    split_avocado,
)
from ._digits import FAULTS, PIXEL_COLUMNS, digits_reference
from ._kinds import KINDS, make
from ._scenario import INCIDENT_COLUMNS, Incident, Scenario, StreamWindow, TrainingData
from ._scoring import AlertScore, score_alerts

__all__ = [
    "AVOCADO_COLUMNS",
    "AVOCADO_FEATURES",
    "AVOCADO_SEED",
    "AVOCADO_TARGET",
    "FAULTS",
    "INCIDENT_COLUMNS",
    "KINDS",
    "PIXEL_COLUMNS",
    "PRODUCTION_START",
    "AlertScore",
    "AvocadoCraze",
    "Incident",
    "Scenario",
    "StreamWindow",
    "SupplyShock",
    "TrainingData",
    "avocado_price_model",
    "digits_reference",
    "generate_avocado",
    "load_avocado",
    "make",
    "score_alerts",
    "split_avocado",
]
