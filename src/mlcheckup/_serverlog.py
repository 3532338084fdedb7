"""Reading a local endpoint's console log (private): what the endpoint watches for, and the log as a table.

The inference server's stdout and stderr (gunicorn, the workers, ``print`` in score.py, the
Collector) go to one file, ``server.log``. :class:`ServerLog` reads it incrementally, from where
the previous read stopped, and keeps what the endpoint acts on: workers ready, a failed start,
payloads the Collector lost, workers that died. :func:`console_rows` turns it into the rows of
Azure's ``AmlOnlineEndpointConsoleLog``.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import datetime
from pathlib import Path

import pandas as pd

from .serving import LOST_MARKER

__all__ = ["CONSOLE_COLUMNS", "EXCEPTION_LINE", "ServerLog", "console_rows"]

READY = "ready for serving traffic"
FAILED = ("User's init function failed", "Worker failed to boot", "Configuration Error", "Invalid config file")
#: A Python exception line of a traceback ("ValueError: ...").
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)): ?(.*)$")
LOST_LINE = re.compile(re.escape(LOST_MARKER) + r" \((\w+)\)")
WORKER_DIED = re.compile(r"Worker \(pid:(\d+)\) (?:was sent ([\w ]+?)!|exited with code (-?\d+))")
#: A line's own time: gunicorn's "[2026-12-05 12:24:03 +0000]" or logging's "2026-12-05 12:24:03,649".
_STAMP = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:,(\d{3}))?(?: ([+-]\d{4}))?")
#: ``AmlOnlineEndpointConsoleLog``'s columns (Learn's table reference).
CONSOLE_COLUMNS = ("TimeGenerated", "OperationName", "InstanceId", "DeploymentName", "ContainerName", "Message")


class ServerLog:
    """The server's console log, read from where the previous read stopped.

    It keeps what the endpoint watches for (workers ready, a failed start, lost payloads), so a
    long log is never read twice.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ready = 0
        self.failed = False
        self.lost: Counter = Counter()
        #: Workers that died while serving: "pid 123 (SIGKILL)", in order.
        self.worker_deaths: list[str] = []
        self._offset = 0
        self._partial = b""

    def update(self) -> None:
        """Scan the lines written since the last call (a line still being written waits)."""
        try:
            with open(self.path, "rb") as log:
                log.seek(self._offset)
                chunk = log.read()
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for raw in lines:
            line = raw.decode(errors="replace")
            self.ready += READY in line
            self.failed = self.failed or any(marker in line for marker in FAILED)
            found = LOST_LINE.search(line)
            if found:
                self.lost[found.group(1)] += 1
            died = WORKER_DIED.search(line)
            if died:
                how = died.group(2) or f"exit code {died.group(3)}"
                self.worker_deaths.append(f"pid {died.group(1)} ({how})")

    def tail(self, lines: int) -> str:
        """The last ``lines`` lines, read from the end of the file."""
        if lines <= 0 or not self.path.exists():
            return ""
        with open(self.path, "rb") as log:
            position = log.seek(0, os.SEEK_END)
            data = b""
            while position > 0 and data.count(b"\n") <= lines:
                step = min(64 * 1024, position)
                position -= step
                log.seek(position)
                data = log.read(step) + data
        return "\n".join(data.decode(errors="replace").splitlines()[-lines:])


def _stamp(line: str, local) -> pd.Timestamp | None:
    found = _STAMP.match(line)
    if not found:
        return None
    moment = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S")
    stamp = pd.Timestamp(moment) + pd.Timedelta(milliseconds=int(found.group(2) or 0))
    if found.group(3):
        return stamp.tz_localize(datetime.strptime(found.group(3), "%z").tzinfo).tz_convert("UTC")
    return stamp.tz_localize(local).tz_convert("UTC")


def console_rows(text: str, *, deployment: str, instance: str, started: pd.Timestamp) -> pd.DataFrame:
    """``AmlOnlineEndpointConsoleLog`` rows for the console ``text``, one per line.

    A line without its own time (a traceback line, a bare ``print``) takes the time of the last
    line that had one (``started`` before any), as the platform stamps lines when it reads them.
    """
    local = datetime.now().astimezone().tzinfo
    rows, last = [], started
    for line in text.splitlines():
        last = _stamp(line, local) or last
        rows.append((last, "", instance, deployment, "inference-server", line))
    table = pd.DataFrame(rows, columns=list(CONSOLE_COLUMNS))
    table["TimeGenerated"] = pd.to_datetime(table["TimeGenerated"], utc=True).astype("datetime64[ns, UTC]")
    return table
