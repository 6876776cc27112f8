"""Physical sanity of a model outside its data: a repulsive wall, and finite, smooth energies where no data reach.

Flexible formulas misbehave away from their training data (POET's GP1 has no repulsive wall as r → 0, and its
1/NS(0.33^r) is infinite for a lone atom). `sanity_report(model)` runs these checks for every element of the model:

- `dimer_wall`: the energy of a dimer rises monotonically as r falls from the minimum of the curve to R_WALL = 1 Å
  (for a model of several elements every dimer: of each element, and of each pair of elements A–B);
- `fcc_wall`: the energy per atom of fcc rises monotonically as it is compressed from its equilibrium volume (the
  minimum of a scan of nearest-neighbour distances from FCC_SCAN Å up to r_out) to 60 % of that volume (for a model
  of several elements also the compounds of each pair A, B: B2 AB, L1₂ A₃B and AB₃);
- `isolated_atom`: a lone atom has a finite energy;
- `clusters`: a dimer, an equilateral and a linear trimer, a tetrahedron, an octahedron and a 13-atom icosahedron,
  scaled from R_WALL to r_out, have finite energies whose derivative along the scaling agrees with the analytic one
  (a jump or a kink shows up as a disagreement), and a bounded slope where the farthest pair leaves the cutoff (for
  a model of several elements: each element's clusters, and each with one atom of B among atoms of A, every A ≠ B).

A model is *sane* when it passes all of them. The other checks build structures of one element (a model of several:
each element alone). The checks evaluate the model's program
directly on pair distances (no neighbour list or data set), so a report costs milliseconds: cheap enough to flag
every front member, and to serve as a tier of the search (symff.search.batch): `first_failure` runs the checks
cheapest first and stops at the first that fails (a median of 3 ms per check in a search on mlearn Cu, 0.9 % of its
fits' CPU time: benchmarks/sanity_tier.py; a mixed dimer adds about 4 ms per pair of elements, the mixed clusters
of NbMo-1.json about 105 ms and its compounds about 45 ms, run only once every check of each element alone has
passed). A cluster's energy comes from one atom of each class of equivalent atoms (`atom_classes`).

    report = sanity_report(model)  # {"sane": bool, "flags": [failed checks], "checks": {name: {"passed", "detail"}}}
    first_failure(model)           # the name of the first failed check, or None
"""

import functools
import itertools

import numpy as np

from .evaluate.reference import (
    atom_energies,
    atom_energies_with_angles,
    cluster_energies,
    compound_energies,
    distinct_cosines,
    lattice_energies,
    shell_angle_sums,
)
from .expr.symbols import Rejected
from .model import AlloyModel

R_WALL = 1.0  # Å: the wall must hold down to this distance
FCC_SCAN = 1.5  # Å: the shortest nearest-neighbour distance of fcc searched for its equilibrium
COMPRESSION = 0.6  # the fcc wall must hold down to this fraction of the equilibrium volume
STEP = 0.01  # Å: spacing of the distance scans
RELATIVE_SLOPE_TOLERANCE = 0.05  # finite-difference vs analytic slope along a cluster scan
# where a cluster's farthest pair leaves the cutoff (`clusters`): relative widths of the two secants, and how much
# steeper (times, plus eV/Å) the narrow one may be than the wide one (float64 rounding of the energies is ~1e-7 eV/Å
# over the narrow width)
CROSSING_WIDE, CROSSING_NARROW = 1e-4, 1e-8
CROSSING_SLOPE_GROWTH, CROSSING_SLOPE_FLOOR = 2.0, 1e-3
CHECKS = ("dimer_wall", "fcc_wall", "isolated_atom", "clusters")
MIXED = ("dimer_wall", "clusters", "fcc_wall")  # the checks a model of several elements also runs on mixed structures


def sanity_report(model) -> dict:
    """Run every check on `model` (a Model, or an AlloyModel: each element alone): {"sane", "flags", "checks"};
    JSON-serializable."""
    energies = _cluster_energies(model)
    checks = {}
    for name in CHECKS:
        results = [(element, _run(name, energy)) for element, energy in _subjects(model, name, energies)]
        details = [detail if element is None else f"{element}: {detail}" for element, (_, detail) in results]
        checks[name] = {"passed": all(passed for _, (passed, _) in results), "detail": "; ".join(details)}
    flags = [name for name in CHECKS if not checks[name]["passed"]]
    return {"sane": not flags, "flags": flags, "checks": checks}


