"""Datasets: reference structures with their DFT labels, stored as flat arrays.

A *structure* is one frame of a data file: atoms (species and positions), a cell whose rows are the lattice vectors,
periodicity per direction, and its labels: the total energy, the force on every atom and, optionally, the stress (eV/Å³,
ASE sign, Voigt order xx yy zz yz xz xy). A ``Dataset`` stores many structures back to back: per-atom arrays are
concatenated, and structure s owns atoms ``atom_start[s]:atom_start[s+1]``. ``species`` indexes ``elements`` (sorted by
atomic number), so two datasets read with the same ``elements`` share species indices.

Every structure goes through the same checks, whether it comes from a file (``symff.data.read``) or from ASE atoms
(``Dataset.from_atoms``): labels present and finite, forces one 3-vector per atom, only covered elements, no two atoms
(periodic images included) closer than ``min_distance``. A refused structure raises ``DataError`` with a one-line
message naming the file, the frame and the fix; nothing is dropped silently.

Non-periodic directions: symff fits periodic cells, but a cluster or a slab with ``pbc`` False along some direction is
accepted. The neighbour list makes no images along a non-periodic direction, so the cell only needs to be full rank
there; when it is not (a plain .xyz molecule has a zero cell), the non-periodic lattice vectors are replaced by vectors
orthogonal to the periodic ones that span the atoms plus ``VACUUM`` Å. Only the volume (used for stress) depends on that
choice, and stress is not meaningful for such structures anyway. A structure that is periodic along a direction must
have lattice vectors spanning the periodic directions.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import ase
import numpy as np
from ase.calculators.calculator import PropertyNotImplementedError
from ase.calculators.singlepoint import SinglePointCalculator
from ase.data import atomic_numbers, chemical_symbols
from ase.stress import full_3x3_to_voigt_6_stress

from symff.errors import DataError
from symff.neighbours import pairs_within

DEFAULT_MIN_DISTANCE = 0.5
VACUUM = 10.0


@dataclass(frozen=True, eq=False)
class Dataset:
    """Structures as flat arrays. Structure s owns atoms atom_start[s]:atom_start[s+1].

    Arrays are read-only copies; ``subset`` and ``concatenate`` make new datasets.
    """

    names: tuple[str, ...]  # per structure, "path:frame" (frame = 0-based index in its file)
    elements: tuple[str, ...]  # chemical symbols covered, sorted by atomic number
    species: np.ndarray  # (n_atoms,) int32 index into `elements`
    positions: np.ndarray  # (n_atoms, 3) float64, Å
    cells: np.ndarray  # (n_structures, 3, 3) float64, rows = lattice vectors
    pbc: np.ndarray  # (n_structures, 3) bool
    atom_start: np.ndarray  # (n_structures + 1,) int64
    energy: np.ndarray  # (n_structures,) float64, total energy, eV
    forces: np.ndarray  # (n_atoms, 3) float64, eV/Å
    stress: np.ndarray  # (n_structures, 6) float64, eV/Å³, ASE sign and Voigt order; NaN rows where absent
    weights: np.ndarray  # (n_structures,) float64
    config_type: tuple[str, ...]  # per structure, info['config_type'] or ""
    info: tuple[dict, ...]  # per structure, a copy of atoms.info

    def __post_init__(self):
        for name in ("names", "elements", "config_type"):
            object.__setattr__(self, name, tuple(str(v) for v in getattr(self, name)))
        object.__setattr__(self, "info", tuple(dict(d) for d in self.info))
        dtypes = {
            "species": np.int32,
            "positions": np.float64,
            "cells": np.float64,
            "pbc": np.bool_,
            "atom_start": np.int64,
            "energy": np.float64,
            "forces": np.float64,
            "stress": np.float64,
            "weights": np.float64,
        }
        for name, dtype in dtypes.items():
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype))
        self._check_layout()

    def _check_layout(self):
        """Refuse arrays whose shapes disagree: a bug in the caller, reported before it corrupts a fit."""
        _check_elements(self.elements)
        n_s = len(self.atom_start) - 1
        if n_s < 0 or self.atom_start[0] != 0 or np.any(np.diff(self.atom_start) < 0):
            raise DataError("Dataset: atom_start must start at 0 and never decrease")
        n_a = int(self.atom_start[-1])
        expected = {
            "species": (n_a,),
            "positions": (n_a, 3),
            "forces": (n_a, 3),
            "cells": (n_s, 3, 3),
            "pbc": (n_s, 3),
            "energy": (n_s,),
            "stress": (n_s, 6),
            "weights": (n_s,),
        }
        for name, shape in expected.items():
            if getattr(self, name).shape != shape:
                raise DataError(f"Dataset: {name} has shape {getattr(self, name).shape}, expected {shape}")
        for name in ("names", "config_type", "info"):
            if len(getattr(self, name)) != n_s:
                raise DataError(f"Dataset: {name} has {len(getattr(self, name))} entries, expected {n_s}")
        if n_a and (self.species.min() < 0 or self.species.max() >= len(self.elements)):
            raise DataError(f"Dataset: species must index elements {self.elements}")

    def __repr__(self):
        return f"Dataset({self.n_structures} structures, {self.n_atoms} atoms, elements {'-'.join(self.elements)})"

    @cached_property
    def fingerprint(self) -> str:
        """"sha256:…" of what a fit reads (elements, species, positions, cells, periodicity, labels, weights): equal
        for the same structures and labels read again, whatever the files' names."""
        digest = hashlib.sha256(" ".join(self.elements).encode())
        for name in ("species", "positions", "cells", "pbc", "atom_start", "energy", "forces", "stress", "weights"):
            digest.update(np.ascontiguousarray(getattr(self, name)).tobytes())
        return f"sha256:{digest.hexdigest()}"

    @property
    def n_structures(self) -> int:
        return len(self.atom_start) - 1

    @property
    def n_atoms(self) -> int:
        return int(self.atom_start[-1])

    @property
    def n_elements(self) -> int:
        return len(self.elements)

    @cached_property
    def atoms_per_structure(self) -> np.ndarray:
        return _frozen(np.diff(self.atom_start), np.int64)

    @cached_property
    def structure_of_atom(self) -> np.ndarray:
        return _frozen(np.repeat(np.arange(self.n_structures, dtype=np.int64), self.atoms_per_structure), np.int64)

    @property
    def has_stress(self) -> np.ndarray:
        return ~np.isnan(self.stress).any(axis=1)

    @cached_property
    def element_counts(self) -> np.ndarray:
        """(n_structures, n_elements): atoms of each element in each structure."""
        flat = self.structure_of_atom * self.n_elements + self.species
        counts = np.bincount(flat, minlength=self.n_structures * self.n_elements)
        return _frozen(counts.reshape(self.n_structures, self.n_elements), np.float64)

    @property
    def volumes(self) -> np.ndarray:
        return np.abs(np.linalg.det(self.cells)) if self.n_structures else np.zeros(0)

    def subset(self, indices) -> "Dataset":
        """The structures at ``indices`` (integers, in the order given, or a boolean mask), same elements."""
        indices = np.asarray(indices)
        if indices.dtype == np.bool_:
            indices = np.flatnonzero(indices)
        indices = indices.astype(np.int64, copy=False).reshape(-1)
        if indices.size and (indices.min() < -self.n_structures or indices.max() >= self.n_structures):
            raise DataError(f"Dataset.subset: indices must lie in [0, {self.n_structures})")
        indices = indices % max(self.n_structures, 1)
        counts = self.atoms_per_structure[indices]
        atoms = _ranges(self.atom_start[indices], counts)
        return Dataset(
            names=tuple(self.names[k] for k in indices),
            elements=self.elements,
            species=self.species[atoms],
            positions=self.positions[atoms],
            cells=self.cells[indices],
            pbc=self.pbc[indices],
            atom_start=_starts(counts),
            energy=self.energy[indices],
            forces=self.forces[atoms],
            stress=self.stress[indices],
            weights=self.weights[indices],
            config_type=tuple(self.config_type[k] for k in indices),
            info=tuple(self.info[k] for k in indices),
        )

    @classmethod
    def concatenate(cls, datasets: Sequence["Dataset"]) -> "Dataset":
        """All structures of ``datasets`` in order; elements are the union, species re-indexed."""
        datasets = list(datasets)
        if not datasets:
            raise DataError("Dataset.concatenate: no datasets given: pass at least one")
        elements = _sorted_elements({e for d in datasets for e in d.elements})
        species = [np.array([elements.index(e) for e in d.elements], dtype=np.int32)[d.species] for d in datasets]
        return cls(
            names=sum((d.names for d in datasets), ()),
            elements=elements,
            species=np.concatenate(species),
            positions=np.concatenate([d.positions for d in datasets]),
            cells=np.concatenate([d.cells for d in datasets]),
            pbc=np.concatenate([d.pbc for d in datasets]),
            atom_start=_starts(np.concatenate([d.atoms_per_structure for d in datasets])),
            energy=np.concatenate([d.energy for d in datasets]),
            forces=np.concatenate([d.forces for d in datasets]),
            stress=np.concatenate([d.stress for d in datasets]),
            weights=np.concatenate([d.weights for d in datasets]),
            config_type=sum((d.config_type for d in datasets), ()),
            info=sum((d.info for d in datasets), ()),
        )

    def to_atoms(self, s: int) -> ase.Atoms:
        """Structure ``s`` as ASE atoms with a SinglePointCalculator holding its energy, forces and stress."""
        a, b = self.atom_start[s], self.atom_start[s + 1]
        atoms = ase.Atoms(
            symbols=[self.elements[k] for k in self.species[a:b]],
            positions=self.positions[a:b].copy(),
            cell=self.cells[s].copy(),
            pbc=self.pbc[s].copy(),
            info=dict(self.info[s]),
        )
        stress = self.stress[s].copy() if self.has_stress[s] else None
        atoms.calc = SinglePointCalculator(
            atoms, energy=float(self.energy[s]), forces=self.forces[a:b].copy(), stress=stress
        )
        return atoms

    @classmethod
    def from_atoms(
        cls,
        atoms_list,
        names=None,
        elements=None,
        *,
        weight_key: str | None = None,
        min_distance: float | None = DEFAULT_MIN_DISTANCE,
    ) -> "Dataset":
        """A dataset from ASE atoms whose calculators (or info/arrays) hold the labels; checked like a file.

        ``names`` label the structures ("path:frame"; default "atoms:k") and appear in error messages. ``elements``
        fixes the covered elements (default: those present); ``weight_key`` names an ``info`` key holding each
        structure's weight; ``min_distance`` (Å, None to skip) refuses structures with atoms closer than that.
        """
        atoms_list = list(atoms_list)
        names = [f"atoms:{k}" for k in range(len(atoms_list))] if names is None else [str(n) for n in names]
        if len(names) != len(atoms_list):
            raise DataError(f"Dataset.from_atoms: {len(names)} names for {len(atoms_list)} structures")
        if elements is not None:
            elements = (elements,) if isinstance(elements, str) else tuple(elements)
            _check_elements(elements, sort=False)
            elements = _sorted_elements(elements)
        frames = [_frame(atoms, _where(name), elements, weight_key) for atoms, name in zip(atoms_list, names)]
        if elements is None:
            elements = _sorted_elements({e for f in frames for e in f["symbols"]})
        index = {e: k for k, e in enumerate(elements)}
        dataset = cls(
            names=tuple(names),
            elements=elements,
            species=np.array([index[e] for f in frames for e in f["symbols"]], dtype=np.int32),
            positions=_stack([f["positions"] for f in frames], (0, 3)),
            cells=_stack([f["cell"][None] for f in frames], (0, 3, 3)),
            pbc=_stack([f["pbc"][None] for f in frames], (0, 3)),
            atom_start=_starts([len(f["symbols"]) for f in frames]),
            energy=np.array([f["energy"] for f in frames], dtype=np.float64),
            forces=_stack([f["forces"] for f in frames], (0, 3)),
            stress=_stack([f["stress"][None] for f in frames], (0, 6)),
            weights=np.array([f["weight"] for f in frames], dtype=np.float64),
            config_type=tuple(str(atoms.info.get("config_type", "")) for atoms in atoms_list),
            info=tuple(dict(atoms.info) for atoms in atoms_list),
        )
        if min_distance:
            _check_min_distance(dataset, float(min_distance))
        return dataset


