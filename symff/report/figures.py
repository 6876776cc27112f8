"""Figures without pyplot: a matplotlib `Figure` on the Agg canvas, saved as PNG bytes (no display, no global state)."""

import io

from matplotlib.figure import Figure

DPI = 100


def new_figure(width=6.4, height=4.2, ncols=1, nrows=1):
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=False)
    return figure, axes.ravel()


def png_bytes(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
