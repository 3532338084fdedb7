"""Progress bars for waits that a saved notebook shows as they ended (private).

``tqdm.auto`` draws a widget in Jupyter, and a saved notebook keeps the widget's *first* text
("0%|"), so every wait of the toolkit uses a plain text bar on stdout instead: it appears only
after 2 s, stays when it closes, and :func:`finish` brings a bar that finished to 100 %.
"""

from __future__ import annotations

import sys

from tqdm import tqdm

__all__ = ["finish", "progress"]


def progress(total: int, desc: str, unit: str = "it") -> tqdm:
    """A text bar on stdout, shown once the wait has lasted 2 s; use it as a context manager."""
    return tqdm(total=total, desc=desc, unit=unit, delay=2, file=sys.stdout, leave=True)


def finish(bar: tqdm) -> None:
    """Bring ``bar`` to its total (the wait is over) and draw it, if it is shown (a short wait shows none)."""
    bar.update(bar.total - bar.n)
    if bar.last_print_t >= bar.start_t + bar.delay:
        bar.refresh()
