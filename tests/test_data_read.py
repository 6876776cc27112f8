"""Reading data files into a Dataset: the real shared data, the Dataset operations, and one broken file per refusal."""

import re
from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from symff.data import Dataset, read_dataset
from symff.errors import DataError

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_data = pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is absent")

HEADER = 'Lattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc="T T T"'
ROWS = ["Cu 0 0 0 0.1 0 0", "Cu 2 0 0 -0.1 0 0"]


def frame_text(header=HEADER, rows=ROWS) -> str:
    return "\n".join([str(len(rows)), header, *rows]) + "\n"


def write(tmp_path, text, name="data.extxyz") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def refusal(path, **options) -> str:
    with pytest.raises(DataError) as caught:
        read_dataset(path, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- real data ---------------------------------------------------------------------------------------------------------


@needs_data
def test_reads_mlearn_cu_test_with_its_labels():
    path = DATASETS / "mlearn" / "Cu" / "test.extxyz"
    data = read_dataset(path)
    frames = ase.io.read(path, index=":")
    assert (data.n_structures, data.n_atoms, data.elements) == (31, 3178, ("Cu",))
    assert data.names[0] == f"{path}:0" and data.names[30] == f"{path}:30"
    assert data.species.dtype == np.int32 and set(data.species) == {0}
    np.testing.assert_array_equal(data.energy, [a.get_potential_energy() for a in frames])
    np.testing.assert_array_equal(data.forces, np.concatenate([a.get_forces() for a in frames]))
    np.testing.assert_array_equal(data.stress, [a.get_stress() for a in frames])
    np.testing.assert_array_equal(data.positions[data.atom_start[5] : data.atom_start[6]], frames[5].positions)
    assert data.has_stress.all() and data.pbc.all()
    assert data.config_type[0] == frames[0].info["config_type"]
    np.testing.assert_allclose(data.volumes, [a.get_volume() for a in frames])
    np.testing.assert_array_equal(data.weights, 1.0)


@needs_data
def test_concatenates_files_in_order_with_union_of_elements():
    cu = DATASETS / "mlearn" / "Cu" / "test.extxyz"
    mo = DATASETS / "mlearn" / "Mo" / "test.extxyz"
    data = read_dataset([mo, cu])
    assert data.elements == ("Cu", "Mo")  # by atomic number, not by file order
    assert data.n_structures == 23 + 31
    assert data.names[22] == f"{mo}:22" and data.names[23] == f"{cu}:0"
    counts = data.element_counts
    np.testing.assert_array_equal(counts[:23, 0], 0)
    np.testing.assert_array_equal(counts[23:, 1], 0)
    np.testing.assert_array_equal(counts.sum(axis=1), data.atoms_per_structure)


@needs_data
def test_cu_train_has_no_stress():
    data = read_dataset(DATASETS / "mlearn" / "Cu" / "train.extxyz")
    assert (data.n_structures, data.n_atoms) == (262, 27416)
    assert not data.has_stress.any() and np.isnan(data.stress).all()


@needs_data
def test_index_selects_frames_and_keeps_their_numbers():
    path = DATASETS / "mlearn" / "Cu" / "test.extxyz"
    assert read_dataset(path, index="-1").names == (f"{path}:30",)
    assert read_dataset(path, index="3:9:2").names == tuple(f"{path}:{k}" for k in (3, 5, 7))


# --- Dataset operations ------------------------------------------------------------------------------------------------


def labelled(symbols, positions, cell=(6.0, 6.0, 6.0), pbc=True, energy=-1.0, stress=None, **info) -> Atoms:
    atoms = Atoms(symbols, positions=positions, cell=cell, pbc=pbc, info=info)
    forces = np.arange(3 * len(atoms), dtype=float).reshape(-1, 3)
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces, stress=stress)
    return atoms


def small_dataset() -> Dataset:
    return Dataset.from_atoms(
        [
            labelled("Ni2", [[0, 0, 0], [2, 0, 0]], energy=-1.0, config_type="a"),
            labelled("CuNiCu", [[0, 0, 0], [2, 0, 0], [0, 2, 0]], energy=-2.0, stress=np.arange(6.0)),
            labelled("Cu", [[1, 1, 1]], energy=-3.0),
        ]
    )


