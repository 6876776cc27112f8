"""The angular (three-body) environment sum of LAMMPS `meam/spline`, evaluated on a data set.

Vocabulary. An *angular form* is five functions: the pair function φ(r), the radial density ρ(r), the bond function
f(r), the angular function g(c) of c = cos θ_jik, and the embedding U(n). Per atom i

    n_i = Σ_j ρ(r_ij) f_c(r_ij) + Σ_{j<k} f(r_ij) f_c(r_ij) f(r_ik) f_c(r_ik) g(cos θ_jik)
    E_i = Σ_j φ(r_ij) f_c(r_ij) / 2 + U(n_i)

where the sums run over the full neighbourhood of i inside r_out and f_c is symff's smooth cutoff: like the radial
neighbour sums, φ, ρ and f carry it, so that the form is smooth at r_out and exportable to `meam/spline` (f may have
a shorter cutoff of its own, `bond_cutoff`, the three-body sums' of a model).
U(n) = n gives Stillinger–Weber-like additive three-body terms; a nonlinear U gives the MEAM-spline form.

*Bonds* are the directions of the half list's pairs seen from their centre atom (`angular_kernels.py`): built once per
data set from the same `GridPairs` as the radial sums, so there is no second neighbour search; the *triplets* (j < k)
are the pairs of bonds of one centre, enumerated by the kernel. φ, ρ and f are tabulated on the radial grid and g on a
uniform c grid over [−1, 1], both as cubic Hermite splines (`grid.py`); U is evaluated exactly per atom between the
two passes. `exact=True` evaluates every function exactly at every pair and triplet instead (slow; for tests).

The grammar primitive, canonical form and model-file spelling of this sum follow the environment-sum registry of
issue 14; this module is the evaluation it will register.
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..cutoff import smooth_cutoff, three_body_radii
from ..expr.program import _REAL_R, Program, radial_functions
from ..expr.symbols import C, R, Rejected
from . import angular_kernels
from .grid import DEFAULT_POINTS, RadialGrid
from .kernels import _run, structure_ranges, threads
from .pairs import GridPairs

N = sp.Symbol("n", real=True)  # the density n_i of an atom
DEFAULT_ANGLE_POINTS = 2048
# Three-body passes kept per data set, by the functions they ran (`three_body_sums`' keys): a fit's difference
# Jacobian, the probes of a form's neighbours and its snaps move one sum's constants, or only the pair terms', and the
# other sums' passes repeat.
REMEMBERED_PASSES = 8
_PASS_LOCK = threading.Lock()


@dataclass(frozen=True)
class AngularForm:
    """φ, ρ, f as sympy expressions of `R`, g of `C`, U of `N` (strings are parsed, with r, c and n as symbols)."""

    phi: sp.Expr
    rho: sp.Expr
    f: sp.Expr
    g: sp.Expr
    embedding: sp.Expr

    def __post_init__(self):
        names = {"r": R, "c": C, "n": N}
        for field, allowed in (("phi", R), ("rho", R), ("f", R), ("g", C), ("embedding", N)):
            value = getattr(self, field)
            expr = sp.sympify(value, locals=names) if isinstance(value, str) else sp.sympify(value)
            stray = expr.free_symbols - {allowed}
            if stray:
                raise ValueError(f"angular form: {field} may depend on {allowed} only, "
                                 f"not on {sorted(map(str, stray))}")
            object.__setattr__(self, field, expr)


class AngularProgram:
    """Numeric programs of an `AngularForm`: (φ, ρ, f) and their slopes on r, (g, g') on c, (U, U') on n."""

    def __init__(self, form: AngularForm):
        self.form = form
        self._radial = Program(radial_functions([form.phi, form.rho, form.f]), [_REAL_R], [])
        self._angular = Program([form.g, sp.diff(form.g, C)], [C], [])
        self._embedding = Program([form.embedding, sp.diff(form.embedding, N)], [N], [])

    def radial(self, r):
        """(values, slopes) of φ, ρ, f, each (3, len(r))."""
        out = np.array(self._radial([np.asarray(r, dtype=float)], []))
        return out[:3], out[3:]

    def angular(self, c):
        """(g, g') at cosines c."""
        g, slope = self._angular([np.asarray(c, dtype=float)], [])
        return np.array(g), np.array(slope)

    def embedding(self, n):
        """(U, U') at densities n."""
        u, slope = self._embedding([np.asarray(n, dtype=float)], [])
        return np.array(u), np.array(slope)


@dataclass(frozen=True, eq=False)
class AngularGrid:
    """A uniform grid on c ∈ [−1, 1] for g; the kernel finds a cosine's interval by one multiplication."""

    c: np.ndarray

    @classmethod
    def uniform(cls, points=DEFAULT_ANGLE_POINTS):
        if points < 2:
            raise ValueError(f"the angular grid needs at least 2 points, got {points}")
        return cls(c=np.linspace(-1.0, 1.0, points))

    @property
    def inv_step(self):
        return (self.c.size - 1) / 2.0

    @staticmethod
    def inv_step_of(table):
        """1 / step of the c grid of a table (n_nodes − 1, 4) on [−1, 1] (any value for an empty table)."""
        return max(table.shape[0], 1) / 2.0

    def tabulate(self, g, g_slope):
        """Cubic Hermite coefficients (n_nodes − 1, 4) of g on each interval, in t = (c − c_n) / step."""
        step = 1.0 / self.inv_step
        y0, y1 = g[:-1], g[1:]
        d0, d1 = g_slope[:-1] * step, g_slope[1:] * step
        return np.ascontiguousarray(np.stack([y0, d0, 3.0 * (y1 - y0) - 2.0 * d0 - d1, 2.0 * (y0 - y1) + d0 + d1], 1))


@dataclass(frozen=True, eq=False)
class Bonds:
    """The bonds of every atom (its full neighbourhood), centre-major, from a half list's `GridPairs`."""

    atom_bonds: np.ndarray  # (n_atoms + 1,) int64: bonds of centre a
    pair: np.ndarray  # (n_bonds,) int64: the pair of the bond
    atom: np.ndarray  # (n_bonds,) int64: the other atom
    sign: np.ndarray  # (n_bonds,) float: +1 if the bond is the pair's D, −1 if it is −D
    u: np.ndarray  # (n_bonds, 3) unit vector from the centre to the other atom
    triplet_start: np.ndarray  # (n_atoms + 1,) int64: triplets of centre a in the kernel's enumeration order

    @classmethod
    def of(cls, pairs: GridPairs):
        n_atoms, n_pairs = pairs.n_atoms, pairs.n_pairs
        first = np.repeat(np.arange(n_atoms, dtype=np.int64), np.diff(pairs.atom_pairs))
        second = pairs.j.astype(np.int64)
        centre = np.concatenate([first, second])
        order = np.argsort(centre, kind="stable")
        pair = np.concatenate([np.arange(n_pairs), np.arange(n_pairs)])[order]
        sign = np.concatenate([np.ones(n_pairs), -np.ones(n_pairs)])[order]
        atom = np.concatenate([second, first])[order]
        u = pairs.D[pair] * (sign * pairs.inv_r[pair])[:, None]
        atom_bonds = np.searchsorted(centre[order], np.arange(n_atoms + 1)).astype(np.int64)
        n_bonds = np.diff(atom_bonds)
        triplet_start = np.zeros(n_atoms + 1, dtype=np.int64)
        np.cumsum(n_bonds * (n_bonds - 1) // 2, out=triplet_start[1:])
        return cls(atom_bonds=atom_bonds, pair=np.ascontiguousarray(pair), atom=np.ascontiguousarray(atom),
                   sign=np.ascontiguousarray(sign), u=np.ascontiguousarray(u), triplet_start=triplet_start)

    @property
    def n_bonds(self):
        return self.pair.size

    @property
    def n_triplets(self):
        return int(self.triplet_start[-1])

    @property
    def nbytes(self):
        return sum(a.nbytes for a in (self.atom_bonds, self.pair, self.atom, self.sign, self.u, self.triplet_start))


class AngularEvaluator:
    """Energies, forces and stresses of angular forms on one data set (pairs, bonds and grids prepared once)."""

    def __init__(self, dataset, neighbours, *, r_in, r_out, grid_points=DEFAULT_POINTS,
                 angle_points=DEFAULT_ANGLE_POINTS, exact=False, r_min=None, bond_cutoff=None):
        if neighbours.cutoff < r_out:
            raise ValueError(f"neighbour list cutoff {neighbours.cutoff} is shorter than r_out {r_out}")
        self.dataset = dataset
        self.r_in, self.r_out = float(r_in), float(r_out)
        self.bond_cutoff = three_body_radii(r_in, r_out, bond_cutoff)
        self.exact = exact
        if r_min is None:
            inside = neighbours.r[neighbours.r < r_out]
            r_min = float(inside.min()) if inside.size else r_in
        self.grid = RadialGrid.covering(r_min, r_in, r_out, grid_points)
        self.angle_grid = AngularGrid.uniform(angle_points)
        self.pairs = GridPairs.inside(neighbours, dataset.atom_start, r_out, self.grid)
        self.bonds = Bonds.of(self.pairs)
        volumes = dataset.volumes
        self._inv_volume = np.where(np.isfinite(volumes) & (volumes > 0), 1.0 / volumes, 0.0)
        if exact:
            self._cosines = np.empty(self.bonds.n_triplets)
            angular_kernels._triplet_cosines(self.bonds.atom_bonds, self.bonds.u, self.bonds.triplet_start,
                                             self._cosines)
        self._ranges = {}

    def _structure_ranges(self):
        n = threads()
        if n not in self._ranges:
            # whole structures with about equal numbers of triplets (+ pairs, which matter for pair-only structures)
            work = self.bonds.triplet_start[self.dataset.atom_start] + self.pairs.atom_pairs[self.dataset.atom_start]
            self._ranges[n] = structure_ranges(work, n)
        return self._ranges[n]

    def _cutoffs(self, r):
        """(f_c, f_c') (3, len(r)) of φ, ρ and f at `r`: f's own cutoff, the others' (r_in, r_out)."""
        radial, bond = smooth_cutoff(r, self.r_in, self.r_out), smooth_cutoff(r, *self.bond_cutoff)
        return tuple(np.stack([radial[k], radial[k], bond[k]]) for k in range(2))

    def _functions(self, program: AngularProgram):
        """(radial table, pair values, g table, triplet values): the table or the exact values of each kind."""
        empty_table, empty_values = np.zeros((0, 3, 4)), np.zeros((3, 0, 2))
        if self.exact:
            value, slope = program.radial(self.pairs.r)
            cutoff, cutoff_slope = self._cutoffs(self.pairs.r)
            pair_values = np.empty((3, self.pairs.n_pairs, 2))
            with np.errstate(all="ignore"):
                pair_values[:, :, 0] = value * cutoff
                pair_values[:, :, 1] = slope * cutoff + value * cutoff_slope
            g, g_slope = program.angular(self._cosines)
            triplet_values = np.ascontiguousarray(np.stack([g, g_slope], 1))
            parts = (empty_table, pair_values, np.zeros((0, 4)), triplet_values)
        else:
            value, slope = program.radial(self.grid.r)
            table = self.grid.tabulate(value, slope, self._cutoffs(self.grid.r))
            g_table = self.angle_grid.tabulate(*program.angular(self.angle_grid.c))
            parts = (table, empty_values, g_table, np.zeros((0, 2)))
        if not all(np.isfinite(a).all() for a in parts):
            raise Rejected("non_finite", "a function of the angular form is not finite on its grid or data")
        return parts

    def _first_pass(self, program):
        """(pair energy per structure, n_i per atom, per-pair slopes, per-bond gradients of n_i)."""
        pairs, bonds, data = self.pairs, self.bonds, self.dataset
        table, pair_values, g_table, triplet_values = self._functions(program)
        pair_energy = np.zeros(data.n_structures)
        density = np.zeros(data.n_atoms)
        pair_slopes = np.empty((pairs.n_pairs, 4))
        bond_grad = np.empty((bonds.n_bonds, 3))
        _run(lambda a, b: angular_kernels._angular_densities(
            pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.node, pairs.t, pairs.inv_step, table, pair_values,
            bonds.atom_bonds, bonds.pair, bonds.u, pairs.inv_r, g_table, self.angle_grid.inv_step, triplet_values,
            bonds.triplet_start, a, b, pair_energy, density, pair_slopes, bond_grad), self._structure_ranges())
        return pair_energy, density, pair_slopes, bond_grad

    def densities(self, program) -> np.ndarray:
        """n_i of every atom (the range that U's spline in a `meam/spline` export must cover)."""
        return self._first_pass(_program(program))[1]

    def predict(self, program):
        """Energies (no reference energy), forces and stresses of an `AngularForm` or `AngularProgram` (a
        `Prediction`)."""
        from .evaluator import Prediction  # the evaluator registers this module's sum kind: imported when used
        program = _program(program)
        pairs, bonds, data = self.pairs, self.bonds, self.dataset
        pair_energy, density, pair_slopes, bond_grad = self._first_pass(program)
        embedding, embedding_slope = program.embedding(density)
        if not (np.isfinite(embedding).all() and np.isfinite(embedding_slope).all()):
            raise Rejected("non_finite", "the embedding U(n) is not finite for some atom")
        embedding_slope = np.ascontiguousarray(embedding_slope, dtype=float)
        forces = np.zeros((data.n_atoms, 3))
        virials = np.zeros((data.n_structures, 6))
        _run(lambda a, b: angular_kernels._angular_forces(
            pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.D, pairs.inv_r, pair_slopes, bonds.atom_bonds,
            bonds.pair, bonds.atom, bonds.sign, bond_grad, embedding_slope, a, b, forces, virials),
            self._structure_ranges())
        energy = pair_energy + np.bincount(data.structure_of_atom, embedding, data.n_structures)
        return Prediction(energy=energy, forces=forces, stress=virials * self._inv_volume[:, None])


def _program(form_or_program):
    return AngularProgram(form_or_program) if isinstance(form_or_program, AngularForm) else form_or_program


# --- the three-body sum as a registered environment-sum kind (symff.evaluate.sums) --------------------------------
@dataclass(frozen=True, eq=False)
class Triplets:
    """The neighbour data of the three-body sum NS3: the half list's `GridPairs` and their `Bonds` (the kernels
    enumerate the triplets), with the cosine of every triplet for the exact path, computed when first asked for."""

    pairs: GridPairs
    bonds: Bonds

    @classmethod
    def inside(cls, neighbours, atom_start, r_out, tabulation):
        return cls.of(GridPairs.inside(neighbours, atom_start, r_out, tabulation))

    @classmethod
    def of(cls, pairs: GridPairs):
        return cls(pairs, Bonds.of(pairs))

    @property
    def recent_passes(self):
        """key of a pass's functions -> (density, pair slopes, bond gradients), the last REMEMBERED_PASSES."""
        return self.__dict__.setdefault("_recent_passes", OrderedDict())

    @property
    def cosines(self):
        if "_cosines" not in self.__dict__:
            cosines = np.empty(self.bonds.n_triplets)
            angular_kernels._triplet_cosines(self.bonds.atom_bonds, self.bonds.u, self.bonds.triplet_start, cosines)
            self.__dict__["_cosines"] = cosines
        return self.__dict__["_cosines"]


def three_body_sums(triplets: Triplets, table, pair_values, angle_tables, triplet_values, n_l, ranges, keys=None):
    """(s, slopes): the three-body sums s (L, n_atoms), s[l, i] = Σ_{j<k} F_l(r_ij) F_l(r_ik) h_l(cos θ_jik) with
    F_l = f_l f_c, and per sum l the (pair slopes, bond gradients ∂s_l/∂D) that the force pass reads.

    F_l comes as a radial table (n_nodes − 1, L, 4) or exact pair values (L, n_pairs, 2), h_l as a c table
    (L, n_nodes − 1, 4) or exact triplet values (L, n_triplets, 2); the empty one of each is not used. Each sum is
    one pass of the meam/spline kernel with φ = ρ = 0 and U(n) = n. `keys` (one per sum, hashable, or None) name the
    functions a sum's values come from, exactly (their formulas and the values of their constants): a sum whose key
    was among the last REMEMBERED_PASSES is not passed over again."""
    pairs = triplets.pairs
    s = np.zeros((n_l, pairs.n_atoms))
    slopes = []
    for l in range(n_l):
        one_table = np.zeros((table.shape[0], 3, 4))
        one_values = np.zeros((3, pair_values.shape[1], 2))
        if table.shape[0]:
            one_table[:, angular_kernels.F] = table[:, l]
        else:
            one_values[angular_kernels.F] = pair_values[l]
        g_table = angle_tables[l] if angle_tables.shape[0] else np.zeros((0, 4))
        g_values = np.ascontiguousarray(triplet_values[l]) if triplet_values.shape[0] else np.zeros((0, 2))
        key = None if keys is None else keys[l]
        slopes.append(_three_body_pass(triplets, one_table, one_values, g_table, g_values, s[l], ranges, key))
    return s, slopes


def _three_body_pass(triplets, table, pair_values, g_table, g_values, density, ranges, key=None):
    """One sum's first kernel pass into `density`: its (pair slopes, bond gradients); a pass of the same `key` as one
    of the last REMEMBERED_PASSES is not run again. The slopes returned may be shared: read them only."""
    memory, held = triplets.recent_passes, None
    if key is not None:
        with _PASS_LOCK:  # a worker may evaluate in several threads
            held = memory.get(key)
            if held is not None:
                memory.move_to_end(key)
    if held is None:
        pairs, bonds = triplets.pairs, triplets.bonds
        pair_slopes = np.empty((pairs.n_pairs, 4))
        bond_grad = np.empty((bonds.n_bonds, 3))
        unused = np.zeros(pairs.atom_start.size - 1)
        sums = np.zeros_like(density)
        _run(lambda a, b: angular_kernels._angular_densities(
            pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.node, pairs.t, pairs.inv_step, table, pair_values,
            bonds.atom_bonds, bonds.pair, bonds.u, pairs.inv_r, g_table, AngularGrid.inv_step_of(g_table), g_values,
            bonds.triplet_start, a, b, unused, sums, pair_slopes, bond_grad), ranges)
        held = (sums, pair_slopes, bond_grad)
        if key is not None:
            with _PASS_LOCK:
                memory[key] = held
                while len(memory) > REMEMBERED_PASSES:
                    memory.popitem(last=False)
    sums, pair_slopes, bond_grad = held
    density[:] = sums
    return pair_slopes, bond_grad


def three_body_forces_and_virials(triplets: Triplets, slopes, dependencies, dE_dsum, n_terms, ranges):
    """Forces (M, n_atoms, 3) and strain derivatives (M, n_structures, 6) of M = `n_terms` energies E^m =
    Σ_i T_m(s_i), given the slopes of `three_body_sums` and dE_dsum (D, n_atoms): row d is ∂T_m/∂s_l at each atom for
    (m, l) = dependencies[d]; every other ∂T_m/∂s_l is zero."""
    pairs = triplets.pairs
    forces = np.zeros((n_terms, pairs.n_atoms, 3))
    virials = np.zeros((n_terms, pairs.atom_start.size - 1, 6))
    for (m, l), weight in zip(dependencies, dE_dsum):
        one_forces, one_virials = _three_body_forces(triplets, *slopes[l], weight, ranges)
        forces[m] += one_forces
        virials[m] += one_virials
    return forces, virials


def _three_body_forces(triplets, pair_slopes, bond_grad, weight, ranges):
    """Forces and virials of Σ_i w_i s_i for one sum s with weights w (n_atoms,)."""
    pairs, bonds = triplets.pairs, triplets.bonds
    weight = np.ascontiguousarray(weight, dtype=float)
    forces = np.zeros((pairs.n_atoms, 3))
    virials = np.zeros((pairs.atom_start.size - 1, 6))
    _run(lambda a, b: angular_kernels._angular_forces(
        pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.D, pairs.inv_r, pair_slopes, bonds.atom_bonds,
        bonds.pair, bonds.atom, bonds.sign, bond_grad, weight, a, b, forces, virials), ranges)
    return forces, virials
