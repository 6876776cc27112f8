"""Every other path that computes E_i, forces or stress agrees with the numpy reference (symff.evaluate.reference):
the ASE calculators, the export form's φ, f_k and F_k, the cluster energies of the sanity checks and the densities of
the report, for random trees of the shipped grammars (the kernels: tests/test_physics.py)."""

import random

import numpy as np
import pytest
from ase import Atoms
from helpers import random_cell

from symff.data import Dataset
from symff.evaluate import reference
from symff.evaluate.sums import ENVIRONMENT_SUMS, RADIAL
from symff.export.calculator import SymFFCalculator
from symff.export.form import LAMMPS_FORMS, SYMFF_ONLY, NotExportable, analyse_form
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.symbols import NS, Rejected
from symff.grammar.operators import OPERATORS
from symff.grammar.spec import load_grammar
from symff.grammar.trees import TreeGrammar
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.report.functions import densities_at_atoms
from symff.sanity import ClusterEnergy
from symff.validate.calculator import _ModelCalculator

TOLERANCE = 1e-9


def random_models(grammar, seed, count, exportable=False):
    """`count` random models whose reference energies and forces are finite on a probe cell."""
    tree_grammar = TreeGrammar(load_grammar(grammar), exportable=exportable)
    rng, np_rng = random.Random(seed), np.random.default_rng(seed)
    probe = random_cell(np_rng, 3)
    models = []
    while len(models) < count:
        try:
            formula = canonicalize(*tree_to_sympy(tree_grammar.random_tree(rng)))
        except Rejected:
            continue
        model = Model(formula, formula.initial.copy(), np_rng.uniform(-1, 1, len(formula.terms)), ("Cu",),
                      {"Cu": -0.25})
        with np.errstate(all="ignore"):
            results = reference.calculate(model, probe)
        if np.isfinite(results["forces"]).all() and np.abs(results["forces"]).max() < 1e4:
            models.append(model)
    return models


@pytest.fixture(scope="module", params=["pair", "eam"])
def models(request):
    return random_models(request.param, seed=3, count=5)


def assert_close(actual, expected, tolerance=TOLERANCE):
    scale = max(np.abs(expected).max(), 1e-3)
    assert np.abs(np.asarray(actual) - expected).max() <= tolerance * scale, (actual, expected)


@pytest.mark.parametrize("exact", [True, False])
def test_ase_calculator_agrees_with_the_reference(models, exact):
    rng = np.random.default_rng(4)
    for model in models:
        atoms = random_cell(rng, 3)
        expected = reference.calculate(model, atoms)
        atoms.calc = SymFFCalculator(model, exact=exact, skin=0.0, ensemble=False)
        tolerance = TOLERANCE if exact else 1e-5
        assert_close(atoms.get_potential_energies(), expected["energies"], tolerance)
        assert_close(atoms.get_forces(), expected["forces"], tolerance)
        assert_close(atoms.get_stress(), expected["stress"], tolerance)


def test_validate_calculator_energies_agree_with_the_reference(models):
    rng = np.random.default_rng(5)
    for model in models:
        atoms = random_cell(rng, 2)
        atoms.calc = _ModelCalculator(model)
        assert_close(atoms.get_potential_energy(), reference.calculate(model, atoms)["energy"])
        # its answer where the evaluation is not finite: the reference's energies
        assert_close(atoms.calc._not_finite(None)["energies"], reference.calculate(model, atoms)["energies"])


def test_cluster_energies_are_the_reference_on_free_clusters(models):
    """The distances path (sanity's ClusterEnergy, numpy_function) and the structure path agree on a cluster."""
    rng = np.random.default_rng(6)
    positions = rng.uniform(0, 4.0, (5, 3))
    cluster = Atoms("Cu5", positions=positions)
    d = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    for model in models:
        expected = reference.calculate(model, cluster)["energies"] - model.reference_energy["Cu"]
        assert_close(ClusterEnergy(model).atom_energies(d)[0], expected)
        assert_close(model.numpy_function()(d), expected)


def test_a_cluster_with_a_pair_beyond_the_cutoff_has_the_calculators_scaling_rate():
    """An atom whose only other pair lies beyond r_out has an empty density, where √ρ's slope is infinite: its far
    pair takes no force (as in the evaluator, whose neighbour lists hold no such pair), so the rate is finite."""
    model = Model.from_expression("NS(r**-6) - sqrt(NS(exp(-r)))", ("Cu",), {"Cu": 0.0}, 3.0, 5.0)
    positions = np.array([[0.0, 0, 0], [5.5, 0, 0], [0, 2.5, 0]])  # atom 1 is 5.5 and 6.0 Å from the others
    energy, rate = reference.cluster_energies(model, ["Cu"] * 3, positions[None], with_virial=True)
    atoms = Atoms("Cu3", positions=positions)
    atoms.calc = SymFFCalculator(model)
    assert_close(energy[0], atoms.get_potential_energy())
    assert np.isfinite(rate[0])
    assert_close(rate[0], -np.sum(atoms.get_forces() * positions))  # W = Σ ∂E/∂x · x


