"""Hostile candidates: whatever formula the grammar makes, scoring and evaluation raise nothing but `Rejected`,
every non-finite result is rejected and kept out of the Pareto archive, and numpy's RuntimeWarnings never escape.

Property-based (hypothesis) over random trees of every shipped grammar, plain and exportable, mutated and crossed, on random small cells;
plus hand-written formulas for each numerical pathology. Warnings are turned into errors inside each check, so a
RuntimeWarning that would reach the user fails the test.
"""

import random
import warnings

import numpy as np
import pytest
import sympy as sp
from helpers import labelled, random_cell
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symff.data import Dataset
from symff.evaluate.evaluator import Evaluator
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.program import PotentialProgram
from symff.expr.symbols import NS, R, Rejected
from symff.fit.constants import PENALTY, fit_constants
from symff.fit.loss import Targets
from symff.grammar.spec import builtin_grammars, load_grammar
from symff.grammar.text import tree_from_text, tree_to_text
from symff.grammar.trees import TreeGrammar
from symff.neighbours import build_neighbours
from symff.search.archive import ParetoArchive
from symff.search.batch import score_alone
from symff.search.scoring import Scorer, Stage

# every shipped grammar, plain and exportable (`--lammps-exportable`: the typed eam(T, F, g) trees)
GRAMMARS = {f"{name}{'-exportable' if exportable else ''}": TreeGrammar(load_grammar(name), exportable=exportable)
            for name in sorted(builtin_grammars()) for exportable in (False, True)}


def small_data(seed, n_structures=2):
    rng = np.random.default_rng(seed)
    atoms = []
    for _ in range(n_structures):
        a = random_cell(rng, int(rng.integers(1, 5)), volume_per_atom=float(rng.uniform(9, 20)))
        labelled(a, energy=float(rng.normal(-3 * len(a), 1)))
        a.calc.results["forces"] = rng.normal(0, 0.3, (len(a), 3))
        atoms.append(a)
    return Dataset.from_atoms(atoms, min_distance=None)


def evaluators(data):
    neighbours = build_neighbours(data, 5.0)
    return (Evaluator(data, neighbours, r_in=3.0, r_out=5.0, grid_points=256),
            Evaluator(data, neighbours, r_in=3.0, r_out=5.0, exact=True))


def hostile_tree(grammar, rng):
    """A random tree, or the child of random trees by crossover or a mutation (where pathologies pile up)."""
    a, b = grammar.random_tree(rng), grammar.random_tree(rng)
    pick = rng.randrange(4)
    if pick == 0:
        return a
    if pick == 1:
        return grammar.crossover(rng, a, b)[0]
    return grammar.mutate_point(rng, a) if pick == 2 else grammar.mutate_subtree(rng, a)


def assert_finite_basis(basis):
    for name in ("energy", "forces", "stress", "atom_terms"):
        assert np.isfinite(getattr(basis, name)).all(), name


def check_formula_evaluation(formula, evaluator_pair, constants=None):
    """Evaluate a formula table and exact: either Rejected, or every array is finite."""
    program = PotentialProgram(formula)
    constants = formula.initial if constants is None else constants
    for evaluator in evaluator_pair:
        try:
            basis = evaluator.basis(program, constants)
        except Rejected as rejected:
            assert rejected.kind
            continue
        assert_finite_basis(basis)


