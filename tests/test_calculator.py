"""`SymFFCalculator` for MD: what it keeps between calls must give what a fresh evaluation gives, as physics."""

import numpy as np
import pytest
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.calculator import CalculationFailed
from ase.md.verlet import VelocityVerlet
from helpers import labelled

from symff.data import Dataset
from symff.errors import DataError
from symff.evaluate import reference
from symff.evaluate.skin import SkinList
from symff.export.calculator import SymFFCalculator
from symff.expr.symbols import Rejected
from symff.model import AlloyModel, Model
from symff.neighbours import build_neighbours

# Sutton–Chen-like EAM form: a pair term and a square-root embedding (forces couple every pair of a neighbourhood).
EAM = "NS(0.5*0.012382*3.61**9*r**-9) - 0.012382*39.432*sqrt(NS(3.61**6*r**-6))"
H = 1e-5  # finite-difference step, Å and strain


def model():
    return Model.from_expression(EAM, ["Cu"], {"Cu": -0.3})


def crystal(seed=0, cells=3, rattle=0.1):
    atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(cells)
    atoms.rattle(rattle, seed=seed)
    return atoms


def fresh(atoms, exact):
    """Energy, forces and stress from a new calculator (no list kept, no skin)."""
    copy = atoms.copy()
    copy.calc = SymFFCalculator(model(), exact=exact, skin=0.0)
    return copy.get_potential_energy(), copy.get_forces(), copy.get_stress()


def results(atoms):
    return atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()


@pytest.mark.parametrize("exact", [True, False], ids=["exact", "tabulated"])
def test_kept_list_gives_what_a_fresh_evaluation_gives(exact):
    """Through small moves (list reused), a large move (list rebuilt), a strained cell and a changed element."""
    # exact: the same pair values, summed in another order; tabulated: also another grid (start below the list)
    tolerance = 1e-11 if exact else 1e-8
    atoms = crystal()
    calc = SymFFCalculator(model(), exact=exact, skin=1.0)
    atoms.calc = calc
    rng = np.random.default_rng(1)
    frames = []
    for step in range(6):
        atoms.positions += rng.normal(0, 0.04, atoms.positions.shape)
        if step == 3:
            atoms.positions[5] += [0.7, 0.0, 0.0]  # beyond skin/2: a rebuild
        got, expected = results(atoms), fresh(atoms, exact)
        assert got[0] == pytest.approx(expected[0], rel=tolerance, abs=tolerance)
        np.testing.assert_allclose(got[1], expected[1], atol=tolerance * 10)
        np.testing.assert_allclose(got[2], expected[2], atol=tolerance)
        frames.append(calc._frame)
    assert frames[0] is frames[1] is frames[2] and frames[3] is not frames[2], "the list is kept, then rebuilt"
    atoms.set_cell(atoms.cell * 1.01, scale_atoms=True)
    got, expected = results(atoms), fresh(atoms, exact)
    assert calc._frame is not frames[-1]
    assert got[0] == pytest.approx(expected[0], rel=tolerance)
    np.testing.assert_allclose(got[2], expected[2], atol=tolerance)


def test_skin_list_finds_every_pair_until_stale():
    atoms = crystal(seed=2, cells=2)
    data = Dataset.from_atoms([labelled(atoms)], min_distance=None)
    skin = SkinList.build(data.positions, data.cells, data.pbc, data.atom_start, 5.0, skin=0.6)
    grid = skin.covering_grid(3.0)
    rng = np.random.default_rng(3)
    for _ in range(20):
        # every atom moves just under skin/2, in a random direction: pairs approach by up to the full skin
        direction = rng.normal(size=data.positions.shape)
        moved = data.positions + 0.299 * direction / np.linalg.norm(direction, axis=1)[:, None]
        assert not skin.stale(moved)
        now = Dataset.from_atoms([labelled(Atoms(atoms.symbols, moved, cell=atoms.cell, pbc=True))],
                                 min_distance=None)
        expected = build_neighbours(now, 5.0)
        got = skin.pairs(moved, grid)
        assert got.n_pairs == expected.n_pairs
        np.testing.assert_allclose(np.sort(got.r), np.sort(expected.r), atol=1e-12)
    assert skin.stale(data.positions + [[0.3, 0, 0]] + np.zeros_like(data.positions))


