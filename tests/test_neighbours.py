"""Half neighbour lists against ASE's full list: same pairs, same vectors, and full sums = 2 × half sums."""

from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.neighborlist import neighbor_list

from symff.data import Dataset
from symff.errors import ConfigError
from symff.neighbours import build_neighbours

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_data = pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is absent")


def labelled(atoms: Atoms) -> Atoms:
    atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((len(atoms), 3)))
    return atoms


def random_structure(rng, n_atoms, lengths, skew, pbc, spread=1.0) -> Atoms:
    """Atoms at random fractional coordinates in [-spread/2, 1 + spread/2) of a (possibly triclinic) cell."""
    cell = np.diag(lengths) + skew * rng.uniform(-1, 1, (3, 3)) * np.asarray(lengths)[:, None]
    frac = rng.uniform(-spread / 2, 1 + spread / 2, (n_atoms, 3))
    return labelled(Atoms("Cu" * n_atoms, scaled_positions=frac, cell=cell, pbc=pbc))


def ase_reference(atoms: Atoms, cutoff: float) -> tuple[dict, np.ndarray]:
    """ASE's full list reduced by symff's half-list rule, {(i, j, S): r}, and the full list's distances."""
    i, j, S, d = neighbor_list("ijSd", atoms, cutoff)
    first_nonzero = np.array([s[np.flatnonzero(s)[0]] if s.any() else 0 for s in S])
    keep = (i < j) | ((i == j) & (first_nonzero > 0))
    return {(a, b, tuple(s)): r for a, b, s, r in zip(i[keep], j[keep], S[keep], d[keep])}, d


def half_pairs(data: Dataset, pairs, s: int) -> dict:
    """Pairs of structure s as {(i, j, S): r}, with the lattice shift S recovered from D."""
    part = slice(pairs.pair_start[s], pairs.pair_start[s + 1])
    first = data.atom_start[s]
    i, j, D = pairs.i[part] - first, pairs.j[part] - first, pairs.D[part]
    x = data.positions[first : data.atom_start[s + 1]]
    shifts = np.rint((D - (x[j] - x[i])) @ np.linalg.inv(data.cells[s])).astype(int)
    return {(a, b, tuple(S)): r for a, b, S, r in zip(i, j, shifts, pairs.r[part])}


def check_against_ase(frames, cutoff):
    data = Dataset.from_atoms(frames, min_distance=None)
    pairs = build_neighbours(data, cutoff)
    assert pairs.pair_start[-1] == pairs.n_pairs
    np.testing.assert_array_equal(pairs.structure, np.repeat(np.arange(len(frames)), np.diff(pairs.pair_start)))
    np.testing.assert_allclose(pairs.r, np.linalg.norm(pairs.D, axis=1), rtol=1e-14)
    assert (pairs.r < cutoff).all()
    for s, atoms in enumerate(frames):
        mine, (reference, d_full) = half_pairs(data, pairs, s), ase_reference(atoms, cutoff)
        assert mine.keys() == reference.keys()
        keys = sorted(reference)
        np.testing.assert_allclose([mine[k] for k in keys], [reference[k] for k in keys], rtol=1e-12)
        # The physics of a full list is recovered: sum over directed pairs = 2 x sum over half pairs.
        part = slice(pairs.pair_start[s], pairs.pair_start[s + 1])
        np.testing.assert_allclose(np.sum(np.exp(-d_full)), 2 * np.sum(np.exp(-pairs.r[part])), rtol=1e-12)
    return pairs


@pytest.mark.parametrize("seed", range(4))
def test_random_triclinic_cells(seed):
    rng = np.random.default_rng(seed)
    frames = [random_structure(rng, int(rng.integers(1, 40)), rng.uniform(6, 12, 3), 0.3, True) for _ in range(4)]
    check_against_ase(frames, cutoff=4.5)


@pytest.mark.parametrize("seed", range(4))
def test_small_cells_where_the_cutoff_exceeds_the_cell(seed):
    rng = np.random.default_rng(100 + seed)
    frames = [random_structure(rng, int(rng.integers(1, 5)), rng.uniform(1.5, 4.0, 3), 0.4, True) for _ in range(4)]
    pairs = check_against_ase(frames, cutoff=5.0)
    assert (pairs.i == pairs.j).any()  # atoms meet their own images


def test_partly_periodic_and_non_periodic():
    rng = np.random.default_rng(7)
    frames = [
        random_structure(rng, 30, (7.0, 8.0, 20.0), 0.2, (True, True, False)),
        random_structure(rng, 12, (3.0, 9.0, 9.0), 0.2, (True, False, False)),
        random_structure(rng, 25, (9.0, 9.0, 9.0), 0.0, False, spread=2.0),
    ]
    check_against_ase(frames, cutoff=5.0)


def test_a_single_atom_and_an_empty_list():
    frames = [labelled(Atoms("Cu", positions=[[0, 0, 0]], cell=[10, 10, 10], pbc=True))]
    pairs = check_against_ase(frames, cutoff=3.0)
    assert pairs.n_pairs == 0
    np.testing.assert_array_equal(pairs.pair_start, [0, 0])


@needs_data
@pytest.mark.parametrize(("file", "frames", "cutoff"), [("Cu", "40,120,258", 6.0), ("Mo", "0,192", 6.0)])
def test_mlearn_structures(file, frames, cutoff):
    """A vacancy cell, a surface slab with vacuum, AIMD and elastic cells, and Mo's 2-atom cell."""
    everything = ase.io.read(DATASETS / "mlearn" / file / "train.extxyz", index=":")
    chosen = [everything[int(k)] for k in frames.split(",")]
    check_against_ase(chosen, cutoff)


@needs_data
def test_mlearn_cu_train_counts_and_order():
    data = Dataset.from_atoms(ase.io.read(DATASETS / "mlearn" / "Cu" / "train.extxyz", index=":"))
    pairs = build_neighbours(data, 5.0)
    assert 2 * pairs.n_pairs == 1_203_870  # the full-list count of ASE and matscipy on this set
    assert (np.diff(pairs.structure) >= 0).all()
    same = np.diff(pairs.structure) == 0
    assert (np.diff(pairs.i)[same] >= 0).all()  # within a structure, sorted by atom i
    assert (data.structure_of_atom[pairs.i] == pairs.structure).all()
    assert (data.structure_of_atom[pairs.j] == pairs.structure).all()
    assert pairs.nbytes == pairs.n_pairs * (8 + 8 + 8 + 24 + 8) + 8 * (data.n_structures + 1)


def test_threads_do_not_change_the_result():
    from symff.neighbours import pairs_within

    rng = np.random.default_rng(3)
    data = Dataset.from_atoms(
        [random_structure(rng, 20, (6.0, 7.0, 8.0), 0.2, True) for _ in range(9)], min_distance=None
    )
    one = pairs_within(data.positions, data.cells, data.pbc, data.atom_start, 5.0, n_threads=1)
    three = pairs_within(data.positions, data.cells, data.pbc, data.atom_start, 5.0, n_threads=3)
    for name in ("i", "j", "r", "D", "structure", "pair_start"):
        np.testing.assert_array_equal(getattr(one, name), getattr(three, name))


@pytest.mark.parametrize("cutoff", [0.0, -1.0, float("nan")])
def test_refuses_a_bad_cutoff(cutoff):
    data = Dataset.from_atoms([labelled(Atoms("Cu", cell=[3, 3, 3], pbc=True))])
    with pytest.raises(ConfigError, match="must be a positive number of Å"):
        build_neighbours(data, cutoff)
