"""Render datasets/figures/<kind>.png: one picture per scenario kind, as a learner sees it.

    .venv/bin/python datasets/render_figures.py           # all kinds, seed 0
    .venv/bin/python datasets/render_figures.py craze     # one kind

The figures illustrate datasets/README.md; they are small (72 dpi, 64 colours) and are not
checksummed (matplotlib's PNG bytes vary across versions).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image

from mlcheckup import plots, scenarios

FIGURES = Path(__file__).resolve().parent / "figures"


#: Settings other than ``seed=0``: the craze figure shows the bundled avocado.csv.
SETTINGS = {"craze": {"seed": scenarios.AVOCADO_SEED, "onset": "2018-04-01"}}


def render(kind: str) -> Path:
    """Draw ``make(kind, **SETTINGS.get(kind, {"seed": 0}))`` as a small palette PNG; return its path."""
    figure = plots.scenario_overview(scenarios.make(kind, **SETTINGS.get(kind, {"seed": 0})))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72, metadata={"Software": None})
    plt.close(figure)
    image = Image.open(buffer).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    path = FIGURES / f"{kind}.png"
    image.save(path, optimize=True)
    return path


if __name__ == "__main__":
    FIGURES.mkdir(exist_ok=True)
    for name in sys.argv[1:] or list(scenarios.KINDS):
        saved = render(name)
        print(f"{saved.relative_to(FIGURES.parent.parent)}  {saved.stat().st_size / 1024:.0f} KiB")
