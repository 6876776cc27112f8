"""Fitting a given form: the constants of a formula the user writes, e.g. Sutton–Chen or POET's GP1.

A *form* is a formula in the model-file syntax whose free symbols (every name other than r) are the constants to fit:

    eps*(NS(0.5*(3.61/r)**n) - c*sqrt(NS((3.61/r)**m)))

Numbers stay fixed. The form is canonicalized (symff.expr.canonical), which may fold several symbols into one canonical
constant — above, eps·0.5·3.61ⁿ becomes the linear coefficient a0 and −n the exponent c0 — so the fit runs on the
canonical constants: linear ones in closed form, the rest by Levenberg–Marquardt, after a *global stage* of several
random starts (the best start wins). The user's symbols are then read back by solving canonical(symbols) = fitted
constants; when the data determine only combinations of them (Sutton–Chen's ε, a and c: the energy depends on εaⁿ
and εca^(m/2) only), the solution nearest the starting values is reported with `determined` False.

The coefficient of every term is always fitted, even where the form fixes it as a number (the − of GP1's −0.21^r):
the fit is of the canonical family of the form. Then no symbols reproduce the fit, `parameters` is empty, and the
fitted canonical constants are what the model reports; write such a number as a symbol to get it named.

    result = fit_form("NS(A*r**-12 + B*r**-6)", train, test=test)
    result.model.save("lj.json"); result.parameters  # {"A": ..., "B": ...}
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from ..cutoff import DEFAULT_INNER, DEFAULT_OUTER
from ..errors import ModelError
from ..evaluate.evaluator import Evaluator
from ..evaluate.predict import fitted_errors
from ..expr.canonical import canonicalize
from ..expr.species import fitted_form
from ..expr.symbols import Rejected
from ..model import AlloyModel, Model, form_model, parse_form
from ..neighbours import build_neighbours
from .constants import PENALTY, fit_constants
from .loss import LossWeights, Targets

DEFAULT_STARTS = 8
MAX_EVALUATIONS = 200  # passes over the data allowed to the fit from one start
READ_BACK_TOLERANCE = 1e-6  # relative mismatch at which symbols count as reproducing the fitted constants


@dataclass
class FormFit:
    """The result of `fit_form`: the fitted model and what the fit learned about the user's symbols."""

    model: Model | AlloyModel
    parameters: dict  # user symbol -> value (empty when they cannot be read back)
    determined: bool  # the data fix every symbol (False: only combinations of them)
    canonical: dict  # canonical constant (c_i, a_m) -> value
    loss: float
    start_losses: list = field(default_factory=list)  # loss reached from each start of the global stage


def fit_form(text, train, *, test=None, starts=DEFAULT_STARTS, seed=0, start_values=None, r_in=DEFAULT_INNER,
             r_out=DEFAULT_OUTER, weights=None, train_neighbours=None, max_evaluations=MAX_EVALUATIONS,
             source="formula", three_body_cutoff=None) -> FormFit:
    """Fit the free symbols of the form `text` to `train`; errors on train (and test) by the DESIGN.md protocol.

    `start_values` ({symbol: value}, default 1 for each) is the first start; the others are random perturbations of
    it, drawn from `seed`. `three_body_cutoff` (inner, outer): the three-body sums' own cutoff (None: r_in, r_out).
    A bad formula raises ModelError.
    """
    expr, symbols = checked_form(text, start_values, source)
    names = [s.name for s in symbols]
    start_user = np.array([float((start_values or {}).get(n, 1.0)) for n in names])
    formula = _canonical(expr, symbols, start_user, text, source)
    try:
        program, constants, initial = fitted_form(formula, train.elements)
    except Rejected as exc:  # a form whose species expansion folds to nothing
        raise ModelError(f"{source}: the formula {text!r} cannot be fitted to data of {', '.join(train.elements)} "
                         f"({exc})") from None
    positive = np.array([bool(c.is_positive) for c in constants], dtype=bool)

    neighbours = train_neighbours if train_neighbours is not None else build_neighbours(train, r_out)
    # The global stage runs on tabulated pair functions (fast); the best start is polished by exact evaluation.
    cutoffs = {"r_in": r_in, "r_out": r_out, "three_body_cutoff": three_body_cutoff}
    tabulated = Evaluator(train, neighbours, **cutoffs)
    targets = Targets(train, weights or LossWeights())
    rng = np.random.default_rng(seed)
    fits = []
    for start in _starts(initial, positive, starts, rng):
        try:
            fits.append(fit_constants(program, tabulated, targets, start, max_evaluations=max_evaluations))
        except Rejected:
            continue
    fits = [f for f in fits if f.loss < PENALTY]
    if not fits:
        raise ModelError(f"{source}: no start gives a finite potential for {text!r} on this data")
    best = min(fits, key=lambda f: f.loss)
    exact = Evaluator(train, neighbours, **cutoffs, exact=True)
    try:
        best = fit_constants(program, exact, targets, best.constants, max_evaluations=max_evaluations)
    except Rejected:
        pass  # the tabulated fit stands

    model = form_model(formula, best.constants, best.linear, train.elements, **cutoffs, metadata={"form": text, "loss": best.loss})
    fitted_errors(model, train, test, train_neighbours=neighbours)
    if isinstance(model, AlloyModel):  # one value per element and channel: no values of the user's symbols
        canonical = {f"{element}.{s}": float(v) for element, part, constants, linear in model.parts()
                     for s, v in zip(part.constants + part.linear, np.concatenate([constants, linear]))}
        parameters, determined = {}, False
    else:
        canonical = {str(s): float(v) for s, v in zip(formula.constants + formula.linear,
                                                      np.concatenate([best.constants, best.linear]))}
        parameters, determined = _read_back(expr, symbols, formula.key, start_user, best)
    model.metadata |= {"parameters": parameters, "parameters_determined": determined, "canonical_constants": canonical}
    return FormFit(model, parameters, determined, canonical, best.loss, [f.loss for f in fits])