def first_failure(model):
    """The name of the first check `model` fails, cheapest first (None: sane); the search's sanity tier."""
    energies = _cluster_energies(model)
    # the elements alone first, every check, then the mixed structures, which cost the most (a model of several
    # elements): a form rejected by a check of one element never pays for them
    for mixed in (False, True):
        for name in CHEAPEST_FIRST:
            subjects = _subjects(model, name, energies)[len(energies):] if mixed else energies
            if not all(_run(name, energy)[0] for _, energy in subjects):
                return name
    return None


def _cluster_energies(model):
    """[(element or None, ClusterEnergy)]: the model's, or for a model of several elements each element's alone
    (AlloyModel.element_model): the checks build structures of one element (`_subjects` adds the mixed dimers and
    clusters). An element whose energy alone does not depend on the positions gets the energy of a constant,
    which fails the wall checks, as it should: nothing keeps two such atoms apart."""
    if not isinstance(model, AlloyModel):
        return [(None, ClusterEnergy(model))]
    out = []
    for element in model.elements:
        try:
            out.append((element, ClusterEnergy(model.element_model(element))))
        except Rejected as exc:
            out.append((element, _PositionFree(f"alone, its energy does not depend on the positions ({exc})")))
    return out


def _subjects(model, name, energies):
    """[(label, energy)] that the check `name` runs on: `energies` (each element alone), and for a model of several
    elements the mixed structures as well: for the dimer wall each dimer A–B, for the clusters each cluster with one
    atom of B among atoms of A (and one of A among B), for the lattice wall the compounds of each pair (COMPOUNDS)."""
    if name not in MIXED or not isinstance(model, AlloyModel):
        return energies
    if name == "dimer_wall":
        return energies + [(f"{a}–{b}", _MixedCluster(model, a, b))
                           for a, b in itertools.combinations(model.elements, 2)]
    if name == "fcc_wall":
        return energies + [(f"{structure} {''.join(e + (n if n != '1' else '') for e, n in zip(pair, counts))}",
                            _Compound(model, structure, pair))
                           for structure, (counts, ordered) in COMPOUNDS.items()
                           for pair in (itertools.permutations if ordered else itertools.combinations)(model.elements, 2)]
    return energies + [(f"one {b} among {a}", _MixedCluster(model, a, b))
                       for a, b in itertools.permutations(model.elements, 2)]


class _MixedCluster:
    """The clusters of an AlloyModel with one atom of element `minor` (the first of each shape: the icosahedron's
    centre) and the others of `major`, as the dimer wall and the clusters check need them: energies and their rates
    along the scaling straight from the numpy reference (symff.evaluate.reference.cluster_energies)."""

    def __init__(self, model, major, minor):
        self.model, self.major, self.minor = model, major, minor

    def cluster(self, unit_positions, scales):
        """Total energy and dE/ds of the cluster scaled to nearest-neighbour distance s, for each s in `scales`."""
        unit = np.asarray(unit_positions, dtype=float)
        d = np.linalg.norm(unit[:, None] - unit[None], axis=-1)
        scales = np.asarray(scales, dtype=float)
        positions = scales[:, None, None] * (unit / d[d > 0].min())[None]
        symbols = (self.minor,) + (self.major,) * (len(unit) - 1)
        atoms, sizes = atom_classes(unit, symbols)
        weights = np.zeros(len(unit))
        weights[atoms] = sizes
        energies, virial = cluster_energies(self.model, symbols, positions, with_virial=True, atom_weights=weights)
        return energies, virial / scales


class _Compound:
    """A compound of COMPOUNDS with the elements `pair` (A, B) on its two sublattices, as the lattice wall needs it:
    the energy per atom at a nearest-neighbour distance (symff.evaluate.reference.compound_energies, by shells)."""

    def __init__(self, model, structure, pair):
        self.model, self.lattice_name, self._pair = model, structure, pair
        self._sites, self._reach = None, 0.0

    def lattice(self, nearest):
        nearest = np.asarray(nearest, dtype=float)
        reach = _reach(self.model, nearest)
        if reach > self._reach:
            self._sites = [(weight, self._pair[sublattice], distances, [self._pair[s] for s in sublattices], counts,
                            _angle_sums(self.model, cosines, shell_of))
                           for weight, sublattice, distances, sublattices, counts, shell_of, cosines
                           in _lattice_geometry(self.lattice_name, reach)]
            self._reach = reach
        return compound_energies(self.model, nearest, self._sites)


