"""`symff validate` on each element's ground state (`symff.validate.crystals`): bcc and diamond crystals get their own
lattice constant, elastic constants, vacancy and phase differences, checked as physics; the fast path agrees."""

import pytest
from ase.build import bulk
from ase.units import GPa

from symff.model import Model
from symff.synthetic.calculators import SuttonChenCutoff
from symff.validate.calculator import _ModelCalculator
from symff.validate.crystals import GROUND_STATES, ground_state, phase_differences
from symff.validate.fast import FastProperties, relaxed_defects
from symff.validate.properties import J_PER_M2, UNITS, energy_of, lattice_constant, material_properties


def bulk_modulus_from_energy(calculator, symbol, structure, a0, h=2e-3):
    """V d²E/dV² per atom of the cubic crystal at a0, by central differences in a (E(a) at its minimum)."""
    atoms_per_cell = {"bcc": 1, "diamond": 2}[structure]

    def energy(a):
        return energy_of(bulk(symbol, structure, a=a), calculator) / atoms_per_cell

    volume_per_atom = a0**3 / {"bcc": 2, "diamond": 8}[structure]
    d2e_da2 = (energy(a0 * (1 + h)) - 2 * energy(a0) + energy(a0 * (1 - h))) / (a0 * h) ** 2
    # V = c a³: d²E/dV² = E''(a) / (3 c a²)² at a minimum (E'(a) = 0)
    return volume_per_atom * d2e_da2 / (3 * volume_per_atom / a0) ** 2 / GPa


def test_ground_state_table():
    assert [ground_state(e) for e in ("Cu", "Mo", "Si", "Xx")] == ["fcc", "bcc", "diamond", "fcc"]
    assert set(GROUND_STATES) == {"Cu", "Ni", "Mo", "Li", "Si", "Ge", "Nb", "Ta", "W"}
    assert phase_differences("bcc") == ["dE_fcc_bcc", "dE_hcp_bcc"]
    assert all(UNITS[name] == "meV/atom" for name in phase_differences("diamond"))


@pytest.fixture(scope="module")
def bcc_properties():
    return material_properties(SuttonChenCutoff(), "Mo", vacancy_repeat=2, facets=())


def test_bcc_ground_state(bcc_properties):
    calculator = SuttonChenCutoff()
    p = bcc_properties
    assert list(p)[:2] == ["a0", "a0_bcc"] and p["a0_bcc"] == p["a0"]
    assert "C44_0" not in p and {"dE_fcc_bcc", "dE_hcp_bcc"} <= set(p) and "dE_bcc_fcc" not in p
    # the elastic constants are those of the bcc crystal at its minimum: B equals the curvature of E(V) there
    assert p["B"] == pytest.approx(bulk_modulus_from_energy(calculator, "Mo", "bcc", p["a0"]), rel=2e-3)
    a_fcc, e_fcc = lattice_constant(calculator, "Mo", "fcc", p["a0"] * 2 ** (1 / 3))
    _, e_bcc = lattice_constant(calculator, "Mo", "bcc", a_fcc)
    assert p["dE_fcc_bcc"] == pytest.approx(1000 * (e_fcc - e_bcc), abs=1e-3)
    assert p["dE_fcc_bcc"] < 0  # Sutton–Chen Cu prefers fcc, whichever crystal it is asked about
    assert p["E_vac"] > 0


def lj_model():
    epsilon, sigma = 0.4093, 2.338
    text = f"NS({2 * epsilon * sigma**12!r}*r**-12 - {2 * epsilon * sigma**6!r}*r**-6)"
    return Model.from_expression(text, ["Si"], {"Si": 0.0})


@pytest.fixture(scope="module")
def diamond_properties():
    return material_properties(_ModelCalculator(lj_model()), "Si", vacancy_repeat=1, facets=())


def test_diamond_ground_state(diamond_properties):
    p = diamond_properties
    assert {"C44_0", "dE_fcc_diamond", "dE_bcc_diamond", "dE_hcp_diamond"} <= set(p) and "a0_bcc" in p
    calculator = _ModelCalculator(lj_model())
    assert p["B"] == pytest.approx(bulk_modulus_from_energy(calculator, "Si", "diamond", p["a0"]), rel=2e-3)
    # relaxing the atoms in a sheared cell lowers the energy to second order: C44 < clamped-ion C44_0
    assert p["C44"] < p["C44_0"] - 1.0
    assert p["dE_fcc_diamond"] < 0  # a pair potential prefers close packing
    assert p["E_vac"] > 0  # removing an atom from a crystal bound by pairs costs energy


@pytest.mark.parametrize("structure", ["bcc", "diamond"])
def test_fast_lattice_energies_agree_with_ase(structure):
    model = lj_model()
    fast = FastProperties(model, "Si")
    calculator = _ModelCalculator(model)
    per_cell = {"bcc": 1, "diamond": 2}[structure]
    for a in (2.9, 3.3) if structure == "bcc" else (4.9, 5.6):
        expected = energy_of(bulk("Si", structure, a=a), calculator) / per_cell
        assert fast.lattice_energy(structure, a) == pytest.approx(expected, rel=1e-10)
    a_ase, e_ase = lattice_constant(calculator, "Si", structure, 3.9)
    a_fast, e_fast = fast.lattice_constant(structure, 3.9)
    assert a_fast == pytest.approx(a_ase, abs=1e-4) and e_fast == pytest.approx(e_ase, rel=1e-8)