def _frozen(value, dtype) -> np.ndarray:
    array = np.array(value, dtype=dtype, copy=True)
    array.setflags(write=False)
    return array


def _starts(counts) -> np.ndarray:
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return starts


def _ranges(starts, counts) -> np.ndarray:
    """Concatenation of range(start, start + count) for each pair, without a Python loop."""
    total = int(np.sum(counts))
    offsets = np.repeat(starts - _starts(counts)[:-1], counts)
    return offsets + np.arange(total, dtype=np.int64)


def _stack(arrays, empty_shape) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(empty_shape)


def _check_elements(elements, sort=True):
    for e in elements:
        if e not in atomic_numbers or e == "X":
            raise DataError(f"elements: {e!r} is not a chemical symbol: use symbols such as 'Cu' or 'Ni'")
    if len(set(elements)) != len(elements):
        raise DataError(f"elements: {elements} lists an element twice: list each once")
    if sort and tuple(elements) != _sorted_elements(elements):
        raise DataError(f"elements: {elements} must be sorted by atomic number: use {_sorted_elements(elements)}")


def _sorted_elements(elements) -> tuple[str, ...]:
    return tuple(sorted(set(elements), key=atomic_numbers.__getitem__))


def _where(name: str) -> str:
    """Error-message prefix for a structure named "path:frame": "path: frame k"."""
    path, sep, frame = name.rpartition(":")
    return f"{path}: frame {frame}" if sep and frame.isdigit() else name


