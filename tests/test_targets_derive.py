"""Elastic constants read off a strain series (`symff.targets.derive`), checked on a series made with a known
potential (Sutton–Chen Cu) against the same potential's constants by `symff validate`'s stress differences."""

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator

from symff.errors import TargetsError
from symff.synthetic.calculators import SuttonChenCutoff
from symff.synthetic.generate import equilibrium_lattice_constant
from symff.targets.derive import elastic_constants_from_strain_series
from symff.validate.properties import elastic_constants

STRAINS = (-0.02, -0.01, 0.01, 0.02)


def strain_series(calculator, a0, with_stress=True, pressure_strain=0.0):
    """An mlearn-like Elastic group: the 2×2×2 cubic cell (at a0 scaled by 1 + pressure_strain) under the six
    single modes F = I + s E_ij (E_ij one unit entry: normal for i = j, shear otherwise), atoms on the strained
    sites, plus a Vacancy structure that must be ignored."""
    reference = bulk("Cu", "fcc", a=a0 * (1 + pressure_strain), cubic=True).repeat(2)
    frames = [reference.copy()]
    for i, j in ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)):
        for s in STRAINS:
            F = np.eye(3)
            F[i, j] += s
            atoms = reference.copy()
            atoms.set_cell(reference.cell[:] @ F.T, scale_atoms=True)
            frames.append(atoms)
    other = reference.copy()
    del other[0]
    other.info["config_type"] = "Vacancy"
    for atoms in frames:
        atoms.info["config_type"] = "Elastic"
        atoms.calc = calculator
        energy, stress = atoms.get_potential_energy(), atoms.get_stress()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, **({"stress": stress} if with_stress else {}))
    other.calc = SinglePointCalculator(other, energy=0.0)
    return frames + [other]


@pytest.fixture(scope="module")
def sutton_chen():
    calculator = SuttonChenCutoff()
    a0 = equilibrium_lattice_constant(calculator)
    return calculator, a0, np.array(elastic_constants(calculator, "Cu", a0))


def test_stress_fit_recovers_the_elastic_constants(sutton_chen):
    calculator, a0, expected = sutton_chen
    derived = elastic_constants_from_strain_series(strain_series(calculator, a0))
    assert derived["n_structures"] == 25 and derived["structure"] == "fcc"
    np.testing.assert_allclose([derived["C11"], derived["C12"], derived["C44"]], expected, rtol=5e-3)
    assert derived["a0"] == pytest.approx(a0, abs=1e-4)
    assert derived["P_ref"] == pytest.approx(0.0, abs=0.05)


def test_zero_stress_lattice_constant_from_a_compressed_reference(sutton_chen):
    # a reference cell 0.5 % too small is under pressure; the fit's S0 and C bring a0 back to the minimum
    calculator, a0, _ = sutton_chen
    derived = elastic_constants_from_strain_series(strain_series(calculator, a0, pressure_strain=-0.005))
    assert derived["a_ref"] == pytest.approx(a0 * 0.995, rel=1e-9)
    assert derived["P_ref"] > 1.0  # GPa, compressed
    assert derived["a0"] == pytest.approx(a0, rel=5e-4)


def test_energy_fit_gives_c11_and_c44_but_not_c12(sutton_chen):
    calculator, a0, expected = sutton_chen
    derived = elastic_constants_from_strain_series(strain_series(calculator, a0, with_stress=False), use="energy")
    np.testing.assert_allclose([derived["C11"], derived["C44"]], expected[[0, 2]], rtol=1e-2)
    assert np.isnan(derived["C12"]) and np.isnan(derived["B"])


def test_stress_fit_refuses_data_without_stress(sutton_chen):
    calculator, a0, _ = sutton_chen
    with pytest.raises(TargetsError, match="data.extxyz: .* 0 structures with stress"):
        elastic_constants_from_strain_series(strain_series(calculator, a0, with_stress=False), source="data.extxyz")


def test_no_elastic_group_is_a_clear_error():
    atoms = bulk("Cu", "fcc", a=3.6)
    with pytest.raises(TargetsError, match="x.extxyz: no structures with config_type Elastic"):
        elastic_constants_from_strain_series([atoms], source="x.extxyz")


@pytest.mark.parametrize("element", ["Ni", "Mo", "Li", "Si", "Ge"])
def test_shipped_mlearn_targets_read_and_cite_their_source(element):
    from symff.targets import read_targets, shipped_targets

    path = shipped_targets(f"{element}-PBE.yaml")
    targets = read_targets(path)
    assert targets.elements == (element,) and "Zuo et al. 2020" in targets.reference
    assert "C11" in targets.names(element) and {"C44", "C44_0"} & set(targets.names(element))
    assert "symff.targets.derive" in path.read_text()