def test_an_atom_without_triplets_takes_no_three_body_force():
    """Under √(NS3) an atom with one neighbour (no triplet) has an empty three-body sum and an infinite slope there,
    which multiplies no triplet: the evaluator gives finite forces (minus the energy's gradient) instead of rejecting
    the model, and the reference's far triplets (the end atoms' pair beyond the cutoff) take no force either."""
    model = Model.from_expression("NS(r**-6) + sqrt(NS3(exp(-r), (c + 1/3)**2))", ("Cu",), {"Cu": 0.0}, 3.0, 5.0)
    positions = np.array([[0.0, 0, 0], [2.6, 0, 0], [-2.6, 0.3, 0]])  # the end atoms 5.2 Å apart

    def calculated(x):
        atoms = Atoms("Cu3", positions=x)
        atoms.calc = SymFFCalculator(model)
        return atoms.get_potential_energy(), atoms.get_forces()

    energy, forces = calculated(positions)
    assert np.isfinite(forces).all() and np.abs(forces).max() > 1e-3
    step, gradient = 1e-5, np.zeros_like(positions)
    for index in np.ndindex(positions.shape):
        shift = np.zeros_like(positions)
        shift[index] = step
        gradient[index] = (calculated(positions + shift)[0] - calculated(positions - shift)[0]) / (2 * step)
    assert np.abs(forces + gradient).max() < 1e-7
    clusters, rate = reference.cluster_energies(model, ["Cu"] * 3, positions[None], with_virial=True)
    assert_close(clusters[0], energy)
    assert_close(rate[0], -np.sum(forces * positions))


def test_report_densities_are_the_reference_sums(models):
    rng = np.random.default_rng(7)
    atoms = random_cell(rng, 4)
    data = Dataset.from_atoms([atoms], min_distance=None)
    for model in models:
        i, _, D = reference.directed_pairs(atoms, model.r_out)
        expected, _ = reference.radial_sums(model, i, np.linalg.norm(D, axis=1), len(atoms))
        assert_close(densities_at_atoms(model, build_neighbours(data, model.r_out), len(atoms)), expected)


def test_export_form_rebuilds_the_reference_energies():
    """E_i = ½ Σ_j φ(r_ij) + Σ_k F_k(Σ_j f_k(r_ij)) from the export form's pieces, for random exportable trees."""
    rng = np.random.default_rng(8)
    for model in random_models("eam", seed=9, count=6, exportable=True):
        atoms = random_cell(rng, 3)
        try:
            form = analyse_form(model)
        except NotExportable:
            pytest.fail(f"an exportable tree is not exportable: {model.energy_string(4)}")
        i, _, D = reference.directed_pairs(atoms, model.r_out)
        r = np.linalg.norm(D, axis=1)
        energies = 0.5 * np.bincount(i, form.pair(r)[0], len(atoms))
        for k in range(len(form.embeddings)):
            energies = energies + form.embedding(np.bincount(i, form.density(r, k)[0], len(atoms)), k)[0]
        expected = reference.calculate(model, atoms)["energies"] - model.reference_energy["Cu"]
        assert_close(energies, expected, 1e-8)


def test_the_radial_sum_is_a_registered_kind():
    assert ENVIRONMENT_SUMS["radial"] is RADIAL and RADIAL.head is NS
    kinds = {op.sum_kind for op in OPERATORS.values() if op.sum_kind}
    # every grammar operator's sum is a registered kind; the species-filtered sum has no operator yet (the grammar
    # for several elements is a later step): model files and programs write it
    assert kinds <= set(ENVIRONMENT_SUMS) and set(ENVIRONMENT_SUMS) - kinds <= {"species"}
    # every LAMMPS form holds some registered kind, and each kind's forms are LAMMPS forms
    styles = {style for kind in ENVIRONMENT_SUMS.values() for style in kind.lammps_styles}
    assert styles == set(LAMMPS_FORMS) - {SYMFF_ONLY}


def test_directed_pairs_are_the_neighbour_list():
    rng = np.random.default_rng(10)
    atoms = random_cell(rng, 3)
    data = Dataset.from_atoms([atoms], min_distance=None)
    neighbours = build_neighbours(data, 5.0)
    i, _, D = reference.directed_pairs(atoms, 5.0)
    assert len(i) == 2 * np.count_nonzero(neighbours.r < 5.0)
    np.testing.assert_allclose(np.sort(np.linalg.norm(D, axis=1)),
                               np.sort(np.repeat(neighbours.r[neighbours.r < 5.0], 2)), rtol=1e-12)
