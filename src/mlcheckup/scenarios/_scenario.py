"""The objects a scenario is made of: incidents, the reference data, windows and the scenario.

An :class:`Incident` is one known problem: when it starts and ends, what shifted (``shift``:
covariate, prior, concept, quality, latency or errors), how it unfolds in time (``pattern``:
gradual, sudden or recurring), its cause in words, how strong it is and what share of the
traffic it touches. A :class:`Scenario` holds the production stream, the reference data a
model is trained on, and the incident table that is the answer key.

Private to :mod:`mlcheckup.scenarios`; the public names are re-exported there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .. import _validate
from ..errors import ValidationError
from ._scoring import score_alerts

#: Columns of every incident table, in order.
INCIDENT_COLUMNS = (
    "incident", "pattern", "shift", "cause", "start", "end",
    "affected", "severity", "unit", "share", "description",
)
PATTERNS = ("gradual", "sudden", "recurring")
SHIFTS = ("covariate", "prior", "concept", "quality", "latency", "errors")


def child_rng(seed: int, *path: int) -> np.random.Generator:
    """An independent generator for one part of a scenario, so parts never share draws."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=path))


@dataclass(frozen=True)
class Incident:
    """One known problem in a scenario: a row of its incident table.

    Parameters
    ----------
    pattern : {"gradual", "sudden", "recurring"}
        How it unfolds: a ramp from nothing to ``severity``, a step, or one episode of a repeat.
    shift : {"covariate", "prior", "concept", "quality", "latency", "errors"}
        What changes: the inputs, the class mix, the meaning of a label, the validity of the
        data, the response time or the error rate.
    cause : str
        The real-world cause, in a few words (``"noise"``, ``"new writers"``, ``"craze"``...).
    start, end : pandas.Timestamp
        The incident affects data with ``start <= time < end``.
    affected : str
        Which features, classes, regions or requests it touches.
    severity : float
        How strong it is, in ``unit`` (at the end of the ramp for a gradual incident).
    unit : str
        The unit of ``severity``.
    share : float
        The share of requests (rows) it touches while it lasts, 0..1.
    description : str
        One sentence a learner can read.
    options : mapping
        Extra settings the generator needs (a class map, a fault type...); not in the table.
    """

    pattern: str
    shift: str
    cause: str
    start: pd.Timestamp
    end: pd.Timestamp
    affected: str
    severity: float
    unit: str
    share: float
    description: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def level(self, times: pd.DatetimeIndex) -> np.ndarray:
        """Severity at each time: 0 outside the incident, a linear ramp if gradual, else ``severity``.

        Examples
        --------
        >>> spike = Incident("gradual", "covariate", "noise", pd.Timestamp("2024-01-01"),
        ...                  pd.Timestamp("2024-01-05"), "pixels", 2.0, "std", 1.0, "noise grows")
        >>> spike.level(pd.DatetimeIndex(["2023-12-31", "2024-01-03", "2024-01-05"])).tolist()
        [0.0, 1.0, 0.0]
        """
        elapsed = np.asarray((pd.DatetimeIndex(times) - self.start) / (self.end - self.start), dtype=float)
        inside = (elapsed >= 0) & (elapsed < 1)
        ramp = elapsed if self.pattern == "gradual" else np.ones_like(elapsed)
        return np.where(inside, self.severity * ramp, 0.0)


def incident_table(incidents: Iterable[Incident]) -> pd.DataFrame:
    """The answer key: one row per incident, numbered from 1, ordered by start."""
    ordered = sorted(incidents, key=lambda item: item.start)
    rows = []
    for number, item in enumerate(ordered, start=1):
        row = {key: value for key, value in asdict(item).items() if key != "options"}
        rows.append({"incident": number, **row})
    table = pd.DataFrame(rows, columns=list(INCIDENT_COLUMNS))
    table["start"] = pd.to_datetime(table["start"])
    table["end"] = pd.to_datetime(table["end"])
    return table.astype({"incident": int, "severity": float, "share": float})


@dataclass(frozen=True, repr=False)
class TrainingData:
    """The reference data: what the model was trained on, and what drift is measured against.

    Attributes
    ----------
    X : numpy.ndarray or pandas.DataFrame
        Model inputs, one row per example.
    y : numpy.ndarray or pandas.Series
        True labels or targets.
    table : pandas.DataFrame
        Everything in one table (inputs, target and, for tabular data, the other columns), as
        a drift monitor's baseline data asset would hold it.
    """

    X: Any
    y: Any
    table: pd.DataFrame

    def __repr__(self) -> str:
        return f"TrainingData({len(self.table)} rows × {self.table.shape[1]} columns)"


@dataclass(frozen=True, repr=False)
class StreamWindow:
    """One time window of a scenario's production stream (see :meth:`Scenario.windows`)."""

    start: pd.Timestamp
    end: pd.Timestamp
    rows: np.ndarray
    X: Any
    y: Any
    stream: pd.DataFrame

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return f"StreamWindow({self.start} to {self.end}, {len(self)} rows)"


def _take(data: Any, rows: np.ndarray) -> Any:
    if isinstance(data, pd.DataFrame | pd.Series):
        return data.iloc[rows]
    return data[rows]


