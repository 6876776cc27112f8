"""Evaluation of a candidate on a data set: per-structure energies, per-atom forces and stresses.

An `Evaluator` holds one data set with its half neighbour list and radial grid. `basis(program, constants)` returns
the predictions of every term T_m of a formula separately (energies, forces and stresses are linear in the
coefficients a_m), which is what the closed-form solve for the a_m needs; `predict` combines them.

`exact=True` evaluates every pair function at every pair distance instead of interpolating a table: slower, used for
the errors reported on a final front and in tests.
"""

from dataclasses import dataclass

import numpy as np

from ..cutoff import smooth_cutoff
from ..expr.symbols import Rejected
from .grid import DEFAULT_POINTS, RadialGrid
from .kernels import forces_and_virials, neighbour_sums

EMPTY_TABLE = np.zeros((0, 2, 2))
EMPTY_PAIRS = np.zeros((0, 0, 2))


@dataclass(frozen=True, eq=False)
class Basis:
    """Predictions of each term of a formula with unit coefficient (no reference energy)."""

    energy: np.ndarray  # (M, n_structures), eV
    forces: np.ndarray  # (M, n_atoms, 3), eV/Å
    stress: np.ndarray  # (M, n_structures, 6), eV/Å³ (ASE sign and Voigt order)
    atom_terms: np.ndarray  # (M, n_atoms): T_m at each atom

    def select(self, terms):
        """The basis of a subset of the terms."""
        return Basis(self.energy[terms], self.forces[terms], self.stress[terms], self.atom_terms[terms])

    def combine(self, coefficients):
        c = np.asarray(coefficients, dtype=float)
        return (
            np.tensordot(c, self.energy, axes=1),
            np.tensordot(c, self.forces, axes=1),
            np.tensordot(c, self.stress, axes=1),
        )


@dataclass(frozen=True, eq=False)
class Prediction:
    energy: np.ndarray  # (n_structures,) total energy, eV
    forces: np.ndarray  # (n_atoms, 3)
    stress: np.ndarray  # (n_structures, 6)
    atom_energy: np.ndarray | None = None  # (n_atoms,) E_i without the reference energy


class Evaluator:
    def __init__(self, dataset, neighbours, *, r_in, r_out, grid_points=DEFAULT_POINTS, exact=False):
        if neighbours.cutoff < r_out:
            raise ValueError(f"neighbour list cutoff {neighbours.cutoff} is shorter than r_out {r_out}")
        self.dataset = dataset
        self.neighbours = neighbours
        self.r_in, self.r_out = float(r_in), float(r_out)
        self.exact = exact
        # Pairs beyond r_out contribute nothing; keep only those inside (a list built for a longer cutoff is fine).
        inside = neighbours.r < r_out
        self._i = np.ascontiguousarray(neighbours.i[inside])
        self._j = np.ascontiguousarray(neighbours.j[inside])
        self._r = np.ascontiguousarray(neighbours.r[inside])
        self._D = np.ascontiguousarray(neighbours.D[inside])
        self._structure = np.ascontiguousarray(neighbours.structure[inside])
        r_min = float(self._r.min()) if self._r.size else r_in
        self.grid = RadialGrid.covering(r_min, r_in, r_out, grid_points)
        if exact:
            self._cutoff, self._cutoff_slope = smooth_cutoff(self._r, r_in, r_out)
        volumes = dataset.volumes
        self._inv_volume = np.where(np.isfinite(volumes) & (volumes > 0), 1.0 / volumes, 0.0)

    @property
    def n_pairs(self):
        return self._r.size

    def _pair_functions(self, program, constants):
        """(table, pair_values) for the kernels: one of them is empty."""
        if self.exact:
            g, g_slope = program.densities(self._r, constants)
            values = np.empty((g.shape[0], self._r.size, 2))
            with np.errstate(all="ignore"):
                values[:, :, 0] = g * self._cutoff
                values[:, :, 1] = g_slope * self._cutoff + g * self._cutoff_slope
            if not np.isfinite(values).all():
                raise Rejected("non_finite", "a pair function is not finite at some pair distance")
            return EMPTY_TABLE, values
        g, g_slope = program.densities(self.grid.r, constants)
        table = self.grid.tabulate(g, g_slope)
        if not np.isfinite(table).all():
            raise Rejected("non_finite", "a pair function is not finite between the shortest pair and r_out")
        return table, EMPTY_PAIRS

    def neighbour_sums(self, program, constants):
        """rho (K, n_atoms) and the kernel inputs that produced it."""
        table, values = self._pair_functions(program, constants)
        rho = neighbour_sums(self._i, self._j, self._r, table, values, self.grid.r0, self.grid.inv_step,
                             self.dataset.n_atoms)
        return rho.T, table, values

    def basis(self, program, constants) -> Basis:
        constants = np.asarray(constants, dtype=float)
        rho, table, values = self.neighbour_sums(program, constants)
        terms, slopes = program.terms(rho, constants)
        if not (np.isfinite(terms).all() and np.isfinite(slopes).all()):
            raise Rejected("non_finite", "a term is not finite for some atom")
        energy = np.add.reduceat(terms, self.dataset.atom_start[:-1], axis=1) if terms.size else terms
        forces, virials = forces_and_virials(
            self._i, self._j, self._r, self._D, self._structure, table, values, self.grid.r0, self.grid.inv_step,
            np.ascontiguousarray(slopes.transpose(2, 0, 1)), self.dataset.n_structures,
        )
        forces = forces.transpose(1, 0, 2)
        stress = virials.transpose(1, 0, 2) * self._inv_volume[None, :, None]
        if not (np.isfinite(energy).all() and np.isfinite(forces).all() and np.isfinite(stress).all()):
            raise Rejected("non_finite", "energies, forces or stresses are not finite")
        return Basis(energy=energy, forces=forces, stress=stress, atom_terms=terms)

    def predict(self, program, constants, linear, reference_energy) -> Prediction:
        """Total energies, forces and stresses; `reference_energy` is per element of the data set."""
        basis = self.basis(program, constants)
        energy, forces, stress = basis.combine(linear)
        energy = energy + self.dataset.element_counts @ np.asarray(reference_energy, dtype=float)
        atom_energy = np.tensordot(np.asarray(linear, dtype=float), basis.atom_terms, axes=1)
        return Prediction(energy=energy, forces=forces, stress=stress, atom_energy=atom_energy)
