"""The analytic Jacobian of the projected residual (symff.fit.jacobian) against finite differences of the residual
itself, and the fitting options that choose between it and the procedure before (symff.fit.constants.FitOptions)."""

from collections import OrderedDict
from types import SimpleNamespace

import numpy as np
import pytest
from helpers import randomly_labelled_cells

from symff.data import Dataset
from symff.evaluate.evaluator import Evaluator
from symff.expr.program import PotentialProgram, Program, derivative_of, potential_program, radial_functions
from symff.expr.symbols import R, Rejected
from symff.fit import constants
from symff.fit.constants import FitOptions, _derivatives, _Projected, fit_constants
from symff.fit.jacobian import DerivativeProgram, joint_basis
from symff.fit.loss import Targets
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.rediscover import SC_A, SC_C, SC_EPSILON, sutton_chen_form
from symff.search.scoring import Candidate, FormFitter, Stage
from symff.synthetic.generate import make_sutton_chen_dataset

# each with nonlinear constants in pair functions, in embeddings and in a power of a neighbour sum
FORMS = [
    "NS(r**(10.2 - 5.4*r) - 0.21**r) + 0.97/NS(0.33**r)",  # POET's GP1
    "NS(r**-9.3) - NS(1.2*r**-6.1)**0.5",  # Sutton–Chen with free exponents
    "NS(0.4**r)**0.7 + NS((r - 0.8)**-3) * NS(exp(-1.3*r))",  # a product of neighbour sums, a shifted pair term
]


def formula(text):
    return Model.from_expression(text, ("Cu",), {"Cu": 0.0}).formula


@pytest.fixture(scope="module")
def data():
    return randomly_labelled_cells(3)


def finite_difference_jacobian(projected, constants, relative_step=1e-6):
    columns = []
    for j in range(constants.size):
        step = relative_step * max(1.0, abs(constants[j]))
        up, down = constants.copy(), constants.copy()
        up[j] += step
        down[j] -= step
        columns.append((projected(up) - projected(down)) / (2 * step))
    return np.column_stack(columns)


def assert_jacobian_matches_differences(projected, constants, names, label, difference_tolerance=1e-3):
    """The analytic Jacobian of `projected` at `constants` within 1e-5 (relative, per column) of central differences;
    the columns it takes by forward differences (the constants of three-body sums) within `difference_tolerance`."""
    analytic = projected.jacobian(constants)
    numeric = finite_difference_jacobian(projected, constants)
    difference = projected.derivative.difference
    for j in range(constants.size):
        error = np.linalg.norm(analytic[:, j] - numeric[:, j]) / np.linalg.norm(numeric[:, j])
        tolerance = difference_tolerance if j in difference else 1e-5
        assert error < tolerance, f"column {j} ({names[j]}) of {label}: relative error {error:.2e}"


@pytest.mark.parametrize("exact", [False, True], ids=["table", "exact"])
@pytest.mark.parametrize("text", FORMS)
def test_analytic_jacobian_matches_finite_differences_of_the_residual(data, text, exact):
    form = formula(text)
    assert form.constants, "the test needs nonlinear constants"
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0, exact=exact)
    projected = _Projected(PotentialProgram(form), evaluator, Targets(data), analytic=True)
    constants = form.initial * 1.02  # away from any point the form was written at
    residual = projected(constants)
    assert residual @ residual > 1.0  # far from a zero-residual fit: the Golub–Pereyra second term matters
    assert_jacobian_matches_differences(projected, constants, form.constants, form)


# three-body sums: added linearly, and inside an embedding with a radial density
ANGULAR_FORMS = [
    "NS(r**-9.3) - NS(1.2*r**-6.1)**0.5 + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2)",
    "NS(0.5*exp(-0.9*r)) - sqrt(NS(0.4**r) + 0.2*NS3(0.7**r, (c - 0.2)**2))",
]