def test_references_of_the_other_mlearn_elements_come_from_their_targets_files():
    from symff.validate.references import references_for

    assert references_for("Mo")["DFT"]["values"]["C11"] == pytest.approx(483.8)
    assert "Zuo et al. 2020" in references_for("Si")["DFT"]["source"]
    assert references_for("Cu")["expt"]["values"]["E_vac"] == 1.27  # Cu keeps its own table
    assert references_for("Xx") == {}


# Tight-binding (Cleri–Rosato-like) Mo: a pair term and a square-root embedding, bcc at a0 3.23 Å with C11 > C12 and
# E_coh 4.95 eV; many-body, so C12 and C44 differ
MANY_BODY_MO = "NS(0.2*exp(-10.0*(r/2.725 - 1))) - sqrt(NS(4.0*exp(-4.0*(r/2.725 - 1))))"


@pytest.fixture(scope="module")
def mo_model():
    return Model.from_expression(MANY_BODY_MO, ["Mo"], {"Mo": 0.0})


@pytest.fixture(scope="module")
def mo_validated(mo_model):
    return material_properties(_ModelCalculator(mo_model), "Mo", vacancy_repeat=2, facets=("110",))


def test_fast_bcc_properties_agree_with_validate(mo_model, mo_validated):
    """What `fit/search --properties` compute for a bcc element: the numbers `symff validate` gives, on bcc."""
    expected = mo_validated
    fast = FastProperties(mo_model, "Mo", vacancy_repeat=2)
    static = fast.static(names=["a0_bcc", "C11", "C12", "C44", "E_coh", "dE_fcc_bcc", "dE_hcp_bcc"])
    assert static["a0"] == static["a0_bcc"] == pytest.approx(expected["a0"], rel=1e-6)
    assert [static[k] for k in ("C11", "C12", "C44", "B")] == pytest.approx(
        [expected[k] for k in ("C11", "C12", "C44", "B")], rel=1e-5)
    assert abs(static["C12"] - static["C44"]) > 10  # no Cauchy relation: the bcc strains of a many-body form
    assert static["E_coh"] == pytest.approx(expected["E_coh"], rel=1e-8)
    for name in ("dE_fcc_bcc", "dE_hcp_bcc"):
        assert static[name] == pytest.approx(expected[name], abs=1e-4)
    assert "dE_bcc_fcc" not in static
    relaxed = relaxed_defects(_ModelCalculator(mo_model), "Mo", ["E_vac", "gamma_110"], static["a0"], vacancy_repeat=2)
    assert relaxed == pytest.approx({k: expected[k] for k in relaxed}, rel=1e-6)  # from a0s 5e-9 apart
    unrelaxed = fast.defects(["E_vac", "gamma_110"], static["a0"], static["_e_ground"])
    calculator = _ModelCalculator(mo_model)
    e_bcc = energy_of(bulk("Mo", "bcc", a=static["a0"]), calculator)
    for name, value in unrelaxed.items():
        atoms, area = fast.defect_structure(name, static["a0"])
        direct = energy_of(atoms, calculator) - len(atoms) * e_bcc
        assert value == pytest.approx(direct if area is None else direct / (2 * area) / J_PER_M2, rel=1e-8)
        assert relaxed[name] <= value + 1e-9
    assert len(fast.defect_structure("E_vac", static["a0"])[0]) == 2 * 2**3 - 1  # the bcc cubic cell, 2x2x2


@pytest.fixture(scope="module")
def stillinger_weber():
    """The Stillinger–Weber-like Si form (three-body sums, stable diamond) and what `symff validate` gives for it."""
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY

    model = Model.from_expression(STILLINGER_WEBER_ENERGY, ["Si"], {"Si": 0.0})
    return model, material_properties(_ModelCalculator(model), "Si", vacancy_repeat=1, facets=("100",))


def test_fast_diamond_properties_agree_with_validate(stillinger_weber):
    """Diamond's C44 needs the sublattice shift under shear: the fast evaluator minimises it per strained cell,
    `symff validate` relaxes every atom of the strained cubic cell with BFGS. Three-body sums see the angles."""
    model, p = stillinger_weber
    fast = FastProperties(model, "Si", vacancy_repeat=1)
    static = fast.static(names=["C44_0", "E_coh", "dE_fcc_diamond", "dE_bcc_diamond", "dE_hcp_diamond"])
    assert static["a0"] == pytest.approx(p["a0"], rel=1e-6)
    assert [static[k] for k in ("C11", "C12", "C44_0", "E_coh")] == pytest.approx(
        [p[k] for k in ("C11", "C12", "C44_0", "E_coh")], rel=1e-5)
    assert static["C44"] == pytest.approx(p["C44"], rel=1e-4)
    assert 1.0 < static["C44"] < static["C44_0"] - 1.0  # stable, and softer once the sublattices may shift
    for name in ("dE_fcc_diamond", "dE_bcc_diamond", "dE_hcp_diamond"):
        assert static[name] == pytest.approx(p[name], abs=1e-4)
    assert static["dE_fcc_diamond"] > 0  # the three-body term makes the open structure the ground state
    calculator = _ModelCalculator(model)
    e_diamond = energy_of(bulk("Si", "diamond", a=static["a0"]), calculator) / 2
    for name, value in fast.defects(["E_vac", "gamma_100"], static["a0"], static["_e_ground"]).items():
        atoms, area = fast.defect_structure(name, static["a0"])
        direct = energy_of(atoms, calculator) - len(atoms) * e_diamond
        assert value == pytest.approx(direct if area is None else direct / (2 * area) / J_PER_M2, rel=1e-8)
        assert p[name] <= value + 1e-9  # validate's relaxed value lies below
