"""Figures whose centred texts fit: constrained layout places a figure's title and its legends
outside the axes, centred, but never widens the figure, so a text wider than the figure is cut
at both edges (in the PNG and the SVG alike)."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["widen_to_fit"]


def widen_to_fit(fig: Figure, *, pad: float = 0.3) -> Figure:
    """Widen `fig` (height kept) so that its suptitle and its figure legends, measured as drawn,
    fit with `pad` inches to spare; returns `fig`."""
    renderer = FigureCanvasAgg(fig).get_renderer()
    title = getattr(fig, "_suptitle", None)  # the suptitle artist (matplotlib keeps it private)
    texts = [title] if title is not None else []
    widths = [artist.get_window_extent(renderer).width / fig.dpi for artist in [*texts, *fig.legends]]
    needed = max(widths, default=0.0) + pad
    if needed > fig.get_figwidth():
        fig.set_figwidth(needed)
    return fig
