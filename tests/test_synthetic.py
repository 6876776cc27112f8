"""Tests of symff.synthetic: the reference calculators as physics, and the data sets as reproducible, sane data."""

import math
import subprocess
import sys
from pathlib import Path

import ase.io
import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.neighborlist import neighbor_list
from matscipy.neighbours import neighbour_list as matscipy_neighbour_list

from symff.synthetic import (
    LennardJonesCutoff,
    SuttonChenCutoff,
    make_lj_dataset,
    make_sutton_chen_dataset,
    minimum_distance,
)
from symff.synthetic.generate import equilibrium_lattice_constant, fcc_cell, md_snapshots

REPO = Path(__file__).resolve().parents[1]
CALCULATORS = [LennardJonesCutoff, SuttonChenCutoff]
# Sutton-Chen Cu and LJ parameters as the calculators' defaults, written out so the hand evaluations stand alone.
SC = {"epsilon": 0.012382, "a": 3.61, "c": 39.432, "n": 9, "m": 6}
LJ = {"epsilon": 0.4093, "sigma": 2.338}
R_IN, R_OUT = 3.0, 5.0
SMALL_SC_RUN = {"snapshots_per_temperature": 3, "interval": 10, "equilibration": 20}


def hand_cutoff(r, r_in=R_IN, r_out=R_OUT):
    """f_c and f_c' written out from Hernandez et al. 2019, independently of symff.cutoff."""
    if r <= r_in:
        return 1.0, 0.0
    if r >= r_out:
        return 0.0, 0.0
    d = (r_out**2 - r_in**2) ** 3
    p, q = 2 * r**2 - 3 * r_in**2 + r_out**2, r_out**2 - r**2
    return p * q * q / d, (4 * r * q * q - 4 * r * p * q) / d


def random_cell(rng, n_atoms, volume_per_atom=14.0, skew=0.25, shortest=2.0):
    """Random positions in a random triclinic periodic cell, with no two atoms (or images) closer than ``shortest``.

    Atoms are inserted one at a time, each position redrawn until it keeps its distance (drawing all positions at
    once almost never succeeds at a liquid-like density); a cell that jams or is too skewed is drawn again.
    """
    length = (n_atoms * volume_per_atom) ** (1 / 3)
    while True:
        cell = length * (np.eye(3) + skew * rng.uniform(-1, 1, (3, 3)))
        atoms = Atoms(cell=cell, pbc=True)
        for _ in range(200 * n_atoms):
            trial = atoms + Atoms("Cu", scaled_positions=rng.uniform(size=(1, 3)), cell=cell, pbc=True)
            if minimum_distance(trial) >= shortest:
                atoms = trial
            if len(atoms) == n_atoms:
                return atoms


def dimer(r):
    return Atoms("Cu2", positions=[(0, 0, 0), (r, 0, 0)])


def numerical_forces(atoms, h=1e-5):
    """-∂E/∂x by central differences."""
    forces = np.zeros((len(atoms), 3))
    for a in range(len(atoms)):
        for k in range(3):
            energies = []
            for step in (h, -h):
                displaced = atoms.copy()
                displaced.positions[a, k] += step
                displaced.calc = atoms.calc
                energies.append(displaced.get_potential_energy())
            forces[a, k] = -(energies[0] - energies[1]) / (2 * h)
    return forces


def numerical_stress(atoms, h=1e-5):
    """(1/V) ∂E/∂ε by central differences of symmetric strains, in Voigt order xx yy zz yz xz xy."""
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    stress = np.zeros(6)
    for v, (k, m) in enumerate(voigt):
        energies = []
        for step in (h, -h):
            strain = np.zeros((3, 3))
            strain[k, m] += step / 2
            strain[m, k] += step / 2
            strained = atoms.copy()
            strained.set_cell(atoms.cell[:] @ (np.eye(3) + strain), scale_atoms=True)
            strained.calc = atoms.calc
            energies.append(strained.get_potential_energy())
        stress[v] = (energies[0] - energies[1]) / (2 * h) / atoms.get_volume()
    return stress


def assert_relative(actual, expected, tolerance):
    """Arrays agree to ``tolerance`` relative to the largest magnitude (components near zero do not inflate it)."""
    scale = np.abs(expected).max()
    assert np.abs(actual - expected).max() <= tolerance * scale, np.abs(actual - expected).max() / scale