def atom_classes(unit_positions, symbols=None):
    """(one atom of each class, the class's size as a float) of a cluster's atoms (`symbols`: their elements; None:
    one element). Atoms whose neighbours stand at the same distances, are of the same elements and make the same
    angles with each other are in one class: a model's energy of an atom is a function of those alone (its radial
    sums of the distances, filtered by element, its three-body sums of pairs of neighbours), so every atom of a class
    has the same energy and the same rate along a scaling, and a symmetric cluster needs one of each (the
    icosahedron's 13 atoms are two classes, the centre and the shell)."""
    unit = np.asarray(unit_positions, dtype=float)
    return _atom_classes(unit.tobytes(), unit.shape, tuple(symbols) if symbols is not None else ("",) * len(unit))


@functools.lru_cache(maxsize=64)
def _atom_classes(unit_bytes, shape, symbols):
    unit = np.frombuffer(unit_bytes).reshape(shape)
    difference = unit[None, :] - unit[:, None]
    length = np.linalg.norm(difference, axis=-1)
    d = np.round(length / length[length > 0].min(), 9)

    def fingerprint(i):
        others = [j for j in range(len(unit)) if j != i]
        pairs = sorted((d[i, j], symbols[j]) for j in others)
        triplets = sorted((*sorted([(d[i, j], symbols[j]), (d[i, k], symbols[k])]),
                           round(float(difference[i, j] @ difference[i, k]) / (length[i, j] * length[i, k]), 9))
                          for j, k in itertools.combinations(others, 2))
        return symbols[i], tuple(pairs), tuple(triplets)

    classes = {}
    for i in range(len(unit)):
        classes.setdefault(fingerprint(i), []).append(i)
    atoms, sizes = np.array([m[0] for m in classes.values()]), np.array([float(len(m)) for m in classes.values()])
    atoms.flags.writeable = sizes.flags.writeable = False  # remembered: every caller gets these same arrays
    return atoms, sizes


def _reach(model, nearest):
    """How many nearest-neighbour distances a lattice scanned down to `nearest` (the compressed lattice of the wall
    included) must hold for the cutoff."""
    return model.r_out / min(nearest.min(), FCC_SCAN * COMPRESSION ** (1 / 3)) * 1.0001


def _angle_sums(model, cosines, shell_of):
    return shell_angle_sums(model, cosines, shell_of) if model.program.n_angular else None