@pytest.mark.parametrize("text", ANGULAR_FORMS)
def test_three_body_constants_take_differences_and_the_others_are_analytic(data, text):
    """The constants of f and h of a three-body sum are the difference columns (one pass each, counted by the fit);
    every other column is analytic, and both agree with central differences of the residual."""
    form = formula(text)
    in_sums = set().union(*(f.free_symbols | h.free_symbols for f, h in form.angular))
    derivative = DerivativeProgram(form)
    assert [form.constants[j] for j in derivative.difference] == [c for c in form.constants if c in in_sums]
    assert 0 < len(derivative.difference) < len(form.constants) and derivative.program is not None
    assert not {j for _, j in derivative.pairs} & set(derivative.difference)
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0, exact=True)
    projected = _Projected(PotentialProgram(form), evaluator, Targets(data), analytic=True)
    constants = form.initial * 1.02
    residual = projected(constants)
    assert residual @ residual > 1.0
    # the joint pass's own terms are the program's basis
    assert np.allclose(residual, _Projected(PotentialProgram(form), evaluator, Targets(data))(constants),
                       rtol=1e-10, atol=1e-10)
    passes = projected.evaluations
    _, calls = projected.jacobian_and_passes(constants)
    assert calls == len(derivative.difference) == projected.evaluations - passes
    assert_jacobian_matches_differences(projected, constants, form.constants, text)
    fit = fit_constants(PotentialProgram(form), evaluator, Targets(data), constants, max_evaluations=12)
    assert fit.loss < residual @ residual and fit.evaluations <= 12 + len(derivative.difference)


def test_derivative_program_leaves_out_terms_that_ignore_a_constant():
    form = formula("NS(r**-9.3) + sqrt(NS(0.4**r))")
    derivative = DerivativeProgram(form)
    # each constant sits in one term only: two derivative terms, not four
    assert len(derivative.pairs) == 2
    assert {m for m, _ in derivative.pairs} == {0, 1}
    assert DerivativeProgram(formula("NS(r**-12) + NS(r**-6)")).program is None  # no constants: nothing to derive


def test_fit_options_refuse_unknown_settings():
    with pytest.raises(ValueError, match="jacobian"):
        FitOptions(jacobian="central")
    with pytest.raises(ValueError, match="climb_evaluations"):
        FitOptions(climb_evaluations=0)
    with pytest.raises(ValueError, match="climb_fits"):
        FitOptions(climb_fits=-1)
    with pytest.raises(ValueError, match="tolerance"):
        FitOptions(tolerance=0.0)
    with pytest.raises(ValueError, match="solver"):
        FitOptions(solver="trf")
    with pytest.raises(ValueError, match="neighbour_polish_evaluations"):
        FitOptions(neighbour_polish_evaluations=0)
    assert FitOptions().jacobian == "analytic"
    assert FitOptions.before() == FitOptions(jacobian="difference", climb_evaluations=10, polish_evaluations=0,
                                             climb_fits=0, tolerance=1e-10, solver="minpack",
                                             decay_neighbours=False,  # the climb before had no decay neighbours
                                             reuse_fixed_terms=False)  # nor kept the columns of fixed terms
    assert FitOptions().decay_neighbours and not FitOptions.gauss_newton().decay_neighbours


@pytest.fixture(scope="module")
def sutton_chen():
    data = Dataset.from_atoms(make_sutton_chen_dataset(2, snapshots_per_temperature=2, interval=10, equilibration=20))
    return data, Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)


def test_both_jacobians_recover_sutton_chen_exponents_the_analytic_in_fewer_passes(sutton_chen):
    data, evaluator = sutton_chen
    form = formula("NS(r**-8.6) - sqrt(NS(r**-6.3))")  # Sutton–Chen's n = 9, m = 6 with the exponents off
    program, targets = PotentialProgram(form), Targets(data)
    fits = {jacobian: fit_constants(program, evaluator, targets, form.initial, options=FitOptions(jacobian=jacobian))
            for jacobian in ("analytic", "difference")}
    for jacobian, fit in fits.items():
        assert fit.loss < 1e-8, jacobian
        assert np.allclose(sorted(fit.constants), [-9, -6], atol=1e-4), (jacobian, fit.constants)
    assert fits["analytic"].evaluations < fits["difference"].evaluations


@pytest.mark.parametrize("options", [FitOptions(), FitOptions.before()], ids=["after", "before"])
def test_either_procedure_climbs_to_sutton_chen(sutton_chen, options):
    data, evaluator = sutton_chen
    fitter = FormFitter(Stage(evaluator, Targets(data), 50, options=options))
    start = formula("942.0*NS(r**-10) - 10.0*NS(r**-6)**(1/3)")
    fit = fit_constants(PotentialProgram(start), evaluator, fitter.targets, start.initial, options=options)
    climbed = fitter._climbed(Candidate(start, fit))
    assert climbed.key == formula(sutton_chen_form(SC_EPSILON, SC_A, SC_C)).key
    assert climbed.loss < 1e-10 and fitter.stats.climbed == 2


def test_a_form_with_abs_has_an_analytic_jacobian(data):
    # d/dc |r - c| = -sign(r - c); its r-derivative brings sympy's DiracDelta, which the table of primitives
    # evaluates as 0 (it is 0 wherever the derivative exists), so the form keeps its analytic Jacobian
    form = formula("NS(abs(r - 2.7)**-3)")
    assert DerivativeProgram(form).program is not None
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)
    fits = [fit_constants(PotentialProgram(form), evaluator, Targets(data), form.initial, options=FitOptions(jacobian=j))
            for j in ("analytic", "difference")]
    assert fits[0].loss <= fits[1].loss * (1 + 1e-6)  # here it reaches a lower minimum than differences do