@dataclass(frozen=True, eq=False, repr=False)
class Scenario:
    """A production stream with known incidents, and the reference data to compare it with.

    Made by :func:`mlcheckup.scenarios.make`. What a monitor may look at: ``X``, ``stream``,
    and ``y`` once labels have arrived. What it must not look at: ``truth`` and ``incidents``,
    the answer key used by :meth:`score`.

    Attributes
    ----------
    kind : str
        The kind passed to ``make`` (``"gradual"``, ``"craze"``...).
    seed : int
        The seed; the same kind, seed and options give the same scenario.
    dataset : {"digits", "avocado"}
        Which data the stream is made of.
    description : str
        The story of the scenario, in a sentence or two.
    X : numpy.ndarray of shape (n_rows, 64) or pandas.DataFrame
        Production model inputs, in time order: digits as 64 pixels (0..16, NaN when missing);
        avocado as the feature columns of :data:`AVOCADO_FEATURES`.
    y : numpy.ndarray or pandas.Series
        The true label (digit) or target (average price, USD) of each row.
    stream : pandas.DataFrame
        What the service logs for each row, starting with ``timestamp``: for digits
        ``request_id, latency_ms, status_code, n_values``; for avocado the whole market row.
    truth : pandas.DataFrame
        The answer key per row: ``incidents`` (comma-separated incident numbers, "" if none)
        and, for digits, ``drawn_class`` (what the image shows) and ``fault``.
    incidents : pandas.DataFrame
        The answer key per incident, columns :data:`INCIDENT_COLUMNS`.
    reference : TrainingData
        The reference (training) data.
    start, end : pandas.Timestamp
        The stream covers ``start <= timestamp < end``.
    params : mapping
        Every setting used, so that a scenario can be described and re-made.
    """

    kind: str
    seed: int
    dataset: str
    description: str
    X: Any
    y: Any
    stream: pd.DataFrame
    truth: pd.DataFrame
    incidents: pd.DataFrame
    reference: TrainingData
    start: pd.Timestamp
    end: pd.Timestamp
    params: Mapping[str, Any]
    raw_payloads: Mapping[int, tuple] = field(default_factory=dict)

    @property
    def times(self) -> pd.Series:
        """The time of every production row: ``stream.timestamp`` (digits) or ``stream.date`` (avocado)."""
        return self.stream["date" if self.dataset == "avocado" else "timestamp"]

    @property
    def weeks(self) -> float:
        """How long the stream lasts, in weeks."""
        return (self.end - self.start) / pd.Timedelta(days=7)

    def __len__(self) -> int:
        return len(self.stream)

    def __repr__(self) -> str:
        return (
            f"Scenario(kind={self.kind!r}, seed={self.seed}, dataset={self.dataset!r}, rows={len(self)}, "
            f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}, incidents={len(self.incidents)})"
        )

    def windows(self, freq="1D") -> list[StreamWindow]:
        """Split the stream into consecutive windows of length ``freq``.

        Windows are aligned on :attr:`start`; every window is returned, empty ones included, so
        that a per-window series has no gaps.

        Parameters
        ----------
        freq : str or datetime.timedelta, default "1D"
            The window length, in any spelling of :mod:`mlcheckup._validate`: ``"1D"``, ``"P1D"``,
            ``"day"``, ``timedelta(days=1)``. Months are refused (their length varies).

        Examples
        --------
        >>> from mlcheckup import scenarios
        >>> days = scenarios.make("sudden", seed=1, days=7, requests_per_hour=5).windows("1D")
        >>> len(days), days[0].start
        (7, Timestamp('2024-03-04 00:00:00'))
        """
        edges = pd.date_range(self.start, self.end, freq=_validate.pandas_freq(freq, "freq"))
        if edges[-1] < self.end:
            edges = edges.append(pd.DatetimeIndex([self.end]))
        cuts = np.searchsorted(self.times.to_numpy(), edges.to_numpy())
        windows = []
        for left, right, lo, hi in zip(edges[:-1], edges[1:], cuts[:-1], cuts[1:], strict=True):
            rows = np.arange(lo, hi)
            windows.append(StreamWindow(left, right, rows, _take(self.X, rows), _take(self.y, rows), self.stream.iloc[lo:hi]))
        return windows

    def payloads(self) -> list[list[float]]:
        """The pixel list each digits request sent, as an endpoint receives it in JSON.

        Rows with a wrong-length fault have 63 or 65 values (their row of :attr:`X` is all NaN,
        because an endpoint cannot read them into 64 pixels); NaN pixels stay ``nan``.

        Examples
        --------
        >>> from mlcheckup import scenarios
        >>> faulty = scenarios.make("quality", seed=0, faults=("wrong-length",), rate=1.0, days=3)
        >>> sorted({len(values) for values in faulty.payloads()})
        [63, 64, 65]
        """
        if self.dataset != "digits":
            raise ValidationError(
                f"payloads() is for digits scenarios, but this one is {self.dataset!r}; "
                "use scenario.X (a DataFrame of model inputs) instead"
            )
        out = self.X.tolist()
        for row, values in self.raw_payloads.items():
            out[row] = list(values)
        return out

    def score(self, alerts: Any, *, grace: Any = None):
        """Score alert times against this scenario's incidents (see :func:`score_alerts`)."""
        return score_alerts(self.incidents, alerts, period=(self.start, self.end), grace=grace)
