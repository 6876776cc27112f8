"""The columns of fixed terms (no constant in the term or in a density it reads), computed once per evaluator and
reused by a fit's passes: the same to the bit as computed afresh, for every term, in every pass."""

import numpy as np
import pytest
import sympy as sp
from helpers import randomly_labelled_cells
from test_jacobian import formula

from symff.evaluate.evaluator import Evaluator
from symff.evaluate.skin import SkinList
from symff.expr.program import PotentialProgram
from symff.expr.species import fitted_form
from symff.expr.symbols import R
from symff.fit.constants import FitOptions, fit_constants
from symff.fit.jacobian import AlloyDerivativeProgram, DerivativeProgram, joint_basis
from symff.fit.loss import Targets
from symff.model import Model
from symff.neighbours import build_neighbours

# fixed terms beside terms with constants, an embedding of a fixed density with a constant, a product of sums
FORM = "NS(1) + NS(r**-3) + NS(0.4**r)**0.7 + sqrt(NS(r**-6)) + NS(r**-6)**1.3 * NS(0.5**r) + NS(r)"
OTHER = "NS(r**-3) - 0.8*sqrt(NS(r**-6)) + NS(exp(-1.3*r))"  # shares two fixed terms with FORM


@pytest.fixture(scope="module")
def data():
    return randomly_labelled_cells(5)


def evaluator_of(data):
    return Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)


def assert_identical(basis, expected, label):
    for name in ("energy", "forces", "stress", "atom_terms"):
        assert np.array_equal(getattr(basis, name), getattr(expected, name)), (label, name)


def test_the_fixed_terms_are_those_without_constants_in_the_term_or_its_densities():
    program = PotentialProgram(formula(FORM))
    texts = [str(term) for term in program.formula.terms]
    fixed = {texts[m] for m in program.fixed_terms}
    assert len(program.fixed_terms) == 4, texts  # NS(1), NS(r**-3), sqrt(NS(r**-6)), NS(r)
    for m, term in enumerate(program.formula.terms):
        has_constant = bool(term.free_symbols & set(program.formula.constants))
        assert not (has_constant and texts[m] in fixed)
    # the key names the term and its densities, not their places in the formula
    other = PotentialProgram(formula(OTHER))
    assert len(set(program.fixed_terms.values()) & set(other.fixed_terms.values())) == 2
    assert PotentialProgram(formula("NS(r**c0)")).fixed_terms == {}


def test_reused_columns_are_those_computed_afresh(data):
    """The first pass keeps the fixed terms' columns, later passes at other constants and other formulas take them:
    every column equals a fresh evaluation to the bit, the derivative program's joint pass included."""
    kept, fresh = evaluator_of(data), evaluator_of(data)
    for text in (FORM, OTHER, FORM):
        form = formula(text)
        program = PotentialProgram(form)
        for scale in (1.0, 1.03, 0.97):
            constants = form.initial * scale
            assert_identical(kept.basis(program, constants, reuse=True), fresh.basis(program, constants), text)
            derivative = DerivativeProgram(form)
            for got, expected in zip(joint_basis(derivative, kept, constants, reuse=True),
                                     joint_basis(derivative, fresh, constants)):
                assert_identical(got, expected, f"joint {text}")
    assert kept._fixed and not fresh._fixed  # without `reuse` nothing is kept


def test_reused_columns_of_an_expanded_alloy_form_are_those_computed_afresh():
    """The same for a form expanded over two elements (species-filtered sums, a term per element): a fixed term of one
    element is not another's."""
    data = randomly_labelled_cells(7, sizes=(4, 5, 6), elements=("Nb", "Mo"))
    blind = Model.from_expression(FORM, ("X",), {"X": 0.0}).formula
    program, _, start = fitted_form(blind, data.elements)
    assert program.fixed_terms and len({key[1] for key in program.fixed_terms.values()}) == 2  # keys per element
    kept, fresh = evaluator_of(data), evaluator_of(data)
    derivative = AlloyDerivativeProgram(program)
    for scale in (1.0, 1.02):
        assert_identical(kept.basis(program, start * scale, reuse=True), fresh.basis(program, start * scale), "alloy")
        for got, expected in zip(joint_basis(derivative, kept, start * scale, reuse=True),
                                 joint_basis(derivative, fresh, start * scale)):
            assert_identical(got, expected, "alloy joint")
    assert kept._fixed


