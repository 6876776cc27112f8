"""A model's formula in readable forms: plain text, LaTeX, a sympy expression and a numpy function.

All come from the model file's energy (numbers inlined); `NS(g)` stays a neighbour sum Σ_j g(r_ij) f_c(r_ij). The numpy
function evaluates the per-atom energy E_i (reference energy excluded) from the distances to an atom's neighbours,
so the formula can be checked or plotted without symff's data structures.
"""

import numpy as np
import sympy as sp

from ..cutoff import smooth_cutoff
from ..expr.symbols import R, rho_symbol


def formula_text(model, digits=6):
    return model.energy_string(digits)


def formula_latex(model, digits=4):
    return model.latex(digits)


def formula_sympy(model, digits=17):
    """The per-atom energy as a sympy expression in r and NS (numbers inlined)."""
    return model.expression(digits)


def numpy_function(model):
    """A function E_i(distances): `distances` (n_neighbours,) or (n_atoms, n_neighbours) Å, a full neighbour list,
    padded with inf where an atom has fewer neighbours; returns E_i in eV (without the reference energy)."""
    formula = model.formula
    numbers = {s: sp.Float(float(v), 17) for s, v in zip(formula.constants, model.constants)}
    numbers |= {s: sp.Float(float(v), 17) for s, v in zip(formula.linear, model.linear)}
    densities = [sp.lambdify(R, g.xreplace(numbers), "numpy") for g in formula.densities]
    rho = [rho_symbol(k) for k in range(len(formula.densities))]
    energy = sp.lambdify(rho, sp.Add(*(a * t for a, t in zip(formula.linear, formula.terms))).xreplace(numbers),
                         "numpy")
    r_in, r_out = model.r_in, model.r_out

    def atom_energy(distances):
        r = np.asarray(distances, dtype=float)
        inside = r < r_out
        safe = np.where(inside, r, r_in)
        fc = np.where(inside, smooth_cutoff(safe, r_in, r_out)[0], 0.0)
        sums = [np.sum(np.broadcast_to(g(safe), r.shape) * fc, axis=-1) for g in densities]
        return np.broadcast_to(energy(*sums), np.shape(sums[0]) if sums else ()) * 1.0

    atom_energy.__doc__ = f"E_i = {model.energy_string(6)} from neighbour distances (Å); eV."
    return atom_energy
