"""A model's formula in readable forms: plain text, LaTeX, a sympy expression and a numpy function.

All come from the model file's energy (numbers inlined); `NS(g)` stays a neighbour sum Σ_j g(r_ij) f_c(r_ij). The numpy
function evaluates the per-atom energy E_i (reference energy excluded) from the distances to an atom's neighbours,
so the formula can be checked or plotted without symff's data structures.
"""

import numpy as np

from ..evaluate.reference import atom_energies


def formula_text(model, digits=6):
    return model.energy_string(digits)


def formula_latex(model, digits=4):
    return model.latex(digits)


def formula_sympy(model, digits=17):
    """The per-atom energy as a sympy expression in r and NS (numbers inlined)."""
    return model.expression(digits)


def numpy_function(model):
    """A function E_i(distances): `distances` (n_neighbours,) or (n_atoms, n_neighbours) Å, a full neighbour list,
    padded with inf where an atom has fewer neighbours; returns E_i in eV (without the reference energy). It is the
    numpy reference evaluator's (symff.evaluate.reference)."""

    def atom_energy(distances):
        r = np.asarray(distances, dtype=float)
        return atom_energies(model, np.atleast_2d(r))[0].reshape(r.shape[:-1])

    atom_energy.__doc__ = f"{model.equation(6)} from neighbour distances (Å); eV."
    return atom_energy
