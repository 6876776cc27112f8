"""Calibration plot: the spread a bootstrap ensemble predicts (symff.uncertainty) against the model's actual error.

Left, one point per structure: |energy error| against the predicted energy spread (meV/atom), with the line of the
90 % bound |error| = 1.645·spread. Right, force components grouped into bins of equal count by predicted spread: the
RMS error of each bin against its RMS spread, with the line error = spread that a calibrated spread follows.
"""

import numpy as np

from ..uncertainty import Z90
from .figures import new_figure

FORCE_BINS = 12


def calibration_figure(assessment, split="test"):
    """`assessment`: a `symff.uncertainty.Assessment` (calibrated spread) on the `split` data."""
    figure, (energy_ax, force_ax) = new_figure(10, 4.4, ncols=2)
    energy_coverage, force_coverage = assessment.coverage()
    spread = 1e3 * assessment.energy_spread
    error = 1e3 * np.abs(assessment.energy_error)
    energy_ax.loglog(spread, np.maximum(error, 1e-4), ".", ms=5)
    line = np.geomspace(max(spread.min(), 1e-4), max(spread.max(), 1e-3), 2)
    energy_ax.loglog(line, Z90 * line, "k-", lw=0.8, label="90 % bound")
    spearman = assessment.spearman() if spread.size > 2 else float("nan")
    energy_ax.set(xlabel="predicted spread (meV/atom)", ylabel="|energy error| (meV/atom)",
                  title=f"energy per structure, {split}\nSpearman {spearman:.2f}, inside 90 %: {energy_coverage:.0%}")
    energy_ax.legend(loc="upper left")

    force_spread = assessment.force_spread.ravel()
    force_error = assessment.force_error.ravel()
    order = np.argsort(force_spread)
    bins = [b for b in np.array_split(order, min(FORCE_BINS, order.size)) if b.size]
    rms_spread = np.array([np.sqrt(np.mean(force_spread[b] ** 2)) for b in bins])
    rms_error = np.array([np.sqrt(np.mean(force_error[b] ** 2)) for b in bins])
    force_ax.loglog(rms_spread, rms_error, "o-", ms=4)
    line = np.geomspace(max(rms_spread.min(), 1e-6), max(rms_spread.max(), 1e-5), 2)
    force_ax.loglog(line, line, "k-", lw=0.8, label="error = spread")
    force_ax.set(xlabel="predicted spread (eV/Å), RMS per bin", ylabel="force error (eV/Å), RMS per bin",
                 title=f"force components, {split}, {len(bins)} bins of equal count\ninside 90 %: {force_coverage:.0%}")
    force_ax.legend(loc="upper left")
    return figure
