"""Physics of evaluated candidates: forces are minus the energy gradient, stresses the strain derivative of the
energy, for random trees of both shipped grammars on random triclinic cells smaller than twice the cutoff, through
the numba kernels and through the numpy reference (symff.evaluate.reference); the kernels agree with the reference;
and values against an independent Lennard-Jones implementation."""

import random

import numpy as np
import pytest
from helpers import evaluate, random_cell

from symff.evaluate import reference
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.program import PotentialProgram
from symff.expr.symbols import Rejected
from symff.grammar.spec import load_grammar
from symff.grammar.trees import TreeGrammar
from symff.model import Model
from symff.synthetic.calculators import LennardJonesCutoff

H = 1e-5  # finite-difference step, Å (and strain)


def random_candidates(grammar, seed, count, min_complexity=10):
    """`count` distinct random usable candidates: (formula, program, constants, linear), at least `min_complexity`
    nodes each. Rejected and non-finite trees are skipped, as the search skips them."""
    tree_grammar = TreeGrammar(load_grammar(grammar))
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    probe = random_cell(np_rng, 4)
    found = []
    while len(found) < count:
        try:
            formula = canonicalize(*tree_to_sympy(tree_grammar.random_tree(rng)))
        except Rejected:
            continue
        if formula.complexity < min_complexity or any(formula.key == f.key for f, *_ in found):
            continue
        program = PotentialProgram(formula)
        linear = np_rng.uniform(-1, 1, len(formula.terms))
        prediction = _try(probe, program, formula.initial, linear)
        if prediction is not None and np.abs(prediction.forces).max() < 1e6:
            found.append((formula, program, formula.initial, linear))
    return found


def _try(atoms, program, constants, linear):
    try:
        return evaluate([atoms], program, constants, linear)
    except Rejected:
        return None


PATHS = ["kernels", "reference"]


def as_model(candidate):
    formula, _, constants, linear = candidate
    return Model(formula, np.asarray(constants, dtype=float), np.asarray(linear, dtype=float), ("Cu",), {"Cu": 0.0})


def calculate(atoms, candidate, path):
    """(energy, forces, stress) of one structure by the kernels (exact evaluation) or the numpy reference."""
    if path == "reference":
        results = reference.calculate(as_model(candidate), atoms)
        return results["energy"], results["forces"], results["stress"]
    _, program, constants, linear = candidate
    prediction = evaluate([atoms], program, constants, linear)
    return prediction.energy[0], prediction.forces, prediction.stress[0]


def energy(atoms, candidate, path="kernels"):
    return calculate(atoms, candidate, path)[0]


def numerical_forces(atoms, candidate, path="kernels"):
    forces = np.zeros((len(atoms), 3))
    for a in range(len(atoms)):
        for k in range(3):
            shifted = []
            for sign in (1, -1):
                moved = atoms.copy()
                moved.positions[a, k] += sign * H
                shifted.append(energy(moved, candidate, path))
            forces[a, k] = -(shifted[0] - shifted[1]) / (2 * H)
    return forces


def numerical_stress(atoms, candidate, path="kernels"):
    """σ_kl = (1/V) ∂E/∂ε_kl for a symmetric strain, in ASE's Voigt order (xx, yy, zz, yz, xz, xy)."""
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
            shifted.append(energy(strained, candidate, path))
        stress[v] = (shifted[0] - shifted[1]) / (2 * H) / atoms.get_volume()
    return stress


def assert_relative(actual, expected, tolerance=1e-6):
    scale = max(np.abs(expected).max(), 1e-3)
    assert np.abs(actual - expected).max() <= tolerance * scale, (actual, expected)


GRAMMARS = ["pair", "eam"]


@pytest.fixture(scope="module", params=GRAMMARS)
def candidates(request):
    return random_candidates(request.param, seed=11, count=6)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("n_atoms", [1, 3])
