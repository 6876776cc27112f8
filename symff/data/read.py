"""Reading reference data files into a ``Dataset``.

Any format ASE reads works (extended XYZ, OUTCAR, vasprun.xml, ...): the labels come from the calculator ASE attaches
to each frame, or from ``info['energy']`` / ``arrays['forces']`` / ``info['stress']`` in older files. A structure is
named "path:frame", with frame the 0-based index of the frame in its file, so that every error message and every
result can point back at the data. Reading refuses, with a one-line ``DataError``, anything it cannot use: a missing,
unreadable, malformed or empty file, and every structure that ``Dataset.from_atoms`` refuses. Structures that
repeat are kept, with one ``DuplicateStructureWarning``.
"""

import os
import warnings
from pathlib import Path

import ase.io
import numpy as np
from ase.io.formats import string2index

from symff.data.dataset import DEFAULT_MIN_DISTANCE, Dataset, _where
from symff.errors import DataError, DuplicateStructureWarning, UnconstrainedPairWarning


def read_dataset(
    paths,
    *,
    index=":",
    elements=None,
    weight_key: str | None = None,
    min_distance: float | None = DEFAULT_MIN_DISTANCE,
) -> Dataset:
    """Read the frames ``index`` (an ASE index: ":", "-1", "10:20", an int or a slice) of each path, in order.

    ``elements``: the chemical symbols the run covers; a structure with any other element is refused (default: the
    elements found). ``weight_key``: an ``info`` key holding a weight per structure (default: weight 1).
    ``min_distance``: refuse structures with two atoms closer than this, in Å (None to skip the check).
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise DataError("read_dataset: no data files given: name at least one file")
    frames, names = [], []
    for path in paths:
        for frame, atoms in _read_frames(path, index):
            frames.append(atoms)
            names.append(f"{path}:{frame}")
    dataset = Dataset.from_atoms(frames, names, elements, weight_key=weight_key, min_distance=min_distance)
    warn_duplicates(dataset)
    return dataset


def read_structures(paths, index=":") -> list:
    """The structures of `paths` as ASE Atoms, labelled or not (e.g. where MD starts), with the one-line errors of
    `read_dataset` for a file that is missing, empty or cannot be parsed."""
    return [atoms for path in ([paths] if isinstance(paths, str | os.PathLike) else paths)
            for _, atoms in _read_frames(str(path), index)]


def _structure_key(dataset: Dataset, s: int) -> bytes:
    """Structure s's species, positions, cell and pbc, as bytes: equal for the same structure."""
    a, b = dataset.atom_start[s], dataset.atom_start[s + 1]
    return b"".join(x.tobytes() for x in (dataset.species[a:b], dataset.positions[a:b], dataset.cells[s],
                                          dataset.pbc[s]))


def duplicate_structures(dataset: Dataset) -> list[tuple[int, int]]:
    """(s, first) for every structure s with the same species, positions, cell and pbc as an earlier one."""
    seen, duplicates = {}, []
    for s in range(dataset.n_structures):
        first = seen.setdefault(_structure_key(dataset, s), s)
        if first != s:
            duplicates.append((s, first))
    return duplicates


def warn_test_in_train(train: Dataset, test: Dataset):
    """One DuplicateStructureWarning when structures of the test set are training structures too (the same file
    given twice, overlapping files): their test errors are training errors, and the test set flatters the model."""
    if train.elements != test.elements:  # the species indices would not compare
        return
    keys = {_structure_key(train, s): s for s in range(train.n_structures)}
    shared = [(t, keys[key]) for t in range(test.n_structures) if (key := _structure_key(test, t)) in keys]
    if not shared:
        return
    t, s = shared[0]
    warnings.warn(
        f"{len(shared)} of the {test.n_structures} test structures are training structures too (the first: "
        f"{_where(test.names[t])} is {_where(train.names[s])}): their test errors are training errors",
        DuplicateStructureWarning,
        stacklevel=3,
    )


