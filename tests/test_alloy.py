"""Species-filtered neighbour sums NS(g, B) and per-element energies (model file symff-model/2): forces are minus the
energy gradient and stresses the strain derivative, through the numba kernels (symff.evaluate.species) and the numpy
reference, for random two- and three-element forms (and two-element forms of the angular grammar, with three-body
sums, at the radial cutoff and at a shorter one of their own) on random triclinic cells smaller than twice the cutoff; the kernels agree with the reference; a model without
channels agrees with its single-element form."""

import json
import random

import ase.io
import numpy as np
import pytest
import sympy as sp
from ase import Atoms
from helpers import DATASETS, assert_forces_and_virials_of, evaluate, labelled, needs_data, pair_owners, random_cell
from test_physics import H, assert_relative

from symff.cli import main
from symff.data import Dataset
from symff.errors import ModelError
from symff.evaluate import reference
from symff.evaluate.grid import RadialGrid
from symff.evaluate.pairs import GridPairs
from symff.evaluate.species import EVERY, species_forces_and_virials
from symff.evaluate.sums import ENVIRONMENT_SUMS
from symff.export.calculator import SymFFCalculator
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.symbols import NS, Rejected
from symff.grammar.spec import load_grammar
from symff.grammar.trees import TreeGrammar
from symff.model import AlloyModel, Model
from symff.neighbours import build_neighbours
from symff.sanity import first_failure, sanity_report

ALLOYS = [("Nb", "Mo"), ("Nb", "Mo", "Ta")]


def random_energy(tree_grammar, rng, np_rng, channels):
    """A random per-atom energy string of the eam grammar whose neighbour sums are filtered by random `channels`."""
    while True:
        try:
            formula = canonicalize(*tree_to_sympy(tree_grammar.random_tree(rng)))
        except Rejected:
            continue
        if formula.complexity < 8:
            continue
        expr = formula.with_values(formula.initial, np_rng.uniform(-1, 1, len(formula.terms)))
        filtered = {ns: NS(ns.args[0], *([] if c is None else [sp.Symbol(c)]))
                    for ns in sorted(expr.atoms(NS), key=str)
                    for c in [rng.choice(channels)]}
        return str(expr.xreplace(filtered))


def random_alloy_models(elements, seed, count, grammar="eam"):
    """`count` random models with one energy per element, finite with moderate energies and forces on three probe
    cells (a finite difference of an energy of 1e71 eV, which a term r**110 gives, measures nothing); of the angular
    grammar, each holds a three-body sum."""
    tree_grammar = TreeGrammar(load_grammar(grammar))
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    probes = [mixed_cell(np_rng, 4, elements) for _ in range(3)]
    models = []
    while len(models) < count:
        energies = {e: random_energy(tree_grammar, rng, np_rng, [*elements, None]) for e in elements}
        try:
            model = AlloyModel.from_expressions(energies, elements, {e: -0.1 * k for k, e in enumerate(elements)})
        except ModelError:  # a form the parser refuses after its numbers were inlined: draw again
            continue
        with np.errstate(all="ignore"):
            results = [reference.calculate(model, probe) for probe in probes]
        moderate = all(abs(r["energy"]) < 1e4 and np.isfinite(r["forces"]).all() and np.abs(r["forces"]).max() < 1e4
                       for r in results)
        if moderate and any(model.program.channels) and (grammar == "eam" or model.program.n_angular):
            models.append(model)
    return models


def mixed_cell(rng, n_atoms, elements):
    atoms = random_cell(rng, n_atoms)
    atoms.set_chemical_symbols([elements[k % len(elements)] for k in rng.permutation(n_atoms)])
    return atoms


# (elements, grammar of the random forms, the three-body sums' own cutoff or None)
GRAMMARS = [(e, "eam", None) for e in ALLOYS] + [(ALLOYS[0], "angular", None), (ALLOYS[0], "angular", (2.6, 3.8))]


@pytest.fixture(scope="module", params=GRAMMARS,
                ids=["-".join(e) + ("" if g == "eam" else "-angular") + ("-short" if c else "") for e, g, c in GRAMMARS])
def alloy(request):
    elements, grammar, three_body_cutoff = request.param
    models = random_alloy_models(elements, seed=5, count=3, grammar=grammar)
    for model in models:
        model.three_body_cutoff = three_body_cutoff
    return elements, models