@functools.lru_cache(maxsize=64)
def _lattice_geometry(lattice, reach):
    """The neighbours of each distinct site of a lattice of LATTICES within `reach` nearest-neighbour distances:
    [(the site's weight, its sublattice, its shells' distances at unit nearest distance, their sublattices, their
    counts, each neighbour's shell, the cosines between its neighbours as distinct_cosines gives them)]. Shells by
    squared distance (integers: exact) and sublattice. Cached: it does not depend on the model, and a search checks
    thousands of forms at one cutoff."""
    sites, nearest_squared, centres = LATTICES[lattice]
    n = int(np.ceil(reach * np.sqrt(nearest_squared) / 2)) + 1
    grid = 2 * np.arange(-n, n + 1)
    cells = np.array(np.meshgrid(grid, grid, grid, indexing="ij")).reshape(3, -1).T
    out = []
    for site, weight in centres:
        position, sublattice = sites[site]
        vectors = np.vstack([cells + np.subtract(other, position) for other, _ in sites])
        sublattices = np.repeat([other for _, other in sites], len(cells))
        squared = (vectors**2).sum(axis=1)
        keep = (squared > 0) & (squared <= reach**2 * nearest_squared)
        vectors, sublattices, squared = vectors[keep], sublattices[keep], squared[keep]
        keys, shell_of = np.unique(squared * 2 + sublattices, return_inverse=True)  # (squared, sublattice) as one
        unit = vectors / np.sqrt(squared)[:, None]
        values, index = distinct_cosines(unit @ unit.T)
        arrays = [np.sqrt(keys // 2 / nearest_squared), keys % 2, np.bincount(shell_of).astype(float), shell_of,
                  values, index]
        for array in arrays:  # shared by every later check: read-only
            array.flags.writeable = False
        distances, shell_sublattices, counts, shell_of, values, index = arrays
        out.append((weight, sublattice, distances, shell_sublattices, counts, shell_of, (values, index)))
    return out


class _PositionFree:
    """The energy of an element that alone does not depend on the positions: every check fails with `reason`."""

    def __init__(self, reason):
        self.reason = reason

    def __getattr__(self, name):
        raise Rejected("constant", self.reason)


def _run(name, energy):
    with np.errstate(all="ignore"):
        try:
            passed, detail = _CHECK_FUNCTIONS[name](energy)
        except (ArithmeticError, ValueError, Rejected) as exc:
            passed, detail = False, f"evaluation failed: {exc}"
    return bool(passed), detail


def is_sane(item) -> bool:
    """Whether a Model, a model's metadata or a front.json member passed the sanity checks; unchecked counts as sane
    (models written before the checks existed)."""
    data = getattr(item, "metadata", item)
    if not isinstance(data, dict):
        return True
    if "sane" in data:
        return bool(data["sane"])
    sanity = data.get("sanity")
    return bool(sanity.get("sane", True)) if isinstance(sanity, dict) else True


class ClusterEnergy:
    """Energies of one-element structures given by pair distances, straight from the model's program.

    E_i = Σ_m a_m T_m(ρ_i), ρ_ik = Σ_j g_k(r_ij) f_c(r_ij) by the numpy reference (symff.evaluate.reference); a
    structure is a set of atoms each with its own list of neighbour distances, so both finite clusters and the one
    atom of a lattice (its neighbour shells) fit. A model with three-body sums also gets the cosines of the angles
    between each atom's neighbours, which a uniform scaling keeps.
    """

    def __init__(self, model):
        self.model = model
        # fcc: (the smallest nearest distance served, shell distances at unit nearest distance, their counts, the
        # three-body sums' angle functions summed by shells)
        self._shells = None

    lattice_name = "fcc"  # the lattice of the lattice wall (`fcc_wall`)

    def lattice(self, nearest):
        return self.fcc(nearest)

    def atom_energies(self, r, dr_ds=None, cosines=None):
        """r: (n_atoms, n_neighbours) distances (np.inf pads). Returns E_i (n_atoms,) and, with dr_ds, dE_i/ds;
        `cosines` (m, n_neighbours, n_neighbours), atom a taking set a mod m, for a model with three-body sums."""
        if self.model.formula.angular:
            if cosines is None:  # a lone atom: no neighbours, no angles
                cosines = np.zeros((1, *np.shape(r)[1:], np.shape(r)[1]))
            return atom_energies_with_angles(self.model, r, cosines, dr_ds)
        return atom_energies(self.model, r, dr_ds)

    def cluster(self, unit_positions, scales):
        """Total energy and dE/ds of the cluster scaled to nearest-neighbour distance s, for each s in `scales`: from
        one atom of each class of equivalent atoms (`atom_classes`), weighted by the class's size."""
        d = np.linalg.norm(unit_positions[:, None] - unit_positions[None], axis=-1)
        np.fill_diagonal(d, np.inf)
        d = d / d.min()
        scales = np.asarray(scales, dtype=float)
        n = len(unit_positions)
        atoms, sizes = atom_classes(unit_positions)
        rows = d[atoms]  # the distances of one atom of each class
        r = (scales[:, None, None] * rows[None]).reshape(-1, n)
        cosines = None
        if self.model.formula.angular:
            with np.errstate(all="ignore"):
                difference = unit_positions[None, :] - unit_positions[:, None]
                u = np.nan_to_num(difference / np.linalg.norm(difference, axis=-1)[:, :, None])
            # the same at every scale: row a of r (atom atoms[a mod m]) has the set a mod m
            cosines = np.einsum("ijx,ikx->ijk", u, u)[atoms]
        rates = np.broadcast_to(rows[None], (scales.size, len(atoms), n)).reshape(-1, n)
        e, de = self.atom_energies(r, rates, cosines)
        return e.reshape(scales.size, len(atoms)) @ sizes, de.reshape(scales.size, len(atoms)) @ sizes

    def fcc(self, nearest):
        """Energy per atom of fcc with nearest-neighbour distance `nearest` (an array)."""
        nearest = np.asarray(nearest, dtype=float)
        if self._shells is None or nearest.min() < self._shells[0]:
            # the angles are the same at every spacing: summed by shells once
            [(_, _, shells, _, counts, shell_of, cosines)] = _lattice_geometry("fcc", _reach(self.model, nearest))
            self._shells = (nearest.min(), shells, counts, _angle_sums(self.model, cosines, shell_of))
        return lattice_energies(self.model, nearest, *self._shells[1:])


def _rises_inward(r, energy):
    """Energy finite and strictly increasing as r decreases along the (increasing) grid r."""
    return bool(np.all(np.isfinite(energy)) and np.all(np.diff(energy) < 0))


def _dimer_wall(energy):
    r = np.arange(R_WALL, energy.model.r_out - STEP / 2, STEP)  # inside the cutoff (`clusters` checks beyond)
    e = energy.cluster(np.array([[0.0, 0, 0], [1.0, 0, 0]]), r)[0]
    if not np.all(np.isfinite(e)):
        return False, f"the dimer energy is not finite at r = {r[~np.isfinite(e)][0]:.3g} Å"
    k = int(np.argmin(e))
    if k == 0:
        return False, f"the dimer energy falls down to {R_WALL} Å: no repulsive wall"
    if not _rises_inward(r[: k + 1], e[: k + 1]):
        bad = r[: k][np.diff(e[: k + 1]) >= 0][0]
        return False, f"the dimer energy does not rise monotonically inward of its minimum at {r[k]:.3g} Å (at {bad:.3g} Å)"
    return True, f"minimum {e[k] / 2:.4g} eV/atom at {r[k]:.3g} Å; {e[0] / 2:.4g} eV/atom at {R_WALL} Å"


def _fcc_wall(energy):
    """The lattice wall of `energy.lattice` (fcc of one element, or a compound of two)."""
    name = energy.lattice_name
    d = np.arange(FCC_SCAN, energy.model.r_out, STEP)
    e = energy.lattice(d)
    if not np.all(np.isfinite(e)):
        return False, f"the {name} energy is not finite at a nearest-neighbour distance of {d[~np.isfinite(e)][0]:.3g} Å"
    k = int(np.argmin(e))
    if k == 0:
        return False, f"{name} collapses: its energy falls down to a nearest-neighbour distance of {FCC_SCAN} Å"
    # refine the minimum on a fine grid around it, then compress from there to COMPRESSION of the volume
    fine = np.linspace(d[k - 1], d[min(k + 1, d.size - 1)], 201)
    d0 = fine[int(np.argmin(energy.lattice(fine)))]
    compressed = d0 * np.linspace(COMPRESSION ** (1 / 3), 1.0, 121)
    ec = energy.lattice(compressed)
    if not _rises_inward(compressed[:-1], ec[:-1]):  # the last point is the minimum itself (to grid precision)
        return False, (f"{name} energy does not rise monotonically under compression from a nearest-neighbour "
                       f"distance of {d0:.3g} Å to {COMPRESSION:.0%} of its volume")
    return True, (f"equilibrium nearest-neighbour distance {d0:.4g} Å; {ec[0] - ec[-1]:.4g} eV/atom at "
                  f"{COMPRESSION:.0%} volume")


def _isolated_atom(energy):
    e = energy.atom_energies(np.full((1, 1), np.inf))[0]
    if not np.all(np.isfinite(e)):
        return False, "a lone atom's energy is not finite"
    return True, f"a lone atom's energy is {e[0]:.4g} eV (relative to the reference energy)"


def _clusters(energy):
    r_out = energy.model.r_out
    for name, unit in CLUSTERS.items():
        d = np.linalg.norm(unit[:, None] - unit[None], axis=-1)
        size = d.max() / d[d > 0].min()  # the farthest pair at unit nearest distance
        # up to where the farthest pair leaves the cutoff, stopping short of it: a force may jump there (Sutton–Chen's
        # √ρ of a lone pair falls linearly to zero), so only the energy's continuity is checked at r_out
        scales = np.arange(R_WALL, r_out / size - 2 * STEP, STEP)
        # the scan and the secants across the crossing in one evaluation: its fixed cost is most of a small one
        energies, slopes = energy.cluster(unit, np.concatenate([scales, _crossing_scales(r_out / size)]))
        e, slope = energies[: scales.size], slopes[: scales.size]
        if not np.all(np.isfinite(e)) or not np.all(np.isfinite(slope)):
            return False, f"the {name} energy is not finite at nearest distance {scales[~np.isfinite(e + slope)][0]:.3g} Å"
        central = (e[2:] - e[:-2]) / (2 * STEP)
        tolerance = RELATIVE_SLOPE_TOLERANCE * (np.abs(slope[1:-1]) + np.abs(slope).max() * 0.02) + 1e-9
        bad = np.abs(central - slope[1:-1]) > tolerance
        if bad.any():
            return False, f"the {name} energy is not smooth near nearest distance {scales[1:-1][bad][0]:.3g} Å"
        if not _bounded_slope_across(energies[scales.size:], r_out / size):
            return False, f"the {name} energy jumps, or its force diverges, where its last pair leaves the cutoff"
    return True, f"{', '.join(CLUSTERS)}: finite and smooth from {R_WALL} Å to r_out"


def _crossing_scales(scale):
    """The ends of the secants of `_bounded_slope_across` around `scale`: wide below and above, narrow below and
    above."""
    return np.array([scale * (1 + sign * width) for width in (CROSSING_WIDE, CROSSING_NARROW) for sign in (-1, 1)])


def _bounded_slope_across(energies, scale):
    """Whether a cluster's energy has a bounded slope across `scale`, where its farthest pair leaves the cutoff, from
    its `energies` at `_crossing_scales(scale)`.

    Secant slopes across the crossing over a wide (CROSSING_WIDE) and a narrow (CROSSING_NARROW) relative interval:
    a smooth energy, or one whose force only jumps (Sutton–Chen's √ρ of a lone pair), gives about the same slope
    over both, however steep its other pairs make it; a jump in the energy makes the narrow slope 10⁴ times larger,
    a force that diverges as NS(ρ)**(1/3) does where ρ vanishes like (r_out − r)² about 20 times."""
    wide, narrow = (abs(above - below) / (2 * width * scale)
                    for (below, above), width in zip(np.reshape(energies, (2, 2)), (CROSSING_WIDE, CROSSING_NARROW)))
    return bool(narrow <= CROSSING_SLOPE_GROWTH * wide + CROSSING_SLOPE_FLOOR)


def _icosahedron():
    phi = (1 + 5**0.5) / 2
    vertices = [(0, s1, s2 * phi) for s1 in (-1, 1) for s2 in (-1, 1)]
    vertices = [v[k:] + v[:k] for v in vertices for k in range(3)]
    shell = np.array(vertices, dtype=float) / 2.0  # edge length 1
    return np.vstack([np.zeros(3), shell])


CLUSTERS = {  # nearest-neighbour distance 1
    "dimer": np.array([[0.0, 0, 0], [1, 0, 0]]),
    "trimer": np.array([[0.0, 0, 0], [1, 0, 0], [0.5, np.sqrt(3) / 2, 0]]),
    "linear trimer": np.array([[0.0, 0, 0], [1, 0, 0], [2, 0, 0]]),
    "tetrahedron": np.array([[1.0, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]]) / np.sqrt(8),
    "octahedron": np.vstack([np.eye(3), -np.eye(3)]) / np.sqrt(2),
    "icosahedron": _icosahedron(),
}


LATTICES = {  # sites of a cubic cell of side 2 (integer coordinates) with their sublattice (0: A, 1: B), the
    # nearest-neighbour distance squared in those units, and the distinct sites (index, how many in the cell)
    "fcc": ((((0, 0, 0), 0), ((1, 1, 0), 0), ((1, 0, 1), 0), ((0, 1, 1), 0)), 2, ((0, 1),)),
    "B2": ((((0, 0, 0), 0), ((1, 1, 1), 1)), 3, ((0, 1), (1, 1))),
    "L1₂": ((((1, 1, 0), 0), ((1, 0, 1), 0), ((0, 1, 1), 0), ((0, 0, 0), 1)), 2, ((0, 3), (3, 1))),
}
COMPOUNDS = {  # the lattices of two elements the wall compresses: the atoms of A and B per cell as a label writes
    # them, and whether A and B are told apart (L1₂: A₃B and AB₃; B2: AB only)
    "B2": (("1", "1"), False),
    "L1₂": (("₃", "1"), True),
}


_CHECK_FUNCTIONS = {"dimer_wall": _dimer_wall, "fcc_wall": _fcc_wall, "isolated_atom": _isolated_atom,
                    "clusters": _clusters}
# medians over 80 models of runs and shipped potentials (2026-12-06): 0.06, 0.4, 0.75, 6.3 ms; the lattice wall got
# cheaper than the clusters once its geometry was cached (`_lattice_geometry`)
CHEAPEST_FIRST = ("isolated_atom", "dimer_wall", "fcc_wall", "clusters")
