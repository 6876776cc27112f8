"""Train/test splits: by an info key (Cu-POET's own split) and by a seeded random fraction."""

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from symff.data import Dataset, read_dataset, split_by_fraction, split_by_key
from symff.errors import DataError

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_data = pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is absent")


def dataset(n=10, **info_per_structure) -> Dataset:
    frames = []
    for k in range(n):
        atoms = Atoms("Cu", positions=[[0, 0, 0]], cell=[3, 3, 3], pbc=True)
        atoms.info.update({key: values[k] for key, values in info_per_structure.items()})
        atoms.calc = SinglePointCalculator(atoms, energy=float(k), forces=np.zeros((1, 3)))
        frames.append(atoms)
    return Dataset.from_atoms(frames, names=[f"d.extxyz:{k}" for k in range(n)])


@needs_data
def test_cu_poet_split_by_key():
    data = read_dataset(DATASETS / "cu-poet" / "Cu-POET.extxyz")
    train, test = split_by_key(data)
    assert (train.n_structures, test.n_structures) == (75, 88)
    assert all(info["split"] == "train" for info in train.info)
    assert all(info["split"] == "test" for info in test.info)
    assert "low-index-surfaces" not in train.config_type
    assert sorted(train.names + test.names, key=data.names.index) == list(data.names)
    assert list(train.names) == sorted(train.names, key=data.names.index)  # file order kept


def test_split_by_key_with_several_values_per_side():
    data = dataset(4, group=["a", "b", "c", "a"])
    train, test = split_by_key(data, key="group", train=("a", "b"), test="c")
    assert train.names == ("d.extxyz:0", "d.extxyz:1", "d.extxyz:3")
    assert test.names == ("d.extxyz:2",)
    np.testing.assert_array_equal(test.energy, [2.0])


def test_split_by_key_refuses_a_missing_key():
    data = dataset(3, split=["train", "test", "train"])
    with pytest.raises(DataError) as caught:
        split_by_key(data, key="fold")
    assert str(caught.value) == (
        "d.extxyz: frame 0: no 'fold' in info: every structure needs fold= one of test/train "
        "to split by key (or split by fraction)"
    )


def test_split_by_key_refuses_an_unknown_value():
    data = dataset(3, split=["train", "validation", "test"])
    with pytest.raises(DataError) as caught:
        split_by_key(data)
    assert str(caught.value) == (
        "d.extxyz: frame 1: split='validation' is neither a train value (train) nor a test value (test): "
        "relabel the structure or add the value to train or test"
    )


def test_split_by_key_refuses_a_value_on_both_sides():
    with pytest.raises(DataError) as caught:
        split_by_key(dataset(2, split=["a", "b"]), train=("a", "b"), test=("b",))
    assert str(caught.value) == "split_by_key: ['b'] listed as both train and test values: list each in one only"


def test_split_by_fraction_is_reproducible_disjoint_and_complete():
    data = dataset(20)
    train, test = split_by_fraction(data, 0.25, seed=7)
    again_train, again_test = split_by_fraction(data, 0.25, seed=7)
    assert (train.n_structures, test.n_structures) == (15, 5)
    assert test.names == again_test.names and train.names == again_train.names
    assert set(train.names).isdisjoint(test.names)
    assert set(train.names) | set(test.names) == set(data.names)
    assert list(test.energy) == sorted(test.energy)  # file order kept within each part
    other = {split_by_fraction(data, 0.25, seed=s)[1].names for s in range(5)}
    assert len(other) > 1


def test_split_by_fraction_edges():
    data = dataset(3)
    assert split_by_fraction(data, 0.0, seed=0)[1].n_structures == 0
    assert split_by_fraction(data, 1.0, seed=0)[0].n_structures == 0
    assert split_by_fraction(data, 0.01, seed=0)[1].n_structures == 1  # a positive fraction tests something
    assert split_by_fraction(data, 0.99, seed=0)[0].n_structures == 1  # and leaves something to train on
    with pytest.raises(DataError) as caught:
        split_by_fraction(data, 1.5, seed=0)
    assert str(caught.value) == "split_by_fraction: test_fraction 1.5 is outside [0, 1]: give a fraction"


@pytest.mark.parametrize("how", ["split-key", "test-fraction"])
def test_a_search_s_split_is_read_again_the_same_from_its_run(how, tmp_path):
    # `symff search --split-key / --test-fraction`: the run records how it split, and reading its data again (what
    # --resume and `symff report` do) gives the very sets it searched on, the fraction's seeded draw included
    from ase.io import write

    from symff.cli import main
    from symff.cli.common import read_saved_data
    from symff.rundir import read_config, read_front
    from symff.synthetic.generate import make_lj_dataset

    structures = make_lj_dataset(seed=4)
    for k, atoms in enumerate(structures):
        atoms.info["split"] = "test" if k % 4 == 0 else "train"
    data = tmp_path / "lj.extxyz"
    write(data, structures)
    options = ["--split-key", "split"] if how == "split-key" else ["--test-fraction", "0.3"]
    out = tmp_path / "run"
    assert main(["search", str(data), *options, "--grammar", "pair", "--population", "8", "--generations", "0",
                 "--seed", "5", "--workers", "1", "--no-report", "--quiet", "--out", str(out)]) == 0
    record = read_config(out)["data"]
    train, test = read_saved_data(record, read_config(out)["search"]["seed"])
    assert (record["train_fingerprint"], record["test_fingerprint"]) == (train.fingerprint, test.fingerprint)
    assert train.n_structures + test.n_structures == len(structures) and not set(train.names) & set(test.names)
    if how == "split-key":
        assert test.n_structures == len(structures[::4]) and all(i["split"] == "test" for i in test.info)
    else:
        assert test.n_structures == round(0.3 * len(structures))
        assert read_saved_data(record, 6)[1].fingerprint != test.fingerprint  # the seed is what draws it
    assert all(member["errors"]["test"]["n_structures"] == test.n_structures for member in read_front(out)["members"])