def test_a_form_whose_derivatives_cannot_be_evaluated_is_fitted_by_differences(data, monkeypatch):
    form = formula("NS(r**-8.6) - sqrt(NS(r**-6.3))")
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)
    program, targets = PotentialProgram(form), Targets(data)
    analytic = fit_constants(program, evaluator, targets, form.initial, options=FitOptions(jacobian="analytic"))

    def unevaluable(formula):
        raise Rejected("non_finite", "a derivative sympy cannot turn into a program")

    monkeypatch.setattr("symff.fit.constants.DerivativeProgram", unevaluable)
    monkeypatch.setattr("symff.fit.constants._DERIVATIVE_CACHE", OrderedDict())  # the analytic fit's is kept
    fallback = fit_constants(program, evaluator, targets, form.initial, options=FitOptions(jacobian="analytic"))
    difference = fit_constants(program, evaluator, targets, form.initial, options=FitOptions(jacobian="difference"))
    assert fallback.loss == difference.loss and fallback.evaluations == difference.evaluations  # the same procedure
    assert fallback.loss == pytest.approx(analytic.loss, rel=1e-6)


def assert_same_basis(basis, expected, label):
    for name in ("energy", "forces", "stress", "atom_terms"):
        got, want = getattr(basis, name), getattr(expected, name)
        assert got.shape == want.shape, (label, name)
        assert np.allclose(got, want, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max())), (label, name)


@pytest.mark.parametrize("text", FORMS)
def test_one_joint_pass_gives_the_terms_and_their_derivative_terms(data, text):
    """The fit's trials take the terms T_m and the derivative terms D_mj from one pass: each part as its own pass
    would give it."""
    form = formula(text)
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)
    derivative = DerivativeProgram(form)
    constants = form.initial * 1.02
    own, derivatives = joint_basis(derivative, evaluator, constants)
    assert_same_basis(own, evaluator.basis(PotentialProgram(form), constants), "terms")
    alone = SimpleNamespace(densities=derivative.extended.densities, constants=form.constants,
                            terms=derivative.extended.terms[len(form.terms):], channels=derivative.extended.channels)
    assert_same_basis(derivatives, evaluator.basis(PotentialProgram(alone), constants), "derivative terms")
    assert derivatives.energy.shape[0] == len(derivative.pairs)


def test_a_trial_whose_derivative_terms_are_not_finite_is_fitted_by_differences(data, monkeypatch):
    """Where the joint pass is not finite the terms alone may be: that trial takes a second pass, the basis alone,
    and the Jacobian there is taken by differences (passes of the basis alone, no joint pass tried); the fit ends
    where the procedure with differences ends."""
    form = formula("NS(r**-8.6) - sqrt(NS(r**-6.3))")
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)
    program, targets = PotentialProgram(form), Targets(data)
    attempts = []

    def not_finite(*args, **kwargs):
        attempts.append(args)
        raise Rejected("non_finite", "a derivative term is not finite")

    monkeypatch.setattr(constants, "joint_basis", not_finite)
    bases = []
    basis = evaluator.basis
    monkeypatch.setattr(evaluator, "basis", lambda *args, **kwargs: bases.append(1) or basis(*args, **kwargs))
    fallback = fit_constants(program, evaluator, targets, form.initial, options=FitOptions(jacobian="analytic"))
    trials = len(bases)
    difference = fit_constants(program, evaluator, targets, form.initial, options=FitOptions(jacobian="difference"))
    assert attempts and trials > len(attempts)  # the differences' passes: the basis alone
    assert fallback.evaluations == len(attempts) + trials  # a trial: the joint pass tried, then the basis
    assert fallback.loss == pytest.approx(difference.loss, rel=1e-6)


def test_a_form_s_derivative_program_is_built_once(monkeypatch):
    monkeypatch.setattr(constants, "_DERIVATIVE_CACHE", OrderedDict())
    monkeypatch.setattr(constants, "DERIVATIVE_CACHE_SIZE", 2)
    first = _derivatives(PotentialProgram(formula(FORMS[0])))
    assert _derivatives(PotentialProgram(formula(FORMS[0]))) is first  # the same form, parsed again
    assert _derivatives(PotentialProgram(formula(FORMS[1]))) is not first
    _derivatives(PotentialProgram(formula(FORMS[2])))  # a third form: the least recent is dropped
    assert len(constants._DERIVATIVE_CACHE) == 2
    assert _derivatives(PotentialProgram(formula(FORMS[0]))) is not first