SEEDS = st.integers(0, 2**32 - 1)
QUICK = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
THOROUGH = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def scoring_property(grammar, tree_seed, cell_seed):
    data = small_data(cell_seed)
    table, exact = evaluators(data)
    targets = Targets(data)
    scorer = Scorer(Stage(table, targets, 8), Stage(table, targets, 4), limit=lambda complexity: 1e6)
    archive = ParetoArchive()
    rng = random.Random(tree_seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            tree = hostile_tree(GRAMMARS[grammar], rng)
            assert tree_from_text(tree_to_text(tree), GRAMMARS[grammar]) == list(tree)  # as checkpoints keep it
            candidate = score_alone(scorer, tree)
            if candidate is None:
                continue
            fit = candidate.fit
            assert np.isfinite(fit.loss) and fit.loss < PENALTY
            assert np.isfinite(fit.constants).all() and np.isfinite(fit.linear).all()
            archive.update([candidate])
            if candidate.full:
                check_formula_evaluation(candidate.formula, (table, exact), fit.constants)
    for member in archive.best.values():
        assert member.full and np.isfinite(member.loss) and member.loss < PENALTY


def evaluation_property(grammar, tree_seed, cell_seed, scale):
    data = small_data(cell_seed, n_structures=1)
    pair = evaluators(data)
    rng = random.Random(tree_seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            formula = canonicalize(*tree_to_sympy(hostile_tree(GRAMMARS[grammar], rng)))
        except Rejected:
            return
        wild = formula.initial + scale * np.random.default_rng(tree_seed).normal(size=formula.initial.shape)
        check_formula_evaluation(formula, pair, wild)


def scoring(profile):
    @profile
    @given(grammar=st.sampled_from(sorted(GRAMMARS)), tree_seed=SEEDS, cell_seed=SEEDS)
    def test(grammar, tree_seed, cell_seed):
        scoring_property(grammar, tree_seed, cell_seed)
    return test


def evaluation(profile):
    @profile
    @given(grammar=st.sampled_from(sorted(GRAMMARS)), tree_seed=SEEDS, cell_seed=SEEDS,
           scale=st.sampled_from([0.0, 1.0, 10.0, 300.0]))
    def test(grammar, tree_seed, cell_seed, scale):
        evaluation_property(grammar, tree_seed, cell_seed, scale)
    return test


test_scoring_random_candidates_never_raises_and_keeps_non_finite_out = scoring(QUICK)
test_evaluating_random_candidates_at_wild_constants_is_finite_or_rejected = evaluation(QUICK)
test_scoring_many_random_candidates = pytest.mark.slow(scoring(THOROUGH))
test_evaluating_many_random_candidates = pytest.mark.slow(evaluation(THOROUGH))


# --- hand-written pathologies -------------------------------------------------------------------------------------

c0, c1 = sp.Symbol("c0", real=True), sp.Symbol("c1", real=True)
rho = NS(R**-6)
HOSTILE = {
    "negative base, fractional power": (NS((c0 - R) ** sp.Rational(1, 2)), {c0: -1.0}),
    "negative constant to the power r": (NS(c0**R), {c0: -2.0}),
    "division by zero": (NS(R**-6) / (NS(R**-6) - NS(R**-6)), {}),
    "division by a vanishing sum": (1 / (NS(c0 * R**-6) - NS(R**-6)), {c0: 1.0}),
    "exp overflow": (NS(sp.exp(c0 * R)), {c0: 1000.0}),
    "huge exponent": (NS(R**c0), {c0: 1e6}),
    "huge literal exponent": (NS(R ** sp.Integer(100000)), {}),
    "deep nesting": (NS(sp.exp(sp.exp(sp.exp(sp.exp(c0 * R))))), {c0: 1.0}),
    "log of a negative sum": (sp.log(rho - c0), {c0: 1e9}),
    "embedding of a negative sum": ((rho - c0) ** sp.Rational(1, 2), {c0: 1e9}),
    "complex constant power": (rho**c0 + NS((-R) ** c1), {c0: 0.5, c1: 0.5}),
    # found by a search: building its derivative once cost 67 s, as sympy factored the degree-192 polynomial to
    # learn its sign (symff.expr.program.radial_derivative)
    "degree-192 denominator": (NS(c0 * (c1 + R**9 + R) / (R**192 + R**4 - R)), {c0: 1.0, c1: 1.0}),
}


@pytest.fixture(scope="module")
def hostile_data():
    return small_data(7, n_structures=3)


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hand_written_pathologies_are_rejected_or_finite(case, hostile_data):
    expr, values = HOSTILE[case]
    pair = evaluators(hostile_data)
    targets = Targets(hostile_data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            formula = canonicalize(expr, values)
        except Rejected as rejected:
            assert rejected.kind in {"constant", "non_finite", "division_by_zero", "overflow", "complex"}, rejected
            return
        program = PotentialProgram(formula)
        try:
            fit = fit_constants(program, pair[0], targets, formula.initial, max_evaluations=20)
        except Rejected as rejected:
            assert rejected.kind in {"non_finite", "overflow"}, rejected
            return
        assert np.isfinite(fit.loss) and np.isfinite(fit.constants).all() and np.isfinite(fit.linear).all()
        check_formula_evaluation(formula, pair, fit.constants)


def test_the_wildest_cases_are_rejected_at_their_start(hostile_data):
    """Those whose value is infinite or NaN wherever r lies in the data are rejected, never fitted to a loss."""
    pair = evaluators(hostile_data)
    for case in ("exp overflow", "huge exponent", "negative base, fractional power", "deep nesting"):
        expr, values = HOSTILE[case]
        try:
            formula = canonicalize(expr, values)
        except Rejected:
            continue
        with pytest.raises(Rejected):
            pair[1].basis(PotentialProgram(formula), formula.initial)