# Two geometries: a random triclinic cell, and a 2-atom cell far smaller than the cutoff, where every atom sees
# dozens of its own periodic images.
GEOMETRIES = {"triclinic": {"n_atoms": 10}, "tiny": {"n_atoms": 2, "skew": 0.15}}


@pytest.fixture(params=GEOMETRIES, ids=list(GEOMETRIES))
def geometry(request):
    return random_cell(np.random.default_rng(7), **GEOMETRIES[request.param])


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_forces_are_minus_the_energy_gradient(calculator, geometry):
    geometry.calc = calculator()
    assert_relative(geometry.get_forces(), numerical_forces(geometry), 1e-6)


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_stress_is_the_strain_derivative_of_the_energy(calculator, geometry):
    geometry.calc = calculator()
    assert_relative(geometry.get_stress(), numerical_stress(geometry), 1e-6)


def test_tiny_cell_is_smaller_than_the_cutoff():
    atoms = random_cell(np.random.default_rng(7), **GEOMETRIES["tiny"])
    assert atoms.cell.cellpar()[:3].max() < R_OUT / 2 * 1.5
    assert np.any(neighbor_list("i", atoms, R_OUT) == neighbor_list("j", atoms, R_OUT))


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_per_atom_energies_sum_to_the_total_and_forces_to_zero(calculator, geometry):
    geometry.calc = calculator()
    energies = geometry.get_potential_energies()
    assert energies.shape == (len(geometry),)
    assert math.isclose(energies.sum(), geometry.get_potential_energy(), rel_tol=1e-13)
    assert np.abs(geometry.get_forces().sum(axis=0)).max() < 1e-10 * np.abs(geometry.get_forces()).max()


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_matscipy_neighbour_list_gives_the_same_results(calculator, geometry):
    geometry.calc = calculator()
    reference = geometry.get_forces(), geometry.get_stress(), geometry.get_potential_energy()
    geometry.calc = calculator(neighbour_list=matscipy_neighbour_list)
    fast = geometry.get_forces(), geometry.get_stress(), geometry.get_potential_energy()
    for a, b in zip(fast, reference):
        assert_relative(np.asarray(a), np.asarray(b), 1e-12)


@pytest.mark.parametrize("r", [2.0, 2.6, 2.99, 3.0, 3.01, 3.5, 4.2, 4.9, 4.999, 5.0, 5.3])
def test_lj_dimer_matches_the_closed_form(r):
    epsilon, sigma = LJ["epsilon"], LJ["sigma"]
    f_c, f_c_slope = hand_cutoff(r)
    phi = 4 * epsilon * ((sigma / r) ** 12 - (sigma / r) ** 6)
    phi_slope = 4 * epsilon * (-12 * (sigma / r) ** 12 + 6 * (sigma / r) ** 6) / r
    atoms = dimer(r)
    atoms.calc = LennardJonesCutoff()
    assert atoms.get_potential_energy() == pytest.approx(phi * f_c, rel=1e-12, abs=1e-15)
    assert atoms.get_potential_energies() == pytest.approx([phi * f_c / 2] * 2, rel=1e-12, abs=1e-15)
    force_on_second = -(phi_slope * f_c + phi * f_c_slope)
    assert atoms.get_forces()[1] == pytest.approx([force_on_second, 0, 0], rel=1e-12, abs=1e-15)


def hand_sutton_chen(atoms):
    """Per-atom energies and forces by explicit loops over ASE's neighbour list (one line of physics per step)."""
    epsilon, a, c, n, m = SC["epsilon"], SC["a"], SC["c"], SC["n"], SC["m"]
    pairs = list(zip(*neighbor_list("ijdD", atoms, R_OUT)))
    repulsion = [0.0] * len(atoms)
    density = [0.0] * len(atoms)
    for i, _, r, _ in pairs:
        f_c, _ = hand_cutoff(r)
        repulsion[i] += math.pow(a / r, n) * f_c
        density[i] += math.pow(a / r, m) * f_c
    energies = [epsilon * (0.5 * repulsion[i] - c * math.sqrt(density[i])) for i in range(len(atoms))]
    forces = np.zeros((len(atoms), 3))
    for i, j, r, D in pairs:
        f_c, f_c_slope = hand_cutoff(r)
        d_repulsion = -n / r * math.pow(a / r, n) * f_c + math.pow(a / r, n) * f_c_slope
        d_density = -m / r * math.pow(a / r, m) * f_c + math.pow(a / r, m) * f_c_slope
        dE_dr = epsilon * (0.5 * d_repulsion - c * d_density / (2 * math.sqrt(density[i])))
        forces[i] += dE_dr * D / r
        forces[j] -= dE_dr * D / r
    return np.array(energies), forces


