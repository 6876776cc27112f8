"""The loss a candidate's constants are fitted to, and the closed-form solve for the coefficients that enter linearly.

    loss = w_E <(ΔE_s/N_s)²>/s_E² + w_F <ΔF²>/s_F² + w_S <Δσ²>/s_S²

averages weighted by the structures' weights, with scales s_E = 1 meV/atom, s_F = 0.01 eV/Å and s_S = 1 meV/Å³, so
that with unit weights a potential with 5 meV/atom and 0.05 eV/Å errors pays about equally for both. Stress rows come
only from structures that have a stress.

Energies, forces and stresses are linear in the term coefficients a_m and in the per-element reference energies, so
for given nonlinear constants those are solved exactly by linear least squares (variable projection): the nonlinear
fit only ever sees the constants that need it.
"""

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..expr.symbols import Rejected

ENERGY_SCALE = 1e-3  # eV/atom
FORCE_SCALE = 1e-2  # eV/Å
STRESS_SCALE = 1e-3  # eV/Å³


@dataclass(frozen=True)
class LossWeights:
    energy: float = 1.0
    force: float = 1.0
    stress: float = 0.1

    def __post_init__(self):
        for name in ("energy", "force", "stress"):
            if not (getattr(self, name) >= 0 and np.isfinite(getattr(self, name))):
                raise ValueError(f"loss weight {name} must be a non-negative number")
        if self.energy == 0 and self.force == 0:
            raise ValueError("at least one of the energy and force weights must be positive")


class Targets:
    """The reference labels of a data set as weighted residual rows: energy rows, then force rows, then stress rows."""

    def __init__(self, dataset, weights: LossWeights = LossWeights()):
        self.dataset = dataset
        self.weights = weights
        w = dataset.weights
        n = dataset.atoms_per_structure.astype(float)
        self.energy_scale = np.sqrt(weights.energy * w / w.sum()) / (n * ENERGY_SCALE)
        atom_w = w[dataset.structure_of_atom]
        self.force_scale = np.repeat(np.sqrt(weights.force * atom_w / (3 * atom_w.sum())) / FORCE_SCALE, 3)
        self.has_stress = dataset.has_stress & (weights.stress > 0)
        ws = w[self.has_stress]
        self.stress_scale = (
            np.repeat(np.sqrt(weights.stress * ws / (6 * ws.sum())) / STRESS_SCALE, 6) if ws.size else np.zeros(0)
        )
        self.target = np.concatenate([
            self.energy_scale * dataset.energy,
            self.force_scale * dataset.forces.ravel(),
            self.stress_scale * dataset.stress[self.has_stress].ravel(),
        ])
        self.counts = dataset.element_counts
        self.n_rows = self.target.size

    def term_rows(self, basis):
        """The loss rows of each term of `basis` with unit coefficient: (n_rows, M)."""
        n_terms = basis.energy.shape[0]
        energy = basis.energy.T * self.energy_scale[:, None]
        forces = basis.forces.reshape(n_terms, self.force_scale.size).T * self.force_scale[:, None]
        stress = basis.stress[:, self.has_stress].reshape(n_terms, self.stress_scale.size).T * self.stress_scale[:, None]
        return np.vstack([energy, forces, stress])

    def design(self, basis):
        """Rows of the linear problem: columns are the M terms, then the reference energy of each element."""
        reference = np.zeros((self.n_rows, self.counts.shape[1]))
        reference[: self.energy_scale.size] = self.counts * self.energy_scale[:, None]
        return np.hstack([self.term_rows(basis), reference])

    def solve(self, basis):
        """(coefficients a_m, reference energies, residual rows) minimizing the loss for this basis."""
        linear, reference, residual, _, _ = self.solve_design(basis)
        return linear, reference, residual

    def solve_design(self, basis):
        """As `solve`, with the design and the whole solution (what the analytic Jacobian needs) as well."""
        design = self.design(basis)
        # columns scaled to unit norm so that terms of very different magnitude are solved as accurately
        with np.errstate(over="ignore"):
            norms = np.sqrt(np.einsum("ij,ij->j", design, design))  # 3x faster than np.linalg.norm(axis=0)
        if not np.isfinite(norms).all():  # values beyond 1e154 eV: not a potential worth fitting
            raise Rejected("overflow", "a term's energies or forces overflow")
        norms[norms == 0] = 1.0
        solution, *_ = scipy.linalg.lstsq(design / norms, self.target, lapack_driver="gelsy", check_finite=False)
        solution = solution / norms
        residual = design @ solution - self.target
        n_terms = basis.energy.shape[0]
        return solution[:n_terms], solution[n_terms:], residual, design, solution