def checked_form(text, start_values=None, source="formula"):
    """`parse_form`'s (expression, symbols), once every symbol of `start_values` is one of the form's (ModelError
    otherwise): what `fit_form` checks before any data are read."""
    expr, symbols = parse_form(text, source)
    names = [s.name for s in symbols]
    unknown = set(start_values or {}) - set(names)
    if unknown:
        raise ModelError(f"{source}: no symbol {', '.join(sorted(unknown))} in the formula {text!r} "
                         f"(its symbols: {', '.join(names) or 'none'})")
    return expr, symbols


def _canonical(expr, symbols, values, text, source):
    try:
        return canonicalize(expr, dict(zip(symbols, values)))
    except Rejected as exc:
        raise ModelError(f"{source}: the formula {text!r} is not a usable potential at the starting values "
                         f"({exc}); give other starting values") from None


def _starts(initial, positive, n, rng):
    """The global stage: the starting constants, then log-uniform rescalings over two decades, with random signs for
    constants not known to be positive (a base of c**r stays positive)."""
    yield initial
    if initial.size == 0:
        return
    base = np.where(initial == 0, 1.0, initial)
    for _ in range(n - 1):
        sign = np.where((rng.random(initial.size) < 0.25) & ~positive, -1.0, 1.0)
        yield base * sign * 10.0 ** rng.uniform(-1.0, 1.0, initial.size)


MISMATCH_CEILING = 1e6  # the read-back's residual for values of another form, that overflow, or are this far off


def _read_back(expr, symbols, key, start, fit):
    """Values of the user's symbols whose canonical form has the fitted constants: ({name: value}, determined)."""
    if not symbols:
        return {}, True
    target = np.concatenate([fit.constants, fit.linear])
    scale = np.where(target != 0, np.abs(target), 1.0)  # a constant fitted to 0 is matched to READ_BACK_TOLERANCE

    def mismatch(values):
        try:
            formula = canonicalize(expr, dict(zip(symbols, values)))
        except Rejected:
            return np.full(target.size, MISMATCH_CEILING)
        residual = (np.concatenate([formula.initial, formula.linear_initial]) - target) / scale
        if formula.key != key or not np.isfinite(residual).all():  # another form, or values that overflow
            return np.full(target.size, MISMATCH_CEILING)
        # bounded, so that the differences of the solver's Jacobian stay finite: residuals near 1e308 made them
        # inf, and the solver's SVD raised
        return np.clip(residual, -MISMATCH_CEILING, MISMATCH_CEILING)

    # solved for each symbol relative to its starting value: the residuals are relative too, and a symbol of 1e-45
    # (a*NS(k**r) + e*NS(u**r*r**v)) then takes finite-difference steps of its own size, not of 1e-8, whose residual
    # hit the ceiling, so that its column of the Jacobian was nothing and the symbols were "not all determined"
    unit = np.where(start != 0, np.abs(start), 1.0)
    with np.errstate(all="ignore"):
        solution = least_squares(lambda relative: mismatch(relative * unit), start / unit, xtol=1e-15, ftol=1e-15,
                                 gtol=1e-15, max_nfev=200 * (len(symbols) + 1))
    if not np.max(np.abs(solution.fun)) <= READ_BACK_TOLERANCE:
        return {}, False
    determined = np.linalg.matrix_rank(solution.jac, tol=1e-8 * max(1.0, np.abs(solution.jac).max())) == len(symbols)
    values = solution.x * unit
    return {s.name: float(v) for s, v in zip(symbols, values)}, bool(determined)
