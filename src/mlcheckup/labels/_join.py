"""Join late ground truth to predictions "as of" a time, and say what was left out and why (private).

Azure model monitoring joins a ground-truth data asset to the collected ``model_outputs`` on a
correlation id column (azure-api.md §3.3: collected rows are ``<correlationid>_<row>``). Which
labels a monitor sees depends on *when* it runs: :func:`labels_as_of` keeps the labels that had
arrived by then, lets the latest one win for each prediction (a correction replaces a mistake),
and counts every label row it could not use instead of dropping it silently.

Private to :mod:`mlcheckup.labels`; the public names are re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ValidationError

#: Why a label row that had arrived was not used, in the order the checks run.
REJECTIONS = ("non-numeric", "unknown id", "before prediction")


@dataclass(frozen=True, repr=False)
class LabelJoin:
    """Predictions with the labels known at ``as_of`` (made by :func:`labels_as_of`).

    Attributes
    ----------
    table : pandas.DataFrame
        The predictions, one row each, plus ``label`` (float, NaN while unknown) and
        ``labeled_at`` (when the label used arrived; NaT while unknown).
    rejected : pandas.DataFrame
        Every label row that had arrived but could not be used, with a ``reason`` (one of
        :data:`REJECTIONS`).
    report : dict
        Counts: ``received`` (rows in the feed), ``pending`` (arrived after ``as_of``), ``used``,
        ``repeated`` (an earlier label with the same value), ``corrected`` (an earlier label
        replaced by a different value), and one count per reason of :data:`REJECTIONS`.
    as_of : pandas.Timestamp
    """

    table: pd.DataFrame
    rejected: pd.DataFrame
    report: dict
    as_of: pd.Timestamp

    def __repr__(self) -> str:
        known = int(self.table["label"].notna().sum())
        return (f"LabelJoin(as of {self.as_of}: {known} of {len(self.table)} predictions labelled; "
                + ", ".join(f"{key} {value}" for key, value in self.report.items()) + ")")

    def coverage(self, freq: str = "1D") -> pd.DataFrame:
        """Label coverage per window of prediction time: ``predictions``, ``labelled``, ``coverage`` (0..1).

        Windows follow pandas' ``freq`` (``"1D"``: calendar days); a window with no predictions
        has coverage NaN.
        """
        grouped = self.table.groupby(pd.Grouper(key="time", freq=freq))
        frame = grouped.agg(predictions=("label", "size"), labelled=("label", "count"))
        frame["coverage"] = frame["labelled"] / frame["predictions"].where(frame["predictions"] > 0)
        frame.index.name = "window"
        return frame


def _check(frame, name: str, columns: tuple[str, ...]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValidationError(f"{name} must be a pandas DataFrame (got {type(frame).__name__})")
    lacking = [column for column in columns if column not in frame.columns]
    if lacking:
        raise ValidationError(f"{name} lacks column(s) {lacking} (it has {list(frame.columns)[:8]}); "
                              f"it needs {list(columns)}")
    if name == "predictions" and {"label", "labeled_at"} & set(frame.columns):
        raise ValidationError("predictions already has a 'label' or 'labeled_at' column; drop it first "
                              "(predictions.drop(columns=['label'])): the join adds them")
    if name == "predictions" and frame["correlationid"].duplicated().any():
        twice = frame.loc[frame["correlationid"].duplicated(), "correlationid"].iloc[0]
        raise ValidationError(f"predictions has correlationid {twice!r} twice; each collected row has its own "
                              "<correlationid>_<row> id (read them with read_collected)")


def labels_as_of(predictions: pd.DataFrame, feed: pd.DataFrame, as_of) -> LabelJoin:
    """The labels known at ``as_of``, joined to ``predictions`` by correlation id.

    A label row is *known* at ``as_of`` when ``labeled_at <= as_of``. Among the known rows for a
    prediction, the one that arrived last wins (ties: the later row of ``feed``), so a late
    correction replaces a mistake. A known row that cannot be used is counted and kept in
    :attr:`LabelJoin.rejected`, never dropped silently: a label that is not a number, a label
    for a correlation id that is not among the predictions, and a label stamped before its
    prediction's ``time``.

    Parameters
    ----------
    predictions : pandas.DataFrame
        ``correlationid`` (one row each) and ``time``, plus any other columns (``prediction``...).
    feed : pandas.DataFrame
        ``correlationid``, ``label`` and ``labeled_at`` (e.g. :attr:`LabelFeed.events`).
    as_of : str or pandas.Timestamp
        When the join runs.

    Returns
    -------
    LabelJoin

    Raises
    ------
    ValidationError
        If a table lacks a column or ``predictions`` repeats an id (bad *rows* of ``feed`` are
        counted, not raised).

    Examples
    --------
    >>> predictions = pd.DataFrame({"correlationid": ["a_0", "a_1"], "time": pd.to_datetime(["2024-03-04"] * 2),
    ...                             "prediction": [7, 1]})
    >>> feed = pd.DataFrame({"correlationid": ["a_0", "a_0", "zz_0", "a_1"], "label": [1, 7, 3, "seven"],
    ...                      "labeled_at": pd.to_datetime(["2024-03-05", "2024-03-06", "2024-03-05", "2024-03-05"])})
    >>> joined = labels_as_of(predictions, feed, "2024-03-07")
    >>> joined.table["label"].tolist(), joined.report["corrected"], joined.report["unknown id"]
    ([7.0, nan], 1, 1)

    Taught in lesson 06, §2.
    """
    _check(predictions, "predictions", ("correlationid", "time"))
    _check(feed, "feed", ("correlationid", "label", "labeled_at"))
    try:
        as_of = pd.Timestamp(as_of)
        arrived_at = pd.to_datetime(feed["labeled_at"])
    except (TypeError, ValueError) as error:
        raise ValidationError(f"as_of and feed.labeled_at must be times ({error}); pass e.g. '2024-03-10 12:00'") from None
    known = feed.assign(labeled_at=arrived_at, _order=np.arange(len(feed)))[arrived_at <= as_of]
    known = known.assign(label=pd.to_numeric(known["label"], errors="coerce"))
    when = predictions.set_index("correlationid")["time"]
    served_at = known["correlationid"].map(when)
    reasons = pd.Series(np.select(
        [known["label"].isna(), served_at.isna(), known["labeled_at"] < served_at],
        list(REJECTIONS), default=""), index=known.index)
    rejected = known[reasons != ""].drop(columns="_order").assign(reason=reasons[reasons != ""])
    usable = known[reasons == ""].sort_values(["labeled_at", "_order"], kind="stable")
    latest = usable.drop_duplicates("correlationid", keep="last")
    earlier = usable[usable.duplicated("correlationid", keep="last")]
    changed = earlier["label"].to_numpy() != earlier["correlationid"].map(latest.set_index("correlationid")["label"]).to_numpy()
    table = predictions.merge(latest[["correlationid", "label", "labeled_at"]], on="correlationid", how="left")
    report = {"received": len(feed), "pending": int(len(feed) - len(known)), "used": len(latest),
              "repeated": int((~changed).sum()), "corrected": int(changed.sum()),
              **{reason: int((reasons == reason).sum()) for reason in REJECTIONS}}
    return LabelJoin(table, rejected.reset_index(drop=True), report, as_of)
