"""A model's formula as a numpy function (its plain text, LaTeX and sympy forms are the Model's own: `energy_string`,
`latex`, `expression`).

It comes from the model file's energy (numbers inlined); `NS(g)` stays a neighbour sum Σ_j g(r_ij) f_c(r_ij). The
function evaluates the per-atom energy E_i (reference energy excluded) from the distances to an atom's neighbours,
so the formula can be checked or plotted without symff's data structures.
"""

import numpy as np

from ..evaluate.reference import atom_energies


def numpy_function(model):
    """A function E_i(distances): `distances` (n_neighbours,) or (n_atoms, n_neighbours) Å, a full neighbour list,
    padded with inf where an atom has fewer neighbours; returns E_i in eV (without the reference energy). It is the
    numpy reference evaluator's (symff.evaluate.reference)."""

    def atom_energy(distances):
        r = np.asarray(distances, dtype=float)
        return atom_energies(model, np.atleast_2d(r))[0].reshape(r.shape[:-1])

    atom_energy.__doc__ = f"{model.equation(6)} from neighbour distances (Å); eV."
    return atom_energy