def calculate(atoms, model, path):
    if path == "reference":
        results = reference.calculate(model, atoms)
        return results["energy"], results["forces"], results["stress"]
    prediction = evaluate([atoms], model.program, model.constants, model.linear,
                          three_body_cutoff=model.three_body_cutoff)
    reference_energy = sum(model.reference_energy[s] for s in atoms.get_chemical_symbols())
    return prediction.energy[0] + reference_energy, prediction.forces, prediction.stress[0]


def numerical_forces(atoms, model, path):
    forces = np.zeros((len(atoms), 3))
    for a in range(len(atoms)):
        for k in range(3):
            shifted = []
            for sign in (1, -1):
                moved = atoms.copy()
                moved.positions[a, k] += sign * H
                shifted.append(calculate(moved, model, path)[0])
            forces[a, k] = -(shifted[0] - shifted[1]) / (2 * H)
    return forces


def numerical_stress(atoms, model, path):
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    stress = np.zeros(6)
    for v, (k, l) in enumerate(voigt):
        shifted = []
        for sign in (1, -1):
            strain = np.eye(3)
            strain[k, l] += sign * H / (1 if k == l else 2)
            strain[l, k] += 0 if k == l else sign * H / 2
            strained = atoms.copy()
            strained.set_cell(atoms.cell @ strain, scale_atoms=True)
            shifted.append(calculate(strained, model, path)[0])
        stress[v] = (shifted[0] - shifted[1]) / (2 * H) / atoms.get_volume()
    return stress


@pytest.mark.parametrize("path", ["kernels", "reference"])
def test_forces_and_stress_are_energy_derivatives(alloy, path):
    elements, models = alloy
    rng = np.random.default_rng(len(elements))
    for model in models:
        atoms = mixed_cell(rng, 4, elements)
        assert min(atoms.cell.lengths()) < 2 * model.r_out  # images of an atom are inside the cutoff
        _, forces, stress = calculate(atoms, model, path)
        assert_relative(forces, numerical_forces(atoms, model, path))
        assert_relative(stress, numerical_stress(atoms, model, path))


@pytest.mark.parametrize("exact", [True, False])
def test_kernels_and_calculator_agree_with_the_reference(alloy, exact):
    elements, models = alloy
    rng = np.random.default_rng(7)
    for model in models:
        cells = [mixed_cell(rng, n, elements) for n in (3, 5)]
        prediction = evaluate(cells, model.program, model.constants, model.linear, exact=exact,
                              three_body_cutoff=model.three_body_cutoff)
        tolerance = 1e-9 if exact else 1e-5
        for s, atoms in enumerate(cells):
            expected = reference.calculate(model, atoms)
            start = sum(len(c) for c in cells[:s])
            assert_relative(prediction.forces[start:start + len(atoms)], expected["forces"], tolerance)
            assert_relative(prediction.stress[s], expected["stress"], tolerance)
            atoms.calc = SymFFCalculator(model, exact=exact, skin=0.0, ensemble=False)
            assert_relative(atoms.get_potential_energies(), expected["energies"], tolerance)
            assert_relative(atoms.get_forces(), expected["forces"], tolerance)
            assert_relative(atoms.get_stress(), expected["stress"], tolerance)


