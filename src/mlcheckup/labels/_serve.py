"""Send a digits scenario through a served model and read back what the data collector stored (private).

One request per hour (or per ``every``) of the scenario's simulated clock carries every image
of that time, with ``x-request-id`` naming the scenario and the hour. The deployment's ``Collector`` stores the
request's rows under that correlation id and Azure's monitoring indexes them
``<correlationid>_<row>`` (azure-api.md §3.3), so each collected output row maps back to its
scenario row and its simulated time. Nothing sleeps: the simulated time travels in the id.

Private to :mod:`mlcheckup.labels`; the public names are re-exported there.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .. import _validate
from .._progress import finish, progress
from ..errors import ValidationError

_NAME = re.compile(r"[a-z0-9][a-z0-9-]*", re.ASCII)


def serve_scenario(endpoint, scenario, *, name: str, every: str = "1h") -> pd.DataFrame:
    """Score a digits scenario on ``endpoint``, one request per simulated hour, and read the collected outputs.

    Parameters
    ----------
    endpoint : mlcheckup.endpoint.LocalEndpoint
        A started endpoint serving the course's digits ``score.py`` and collecting ``model_outputs``.
    scenario : mlcheckup.scenarios.Scenario
        A digits scenario.
    name : str
        Lower-case letters, digits and '-': the prefix of every request id, so that several
        scenarios can share one endpoint.
    every : str, default "1h"
        One request carries the images of this much simulated time: a duration in the one
        vocabulary of :mod:`mlcheckup` (``"1h"``, ``"PT1H"``, ``"hour"`` or a timedelta).

    Returns
    -------
    pandas.DataFrame
        One row per collected output row: ``correlationid`` (``<name>-<yyyymmddhh>_<row>``),
        ``time`` (the simulated time of the request), ``row`` (its row in the scenario),
        ``prediction`` and ``confidence`` as collected. Rows of a request the endpoint refused
        are absent; ``attrs["refused"]`` counts those requests.

    Taught in lesson 06, §1.
    """
    if getattr(scenario, "dataset", None) != "digits":
        raise ValidationError(f"serve_scenario needs a digits scenario (got {scenario!r}); "
                              "make one with scenarios.make('gradual') or another digits kind")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(f"name must be lower-case letters, digits and '-' (got {name!r}), e.g. 'concept'")
    payloads = scenario.payloads()
    hours = scenario.times.dt.floor(_validate.pandas_freq(every, "every"))
    groups = hours.groupby(hours).indices
    sent, refused = [], 0
    with progress(len(groups), f"scoring {name}", unit="request") as bar:
        for hour, rows in groups.items():
            request = f"{name}-{hour:%Y%m%d%H}"
            reply = endpoint.post({"data": [payloads[row] for row in rows]}, headers={"x-request-id": request})
            if reply.status_code < 300:
                sent.append(pd.DataFrame({"correlationid": [f"{request}_{i}" for i in range(len(rows))],
                                          "time": scenario.times.iloc[rows].to_numpy(), "row": rows}))
            else:
                refused += 1
            bar.update()
        finish(bar)
    collected = endpoint.collected("model_outputs")
    ours = collected[collected["correlationid"].str.startswith(f"{name}-")]
    frame = pd.concat(sent, ignore_index=True) if sent else pd.DataFrame(columns=["correlationid", "time", "row"])
    frame = frame.merge(ours[["correlationid", "prediction", "confidence"]], on="correlationid", how="inner")
    frame["row"] = frame["row"].astype(np.int64)
    frame.attrs["refused"] = refused
    return frame