def _refuse(where: str, what: str, fix: str):
    raise DataError(f"{where}: {what}: {fix}")


def _frame(atoms: ase.Atoms, where: str, elements, weight_key) -> dict:
    """Check one structure and return its arrays: symbols, positions, cell, pbc, energy, forces, stress, weight."""
    numbers = atoms.get_atomic_numbers()
    if len(numbers) == 0:
        _refuse(where, "no atoms", "remove the empty structure")
    symbols = [chemical_symbols[z] for z in numbers]
    if elements is not None:
        outside = sorted(set(symbols) - set(elements), key=atomic_numbers.__getitem__)
        if outside:
            _refuse(
                where,
                f"element {outside[0]} is not one of the model's, or the training data's, elements "
                f"({', '.join(elements)})",
                f"remove the structure, or use a model (training data) with {outside[0]}",
            )
    positions = np.asarray(atoms.positions, dtype=np.float64)
    _check_finite(positions, where, "position", "fix the coordinates", per_atom=True)
    cell = np.asarray(atoms.cell.array, dtype=np.float64)
    pbc = np.asarray(atoms.pbc, dtype=bool)
    _check_finite(cell, where, "cell", "fix the lattice vectors (extxyz: Lattice=...)")
    cell = _usable_cell(cell, pbc, positions, where)
    return {
        "symbols": symbols,
        "positions": positions,
        "cell": cell,
        "pbc": pbc,
        "energy": _energy(atoms, where),
        "forces": _forces(atoms, where),
        "stress": _stress(atoms, where, cell),
        "weight": _weight(atoms, where, weight_key),
    }


