"""The figure class every figure of :mod:`mlcheckup.plots` uses: shown exactly once in a notebook.

Figures are made through pyplot, so that a notebook shows them exactly once however the cell
ends: with ``plt.show()``, as the cell's last expression (the figure then leaves pyplot as it is
displayed, so the inline backend does not show it a second time), or assigned to a name.
"""

from __future__ import annotations

import functools

__all__ = ["new_figure", "shown_once_figure"]


@functools.cache
def shown_once_figure():
    """A Figure class whose display in IPython also closes it in pyplot (made on first use)."""
    from matplotlib.figure import Figure

    class ShownOnceFigure(Figure):
        """A pyplot figure that IPython shows once, even as a cell's last expression."""

        def _repr_mimebundle_(self, include=None, exclude=None):
            import matplotlib.pyplot as plt

            plt.close(self)  # displayed now: the inline backend must not show it again at the end of the cell
            return None  # the usual image formatters then render it

    return ShownOnceFigure


def new_figure(width: float, height: float):
    """A pyplot figure of ``width`` × ``height`` inches that a notebook shows once."""
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(width, height), FigureClass=shown_once_figure())
