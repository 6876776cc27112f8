"""Error metrics of a prediction against reference labels, and the per-element reference energy (DESIGN.md).

Energy errors are per atom, in meV/atom; force errors per Cartesian component, in eV/Å; stress errors per Voigt
component, in GPa, over the structures that have a stress. The reference energy is fitted by least squares on total
energies of the training set.
"""

import numpy as np

EV_PER_A3_TO_GPA = 160.21766208


def reference_energies(model_energy, dataset):
    """Per-element energies e minimizing Σ_s (E_model_s + n_s·e − E_s)² (model_energy without any reference)."""
    solution, *_ = np.linalg.lstsq(dataset.element_counts, dataset.energy - model_energy, rcond=None)
    return solution


def error_metrics(prediction, dataset) -> dict:
    n = dataset.atoms_per_structure
    de = (prediction.energy - dataset.energy) / n * 1000.0
    df = (prediction.forces - dataset.forces).ravel()
    out = {
        "n_structures": int(dataset.n_structures),
        "n_atoms": int(dataset.n_atoms),
        "energy_mae_mev": float(np.mean(np.abs(de))),
        "energy_rmse_mev": float(np.sqrt(np.mean(de**2))),
        "force_mae": float(np.mean(np.abs(df))),
        "force_rmse": float(np.sqrt(np.mean(df**2))),
    }
    has = dataset.has_stress
    if has.any():
        ds = (prediction.stress[has] - dataset.stress[has]).ravel() * EV_PER_A3_TO_GPA
        out["stress_mae_gpa"] = float(np.mean(np.abs(ds)))
        out["stress_rmse_gpa"] = float(np.sqrt(np.mean(ds**2)))
    return out
