"""A live view of an endpoint under load: the offline counterpart of App Insights *Live Metrics*.

Live Metrics shows, second by second, the incoming request rate, the request duration, the
failed-request rate and the servers' CPU, with no sampling and no storage. :class:`LiveView`
shows the same four from what :func:`mlcheckup.load.run` sends and receives (and the CPU
that a :class:`~mlcheckup.frontend.FrontEnd` samples), redrawn in place about once a second:

* in Jupyter, one output that is replaced each time (a small HTML table with a sparkline of the
  last ``window`` seconds per metric; the notebook keeps the last drawing when saved);
* elsewhere, one text line per redraw on stdout.

It costs a few milliseconds per redraw (no figure is drawn), so it does not slow the server it
watches. Durations are the client's view (the front end's ``TotalDurationMs`` plus the loopback).

Examples
--------
::

    view = LiveView(front_end)
    results = load.run(front_end, load.spike(20, 200, 10, at=4, length=2, rng=0), payload, live=view)

>>> view = LiveView(window=5)
>>> frame = pd.DataFrame({"sent_s": [0.1, 0.5, 1.2], "status": [200, 429, 200], "latency_ms": [3.0, 0.5, 4.0]})
>>> print(view.render(frame, now=2.0).splitlines()[0])
live metrics at 2.0 s (last 5 s)

Taught in lesson 03.
"""

from __future__ import annotations

import html
import sys

import numpy as np
import pandas as pd

from . import _validate

__all__ = ["LiveView", "sparkline"]

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values) -> str:
    """A one-line bar chart of ``values`` (NaN shows as a space).

    >>> sparkline([0, 1, 2, 3])
    '▁▃▆█'
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return " " * len(values)
    low, high = finite.min(), finite.max()
    span = (high - low) or 1.0
    return "".join(" " if not np.isfinite(v) else _BARS[round((v - low) / span * (len(_BARS) - 1))]
                   for v in values)


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    ip = shell.get_ipython() if shell and hasattr(shell, "get_ipython") else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


class LiveView:
    """Redraw request rate, failures, latency and CPU, per second, while load runs.

    Parameters
    ----------
    source : FrontEnd, optional
        Where the CPU samples come from (its ``cpu_samples()``); without it the CPU row is blank.
    window : int, default 30
        Seconds shown in the sparklines.
    """

    def __init__(self, source=None, *, window: int = 30) -> None:
        self.source = source
        self.window = _validate.whole("window", window, 2, 3600)
        self._handle = None
        self.drawings = 0

    def per_second(self, results: pd.DataFrame, now: float) -> pd.DataFrame:
        """The last ``window`` seconds up to ``now``: ``requests``, ``failed`` (no answer or >= 400),
        ``throttled`` (429) and ``p95_ms`` per whole second of the load."""
        seconds = np.arange(max(0, int(now) - self.window), int(now) + 1)
        frame = results.assign(second=np.floor(results["sent_s"]).astype(int))
        grouped = frame.groupby("second")
        table = pd.DataFrame({
            "requests": grouped.size(),
            "failed": grouped["status"].agg(lambda s: int(((s == 0) | (s >= 400)).sum())),
            "throttled": grouped["status"].agg(lambda s: int((s == 429).sum())),
            "p95_ms": grouped["latency_ms"].agg(lambda v: float(np.percentile(v, 95, method="inverted_cdf"))),
        }) if len(frame) else pd.DataFrame(columns=["requests", "failed", "throttled", "p95_ms"])
        table = table.reindex(seconds)
        table[["requests", "failed", "throttled"]] = table[["requests", "failed", "throttled"]].fillna(0)
        return table

    def _cpu(self) -> np.ndarray:
        samples = self.source.cpu_samples() if self.source is not None else None
        if samples is None or samples.empty:
            return np.array([np.nan])
        return samples["cpu_percent"].to_numpy()[-self.window:]

    def render(self, results: pd.DataFrame, now: float) -> str:
        """The view as text: a title line, then one line per metric (last value and a sparkline)."""
        table = self.per_second(results, now)
        done = table.iloc[:-1] if len(table) > 1 else table  # the current second is still filling
        cpu = self._cpu()
        lines = [f"live metrics at {now:.1f} s (last {self.window} s)"]
        for label, values, unit in (("incoming requests", done["requests"], "/s"),
                                    ("failed requests", done["failed"], "/s"),
                                    ("  of which 429", done["throttled"], "/s"),
                                    ("request duration p95", done["p95_ms"], " ms"),
                                    ("server CPU", cpu, " %")):
            values = np.asarray(values, dtype=float)
            last = values[-1] if values.size else np.nan
            shown = "–" if not np.isfinite(last) else f"{last:.0f}{unit}"
            lines.append(f"{label:<21} {shown:>9}  {sparkline(values)}")
        return "\n".join(lines)

    def update(self, results: pd.DataFrame, now: float) -> None:
        """Redraw with the results so far (:func:`mlcheckup.load.run` calls this)."""
        text = self.render(results, now)
        self.drawings += 1
        if not _in_notebook():
            print(text.replace("\n", " | "), flush=True)
            return
        from IPython.display import HTML, display

        page = HTML(f"<pre style='line-height:1.2'>{html.escape(text)}</pre>")
        if self._handle is None:
            self._handle = display(page, display_id=True)
        else:
            self._handle.update(page)