def _check_finite(values, where, what, fix, per_atom=False):
    bad = ~np.isfinite(values)
    if bad.any():
        first = np.argwhere(bad)[0]
        on = f" on atom {first[0]}" if per_atom else ""
        _refuse(where, f"non-finite {what}{on} ({values[tuple(first)]})", fix)


def _label(atoms: ase.Atoms, name: str):
    """A label from the attached calculator, else from info/arrays (older extxyz files, hand-made atoms); or None."""
    if atoms.calc is not None:
        try:
            value = atoms.calc.get_property(name, atoms)
        except PropertyNotImplementedError:
            value = None
        if value is not None:
            return value
    return (atoms.arrays if name == "forces" else atoms.info).get(name)


def _energy(atoms, where) -> float:
    value = _label(atoms, "energy")
    if value is None:
        _refuse(
            where,
            "no energy",
            "the file must hold the total energy of every structure (extxyz: energy=... on the comment line)",
        )
    value = np.asarray(value, dtype=np.float64)
    if value.shape not in ((), (1,)):
        _refuse(where, f"energy has shape {value.shape}", "give one total energy per structure, in eV")
    _check_finite(value, where, "energy", "fix or remove the structure")
    return float(value.reshape(()))


def _forces(atoms, where) -> np.ndarray:
    value = _label(atoms, "forces")
    if value is None:
        _refuse(
            where,
            "no forces",
            "the file must hold forces for every structure (extxyz: a 'forces' per-atom property)",
        )
    value = np.asarray(value, dtype=np.float64)
    if value.shape != (len(atoms), 3):
        _refuse(
            where,
            f"forces have shape {value.shape}, expected ({len(atoms)}, 3)",
            "give one force 3-vector per atom (extxyz: forces:R:3)",
        )
    _check_finite(value, where, "force", "fix or remove the structure", per_atom=True)
    return value


