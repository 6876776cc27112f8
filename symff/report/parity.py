"""Parity plots: model against reference for energy per atom and force components, train and test side by side."""

import numpy as np

from .figures import new_figure


def parity_figure(predictions):
    """`predictions`: {split: (dataset, Prediction)} for "train" and maybe "test"."""
    splits = list(predictions)
    figure, axes = new_figure(4.2 * len(splits), 8, ncols=len(splits), nrows=2)
    for col, split in enumerate(splits):
        dataset, prediction = predictions[split]
        n = dataset.atoms_per_structure
        _parity(axes[col], dataset.energy / n, prediction.energy / n, f"energy per atom, {split}", "eV/atom", 1000,
                "meV/atom")
        _parity(axes[len(splits) + col], dataset.forces.ravel(), prediction.forces.ravel(),
                f"force components, {split}", "eV/Å", 1, "eV/Å")
    return figure


def _parity(ax, reference, model, title, unit, scale, error_unit):
    ax.plot(reference, model, ".", ms=3, alpha=0.5)
    low, high = float(min(reference.min(), model.min())), float(max(reference.max(), model.max()))
    ax.plot([low, high], [low, high], "k-", lw=0.8)
    mae = scale * float(np.mean(np.abs(model - reference)))
    ax.set(xlabel=f"reference ({unit})", ylabel=f"model ({unit})", title=f"{title}\nMAE {mae:.3g} {error_unit}")
    ax.set_aspect("equal", adjustable="datalim")
