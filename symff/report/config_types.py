"""Errors by `config_type` (the info key of each structure): which kinds of structure the model gets wrong."""

import numpy as np

from .figures import new_figure


def errors_by_config_type(dataset, prediction):
    """{config_type: (structures, energy MAE meV/atom, force MAE eV/Å)}, "" shown as "(none)"."""
    types = np.array([t or "(none)" for t in dataset.config_type])
    n = dataset.atoms_per_structure
    de = np.abs(prediction.energy - dataset.energy) / n * 1000.0
    df = np.abs(prediction.forces - dataset.forces).sum(axis=1) / 3.0
    atom_type = np.repeat(types, n)
    return {t: (int(np.sum(types == t)), float(de[types == t].mean()), float(df[atom_type == t].mean()))
            for t in sorted(set(types))}


def config_type_figure(predictions):
    figure, (energy_ax, force_ax) = new_figure(10, 4.2, ncols=2)
    tables = {split: errors_by_config_type(*pair) for split, pair in predictions.items()}
    types = sorted(set().union(*tables.values()))
    width = 0.8 / len(tables)
    for s, (split, table) in enumerate(tables.items()):
        x = np.arange(len(types)) + s * width
        rows = [table.get(t, (0, np.nan, np.nan)) for t in types]
        energy_ax.bar(x, [v[1] for v in rows], width, label=split)
        force_ax.bar(x, [v[2] for v in rows], width, label=split)
    for ax in (energy_ax, force_ax):
        ax.set_xticks(np.arange(len(types)) + 0.4 - width / 2, types, rotation=30, ha="right", fontsize=8)
    energy_ax.set(ylabel="energy MAE (meV/atom)", title="energy error by config_type")
    force_ax.set(ylabel="force MAE (eV/Å)", title="force error by config_type")
    energy_ax.legend(fontsize=8)
    return figure
