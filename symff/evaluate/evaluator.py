"""Evaluation of a candidate on a data set: per-structure energies, per-atom forces and stresses.

An `Evaluator` holds one data set with its half neighbour list and radial grid, the neighbour data and tabulation of
the radial environment sum (symff.evaluate.sums), and runs the kernels of the kind a program names
(`program.sum_kind`: the radial sum, or the species-filtered sum of an `AlloyProgram`, whose terms it evaluates by the
element of each atom). `basis(program, constants)` returns
the predictions of every term T_m of a formula separately (energies, forces and stresses are linear in the
coefficients a_m), which is what the closed-form solve for the a_m needs; `predict` combines them.

A formula with three-body sums (NS3) also runs the kernels of the angular kind; its triplets are built from the same
pairs the first time such a formula comes (from those inside the three-body sums' own cutoff where they have one,
`three_body_cutoff`, placed on a grid of their own). `exact=True` evaluates every pair function at every pair
distance (and every angular function at every triplet's cosine) instead of interpolating a table: slower, used for
the errors reported on a final front and in tests.
"""

import copy
import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..cutoff import cutoff_product, smooth_cutoff, three_body_radii
from ..errors import ModelError
from ..expr.program import dense_slopes
from ..expr.symbols import Rejected
from ..memory import FIXED_TERM_BYTES
from .grid import DEFAULT_POINTS
from .kernels import threads
from .species import EVERY, NONE, channel_indices
from .sums import ANGULAR, ENVIRONMENT_SUMS, RADIAL

EMPTY_TABLE = np.zeros((0, 0, 4))
EMPTY_PAIRS = np.zeros((0, 0, 2))
# the kept columns of fixed terms: fits may run in threads (a Dask worker's); one lock for all evaluators, so that an
# evaluator (a calculator's) can still be deep-copied
_FIXED_LOCK = threading.Lock()


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


@functools.lru_cache(maxsize=512)
def _without(program, dropped):
    """`program.without(dropped)`, once per program and set of terms (it rewrites sympy expressions; a fit asks for
    the same one at every pass)."""
    return program.without(dropped)


def _nbytes(basis):
    return basis.energy.nbytes + basis.forces.nbytes + basis.stress.nbytes + basis.atom_terms.nbytes


def _assembled(n_terms, found, rest, part):
    """The Basis of n_terms terms from the one-term bases `found` ({m: Basis}) and `part`, the basis of the terms
    `rest`."""
    first = next(iter(found.values()))
    energy = np.empty((n_terms, *first.energy.shape[1:]))
    forces = np.empty((n_terms, *first.forces.shape[1:]))
    stress = np.empty((n_terms, *first.stress.shape[1:]))
    atom_terms = np.empty((n_terms, *first.atom_terms.shape[1:]))
    for m, one in found.items():
        energy[m], forces[m], stress[m], atom_terms[m] = one.energy[0], one.forces[0], one.stress[0], one.atom_terms[0]
    if rest:
        energy[rest], forces[rest] = part.energy, part.forces
        stress[rest], atom_terms[rest] = part.stress, part.atom_terms
    return Basis(energy=energy, forces=forces, stress=stress, atom_terms=atom_terms)