@pytest.mark.parametrize("path", ["kernels", "reference"])
def test_a_density_no_neighbour_feeds_exerts_no_force(path):
    """Finnis–Sinclair per element, each embedding √ of its own element's density: the one Mo atom of a bcc Nb cell
    has no Mo neighbour, so its √ρ sits at 0 with an infinite slope that multiplies no pair. Its energy and forces
    are finite (the kernels refused such a structure as not finite) and are derivatives of the energy. So for a
    density of an element the data lack (Nb's √ of its Mo density in pure Nb)."""
    from ase.build import bulk

    form = "1e3*NS(r**-9) - sqrt(NS(exp(-r), {0}))"
    finnis_sinclair = AlloyModel.from_expressions({"Nb": form.format("Nb"), "Mo": form.format("Mo")}, ("Nb", "Mo"),
                                                  {"Nb": -9.0, "Mo": -10.0})
    dilute = bulk("Nb", "bcc", a=3.3, cubic=True).repeat(2)  # Mo's images 6.6 Å away: beyond the cutoff
    dilute.rattle(0.05, seed=1)
    dilute.symbols[0] = "Mo"
    cross = AlloyModel.from_expressions({"Nb": form.format("Nb") + " - 0.5*sqrt(NS(exp(-r), Mo))",
                                         "Mo": form.format("Mo")}, ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    pure = bulk("Nb", "bcc", a=3.3, cubic=True).repeat((2, 1, 1))
    pure.rattle(0.05, seed=2)
    for model, atoms in ((finnis_sinclair, dilute), (cross, pure)):
        energy, forces, stress = calculate(atoms, model, path)
        assert np.isfinite(energy) and np.abs(forces).max() > 0.1
        assert_relative(forces, numerical_forces(atoms, model, path))
        assert_relative(stress, numerical_stress(atoms, model, path))
        if path == "kernels":
            for exact in (True, False):
                atoms.calc = SymFFCalculator(model, exact=exact, skin=0.0, ensemble=False)
                expected = reference.calculate(model, atoms)["forces"]
                assert_relative(atoms.get_forces(), expected, 1e-9 if exact else 1e-5)


def test_unfiltered_sums_are_the_radial_sum():
    """One element, no channels: the species kernels and the radial kernels give the same numbers."""
    text = "NS(r**-6*2.0) - 0.7*NS(exp(-1.3*r))**0.5"
    radial = Model.from_expression(text, ("Nb",), {"Nb": 0.0})
    species = AlloyModel.from_expressions({"Nb": text}, ("Nb",), {"Nb": 0.0})
    assert radial.program.sum_kind == "radial" and species.program.sum_kind == "species"
    atoms = mixed_cell(np.random.default_rng(2), 4, ("Nb",))
    for exact in (True, False):
        one = evaluate([atoms], radial.program, radial.constants, radial.linear, exact=exact)
        two = evaluate([atoms], species.program, species.constants, species.linear, exact=exact)
        np.testing.assert_allclose(two.forces, one.forces, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(two.energy, one.energy, rtol=1e-12)
        np.testing.assert_allclose(two.stress, one.stress, rtol=1e-12, atol=1e-14)


def test_a_channel_counts_only_its_element():
    """A pair potential between unlike atoms only, NS(φ, Mo) in E_Nb and NS(φ, Nb) in E_Mo: like pairs add nothing."""
    model = AlloyModel.from_expressions({"Nb": "NS(exp(-r), Mo)", "Mo": "NS(exp(-r), Nb)"}, ("Nb", "Mo"),
                                        {"Nb": 0.0, "Mo": 0.0})
    for symbols, expected in (("NbNb", 0.0), ("NbMo", 2 * np.exp(-2.5)), ("MoMo", 0.0)):
        atoms = Atoms(symbols, positions=[[0, 0, 0], [2.5, 0, 0]])
        atoms.calc = SymFFCalculator(model, exact=True, skin=0.0, ensemble=False)
        assert atoms.get_potential_energy() == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert reference.calculate(model, atoms)["energy"] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_the_species_sum_is_a_registered_kind():
    kind = ENVIRONMENT_SUMS["species"]
    assert kind.head is NS and {"eam/alloy", "eam/fs"} <= set(kind.lammps_styles)


# --- model files symff-model/2 ------------------------------------------------------------------------------------
NBMO = {
    "format": "symff-model/2",
    "elements": ["Nb", "Mo"],
    "cutoff": {"inner": 3.0, "outer": 5.0},
    "energy": {"Nb": "NS(0.5*exp(-r), Mo) + NS(0.3*exp(-r), Nb) - 2.0*NS(exp(-1.2*r))**0.5",
               "Mo": "NS(0.5*exp(-r), Nb) + NS(0.4*exp(-r), Mo) - 1.5*NS(exp(-1.1*r), Mo)**0.5"},
    "reference_energy": {"Nb": -10.1, "Mo": -10.9},
}


def write_model(path, contents):
    path.write_text(json.dumps(contents))
    return path


def test_a_two_element_model_file_round_trips(tmp_path):
    model = Model.from_dict(NBMO, "nbmo.json")
    assert isinstance(model, AlloyModel) and model.program.channels.count(None) == 1
    model.save(tmp_path / "saved.json")
    again = Model.load(tmp_path / "saved.json")
    assert again.to_dict()["format"] == "symff-model/2" and again.energy_strings() == model.energy_strings()
    atoms = mixed_cell(np.random.default_rng(1), 4, ("Nb", "Mo"))
    atoms.calc = SymFFCalculator(tmp_path / "saved.json", exact=True, skin=0.0, ensemble=False)
    expected = reference.calculate(model, atoms)
    assert atoms.get_potential_energy() == pytest.approx(expected["energy"], rel=1e-12)
    assert_relative(atoms.get_forces(), expected["forces"], 1e-10)


def test_the_dimer_wall_holds_for_every_pair_of_elements_not_only_each_element_alone(tmp_path):
    """Nb–Nb and Mo–Mo have a wall; Nb and Mo only attract each other: nothing keeps an Nb and a Mo atom apart."""
    walls = "1e4*NS(r**-12, {0}) - 100*NS(r**-6, {0})"
    attracting = AlloyModel.from_expressions({"Nb": walls.format("Nb") + " - NS(exp(-r), Mo)",
                                              "Mo": walls.format("Mo") + " - NS(exp(-r), Nb)"},
                                             ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    report = sanity_report(attracting)
    assert report["flags"] == ["dimer_wall"]
    detail = report["checks"]["dimer_wall"]["detail"]
    assert detail.startswith("Nb: minimum") and "; Mo: minimum" in detail
    assert detail.endswith("Nb–Mo: the dimer energy falls down to 1.0 Å: no repulsive wall")
    assert first_failure(attracting) == "dimer_wall"
    walled = AlloyModel.from_expressions({"Nb": walls.format("Nb") + " + 1e4*NS(r**-12, Mo) - NS(exp(-r), Mo)",
                                          "Mo": walls.format("Mo") + " + 1e4*NS(r**-12, Nb) - NS(exp(-r), Nb)"},
                                         ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    assert sanity_report(walled)["checks"]["dimer_wall"]["passed"] and first_failure(walled) is None
    # the mixed dimer's energies are those of the calculator (the numba evaluation) on an Nb–Mo pair
    walled.save(tmp_path / "walled.json")
    r = np.array([1.0, 1.7, 2.9, 4.4, 5.2])
    positions = r[:, None, None] * np.array([[0.0, 0, 0], [1, 0, 0]])[None]
    mixed = reference.cluster_energies(walled, ("Nb", "Mo"), positions)
    calculator = SymFFCalculator(tmp_path / "walled.json", exact=True, skin=0.0, ensemble=False)
    for distance, energy in zip(r, mixed):
        atoms = Atoms("NbMo", positions=[[0, 0, 0], [distance, 0, 0]])
        atoms.calc = calculator
        assert atoms.get_potential_energy() - (-19.0) == pytest.approx(energy, rel=1e-12, abs=1e-12)


def test_cluster_energies_of_mixed_trimers_with_three_body_sums_are_the_calculators(tmp_path):
    """The numpy reference's finite clusters (what the mixed dimer wall evaluates) with species-filtered sums and
    three-body sums, whose triplets a trimer holds, against the calculator's numba evaluation."""
    energies = {"Nb": "NS(r**-9) - sqrt(NS(exp(-r), Mo)) + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2)",
                "Mo": "NS(r**-9, Mo) + 2*NS(r**-9, Nb) + 0.5*NS3(exp(-1.1*r), (c + 0.3)**2)"}
    model = AlloyModel.from_expressions(energies, ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    model.save(tmp_path / "angular.json")
    positions = (np.random.default_rng(1).normal(size=(3, 3, 3)) * 1.2
                 + np.array([[0.0, 0, 0], [2.4, 0, 0], [1.2, 2.0, 0]]))
    clusters = reference.cluster_energies(model, ("Nb", "Mo", "Nb"), positions)
    calculator = SymFFCalculator(tmp_path / "angular.json", exact=True, skin=0.0, ensemble=False)
    for p, energy in zip(positions, clusters):
        atoms = Atoms("NbMoNb", positions=p)
        atoms.calc = calculator
        assert atoms.get_potential_energy() - (-28.0) == pytest.approx(energy, rel=1e-12, abs=1e-12)


def test_the_clusters_check_covers_mixed_clusters_where_a_cross_density_vanishes_at_the_cutoff():
    """Each element alone is sound, but Nb embeds its Mo density in a cube root: the force on an Nb atom diverges
    where its last Mo neighbour leaves the cutoff, which only a cluster with both elements shows."""
    walls = "1e4*NS(r**-12) - sqrt(NS(exp(-r), {0})) + 0.1*NS(exp(-r), {1})"
    sound = AlloyModel.from_expressions({"Nb": walls.format("Nb", "Mo"), "Mo": walls.format("Mo", "Nb")},
                                        ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    report = sanity_report(sound)
    assert report["sane"] and first_failure(sound) is None
    detail = report["checks"]["clusters"]["detail"]
    assert "; one Mo among Nb: dimer, trimer" in detail and "; one Nb among Mo: dimer, trimer" in detail
    divergent = AlloyModel.from_expressions({"Nb": walls.format("Nb", "Mo") + " - NS(exp(-r), Mo)**(1/3)",
                                             "Mo": walls.format("Mo", "Nb")}, ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    report = sanity_report(divergent)
    assert report["flags"] == ["clusters"] and first_failure(divergent) == "clusters"
    detail = report["checks"]["clusters"]["detail"]
    assert detail.startswith("Nb: dimer, trimer") and "; Mo: dimer, trimer" in detail  # each alone is sound
    assert ("one Mo among Nb: the dimer energy jumps, or its force diverges, where its last pair leaves the cutoff"
            in detail)


def test_mixed_cluster_energies_and_their_scaling_rates_are_the_calculators(tmp_path):
    """The mixed clusters' energies and dE/ds along the scaling (the virial over s) against the calculator: its
    energies, and its forces projected on the scaling (dE/ds = -Σ_i F_i·x_i/s), with three-body sums and
    channel densities."""
    from symff.sanity import CLUSTERS, _MixedCluster

    energies = {"Nb": "1e3*NS(r**-9) - sqrt(NS(exp(-r), Mo)) + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2)",
                "Mo": "1e3*NS(r**-9, Mo) + 2*NS(r**-9, Nb) - sqrt(NS(exp(-r), Nb)) + 0.5*NS3(exp(-1.1*r), c**2)"}
    model = AlloyModel.from_expressions(energies, ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    model.save(tmp_path / "angular.json")
    calculator = SymFFCalculator(tmp_path / "angular.json", exact=True, skin=0.0, ensemble=False)
    scales = np.array([1.9, 2.1, 2.4])  # every pair of every cluster inside the cutoff, as the check scans them
    for name, unit in CLUSTERS.items():  # each from one atom of each class of equivalent atoms
        energy, rate = _MixedCluster(model, "Nb", "Mo").cluster(unit, scales)
        unit = unit / min(np.linalg.norm(a - b) for k, a in enumerate(unit) for b in unit[k + 1:])
        for s, e, de_ds in zip(scales, energy, rate):
            atoms = Atoms("Mo" + f"Nb{len(unit) - 1}", positions=s * unit)
            atoms.calc = calculator
            shift = -10.0 - 9.0 * (len(unit) - 1)
            assert atoms.get_potential_energy() - shift == pytest.approx(e, rel=1e-12, abs=1e-12)
            expected = -np.sum(atoms.get_forces() * atoms.positions) / s
            assert de_ds == pytest.approx(expected, rel=1e-9, abs=1e-9), name


def test_compound_energies_by_shells_are_the_calculators_on_periodic_cells(tmp_path):
    """The lattice wall's compounds (B2 NbMo, L1₂ Nb₃Mo and Mo₃Nb, by neighbour shells and their elements) against the
    calculator's numba evaluation of the same crystals as periodic cells, with channel densities and three-body sums."""
    from symff.sanity import _Compound

    energies = {"Nb": "1e3*NS(r**-9) - sqrt(NS(exp(-r), Mo)) + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2)",
                "Mo": "1e3*NS(r**-9, Mo) + 2*NS(r**-9, Nb) - sqrt(NS(exp(-r), Nb)) + 0.5*NS3(exp(-1.1*r), c**2)"}
    model = AlloyModel.from_expressions(energies, ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    model.save(tmp_path / "angular.json")
    calculator = SymFFCalculator(tmp_path / "angular.json", exact=True, skin=0.0, ensemble=False)
    l12 = [[0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5], [0, 0, 0]]
    crystals = [("B2", ("Nb", "Mo"), "NbMo", [[0, 0, 0], [0.5, 0.5, 0.5]], 2 / np.sqrt(3)),
                ("L1₂", ("Nb", "Mo"), "Nb3Mo", l12, np.sqrt(2)), ("L1₂", ("Mo", "Nb"), "Mo3Nb", l12, np.sqrt(2))]
    spacings = np.array([2.3, 2.8, 3.4])
    for structure, pair, formula, sites, side in crystals:
        by_shells = _Compound(model, structure, pair).lattice(spacings)
        for d, energy in zip(spacings, by_shells):
            atoms = Atoms(formula, scaled_positions=sites, cell=[side * d] * 3, pbc=True)
            atoms.calc = calculator
            reference_energy = sum({"Nb": -9.0, "Mo": -10.0}[s] for s in atoms.get_chemical_symbols())
            expected = (atoms.get_potential_energy() - reference_energy) / len(atoms)
            assert energy == pytest.approx(expected, rel=1e-10, abs=1e-10), (formula, d)


def test_the_lattice_wall_covers_compounds_that_collapse_where_each_element_alone_is_sound():
    """Nb binds its Mo neighbours through the square of their density: harmless in a dimer or a cluster with one Mo,
    but in B2 NbMo and L1₂ Mo₃Nb (8 and 12 Mo neighbours) it outgrows the wall, and the crystal collapses."""
    walls = "1e4*NS(r**-12) - sqrt(NS(exp(-r), {0})) + 0.1*NS(exp(-r), {1})"
    for strength, sane in ((10, True), (300, False)):
        model = AlloyModel.from_expressions({"Nb": walls.format("Nb", "Mo") + f" - {strength}*NS(exp(-r), Mo)**2",
                                             "Mo": walls.format("Mo", "Nb")}, ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
        report = sanity_report(model)
        detail = report["checks"]["fcc_wall"]["detail"]
        assert detail.startswith("Nb: equilibrium") and "; Mo: equilibrium" in detail  # each element alone is sound
        if sane:
            assert report["sane"] and first_failure(model) is None
            assert "; B2 NbMo: equilibrium" in detail and "; L1₂ Mo₃Nb: equilibrium" in detail
            continue
        assert report["flags"] == ["fcc_wall"] and first_failure(model) == "fcc_wall"
        assert "; B2 NbMo: B2 collapses: its energy falls down to a nearest-neighbour distance of 1.5 Å" in detail
        assert "; L1₂ Nb₃Mo: equilibrium" in detail
        assert detail.endswith("; L1₂ Mo₃Nb: L1₂ collapses: its energy falls down to a nearest-neighbour distance of "
                               "1.5 Å")


def test_an_element_whose_terms_were_fitted_to_zero_is_position_free_alone_and_its_file_reads_back(tmp_path):
    """A pair term of a pair type the data never hold (Mo–Mo in data with one Mo atom per cell) is fitted to 0. Mo
    alone then has no wall, which the sanity checks must see (not the term at coefficient 1, where canonicalize starts
    a coefficient), and the model file, with "0" as Mo's energy, reads back to the same energies and forces."""
    model = AlloyModel.from_expressions({"Nb": "NS(r**-12) - sqrt(NS(exp(-r)))", "Mo": "2.0*NS(r**-12, Mo)"},
                                        ("Nb", "Mo"), {"Nb": -9.0, "Mo": -10.0})
    model.linear = np.where(np.arange(model.linear.size) == model.linear.size - 1, 0.0, model.linear)
    assert model.energy_strings()["Mo"] == "0"
    report = sanity_report(model)
    assert "dimer_wall" in report["flags"]
    alone = "Mo: evaluation failed: constant: alone, its energy does not depend on the positions"
    assert alone in report["checks"]["dimer_wall"]["detail"]
    model.save(tmp_path / "zero.json")
    again = Model.load(tmp_path / "zero.json")
    assert again.energy_strings() == model.energy_strings()
    assert sanity_report(again)["checks"]["dimer_wall"] == report["checks"]["dimer_wall"]
    atoms = Atoms("Nb7Mo", scaled_positions=np.random.default_rng(3).random((8, 3)), cell=np.eye(3) * 6.2, pbc=True)
    expected = reference.calculate(model, atoms)
    for exact in (True, False):
        atoms.calc = SymFFCalculator(tmp_path / "zero.json", exact=exact, skin=0.0, ensemble=False)
        assert atoms.get_potential_energy() == pytest.approx(expected["energy"], rel=1e-12 if exact else 1e-6)
        assert_relative(atoms.get_forces(), expected["forces"], 1e-10 if exact else 1e-4)


@pytest.mark.parametrize("change, message", [
    ({"format": "symff-model/1", "energy": "NS(exp(-r), Mo)"}, "allowed in a symff-model/2 file only"),
    ({"energy": {"Nb": "NS(exp(-r), W)", "Mo": "NS(exp(-r))"}}, "filter W"),
    ({"energy": {"Nb": "NS(exp(-r))"}}, "\"energy\" gives the elements Nb"),
    ({"energy": {"Nb": "NS(exp(-r), Mo, Nb)", "Mo": "NS(exp(-r))"}}, "unknown function NS"),
])
def test_bad_two_element_model_files_are_one_line_errors(tmp_path, change, message):
    path = write_model(tmp_path / "bad.json", NBMO | change)
    with pytest.raises(ModelError) as error:
        Model.load(path)
    text = str(error.value)
    assert "\n" not in text and str(path) in text and message in text


@needs_data
def test_evaluate_a_two_element_model_on_nbmo_data(tmp_path, capsys):
    """`symff evaluate` of a two-element model file gives the errors the numpy reference gives on the same frames."""
    data = DATASETS / "nbmotaw" / "NbMo_Test.extxyz"
    path = write_model(tmp_path / "nbmo.json", NBMO)
    assert main(["evaluate", str(path), str(data), "--json"]) == 0
    errors = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    model = Model.load(path)
    energy_errors, force_errors = [], []
    for atoms in ase.io.read(data, ":"):
        expected = reference.calculate(model, atoms)
        energy_errors.append(abs(expected["energy"] - atoms.get_potential_energy()) / len(atoms))
        force_errors.append(np.abs(expected["forces"] - atoms.get_forces()).ravel())
    assert errors["n_atoms"] == sum(len(f) for f in force_errors) // 3
    assert errors["energy_mae_mev"] == pytest.approx(1e3 * np.mean(energy_errors), rel=1e-9)
    assert errors["force_mae"] == pytest.approx(np.mean(np.concatenate(force_errors)), rel=1e-9)


@needs_data
@pytest.mark.parametrize("elements, data, named", [
    (["Nb"], "NbMo_Test.extxyz", "element Mo"),  # a data file with an element the model lacks
    (["Nb", "Mo"], "W_Test.extxyz", "element W"),  # a model applied to data of other elements
])
def test_data_with_elements_the_model_lacks_is_a_one_line_error(tmp_path, capsys, elements, data, named):
    energies = {e: NBMO["energy"][e].replace(", Mo)", ", Nb)") for e in elements}
    contents = NBMO | {"elements": elements, "energy": energies}
    path = write_model(tmp_path / "model.json", contents)
    assert main(["evaluate", str(path), str(DATASETS / "nbmotaw" / data)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and data in lines[0] and named in lines[0]


def test_show_prints_every_element_energy(tmp_path, capsys):
    path = write_model(tmp_path / "nbmo.json", NBMO)
    assert main(["show", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("E_Nb = ") and "; E_Mo = " in out and "NS(exp(-r), Mo)" in out
    assert main(["show", str(path), "--latex"]) == 0
    assert capsys.readouterr().out.startswith(r"E_{\mathrm{Nb}} = ")


def test_a_two_element_model_is_no_start_form(tmp_path):
    from symff.errors import ConfigError
    from symff.search.start_forms import resolve_start_forms

    path = write_model(tmp_path / "nbmo.json", NBMO)
    with pytest.raises(ConfigError, match="one energy per element"):
        resolve_start_forms(str(path))


# Sutton-Chen's Cu form for both elements, blind to the neighbour's element: Nb and Mo are one material
SAME = "NS(0.5*0.012382*3.61**9*r**-9) - 0.012382*39.432*sqrt(NS(3.61**6*r**-6))"


def test_the_b2_formation_energy_is_zero_for_identical_elements_and_negative_for_a_bonding_pair():
    from symff.validate.alloys import alloy_properties
    from symff.validate.calculator import _ModelCalculator
    from symff.validate.crystals import fcc_equivalent_guess, ground_state
    from symff.validate.properties import lattice_constant

    def formation(energies):
        model = AlloyModel.from_expressions(energies, ("Nb", "Mo"), {"Nb": -10.1, "Mo": -10.9})
        calculator = _ModelCalculator(model)
        ground = {x: lattice_constant(calculator, x, ground_state(x), fcc_equivalent_guess(x)) for x in ("Nb", "Mo")}
        values = alloy_properties(calculator, ("Nb", "Mo"), {x: e for x, (_, e) in ground.items()})
        return values, ground

    # B2 of one material is its bcc crystal, the elements' ground state here: no formation energy
    values, ground = formation({"Nb": SAME, "Mo": SAME})
    assert abs(values["E_f_B2_NbMo"]) < 1e-6
    assert values["a0_B2_NbMo"] == pytest.approx(ground["Nb"][0], abs=1e-4)
    # an attraction between unlike neighbours only: B2, all of whose nearest neighbours are unlike, is bound
    bond = " - 0.05*NS(exp(-2*(r - 2.5)), {other})"
    values, _ = formation({"Nb": SAME + bond.format(other="Mo"), "Mo": SAME + bond.format(other="Nb")})
    assert values["E_f_B2_NbMo"] < -10


@needs_data
def test_validate_gives_formation_energies_against_dft(tmp_path, capsys):
    import ase.io

    from symff.validate.calculator import _ModelCalculator
    from symff.validate.crystals import fcc_equivalent_guess, ground_state
    from symff.validate.properties import lattice_constant

    path = write_model(tmp_path / "nbmo.json", NBMO)
    files = [DATASETS / "nbmotaw" / f for f in ("NbMo_Test.extxyz", "Nb_Elastic.extxyz", "Mo_Elastic.extxyz")]
    assert main(["validate", str(path), "--element", "Nb", "--vacancy-repeat", "2", "--json",
                 "--data", *map(str, files)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out["elements"]) == {"Nb"} and "C11" in out["elements"]["Nb"]["properties"]
    assert set(out["alloy"]) == {"a0_B2_NbMo", "E_f_B2_NbMo"}
    # the sanity checks, each element alone (symff.sanity), as for any model of several elements
    assert set(out["sanity"]["checks"]) == {"dimer_wall", "fcc_wall", "isolated_atom", "clusters"}
    assert out["sanity"] == sanity_report(Model.load(path))
    assert "Nb: " in out["sanity"]["checks"]["dimer_wall"]["detail"]
    [row] = out["formation"]  # the elastic series hold one element: only NbMo_Test is a mixed file
    assert row["structures"] == 40 and row["file"].endswith("NbMo_Test.extxyz")
    # the same from the numpy reference evaluator and the files' labels
    model = Model.load(path)
    calculator = _ModelCalculator(model)
    e_model = {x: lattice_constant(calculator, x, ground_state(x), fcc_equivalent_guess(x))[1] for x in ("Nb", "Mo")}
    e_dft = {x: min(a.get_potential_energy() / len(a) for a in ase.io.read(f, ":"))
             for x, f in zip(("Nb", "Mo"), files[1:])}
    errors = []
    for atoms in ase.io.read(files[0], ":"):
        n, symbols = len(atoms), atoms.get_chemical_symbols()
        mine = reference.calculate(model, atoms)["energy"] / n - sum(e_model[x] for x in symbols) / n
        dft = atoms.get_potential_energy() / n - sum(e_dft[x] for x in symbols) / n
        errors.append(1000 * abs(mine - dft))
    assert row["mae"] == pytest.approx(np.mean(errors), rel=1e-6)
    # the same as text
    assert main(["validate", str(path), "--element", "Mo", "--vacancy-repeat", "2", "--data", *map(str, files)]) == 0
    text = capsys.readouterr().out
    assert "Mo (bcc):" in text and "NbMo     a0" in text and f"{row['mae']:8.2f}" in text
    assert "physical sanity: " in text and "  dimer_wall" in text
    # without the pure elements DFT's formation energies cannot be had; --data is for several elements only
    assert main(["validate", str(path), "--element", "Nb", "--data", str(files[0])]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "NbMo_Test.extxyz" in lines[0] and "no structure of pure Mo, Nb" in lines[0]
    one = tmp_path / "cu.json"
    Model.from_expression(SAME, ("Cu",), {"Cu": 0.0}).save(one)
    assert main(["validate", str(one), "--data", str(files[0])]) == 2
    assert "--data" in capsys.readouterr().err


def test_species_force_pass_branches_match_the_masked_sum():
    """The species force pass — a term of one density (every channel, each element's) and terms of several — against
    dE/dr = Σ_k ([Z_b ∈ k] w_a + [Z_a ∈ k] w_b) h_k' written out with np.add.at, on random slopes and weights."""
    rng = np.random.default_rng(11)
    data = Dataset.from_atoms([labelled(mixed_cell(rng, n, ("Nb", "Mo"))) for n in (3, 6, 4)], min_distance=None)
    assert set(data.species.tolist()) == {0, 1}
    neighbours = build_neighbours(data, 5.0)
    pairs = GridPairs.inside(neighbours, data.atom_start, 5.0, RadialGrid.covering(neighbours.r.min(), 3.0, 5.0))
    channel = np.array([EVERY, 0, 1, 0])
    dependencies = [(0, 0), (1, 1), (2, 2), (3, 0), (3, 3), (4, 1), (4, 2), (4, 3)]
    pair_slopes = rng.normal(size=(pairs.n_pairs, 4))
    slopes = rng.normal(size=(5, 4, pairs.n_atoms))
    rows = np.array([slopes[m, k] for m, k in dependencies])
    forces, virials = species_forces_and_virials(pairs, pair_slopes, dependencies, rows, 5, [(0, data.n_structures)],
                                                 data.species, channel)
    first, _ = pair_owners(pairs, data.atom_start)
    z_a, z_b = data.species[first], data.species[pairs.j]
    for m in range(5):
        dE_dr = sum((((channel[k] == EVERY) | (channel[k] == z_b)) * slopes[m, k][first]
                     + ((channel[k] == EVERY) | (channel[k] == z_a)) * slopes[m, k][pairs.j]) * pair_slopes[:, k]
                    for n, k in dependencies if n == m)
        assert_forces_and_virials_of(forces[m], virials[m], pairs, data.atom_start, dE_dr)