def test_formulas_of_one_structure_share_their_program_and_it_evaluates_as_a_fresh_one():
    one, again, other = formula(FORMS[0]), formula(FORMS[0].replace("10.2", "9.7")), formula(FORMS[1])
    assert again.key == one.key and not np.array_equal(again.initial, one.initial)
    shared = potential_program(one)
    assert potential_program(again) is shared and potential_program(other) is not shared
    fresh, r = PotentialProgram(one), np.linspace(1.5, 5.0, 7)
    for got, expected in zip(shared.densities(r, one.initial), fresh.densities(r, one.initial)):
        assert np.array_equal(got, expected)
    rho = np.abs(np.random.default_rng(0).normal(3.0, 1.0, (shared.n_sums, 5)))
    for got, expected in zip(shared.terms(rho, one.initial), fresh.terms(rho, one.initial)):
        assert np.array_equal(got, expected)
    # an output that does not depend on its input still comes at the input's shape (NS(1): g = 1, g' = 0)
    values, slopes = potential_program(formula("NS(1) + NS(r**-6)")).densities(r, [])
    assert values.shape == slopes.shape == (2, r.size)
    assert np.array_equal(values[0], np.ones(r.size)) and np.array_equal(slopes[0], np.zeros(r.size))


def test_derivatives_are_sympys_and_each_is_taken_once():
    import sympy as sp

    r, c = sp.Symbol("r_real", real=True), sp.Symbol("c0")
    pair = (c + r) / r**4 * sp.exp(-c * r)
    derivative_of.cache_clear()
    for symbol in (r, c):
        assert derivative_of(pair, symbol) == sp.diff(pair, symbol)
    before = derivative_of.cache_info()
    again = derivative_of((c + r) / r**4 * sp.exp(-c * r), r)  # built anew, as the next candidate's would be
    assert again is derivative_of(pair, r) and derivative_of.cache_info().misses == before.misses
    # programs built from remembered derivatives evaluate as programs of fresh ones
    densities = [pair.xreplace({r: R})]  # in the grammar's r
    remembered = Program(radial_functions(densities), [r], [c])
    fresh = Program([pair, sp.diff(pair, r)], [r], [c])
    grid = np.linspace(1.5, 5.0, 9)
    for got, expected in zip(remembered([grid], [0.7]), fresh([grid], [0.7])):
        assert np.array_equal(got, expected)


def test_decay_bases_are_the_constants_only_raised_to_a_power():
    from symff.expr.program import AlloyProgram
    from symff.fit.constants import _positive_bases

    def bases(text, start=None):
        form = formula(text)
        return _positive_bases(PotentialProgram(form), form.initial if start is None else start).tolist()

    assert bases(FORMS[0]) == [0, 3]  # GP1: c0**r and c3**r; not the exponents c1 + c2 r
    assert bases("NS(0.4**r * (r - 0.7))") == [1]  # (c0 + r) c1**r: the shift is no base
    assert bases("NS((r - 0.4)**0.4)") == []  # (c0 + r)**c1: an exponent is no base
    assert bases("NS(r**-9.3) - NS(1.2*r**-6.1)**0.5") == []
    assert bases("NS(0.4**r)", start=[-0.4]) == []  # not positive where the fit starts
    alloy = AlloyProgram({"Nb": formula("NS(0.4**r)"), "Mo": formula("NS(0.5**r)")})
    assert _positive_bases(alloy, [0.4, 0.5]).size == 0  # an alloy's fits step in the constants themselves


def test_a_fit_in_the_logarithms_of_its_decays_ends_at_a_minimum(data):
    """With FitOptions(log_bases=True) the fit steps in ln c: it ends where a fit in c started there finds nothing
    lower, and a step that overflows exp is a refused trial, not a fit with an infinite constant."""
    form = formula(FORMS[0])
    program, targets = PotentialProgram(form), Targets(data)
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)
    logs = fit_constants(program, evaluator, targets, form.initial, options=FitOptions(log_bases=True))
    assert np.isfinite(logs.constants).all() and logs.loss < fit_constants(program, evaluator, targets,
                                                                           form.initial, max_evaluations=1).loss
    again = fit_constants(program, evaluator, targets, logs.constants, options=FitOptions(tolerance=1e-10))
    assert again.loss >= logs.loss * (1 - 1e-4)
    projected = _Projected(program, evaluator, targets)
    assert np.array_equal(projected(np.array([np.inf, 10.2, -5.4, 0.33])), projected.penalty)