def test_forces_are_minus_the_gradient_of_the_kept_calculator():
    atoms = crystal(seed=4, cells=2)
    atoms.calc = SymFFCalculator(model(), skin=1.0)
    forces = atoms.get_forces()
    numerical = np.zeros_like(forces)
    for a in range(len(atoms)):
        for k in range(3):
            energies = []
            for sign in (1, -1):
                atoms.positions[a, k] += sign * H
                energies.append(atoms.get_potential_energy())
                atoms.positions[a, k] -= sign * H
            numerical[a, k] = -(energies[0] - energies[1]) / (2 * H)
    np.testing.assert_allclose(forces, numerical, atol=1e-6)


def test_stress_is_the_strain_derivative():
    atoms = crystal(seed=5, cells=2)
    atoms.calc = SymFFCalculator(model())
    stress = atoms.get_stress(voigt=False)
    cell, volume = atoms.cell.array.copy(), atoms.get_volume()
    numerical = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            energies = []
            for sign in (1, -1):
                strain = np.eye(3)
                strain[i, j] += sign * H
                strained = atoms.copy()
                strained.calc = atoms.calc  # the same calculator: the cell change must rebuild its list
                strained.set_cell(cell @ strain, scale_atoms=True)
                energies.append(strained.get_potential_energy())
            numerical[i, j] = (energies[0] - energies[1]) / (2 * H) / volume
    np.testing.assert_allclose(stress, (numerical + numerical.T) / 2, atol=1e-7)


def test_nve_md_with_the_kept_list_conserves_energy():
    atoms = crystal(seed=6, cells=3, rattle=0.05)
    atoms.calc = SymFFCalculator(model(), skin=0.5)
    rng = np.random.default_rng(7)
    atoms.set_velocities(rng.normal(0, 0.02, atoms.positions.shape))  # Å/fs-ish: a few hundred K
    md = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    start = atoms.get_total_energy()
    builds = set()
    for _ in range(20):
        md.run(10)
        builds.add(id(atoms.calc._frame))
        assert atoms.get_total_energy() == pytest.approx(start, abs=2e-4 * len(atoms))
    assert len(builds) > 1, "some atom moved skin/2 in 200 fs: the list must have been rebuilt"


def test_changed_numbers_rebuild():
    two = Model.from_expression(EAM, ["Cu", "Ni"], {"Cu": -0.3, "Ni": -0.5})
    atoms = crystal(seed=8, cells=2)
    atoms.calc = SymFFCalculator(two)
    e_cu = atoms.get_potential_energy()
    atoms.symbols[0] = "Ni"
    assert atoms.get_potential_energy() == pytest.approx(e_cu - 0.2, abs=1e-10)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_calculator_in_use_can_be_copied_and_pickled(how):
    """copy.deepcopy of atoms with their calculator (a common ASE idiom), or pickled to another process, after an
    evaluation: the copy computes what the original does."""
    import copy
    import pickle

    atoms = crystal(seed=9, cells=2)
    atoms.calc = SymFFCalculator(model())
    expected = results(atoms)
    twin = copy.deepcopy(atoms) if how == "deepcopy" else pickle.loads(pickle.dumps(atoms))
    twin.positions[0] += 0.01
    atoms.positions[0] += 0.01
    for got, want in zip(results(twin), results(atoms)):
        assert np.array_equal(got, want)
    assert not np.array_equal(results(atoms)[1], expected[1])