def warn_duplicates(dataset: Dataset):
    """One DuplicateStructureWarning when structures repeat: they are kept (and weigh twice in a fit), not refused."""
    duplicates = duplicate_structures(dataset)
    if not duplicates:
        return
    s, first = duplicates[0]
    more = f" (and {len(duplicates) - 1} more duplicate structures)" if len(duplicates) > 1 else ""
    warnings.warn(
        f"{_where(dataset.names[s])}: the same structure as {_where(dataset.names[first])}{more}: it counts twice "
        "in the fit; remove the copy unless that is intended",
        DuplicateStructureWarning,
        stacklevel=3,
    )


def unseen_pairs(dataset: Dataset, neighbours, r_out) -> list[tuple[str, str]]:
    """The pairs of elements (A, B), A before B in `dataset.elements`, of which no two atoms are closer than `r_out`
    in any structure (`neighbours`: its half neighbour list)."""
    inside = neighbours.r < r_out
    a, b = dataset.species[neighbours.i[inside]], dataset.species[neighbours.j[inside]]
    n = len(dataset.elements)
    seen = np.zeros((n, n), dtype=bool)
    seen[np.minimum(a, b), np.maximum(a, b)] = True
    return [(dataset.elements[x], dataset.elements[y]) for x in range(n) for y in range(x, n) if not seen[x, y]]


def warn_unseen_pairs(dataset: Dataset, neighbours, r_out, source="the training data"):
    """One UnconstrainedPairWarning naming every pair of elements of data of several elements that no structure
    holds within the cutoff: a potential fitted to it is unconstrained there."""
    if len(dataset.elements) < 2:
        return
    missing = unseen_pairs(dataset, neighbours, r_out)
    if missing:
        names = ", ".join(f"{a}-{b}" for a, b in missing)
        warnings.warn(f"{source}: no {names} pair closer than {r_out:g} Å in any structure: the potential's "
                      f"{names} functions are fitted to nothing there; add structures that hold such pairs",
                      UnconstrainedPairWarning, stacklevel=2)


def _read_frames(path: str, index) -> list:
    """(frame number in the file, atoms) for the selected frames of one file."""
    _check_file(path)
    atoms_list = []
    try:
        # Frame by frame, so that a truncated or corrupt file is reported at the frame where it breaks.
        atoms_list.extend(ase.io.iread(path, index=":"))
    except Exception as error:
        # ASE's readers raise many types (XYZError, ValueError, StopIteration, XML errors ...): each becomes one line.
        at = f"frame {len(atoms_list)}: " if atoms_list else ""
        raise DataError(
            f"{path}: {at}cannot be parsed ({type(error).__name__}: {_one_line(error)}): "
            "fix or truncate the file there, or check that ASE reads its format"
        ) from error
    if not atoms_list:
        raise DataError(f"{path}: no structures: the file holds no frames; give a file with at least one structure")
    frames = range(len(atoms_list))
    selected = _select(frames, index, path)
    if not selected:
        raise DataError(
            f"{path}: no structures: index {index!r} selects none of its {len(atoms_list)} frames; change the index"
        )
    return [(k, atoms_list[k]) for k in selected]


def _check_file(path: str):
    file = Path(path)
    if not file.exists():
        raise DataError(f"{path}: cannot read: no such file: check the path")
    if file.is_dir():
        raise DataError(f"{path}: cannot read: it is a directory: name a data file")
    if not os.access(file, os.R_OK):
        raise DataError(f"{path}: cannot read: permission denied: make the file readable")
    if file.stat().st_size == 0:
        raise DataError(f"{path}: no structures: the file is empty; give a file with at least one structure")


def _select(frames: range, index, path: str) -> list[int]:
    """The frame numbers an ASE-style index picks, with Python's semantics for negatives."""
    try:
        picked = frames[string2index(index) if isinstance(index, str) else index]
    except (ValueError, TypeError, IndexError) as error:
        raise DataError(
            f"{path}: index {index!r} does not select frames of a file with {len(frames)} frames ({error}): "
            "use an ASE index such as ':', '-1' or '10:20'"
        ) from error
    return [picked] if isinstance(picked, int) else list(picked)


def _one_line(error: Exception, limit: int = 200) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