class Evaluator:
    def __init__(self, dataset, neighbours, *, r_in, r_out, grid_points=DEFAULT_POINTS, exact=False,
                 three_body_cutoff=None):
        if neighbours.cutoff < r_out:
            raise ValueError(f"neighbour list cutoff {neighbours.cutoff} is shorter than r_out {r_out}")
        self.dataset = dataset
        self.neighbours = neighbours
        self.r_in, self.r_out = float(r_in), float(r_out)
        self.three_body_cutoff = None if three_body_cutoff is None else three_body_radii(r_in, r_out,
                                                                                         three_body_cutoff)
        self._grid_points = grid_points
        self.exact = exact
        inside = neighbours.r[neighbours.r < r_out]
        r_min = float(inside.min()) if inside.size else r_in
        self.grid = RADIAL.tabulation.covering(r_min, r_in, r_out, grid_points)
        volumes = dataset.volumes
        self._inv_volume = np.where(np.isfinite(volumes) & (volumes > 0), 1.0 / volumes, 0.0)
        self._use_pairs(RADIAL.neighbour_data.inside(neighbours, dataset.atom_start, r_out, self.grid))

    def _use_pairs(self, pairs):
        self.pairs = pairs
        # atoms without a neighbour inside r_out (a lone atom; one that left a surface in MD): their slopes multiply
        # no pair, so that an infinite slope at a zero sum (sqrt's at 0) is no force there
        self._lone = (np.diff(pairs.atom_pairs) + np.bincount(pairs.j, minlength=pairs.n_atoms)) == 0
        self._neighbour_elements = None  # (n_atoms, n_elements) neighbours inside r_out by element, when first needed
        self._triplets = None  # built from the pairs when a formula with three-body sums first comes
        if self.exact:
            self._cutoff, self._cutoff_slope = smooth_cutoff(pairs.r, self.r_in, self.r_out)
        self._ranges = {}  # thread count -> structure ranges
        self._fixed = OrderedDict()  # key of a fixed term -> its Basis (`basis(..., reuse=True)`)

    def with_pairs(self, pairs, grid):
        """This evaluator on other pairs of the same structures (atoms moved; cells unchanged), placed on `grid`
        (e.g. from a `skin.SkinList`): what MD needs, without a new neighbour search."""
        moved = copy.copy(self)
        moved.neighbours = None
        moved.grid = grid
        moved._use_pairs(pairs)
        return moved

    @property
    def n_pairs(self):
        return self.pairs.n_pairs

    def _structure_ranges(self):
        n = threads()
        if n not in self._ranges:
            self._ranges[n] = self.pairs.ranges(n)
        return self._ranges[n]

    def _pair_functions(self, program, constants):
        """(table, pair_values) for the kernels: one of them is empty. A pair function must also be finite at r_out
        itself, where the cutoff zeroes it: one that overflows there (c**r r**441 with c = 6e-38) has no margin,
        and other evaluations of it (the numpy reference, LAMMPS) overflow just inside r_out."""
        if self.exact:
            g, g_slope = program.densities(self.pairs.r, constants)
            values = np.empty((g.shape[0], self.pairs.n_pairs, 2))
            values[:, :, 0], values[:, :, 1] = cutoff_product(g, g_slope, self._cutoff, self._cutoff_slope)
            if not np.isfinite(values).all():
                raise Rejected("non_finite", "a pair function is not finite at some pair distance")
            if not all(np.isfinite(v).all() for v in program.densities(np.array([self.r_out]), constants)):
                raise Rejected("non_finite", "a pair function is not finite at r_out")
            return EMPTY_TABLE, values
        g, g_slope = program.densities(self.grid.r, constants)  # the grid's last node is r_out
        table = self.grid.tabulate(g, g_slope)
        if not (np.isfinite(table).all() and np.isfinite(g[:, -1]).all() and np.isfinite(g_slope[:, -1]).all()):
            raise Rejected("non_finite", "a pair function is not finite between the shortest pair and r_out")
        return table, EMPTY_PAIRS

    def _kind(self, program):
        """The environment-sum kind of `program` and the extra arguments its kernels read (none for the radial sum;
        the atoms' elements and the densities' channels for the species-filtered sum)."""
        kind = ENVIRONMENT_SUMS[program.sum_kind]
        if kind is RADIAL:
            return kind, ()
        return kind, (self.dataset.species, channel_indices(program.channels, self.dataset.elements))

    def _terms(self, program, rho, constants):
        """T_m (M, n_atoms) and the slopes ∂T_m/∂rho_k (D, n_atoms), a row per (m, k) of `program.dependencies`; a
        per-element program by the element of each atom."""
        if program.sum_kind == RADIAL.name:
            return program.terms(rho, constants)
        missing = [e for e in self.dataset.elements if e not in program.elements]
        if missing:
            raise ModelError(f"the model covers {', '.join(program.elements)}, not {', '.join(missing)}")
        element = np.array([program.elements.index(e) for e in self.dataset.elements], dtype=np.int64)
        return program.terms(rho, constants, element[self.dataset.species])

    def _empty_densities(self, program):
        """(K, n_atoms): where no pair adds to density k of an atom (no neighbour inside r_out, or none of the
        density's channel). Its term's slope there multiplies no pair, so that an infinite slope at an empty sum
        (sqrt's at 0) is no force: a lone atom, or an Nb atom's Mo density with no Mo atom near."""
        kind, extra = self._kind(program)
        if kind is RADIAL:
            return np.broadcast_to(self._lone, (program.n_densities, self._lone.size))
        if self._neighbour_elements is None:
            pairs, species = self.pairs, self.dataset.species.astype(np.int64)
            first = np.repeat(np.arange(pairs.n_atoms), np.diff(pairs.atom_pairs))
            n_elements = len(self.dataset.elements)
            counts = (np.bincount(first * n_elements + species[pairs.j], minlength=pairs.n_atoms * n_elements)
                      + np.bincount(pairs.j * n_elements + species[first], minlength=pairs.n_atoms * n_elements))
            self._neighbour_elements = counts.reshape(pairs.n_atoms, n_elements)
        _, channel = extra
        n_elements = self._neighbour_elements.shape[1]
        # a column per element, then every element's (EVERY) and none (NONE: an element the data lack)
        counted = np.column_stack([self._neighbour_elements, self._neighbour_elements.sum(axis=1),
                                   np.zeros(self.pairs.n_atoms, dtype=np.int64)])
        column = np.where(channel == EVERY, n_elements, np.where(channel == NONE, n_elements + 1, channel))
        return (counted[:, column] == 0).T

    def neighbour_sums(self, program, constants):
        """rho (K, n_atoms) and the slopes h_k' (n_pairs, K) of the pair functions at every pair."""
        if program.n_densities == 0:  # three-body sums only
            return np.zeros((0, self.pairs.n_atoms)), np.zeros((self.pairs.n_pairs, 0))
        table, values = self._pair_functions(program, constants)
        kind, extra = self._kind(program)
        return kind.sums(self.pairs, table, values, program.n_densities, self._structure_ranges(), *extra)

    def _three_body_pairs(self):
        """(pairs, grid, f_c, f_c') of the three-body sums: the radial sums' own, or, with a cutoff of their own, those
        inside it on a grid of their own (f_c and f_c' at the pairs for the exact path only)."""
        if self.three_body_cutoff is None:
            if self.exact:
                return self.pairs, self.grid, self._cutoff, self._cutoff_slope
            return self.pairs, self.grid, None, None
        r_in, r_out = self.three_body_cutoff
        inside = self.pairs.r[self.pairs.r < r_out]
        grid = RADIAL.tabulation.covering(float(inside.min()) if inside.size else r_in, r_in, r_out, self._grid_points)
        pairs = self.pairs.within(r_out, grid)
        cutoff = smooth_cutoff(pairs.r, r_in, r_out) if self.exact else (None, None)
        return (pairs, grid, *cutoff)

    def three_body_sums(self, program, constants):
        """s (L, n_atoms) of the formula's three-body sums and the slopes their force pass reads."""
        if self._triplets is None:
            pairs, self._bond_grid, self._bond_cutoff, self._bond_cutoff_slope = self._three_body_pairs()
            self._triplets = ANGULAR.neighbour_data.of(pairs)
            # atoms without triplets (one neighbour inside the three-body cutoff, or none): their three-body slopes
            # multiply no triplet, as a lone atom's radial ones multiply no pair
            self._without_triplets = np.diff(self._triplets.bonds.triplet_start) == 0
            self._angle_grid = ANGULAR.tabulation.uniform()
        n_l, triplets = program.n_angular, self._triplets
        if self.exact:
            f, f_slope = program.bond_functions(triplets.pairs.r, constants)
            pair_values = np.empty((n_l, triplets.pairs.n_pairs, 2))
            pair_values[..., 0], pair_values[..., 1] = cutoff_product(f, f_slope, self._bond_cutoff,
                                                                      self._bond_cutoff_slope)
            h, h_slope = program.angle_functions(triplets.cosines, constants)
            parts = (EMPTY_TABLE, pair_values, np.zeros((0, 0, 4)), np.stack([h, h_slope], axis=-1))
            r_out = (self.three_body_cutoff or (self.r_in, self.r_out))[1]
            at_cutoff = program.bond_functions(np.array([r_out]), constants)
        else:
            f, f_slope = program.bond_functions(self._bond_grid.r, constants)  # the grid's last node is its r_out
            table = self._bond_grid.tabulate(f, f_slope)
            h, h_slope = program.angle_functions(self._angle_grid.c, constants)
            angle_tables = np.stack([self._angle_grid.tabulate(h[l], h_slope[l]) for l in range(n_l)])
            parts = (table, EMPTY_PAIRS, angle_tables, np.zeros((0, 0, 2)))
            at_cutoff = (f[:, -1], f_slope[:, -1])
        # a bond function must be finite at its cutoff itself, where f_c zeroes it, as a pair function must
        # (`_pair_functions`): a pole there makes an energy that jumps as a bond leaves
        if not all(np.isfinite(part).all() for part in (*parts, *at_cutoff)):
            raise Rejected("non_finite", "a function of a three-body sum is not finite on its grid, data or cutoff")
        # a sum's pass is kept by its functions and their constants' values (a fit moves one sum's constants at a time)
        keys = [(bond, angle, self.exact, tuple(constants[used].tolist()))
                for bond, angle, used in program.angular_signatures]
        return ANGULAR.sums(triplets, *parts, n_l, self._structure_ranges(), keys)

    def basis(self, program, constants, *, reuse=False) -> Basis:
        """Predictions of each term T_m separately (what the closed-form solve for the a_m needs). With `reuse`, the
        columns of terms that no constant changes (`program.fixed_terms`) are computed once and kept (the last used,
        in symff.memory.FIXED_TERM_BYTES per pair): a fit evaluates its form tens of times at other constants, and
        many forms share such terms (NS(r), NS(1)). The columns are the same to the bit as those computed afresh."""
        fixed = getattr(program, "fixed_terms", None) if reuse else None
        if not fixed:
            return self._basis(program, constants)
        with _FIXED_LOCK:
            found = {m: self._fixed[key] for m, key in fixed.items() if key in self._fixed}
            for m in found:
                self._fixed.move_to_end(fixed[m])
        if not found:
            basis = self._basis(program, constants)
        else:
            rest = [m for m in range(program.n_terms) if m not in found]
            part = self._basis(_without(program, frozenset(found)), constants) if rest else None
            basis = _assembled(program.n_terms, found, rest, part)
        with _FIXED_LOCK:
            for m, key in fixed.items():
                if m not in found and key not in self._fixed:
                    self._fixed[key] = basis.select([m])
            budget = FIXED_TERM_BYTES * self.pairs.n_pairs
            while self._fixed and sum(_nbytes(one) for one in self._fixed.values()) > budget:
                self._fixed.popitem(last=False)
        return basis

    def _basis(self, program, constants, linear=None) -> Basis:
        """The basis of the terms, or with `linear` the basis of the one term Σ_m a_m T_m (one pass over the pairs
        for the forces instead of M)."""
        constants = np.asarray(constants, dtype=float)
        rho, pair_slopes = self.neighbour_sums(program, constants)
        n_k = program.n_densities
        if program.n_angular:
            three_body, three_body_slopes = self.three_body_sums(program, constants)
            rho = np.concatenate([rho, three_body])
        terms, slopes = self._terms(program, rho, constants)  # slopes: a row per (m, k) of program.dependencies
        dependencies = program.dependencies
        radial = np.array([k < n_k for _, k in dependencies], dtype=bool)
        unused = np.empty(slopes.shape, dtype=bool)  # where a slope multiplies no pair (`_empty_densities`)
        unused[radial] = self._empty_densities(program)[[k for _, k in dependencies if k < n_k]]
        if program.n_angular:  # likewise a three-body sum of an atom without triplets
            unused[~radial] = self._without_triplets
        slopes[unused] = 0.0
        if not (np.isfinite(terms).all() and np.isfinite(slopes).all()):
            raise Rejected("non_finite", "a term is not finite for some atom")
        if linear is not None:
            linear = np.asarray(linear, dtype=float)
            terms = (linear @ terms)[None]
            combined = np.tensordot(linear, dense_slopes(program, slopes), axes=1)
            dependencies = sorted({(0, k) for _, k in dependencies})
            slopes = combined[[k for _, k in dependencies]]
            radial = np.array([k < n_k for _, k in dependencies], dtype=bool)
        energy = np.add.reduceat(terms, self.dataset.atom_start[:-1], axis=1) if terms.size else terms
        kind, extra = self._kind(program)
        n_terms = terms.shape[0]
        forces, virials = kind.forces_and_virials(self.pairs, pair_slopes, [d for d in dependencies if d[1] < n_k],
                                                  slopes[radial], n_terms, self._structure_ranges(), *extra)
        if program.n_angular:
            angular = [(m, k - n_k) for m, k in dependencies if k >= n_k]
            more_forces, more_virials = ANGULAR.forces_and_virials(self._triplets, three_body_slopes, angular,
                                                                   slopes[~radial], n_terms, self._structure_ranges())
            forces, virials = forces + more_forces, virials + more_virials
        stress = virials * self._inv_volume[None, :, None]
        if not (np.isfinite(energy).all() and np.isfinite(forces).all() and np.isfinite(stress).all()):
            raise Rejected("non_finite", "energies, forces or stresses are not finite")
        return Basis(energy=energy, forces=forces, stress=stress, atom_terms=terms)

    def predict(self, program, constants, linear, reference_energy) -> Prediction:
        """Total energies, forces and stresses; `reference_energy` is per element of the data set."""
        combined = self._basis(program, constants, linear)
        energy = combined.energy[0] + self.dataset.element_counts @ np.asarray(reference_energy, dtype=float)
        return Prediction(energy=energy, forces=combined.forces[0], stress=combined.stress[0],
                          atom_energy=combined.atom_terms[0])