@pytest.mark.parametrize("exact", [False, True], ids=["table", "exact"])
def test_an_atom_without_neighbours_gets_its_reference_energy_and_no_force(exact):
    """A lone atom (one that left a surface in MD) has every sum at 0, where the square-root embedding's slope is
    infinite; that slope multiplies no pair, so the atom gets its reference energy and no force, as in the numpy
    reference (the calculator refused the whole structure before)."""
    atoms = Atoms("Cu3", positions=[[0, 0, 0], [0.3, 0.2, 2.5], [9.0, 0, 0]])
    atoms.calc = SymFFCalculator(model(), exact=exact, skin=0.0)
    expected = reference.calculate(model(), atoms)
    assert atoms.get_potential_energy() == pytest.approx(expected["energy"], rel=1e-12 if exact else 1e-6)
    forces = atoms.get_forces()
    assert np.allclose(forces, expected["forces"], rtol=1e-6, atol=1e-8) and np.abs(forces[:2]).max() > 0.1
    assert np.array_equal(forces[2], np.zeros(3))
    alone = Atoms("Cu", positions=[[0, 0, 0]])
    alone.calc = SymFFCalculator(model(), exact=exact)
    assert alone.get_potential_energy() == pytest.approx(-0.3, abs=1e-12)


def test_atoms_at_one_place_and_an_infinite_energy_are_errors_that_say_so():
    # an infinite energy is ASE's CalculationFailed, for code that drives ASE, and the evaluation's Rejected, which
    # MD and relaxations inside symff stop at
    twins = Atoms("Cu2", positions=[[1, 1, 1], [1, 1, 1]], cell=[6, 6, 6], pbc=True)
    twins.calc = SymFFCalculator(model())
    with pytest.raises(DataError, match="atoms 0 and 1 are at the same place"):
        twins.get_potential_energy()
    lone = Atoms("Cu", positions=[[0, 0, 0]])
    lone.calc = SymFFCalculator(Model.from_expression("NS(r**-12) + 1/NS(exp(-r))", ["Cu"], {"Cu": 0.0}))
    for failure in (CalculationFailed, Rejected):
        with pytest.raises(failure, match="non_finite: a term is not finite for some atom"):
            lone.get_potential_energy()


@pytest.mark.parametrize("kind", ["several elements", "angular"])
def test_a_lone_atom_gets_no_force_under_species_and_three_body_sums(kind):
    """The lone-atom rule in the other environment sums: a square root of a species-filtered sum, and of a three-body
    sum (a trimer's atoms have one, the lone atom none): the lone atom gets its reference energy and no force, the
    rest what the numpy reference gives."""
    if kind == "several elements":
        model = AlloyModel.from_expressions({"Cu": "NS(r**-12) - sqrt(NS(r**-6, Ni))", "Ni": "NS(r**-12, Ni)"},
                                            ("Cu", "Ni"), {"Cu": -0.3, "Ni": -0.5})
        atoms = Atoms("CuNiCu", positions=[[0, 0, 0], [0.3, 0.2, 2.4], [9.0, 0, 0]])
    else:
        model = Model.from_expression("NS(r**-12) - sqrt(NS3(exp(-r), c**2 + 1.0))", ["Cu"], {"Cu": -0.3})
        atoms = Atoms("Cu4", positions=[[0, 0, 0], [0.3, 0.2, 2.4], [2.2, 0.1, 1.0], [9.0, 0, 0]])
    atoms.calc = SymFFCalculator(model, exact=True, skin=0.0)
    expected = reference.calculate(model, atoms)
    assert atoms.get_potential_energy() == pytest.approx(expected["energy"], rel=1e-10)
    forces = atoms.get_forces()
    assert np.allclose(forces, expected["forces"], rtol=1e-8, atol=1e-10) and np.abs(forces[:-1]).max() > 0.01
    assert np.array_equal(forces[-1], np.zeros(3))
    assert atoms.get_potential_energies()[-1] == pytest.approx(-0.3, abs=1e-12)
