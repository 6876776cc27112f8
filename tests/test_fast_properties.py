"""`symff.validate.fast`: properties from the model's program agree with the ASE path of `symff validate`."""

import math
from importlib.resources import files

import pytest
from ase.build import bulk

from symff.model import Model
from symff.validate.calculator import _ModelCalculator
from symff.validate.fast import FastProperties, relaxed_defects
from symff.validate.properties import (
    J_PER_M2,
    elastic_constants,
    energy_of,
    hcp_minimum,
    lattice_constant,
    surface_energy,
    vacancy_energy,
)


@pytest.fixture(scope="module")
def model():
    return Model.load(files("symff.potentials") / "Cu-mlearn-1.json")


@pytest.fixture(scope="module")
def fast(model):
    properties = FastProperties(model, "Cu")
    return properties, properties.static()


def test_static_properties_match_ase_path(model, fast):
    _, static = fast
    calculator = _ModelCalculator(model)
    a0, e_fcc = lattice_constant(calculator, "Cu", "fcc")
    assert static["a0"] == pytest.approx(a0, rel=1e-6)
    c11, c12, c44 = elastic_constants(calculator, "Cu", a0)
    assert [static["C11"], static["C12"], static["C44"]] == pytest.approx([c11, c12, c44], rel=1e-5)
    a_bcc, e_bcc = lattice_constant(calculator, "Cu", "bcc", a0)
    assert static["a0_bcc"] == pytest.approx(a_bcc, rel=1e-6)
    assert static["dE_bcc_fcc"] == pytest.approx(1000 * (e_bcc - e_fcc), abs=1e-6)
    *_, e_hcp = hcp_minimum(calculator, "Cu", a0)
    assert static["dE_hcp_fcc"] == pytest.approx(1000 * (e_hcp - e_fcc), abs=1e-5)


def test_cauchy_pressure_of_a_many_body_model_is_not_forced(fast):
    # Cu-mlearn-1 (an EAM-like sum of pair terms) obeys the Cauchy relation at zero pressure: C12 = C44
    _, static = fast
    assert static["C12"] == pytest.approx(static["C44"], rel=1e-3)
    assert static["B"] == pytest.approx((static["C11"] + 2 * static["C12"]) / 3)


@pytest.mark.parametrize("name", ["E_vac", "gamma_100", "gamma_110", "gamma_111", "gamma_211"])
def test_unrelaxed_defects_match_ase_energies(model, fast, name):
    properties, static = fast
    calculator = _ModelCalculator(model)
    atoms, area = properties.defect_structure(name, static["a0"])
    e_fcc = energy_of(bulk("Cu", "fcc", a=static["a0"]), calculator)
    expected = energy_of(atoms, calculator) - len(atoms) * e_fcc
    if area is not None:
        expected /= 2 * area * J_PER_M2
    got = properties.defects([name], static["a0"], static["_e_ground"])[name]
    assert got == pytest.approx(expected, rel=1e-8)
    assert got > 0


def test_relaxed_defects_match_validate_and_lie_below_unrelaxed(model, fast):
    properties, static = fast
    calculator = _ModelCalculator(model)
    a0, e_fcc = static["a0"], energy_of(bulk("Cu", "fcc", a=static["a0"]), calculator)
    relaxed = relaxed_defects(calculator, "Cu", ["E_vac", "gamma_111", "a0"], a0)  # its own e_fcc, the same
    assert set(relaxed) == {"E_vac", "gamma_111"}
    assert relaxed["E_vac"] == pytest.approx(vacancy_energy(calculator, "Cu", a0, e_fcc), rel=1e-10)
    assert relaxed["gamma_111"] == pytest.approx(surface_energy(calculator, "Cu", a0, e_fcc, "111"), rel=1e-10)
    unrelaxed = properties.defects(["E_vac", "gamma_111"], a0, static["_e_ground"])
    for name in relaxed:
        assert relaxed[name] <= unrelaxed[name] + 1e-9


def test_a_structure_that_does_not_relax_fails_that_property_only(model, fast):
    _, static = fast
    calculator = _ModelCalculator(model)
    # one BFGS step cannot bring the vacancy's neighbours to FMAX: no converged relaxation, so NaN, nothing raised
    values = relaxed_defects(calculator, "Cu", ["E_vac"], static["a0"], steps=1)
    assert math.isnan(values["E_vac"])
    assert not math.isnan(relaxed_defects(calculator, "Cu", ["E_vac"], static["a0"])["E_vac"])