@pytest.mark.parametrize("n_atoms", [2, 6])
def test_sutton_chen_matches_a_hand_evaluation(n_atoms):
    atoms = random_cell(np.random.default_rng(n_atoms), n_atoms)
    atoms.calc = SuttonChenCutoff()
    energies, forces = hand_sutton_chen(atoms)
    assert_relative(atoms.get_potential_energies(), energies, 1e-12)
    assert_relative(atoms.get_forces(), forces, 1e-12)


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_energy_and_forces_are_continuous_as_a_pair_crosses_r_out(calculator):
    """A chain A-B-X: the pair A-X crosses r_out while both ends keep the neighbour B.

    Moving X also stretches B-X, so the energy changes by -F·Δx to first order; any jump would add to that.
    """
    delta = 1e-9
    results = []
    for r in (R_OUT - delta, R_OUT + delta):
        atoms = Atoms("Cu3", positions=[(0, 0, 0), (2.5, 0.3, 0), (r, 0, 0)])
        atoms.calc = calculator()
        results.append((atoms.get_potential_energy(), atoms.get_forces()))
    (e_in, f_in), (e_out, f_out) = results
    work = -0.5 * (f_in[2, 0] + f_out[2, 0]) * 2 * delta
    assert abs(e_out - e_in - work) < 1e-13
    assert np.abs(f_in - f_out).max() < 1e-6


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_dimer_energy_vanishes_continuously_at_r_out(calculator):
    atoms = dimer(R_OUT + 1e-9)
    atoms.calc = calculator()
    assert atoms.get_potential_energy() == 0.0
    atoms = dimer(R_OUT - 1e-7)
    atoms.calc = calculator()
    assert abs(atoms.get_potential_energy()) < 1e-7


def test_sutton_chen_lone_pair_force_jumps_at_r_out():
    """A documented property of the form, not a bug: √ρ falls linearly when f_c (quadratic) takes the only pair."""
    atoms = dimer(R_OUT - 1e-9)
    atoms.calc = SuttonChenCutoff()
    assert np.abs(atoms.get_forces()).max() > 1e-3


@pytest.mark.parametrize("calculator", CALCULATORS)
def test_the_state_check_sees_every_change_ase_sees(calculator):
    """The calculators compare positions, numbers, cell and pbc exactly instead of ASE's isclose on every array: the
    same answer as ASE's own check for each change, and recalculation exactly when the state changed."""
    atoms = fcc_cell(3.64, 2)
    atoms.rattle(0.05, seed=1)
    calc = calculator()
    atoms.calc = calc
    energy = atoms.get_potential_energy()
    changes = {"positions": lambda a: a.positions.__setitem__((3, 1), a.positions[3, 1] + 1e-9),
               "numbers": lambda a: a.numbers.__setitem__(0, 28), "cell": lambda a: a.set_cell(a.cell * 1.001),
               "pbc": lambda a: a.set_pbc([True, True, False])}
    for name, change in changes.items():
        changed = atoms.copy()
        change(changed)
        assert calc.check_state(changed) == Calculator.check_state(calc, changed) == [name]
    assert calc.check_state(atoms.copy()) == Calculator.check_state(calc, atoms.copy()) == []
    atoms.positions[0, 0] += 0.01
    assert atoms.get_potential_energy() != energy  # recalculated after the move


def test_md_data_are_the_same_as_with_ases_state_check():
    """MD with ASE's slower check follows the same trajectory, to the bit."""

    class WithAsesCheck(LennardJonesCutoff):
        def check_state(self, atoms, tol=1e-15):
            return Calculator.check_state(self, atoms, tol)

    cell = fcc_cell(3.64, 2)
    runs = [md_snapshots(cell, calc, np.random.default_rng(3), temperature_K=900, n_snapshots=3, interval=5,
                         equilibration=10) for calc in (LennardJonesCutoff(), WithAsesCheck())]
    for fast, ase_checked in zip(*runs):
        assert np.array_equal(fast.positions, ase_checked.positions)
        assert np.array_equal(fast.get_momenta(), ase_checked.get_momenta())