def test_a_form_with_a_three_body_sum_keeps_no_columns_and_evaluates_as_without_reuse(data):
    """A formula with three-body sums has no fixed terms here (its sums' passes are kept by the evaluator's own
    three-body cache): reuse changes nothing, in one pass or the joint pass."""
    form = formula("NS(0.4**r) + sqrt(NS(r**-6)) + NS3(exp(-1.1*r), (c + 0.3)**2)")
    program = PotentialProgram(form)
    assert program.fixed_terms == {}
    kept, fresh = evaluator_of(data), evaluator_of(data)
    assert_identical(kept.basis(program, form.initial, reuse=True), fresh.basis(program, form.initial), "angular")
    derivative = DerivativeProgram(form)
    for got, expected in zip(joint_basis(derivative, kept, form.initial, reuse=True),
                             joint_basis(derivative, fresh, form.initial)):
        assert_identical(got, expected, "angular joint")
    assert not kept._fixed


def test_a_fit_with_reuse_is_the_fit_without_it(data):
    form = formula(FORM)
    program, targets = PotentialProgram(form), Targets(data)
    fits = [fit_constants(program, evaluator_of(data), targets, form.initial, tolerance=1e-6,
                          options=FitOptions(reuse_fixed_terms=reuse)) for reuse in (False, True)]
    assert fits[0].loss == fits[1].loss and fits[0].evaluations == fits[1].evaluations
    assert np.array_equal(fits[0].constants, fits[1].constants) and np.array_equal(fits[0].linear, fits[1].linear)
    assert not FitOptions.before().reuse_fixed_terms and FitOptions().reuse_fixed_terms


def test_moved_atoms_do_not_take_the_columns_of_the_atoms_before(data):
    """An evaluator on moved atoms (MD's `with_pairs`) keeps nothing of the one it was made from."""
    form = formula(FORM)
    program = PotentialProgram(form)
    kept = evaluator_of(data)
    before = kept.basis(program, form.initial, reuse=True)
    skin = SkinList.build(data.positions, data.cells, data.pbc, data.atom_start, 5.0)
    grid = skin.covering_grid(3.0)
    moved_positions = data.positions + np.random.default_rng(0).normal(0, 0.05, data.positions.shape)
    pairs = skin.pairs(moved_positions, grid)
    moved = kept.with_pairs(pairs, grid).basis(program, form.initial, reuse=True)
    assert_identical(moved, evaluator_of(data).with_pairs(pairs, grid).basis(program, form.initial), "moved")
    fixed = list(program.fixed_terms)
    assert not np.allclose(moved.forces[fixed], before.forces[fixed])  # the atoms did move


def test_the_kept_columns_stay_within_their_bytes(data, monkeypatch):
    """The evaluator keeps the last used fixed terms within FIXED_TERM_BYTES per pair."""
    evaluator = evaluator_of(data)
    one = evaluator.basis(PotentialProgram(formula("NS(r**-3)")), [])
    size = one.energy.nbytes + one.forces.nbytes + one.stress.nbytes + one.atom_terms.nbytes
    monkeypatch.setattr("symff.evaluate.evaluator.FIXED_TERM_BYTES", 2.5 * size / evaluator.n_pairs)
    for p in range(3, 9):
        evaluator.basis(PotentialProgram(formula(f"NS(r**-{p})")), [], reuse=True)
    assert [sp.sympify(key[2][0][0]) for key in evaluator._fixed] == [R**-7, R**-8]