def test_from_atoms_layout():
    data = small_dataset()
    assert data.elements == ("Ni", "Cu")
    np.testing.assert_array_equal(data.species, [0, 0, 1, 0, 1, 1])
    np.testing.assert_array_equal(data.atom_start, [0, 2, 5, 6])
    np.testing.assert_array_equal(data.structure_of_atom, [0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(data.atoms_per_structure, [2, 3, 1])
    np.testing.assert_array_equal(data.element_counts, [[2, 0], [1, 2], [0, 1]])
    np.testing.assert_array_equal(data.has_stress, [False, True, False])
    np.testing.assert_allclose(data.volumes, 216.0)
    assert data.config_type == ("a", "", "")
    assert data.names == ("atoms:0", "atoms:1", "atoms:2")
    assert (data.n_structures, data.n_atoms, data.n_elements) == (3, 6, 2)
    with pytest.raises(ValueError, match="read-only"):
        data.positions[0, 0] = 1.0


def test_subset_keeps_order_and_elements():
    data = small_dataset()
    part = data.subset([2, 0])
    assert part.elements == data.elements and part.names == ("atoms:2", "atoms:0")
    np.testing.assert_array_equal(part.energy, [-3.0, -1.0])
    np.testing.assert_array_equal(part.species, [1, 0, 0])
    np.testing.assert_array_equal(part.positions, np.concatenate([data.positions[5:6], data.positions[0:2]]))
    np.testing.assert_array_equal(part.forces, np.concatenate([data.forces[5:6], data.forces[0:2]]))
    np.testing.assert_array_equal(part.atom_start, [0, 1, 3])
    assert data.subset([]).n_structures == 0
    assert data.subset(np.array([False, True, False])).names == ("atoms:1",)


def test_concatenate_reindexes_species():
    nickel = Dataset.from_atoms([labelled("Ni", [[0, 0, 0]])], names=["ni.xyz:0"])
    copper = Dataset.from_atoms([labelled("Cu", [[0, 0, 0]])], names=["cu.xyz:0"])
    both = Dataset.concatenate([copper, nickel])
    assert both.elements == ("Ni", "Cu")
    np.testing.assert_array_equal(both.species, [1, 0])
    assert both.names == ("cu.xyz:0", "ni.xyz:0")


def test_to_atoms_round_trip():
    data = small_dataset()
    atoms = data.to_atoms(1)
    assert atoms.get_chemical_symbols() == ["Cu", "Ni", "Cu"]
    assert atoms.get_potential_energy() == -2.0
    np.testing.assert_array_equal(atoms.get_forces(), data.forces[2:5])
    np.testing.assert_array_equal(atoms.get_stress(), np.arange(6.0))
    again = Dataset.from_atoms([data.to_atoms(s) for s in range(3)], names=data.names)
    for name in ("species", "positions", "cells", "energy", "forces", "stress"):
        np.testing.assert_array_equal(getattr(again, name), getattr(data, name))


def test_labels_from_info_and_arrays_3x3_stress_and_virial():
    old = Atoms("Cu2", positions=[[0, 0, 0], [2, 0, 0]], cell=[4, 4, 4], pbc=True)
    old.info["energy"] = -5.0
    old.arrays["forces"] = np.ones((2, 3))
    old.info["stress"] = np.array([[1.0, 6, 5], [6, 2, 4], [5, 4, 3]])
    gap = old.copy()
    del gap.info["stress"]
    gap.info["virial"] = -64.0 * np.array([[1.0, 6, 5], [6, 2, 4], [5, 4, 3]])
    data = Dataset.from_atoms([old, gap])
    np.testing.assert_array_equal(data.energy, [-5.0, -5.0])
    np.testing.assert_array_equal(data.forces, 1.0)
    np.testing.assert_allclose(data.stress, [[1, 2, 3, 4, 5, 6]] * 2)


def test_weights_and_declared_elements(tmp_path):
    path = write(tmp_path, frame_text(HEADER + " w=2.5"))
    data = read_dataset(path, weight_key="w", elements=["Ni", "Cu", "Ag"])
    assert data.elements == ("Ni", "Cu", "Ag")
    np.testing.assert_array_equal(data.species, [1, 1])
    np.testing.assert_array_equal(data.weights, [2.5])


def test_non_periodic_frame_gets_a_box_and_no_images(tmp_path):
    header = 'Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc="F F F"'
    path = write(tmp_path, frame_text(header, ["Cu 0 0 0 0 0 0", "Cu 2.5 0 0 0 0 0", "Cu 0 0 2.5 0 0 0"]))
    data = read_dataset(path)
    assert not data.pbc.any()
    np.testing.assert_allclose(np.abs(data.cells[0]), np.diag([12.5, 10.0, 12.5]))
    assert np.isfinite(data.volumes).all()


def test_slab_with_zero_c_vector_is_completed_orthogonally(tmp_path):
    header = 'Lattice="3 0 0 1 3 0 0 0 0" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc="T T F"'
    data = read_dataset(write(tmp_path, frame_text(header, ["Cu 0 0 0 0 0 0", "Cu 0 0 2.5 0 0 0"])))
    c = data.cells[0, 2]
    np.testing.assert_allclose(data.cells[0, :2], [[3, 0, 0], [1, 3, 0]])
    np.testing.assert_allclose(np.abs(c), [0, 0, 12.5])


# --- refusals: one file per failure kind, exact messages ---------------------------------------------------------------


def test_missing_file(tmp_path):
    path = str(tmp_path / "nowhere.extxyz")
    assert refusal(path) == f"{path}: cannot read: no such file: check the path"


def test_directory(tmp_path):
    assert refusal(str(tmp_path)) == f"{tmp_path}: cannot read: it is a directory: name a data file"


def test_empty_file(tmp_path):
    path = write(tmp_path, "")
    assert refusal(path) == f"{path}: no structures: the file is empty; give a file with at least one structure"


def test_truncated_file_names_the_broken_frame(tmp_path):
    path = write(tmp_path, frame_text() + "3\n" + HEADER + "\n" + ROWS[0] + "\n")
    message = refusal(path)
    prefix = f"{path}: frame 1: cannot be parsed (XYZError: "
    suffix = "): fix or truncate the file there, or check that ASE reads its format"
    assert re.fullmatch(re.escape(prefix) + r".+" + re.escape(suffix), message), message


def test_malformed_file(tmp_path):
    path = write(tmp_path, "this is not\na structure file\n")
    message = refusal(path)
    prefix = f"{path}: cannot be parsed ("
    suffix = "): fix or truncate the file there, or check that ASE reads its format"
    assert re.fullmatch(re.escape(prefix) + r".+" + re.escape(suffix), message), message


def test_index_selecting_nothing(tmp_path):
    path = write(tmp_path, frame_text())
    assert refusal(path, index="5:") == (
        f"{path}: no structures: index '5:' selects none of its 1 frames; change the index"
    )


def test_frame_without_energy(tmp_path):
    path = write(tmp_path, frame_text() + frame_text(HEADER.replace(" energy=-1.0", "")))
    assert refusal(path) == (
        f"{path}: frame 1: no energy: the file must hold the total energy of every structure "
        "(extxyz: energy=... on the comment line)"
    )


def test_frame_without_forces(tmp_path):
    header = HEADER.replace(":forces:R:3", "")
    path = write(tmp_path, frame_text(header, ["Cu 0 0 0", "Cu 2 0 0"]))
    assert refusal(path) == (
        f"{path}: frame 0: no forces: the file must hold forces for every structure "
        "(extxyz: a 'forces' per-atom property)"
    )


def test_forces_of_wrong_shape(tmp_path):
    header = HEADER.replace("forces:R:3", "forces:R:2")
    path = write(tmp_path, frame_text(header, ["Cu 0 0 0 0.1 0", "Cu 2 0 0 -0.1 0"]))
    assert refusal(path) == (
        f"{path}: frame 0: forces have shape (2, 2), expected (2, 3): "
        "give one force 3-vector per atom (extxyz: forces:R:3)"
    )


def test_nan_energy(tmp_path):
    path = write(tmp_path, frame_text(HEADER.replace("energy=-1.0", "energy=nan")))
    assert refusal(path) == f"{path}: frame 0: non-finite energy (nan): fix or remove the structure"


def test_inf_force(tmp_path):
    path = write(tmp_path, frame_text(rows=[ROWS[0], "Cu 2 0 0 -0.1 inf 0"]))
    assert refusal(path) == f"{path}: frame 0: non-finite force on atom 1 (inf): fix or remove the structure"


def test_nan_stress(tmp_path):
    path = write(tmp_path, frame_text(HEADER + ' stress="0 0 0 0 nan 0 0 0 0"'))
    assert refusal(path) == f"{path}: frame 0: non-finite stress (nan): fix the stress or leave it out"


def test_nan_position(tmp_path):
    path = write(tmp_path, frame_text(rows=["Cu 0 nan 0 0.1 0 0", ROWS[1]]))
    assert refusal(path) == f"{path}: frame 0: non-finite position on atom 0 (nan): fix the coordinates"


def test_nan_cell(tmp_path):
    path = write(tmp_path, frame_text(HEADER.replace('Lattice="5 0 0', 'Lattice="nan 0 0')))
    assert refusal(path) == (f"{path}: frame 0: non-finite cell (nan): fix the lattice vectors (extxyz: Lattice=...)")


def test_atoms_too_close(tmp_path):
    rows = [ROWS[0], "Cu 2 0 0 0 0 0", "Cu 2.3 0 0 -0.1 0 0"]
    path = write(tmp_path, frame_text() + frame_text(rows=rows))
    assert refusal(path) == (
        f"{path}: frame 1: atoms 1 and 2 are 0.300 Å apart, closer than min_distance 0.5 Å: "
        "fix or remove the structure (or lower min_distance if such contacts are real)"
    )
    assert read_dataset(path, min_distance=0.2).n_structures == 2


def test_atom_too_close_to_a_periodic_image(tmp_path):
    rows = ["Cu 0.1 0 0 0 0 0", "Cu 4.7 0 0 0 0 0"]  # 0.4 Å apart across the cell boundary
    path = write(tmp_path, frame_text(rows=rows))
    assert refusal(path) == (
        f"{path}: frame 0: atom 0 and a periodic image of atom 1 are 0.400 Å apart, closer than min_distance 0.5 Å: "
        "fix or remove the structure (or lower min_distance if such contacts are real)"
    )


def test_element_not_covered(tmp_path):
    path = write(tmp_path, frame_text(rows=[ROWS[0], "Ni 2 0 0 -0.1 0 0"]))
    assert refusal(path, elements=["Cu"]) == (
        f"{path}: frame 0: element Ni is not one of the model's, or the training data's, elements (Cu): "
        "remove the structure, or use a model (training data) with Ni"
    )


def test_periodic_frame_without_a_cell(tmp_path):
    header = 'Lattice="5 0 0 0 5 0 0 0 0" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc="T T T"'
    path = write(tmp_path, frame_text(header))
    assert refusal(path) == (
        f"{path}: frame 0: the cell is degenerate along periodic directions (pbc TTT, volume 0): "
        "give lattice vectors for every periodic direction (extxyz: Lattice=...) or mark it non-periodic"
    )


def test_missing_weight(tmp_path):
    path = write(tmp_path, frame_text(HEADER + " w=1.0") + frame_text())
    assert refusal(path, weight_key="w") == (
        f"{path}: frame 1: no 'w' in info: with weight_key='w' every structure needs a weight"
    )


def test_negative_weight(tmp_path):
    path = write(tmp_path, frame_text(HEADER + " w=-1.0"))
    assert refusal(path, weight_key="w") == f"{path}: frame 0: weight w=-1.0: give a finite weight >= 0"


def test_stress_of_wrong_shape():
    atoms = labelled("Cu", [[0, 0, 0]])
    atoms.calc.results["stress"] = np.zeros(4)
    with pytest.raises(DataError) as caught:
        Dataset.from_atoms([atoms], names=["x.extxyz:7"])
    assert str(caught.value) == (
        "x.extxyz: frame 7: stress has shape (4,): give 6 Voigt components (xx yy zz yz xz xy) or a 3x3 matrix, in eV/Å³"
    )