def test_forces_are_minus_the_energy_gradient(candidates, n_atoms, path):
    rng = np.random.default_rng(n_atoms)
    for candidate in candidates:
        atoms = random_cell(rng, n_atoms)
        assert min(atoms.cell.lengths()) < 2 * 5.0  # images of an atom are inside the cutoff
        forces = calculate(atoms, candidate, path)[1]
        assert_relative(forces, numerical_forces(atoms, candidate, path))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("n_atoms", [1, 3])
def test_stress_is_the_strain_derivative_of_the_energy(candidates, n_atoms, path):
    rng = np.random.default_rng(10 + n_atoms)
    for candidate in candidates:
        atoms = random_cell(rng, n_atoms)
        stress = calculate(atoms, candidate, path)[2]
        assert_relative(stress, numerical_stress(atoms, candidate, path))


@pytest.mark.parametrize("exact", [True, False])
def test_kernels_agree_with_the_numpy_reference(candidates, exact):
    """The numba kernels (half list, threads, tables or exact pair values) against the slow numpy reference."""
    rng = np.random.default_rng(21)
    structures = [random_cell(rng, n) for n in (1, 2, 4)]
    tolerance = 1e-9 if exact else 1e-5
    for candidate in candidates:
        _, program, constants, linear = candidate
        prediction = evaluate(structures, program, constants, linear, exact=exact)
        expected = [reference.calculate(as_model(candidate), atoms) for atoms in structures]
        assert_relative(prediction.energy, np.array([e["energy"] for e in expected]), tolerance)
        assert_relative(prediction.forces, np.concatenate([e["forces"] for e in expected]), tolerance)
        assert_relative(prediction.stress, np.array([e["stress"] for e in expected]), tolerance)
        assert_relative(prediction.atom_energy, np.concatenate([e["energies"] for e in expected]), tolerance)


def test_tabulated_evaluation_matches_exact(candidates):
    """The search evaluates through cubic Hermite tables; they agree with exact evaluation to ~1e-6 relative."""
    rng = np.random.default_rng(5)
    structures = [random_cell(rng, 4) for _ in range(3)]
    for _, program, constants, linear in candidates:
        exact = evaluate(structures, program, constants, linear, exact=True)
        table = evaluate(structures, program, constants, linear, exact=False)
        assert_relative(table.energy, exact.energy, 1e-5)
        assert_relative(table.forces, exact.forces, 1e-5)


def test_tabulated_forces_are_the_gradient_of_tabulated_energies(candidates):
    """Forces from tables are derivatives of the interpolant itself, so they stay consistent with the energy."""
    rng = np.random.default_rng(6)
    atoms = random_cell(rng, 3)
    _, program, constants, linear = candidates[0]
    forces = evaluate([atoms], program, constants, linear, exact=False).forces

    def tabulated_energy(a):
        return evaluate([a], program, constants, linear, exact=False).energy[0]

    moved = []
    for sign in (1, -1):
        a = atoms.copy()
        a.positions[0, 0] += sign * H
        moved.append(tabulated_energy(a))
    assert forces[0, 0] == pytest.approx(-(moved[0] - moved[1]) / (2 * H), rel=1e-5, abs=1e-7)


@pytest.mark.parametrize("n_atoms", [1, 5])
def test_lennard_jones_matches_an_independent_calculator(n_atoms):
    epsilon, sigma = 0.4093, 2.338
    model = Model.from_expression(
        f"NS(2*{epsilon}*(({sigma}/r)**12 - ({sigma}/r)**6))", ("Cu",), {"Cu": 0.0}
    )
    rng = np.random.default_rng(n_atoms)
    atoms = random_cell(rng, n_atoms, volume_per_atom=14.0, shortest=2.0)
    mine = evaluate([atoms], model.program, model.constants, model.linear)
    atoms.calc = LennardJonesCutoff(epsilon=epsilon, sigma=sigma, r_in=3.0, r_out=5.0)
    assert mine.energy[0] == pytest.approx(atoms.get_potential_energy(), rel=1e-10, abs=1e-10)
    np.testing.assert_allclose(mine.forces, atoms.get_forces(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(mine.stress[0], atoms.get_stress(), rtol=1e-9, atol=1e-12)