def test_stress_is_absent_without_a_periodic_cell():
    atoms = dimer(2.5)
    atoms.calc = SuttonChenCutoff()
    with pytest.raises(Exception, match="stress"):
        atoms.get_stress()


def test_cutoff_radii_are_checked():
    with pytest.raises(ValueError, match="r_in"):
        LennardJonesCutoff(r_in=5.0, r_out=4.0)


@pytest.mark.parametrize("calculator, expected", [(LennardJonesCutoff, 3.6422), (SuttonChenCutoff, 3.6071)])
def test_equilibrium_lattice_constant_has_zero_stress(calculator, expected):
    a = equilibrium_lattice_constant(calculator())
    assert a == pytest.approx(expected, abs=1e-4)
    atoms = fcc_cell(a, 1)
    atoms.calc = calculator()
    assert np.abs(atoms.get_stress()).max() < 1e-7


@pytest.fixture(scope="module")
def lj_dataset():
    return make_lj_dataset(1)


def assert_well_formed(structures):
    for atoms in structures:
        assert "config_type" in atoms.info
        assert atoms.get_forces().shape == (len(atoms), 3)
        assert atoms.get_stress().shape == (6,)
        assert np.isfinite(atoms.get_potential_energy())
        assert minimum_distance(atoms) > 1.5


def test_lj_dataset_is_well_formed(lj_dataset):
    assert 40 <= len(lj_dataset) <= 60
    assert all(32 - 1 <= len(atoms) <= 108 for atoms in lj_dataset)
    assert {atoms.info["config_type"] for atoms in lj_dataset} == {
        "fcc_strain",
        "fcc_shear",
        "md_300K",
        "md_1500K",
        "vacancy_md_1000K",
        "liquid_6000K",
    }
    assert_well_formed(lj_dataset)


def test_lj_dataset_labels_match_the_reference_calculator(lj_dataset):
    for atoms in lj_dataset[::7]:
        copy = atoms.copy()
        copy.calc = LennardJonesCutoff()
        assert copy.get_potential_energy() == pytest.approx(atoms.get_potential_energy(), rel=1e-12)
        assert_relative(copy.get_forces(), atoms.get_forces(), 1e-12)
        assert_relative(copy.get_stress(), atoms.get_stress(), 1e-12)


def arrays_of(structures):
    return [(a.positions, a.cell[:], a.get_potential_energy(), a.get_forces(), a.get_stress()) for a in structures]


def assert_identical(first, second):
    assert len(first) == len(second)
    for a, b in zip(arrays_of(first), arrays_of(second)):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)


def test_lj_dataset_is_reproducible(lj_dataset):
    assert_identical(lj_dataset, make_lj_dataset(1))
    other = make_lj_dataset(2)
    assert not np.array_equal(other[-1].positions, lj_dataset[-1].positions)


def test_sutton_chen_dataset_is_reproducible_and_well_formed():
    first = make_sutton_chen_dataset(3, **SMALL_SC_RUN)
    assert_identical(first, make_sutton_chen_dataset(3, **SMALL_SC_RUN))
    other = make_sutton_chen_dataset(4, **SMALL_SC_RUN)
    assert not np.array_equal(other[0].positions, first[0].positions)
    assert [atoms.info["config_type"] for atoms in first] == ["md_300K"] * 3 + ["md_1600K"] * 3 + ["md_3800K"] * 3
    assert all(len(atoms) == 32 for atoms in first)
    assert_well_formed(first)


@pytest.mark.slow
def test_full_sutton_chen_dataset_is_well_formed():
    structures = make_sutton_chen_dataset(1)
    assert len(structures) == 90
    assert_well_formed(structures)


def test_script_writes_extxyz_that_reads_back(tmp_path):
    out = tmp_path / "sc.extxyz"
    command = [sys.executable, str(REPO / "datasets" / "make_sutton_chen.py"), "--seed", "5", "--out", str(out)]
    subprocess.run([*command, "--temperatures", "300", "--snapshots", "2"], check=True, capture_output=True)
    structures = ase.io.read(out, ":")
    assert len(structures) == 2
    assert structures[0].info["config_type"] == "md_300K"
    assert structures[0].get_forces().shape == (32, 3)
    assert structures[0].get_stress().shape == (6,)