def _stress(atoms, where, cell) -> np.ndarray:
    """Voigt stress (xx yy zz yz xz xy), from 'stress' (6, 3x3 or 9 values) or an extxyz 'virial'; NaN if absent."""
    value = _label(atoms, "stress")
    if value is None and atoms.info.get("virial") is not None:
        # The extxyz convention (ASE's writer, GAP): virial = -volume * stress.
        value = -np.asarray(atoms.info["virial"], dtype=np.float64) / abs(np.linalg.det(cell))
    if value is None:
        return np.full(6, np.nan)
    value = np.asarray(value, dtype=np.float64)
    if value.shape == (9,):
        value = value.reshape(3, 3)
    if value.shape == (3, 3):
        _check_finite(value, where, "stress", "fix the stress or leave it out")
        value = full_3x3_to_voigt_6_stress(value)
    if value.shape != (6,):
        _refuse(
            where,
            f"stress has shape {value.shape}",
            "give 6 Voigt components (xx yy zz yz xz xy) or a 3x3 matrix, in eV/Å³",
        )
    _check_finite(value, where, "stress", "fix the stress or leave it out")
    return value


def _weight(atoms, where, weight_key) -> float:
    if weight_key is None:
        return 1.0
    if weight_key not in atoms.info:
        _refuse(where, f"no '{weight_key}' in info", f"with weight_key='{weight_key}' every structure needs a weight")
    try:
        value = float(atoms.info[weight_key])
    except (TypeError, ValueError):
        value = np.nan
    if not (np.isfinite(value) and value >= 0.0):
        _refuse(where, f"weight {weight_key}={atoms.info[weight_key]}", "give a finite weight >= 0")
    return value


def _usable_cell(cell, pbc, positions, where) -> np.ndarray:
    """The cell if it is full rank; else complete the non-periodic directions (see the module docstring)."""
    lengths = np.linalg.norm(cell, axis=1)
    if abs(np.linalg.det(cell)) > 1e-9 * max(np.prod(lengths), 1e-300):
        return cell
    periodic = cell[pbc]
    if pbc.any() and (np.linalg.matrix_rank(periodic, tol=1e-6) < pbc.sum()):
        flags = "".join("T" if p else "F" for p in pbc)
        _refuse(
            where,
            f"the cell is degenerate along periodic directions (pbc {flags}, volume 0)",
            "give lattice vectors for every periodic direction (extxyz: Lattice=...) or mark it non-periodic",
        )
    # Orthonormal directions spanning the complement of the periodic lattice vectors.
    _, _, vt = np.linalg.svd(periodic if pbc.any() else np.zeros((1, 3)))
    complement = vt[int(pbc.sum()) :]
    completed = cell.copy()
    for k, direction in zip(np.flatnonzero(~pbc), complement):
        extent = np.ptp(positions @ direction) if len(positions) else 0.0
        completed[k] = direction * (extent + VACUUM)
    return completed


def _check_min_distance(dataset: Dataset, min_distance: float):
    """Refuse the first structure with two atoms (or an atom and an image) closer than ``min_distance``."""
    close = pairs_within(dataset.positions, dataset.cells, dataset.pbc, dataset.atom_start, min_distance)
    if close.n_pairs == 0:
        return
    s = int(close.structure[0])
    pairs = slice(close.pair_start[s], close.pair_start[s + 1])
    p = close.pair_start[s] + int(np.argmin(close.r[pairs]))
    i, j = int(close.i[p]), int(close.j[p])
    direct = dataset.positions[j] - dataset.positions[i]
    start = int(dataset.atom_start[s])
    if np.allclose(close.D[p], direct, atol=1e-9, rtol=0.0):
        who = f"atoms {i - start} and {j - start} are"
    else:
        who = f"atom {i - start} and a periodic image of atom {j - start} are"
    _refuse(
        _where(dataset.names[s]),
        f"{who} {close.r[p]:.3f} Å apart, closer than min_distance {min_distance:g} Å",
        "fix or remove the structure (or lower min_distance if such contacts are real)",
    )
