"""Fitting the constants of a formula: linear coefficients in closed form, the rest by Levenberg–Marquardt.

For every trial of the nonlinear constants c the coefficients a_m and reference energies are solved exactly
(`Targets.solve`), so Levenberg–Marquardt runs on the projected residual r(c) alone (Golub & Pereyra's variable
projection). A trial that makes the potential non-finite returns a large constant residual, so the step is refused
instead of the fit failing.

The Jacobian of r(c) is analytic by default (symff.fit.jacobian: exact to rounding, from the derivative terms that
every trial's pass evaluates beside the terms themselves, so it costs no pass of its own);
`FitOptions(jacobian="difference")` takes scipy's forward differences (one pass per constant), the
procedure before, kept so that the two can be compared (benchmarks/throughput.py). A form whose derivatives sympy
cannot turn into a program (a DiracDelta), or a point where they are not finite, falls back to forward differences.
The constants of three-body sums have no derivative terms: their columns are forward differences (one pass each,
counted against the fit's passes as Levenberg–Marquardt counts its own), the others' analytic.

Levenberg–Marquardt itself is symff.fit.levenberg (MINPACK's method in numpy, reproducible to the bit), by default
with NL2SOL's secant estimate of the second-order term (`solver="secant"`): the projected residual of a potential
stays large at its minimum, where Gauss–Newton converges only linearly. `FitOptions(solver="levenberg")` is the
plain method, `FitOptions(solver="minpack")` scipy's MINPACK, as the procedure before did.
"""

import functools
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..expr.program import AlloyProgram
from ..expr.symbols import Rejected
from .jacobian import AlloyDerivativeProgram, DerivativeProgram, joint_basis, projected_jacobian
from .levenberg import forward_differences, levenberg_marquardt

PENALTY = 1e12  # loss of a trial whose potential is not finite
DERIVATIVE_CACHE_SIZE = 256  # DerivativePrograms kept per process (`_derivatives`)
_DERIVATIVE_CACHE = OrderedDict()
_DERIVATIVE_LOCK = threading.Lock()
DEFAULT_MAX_EVALUATIONS = 200
JACOBIANS = ("analytic", "difference")
# symff.fit.levenberg (plain, or with NL2SOL's secant term), or scipy's least_squares(method="lm")
SOLVERS = ("levenberg", "secant", "minpack")


@dataclass(frozen=True)
class FitOptions:
    """How a candidate is fitted. `jacobian`: "analytic" (symff.fit.jacobian) or "difference" (forward differences).
    `climb_evaluations`: the evaluations of a neighbour's short fit in the climb over exact exponents
    (symff.search.scoring.FormFitter); `polish_evaluations`: those of a further fit of the form the climb ends on,
    from its short fit (0: none, it keeps its short fit). `climb_fits`: how many neighbours of a climb step get the
    short fit, the lowest by their loss at the inherited constants with the coefficients re-solved (`loss_at`, one
    pass each); 0: every neighbour, unprobed. `tolerance`: the relative change of loss and constants at which a fit
    on all the data stops (`FormFitter`'s fits; a screen's is its Stage's). `solver`: "levenberg"
    (symff.fit.levenberg, reproducible to the bit), "secant" (the same with NL2SOL's secant estimate of the
    second-order term) or "minpack" (scipy's, whose steps can depend on the process's memory: see
    symff.fit.levenberg). The defaults are the choice measured best in docs/performance.md;
    `FitOptions.before()` is the procedure before the analytic Jacobian, kept for comparison, and
    `FitOptions.gauss_newton()` the default before the secant term. `decay_neighbours`: whether the climb also
    tries each power law of r times a new decay (symff.search.neighbourhood.decay_neighbours).
    `neighbour_polish_evaluations`: the evaluations of the fit a climb gives a neighbour with new constants (a shift,
    a decay) once it has taken it, before the next step; None: a full fit (the stage's max_evaluations).
    `angle_splits`: the powers n with which the climb splits a three-body sum of a constant angular function into
    an angle cⁿ and a squared density (symff.search.neighbourhood.angle_split_neighbours); empty: no splits.
    `reuse_fixed_terms`: the evaluator keeps the columns of terms that no constant changes (NS(r), sqrt(NS(r**-6)))
    from pass to pass and form to form (`Evaluator.basis(..., reuse=True)`): the same fits to the bit, less work.
    `log_bases`: Levenberg–Marquardt steps in ln c for each constant c that is only the base of powers (c**r, a
    decay). The search turns it on (`SearchConfig.log_bases`: more generations and better fronts in the same time,
    docs/performance.md); off here, for `symff fit`, bootstrap ensembles and the learn loop's refits, whose
    measurements were taken with fits in c (on the throughput benchmark's forms it reaches other minima, as many
    lower as higher)."""

    jacobian: str = "analytic"
    climb_evaluations: int = 10
    polish_evaluations: int = 0
    climb_fits: int = 1
    tolerance: float = 1e-6  # with the secant term, 1e-6 ends where 1e-10 did (docs/performance.md)
    solver: str = "secant"
    decay_neighbours: bool = True
    neighbour_polish_evaluations: int | None = None  # None: the stage's max_evaluations (docs/performance.md)
    angle_splits: tuple = ()
    reuse_fixed_terms: bool = True
    log_bases: bool = False

    def __post_init__(self):
        if self.jacobian not in JACOBIANS:
            raise ValueError(f"jacobian must be one of {', '.join(JACOBIANS)}, got {self.jacobian!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"solver must be one of {', '.join(SOLVERS)}, got {self.solver!r}")
        if not 0 < self.tolerance < 1:
            raise ValueError(f"tolerance must be between 0 and 1, got {self.tolerance}")
        if self.neighbour_polish_evaluations is not None and self.neighbour_polish_evaluations < 1:
            raise ValueError(f"neighbour_polish_evaluations must be at least 1 (or None), got "
                             f"{self.neighbour_polish_evaluations}")
        if not all(isinstance(n, int) and n >= 1 for n in self.angle_splits):
            raise ValueError(f"angle_splits must be powers of at least 1, got {self.angle_splits}")
        if self.climb_evaluations < 1 or self.polish_evaluations < 0 or self.climb_fits < 0:
            raise ValueError("climb_evaluations must be at least 1, polish_evaluations and climb_fits at least 0, got "
                             f"{self.climb_evaluations}, {self.polish_evaluations} and {self.climb_fits}")

    @classmethod
    def before(cls):
        """The procedure of the search before these options existed: finite differences, every climb neighbour
        fitted for 10 evaluations, fits on all the data stopped at a relative change of 1e-10, scipy's MINPACK."""
        return cls(jacobian="difference", climb_evaluations=10, polish_evaluations=0, climb_fits=0, solver="minpack",
                   tolerance=1e-10, decay_neighbours=False, reuse_fixed_terms=False)

    @classmethod
    def gauss_newton(cls):
        """The default before the secant term (2026-11-30): plain Levenberg–Marquardt, fits stopped at 1e-10."""
        return cls(solver="levenberg", tolerance=1e-10, decay_neighbours=False, reuse_fixed_terms=False)


@dataclass(frozen=True)
class Fit:
    constants: np.ndarray  # nonlinear constants c
    linear: np.ndarray  # a_m
    reference: np.ndarray  # per-element reference energy of the loss (the model file's comes from `reference_energies`)
    loss: float
    evaluations: int


class _Projected:
    """r(c) with the best trial remembered (least_squares does not return the best point it has seen), and its
    analytic Jacobian (`jacobian`), which reuses the design and the derivative terms of the last trial when it is at
    the same constants (an analytic fit's trials evaluate both in one pass, `joint_basis`). A call at the constants of
    the call before returns that call's residual without a pass: the solvers' first call repeats the fit's own check
    of its start."""

    def __init__(self, program, evaluator, targets, analytic=False, reuse=False):
        self.program, self.evaluator, self.targets = program, evaluator, targets
        self.reuse = reuse  # keep the columns of fixed terms (`Evaluator.basis`)
        self.penalty = np.full(targets.n_rows, np.sqrt(PENALTY / targets.n_rows))
        self.best = None
        self.evaluations = 0
        self.derivative = _derivatives(program) if analytic else None
        # (constants, design, solution, residual, derivative basis or None where not finite) of the last finite trial
        self._last = None
        self._previous = None  # (constants, residual) of the last call
        self._basis_only = False  # while taking differences: no derivative terms

    def __call__(self, constants):
        constants = np.array(constants, dtype=float)
        if self._previous is None or not np.array_equal(self._previous[0], constants):
            self._previous = constants, self._residual(constants)
        return self._previous[1].copy()  # a copy: a solver may write into what it is given

    def _residual(self, constants):
        if not np.isfinite(constants).all():  # a step that overflowed (exp of a log-constant): no such potential
            return self.penalty
        try:
            basis, derivatives = self._bases(constants)
            linear, reference, residual, design, solution = self.targets.solve_design(basis)
        except Rejected:  # a trial that is not finite, or overflows the linear solve: refused, the fit goes on
            return self.penalty
        loss = float(residual @ residual)
        if not np.isfinite(loss):
            return self.penalty
        if self.derivative is not None:
            self._last = (constants, design, solution, residual, derivatives)
        if self.best is None or loss < self.best.loss:
            self.best = Fit(constants, linear, reference, loss, self.evaluations)
        return residual

    def _bases(self, constants):
        """(basis, basis of the derivative terms or None): one joint pass when the fit is analytic; the basis alone
        (a second pass) where the derivative terms are not finite but the terms may be."""
        self.evaluations += 1
        if self.derivative is not None and not self._basis_only:
            try:
                return joint_basis(self.derivative, self.evaluator, constants, reuse=self.reuse)
            except Rejected:
                self.evaluations += 1
        return self.evaluator.basis(self.program, constants, reuse=self.reuse), None

    def jacobian(self, constants, *_):
        """∂r/∂c at `constants` (a point where r was finite: least_squares asks only at accepted steps); by forward
        differences where the analytic derivatives are not finite, and in the constants of three-body sums."""
        return self.jacobian_and_passes(constants)[0]

    def jacobian_and_passes(self, constants):
        """(∂r/∂c, the passes over the data its forward differences took) at `constants`."""
        constants = np.asarray(constants, dtype=float)
        if self._last is None or not np.array_equal(self._last[0], constants):
            self(constants)
        if self._last is None or not np.array_equal(self._last[0], constants):
            return np.zeros((self.targets.n_rows, constants.size)), 0  # not finite: a zero gradient ends the fit
        _, design, solution, residual, derivatives = self._last
        jacobian = None
        if derivatives is not None:
            rows = self.targets.term_rows(derivatives)
            jacobian = projected_jacobian(design, solution, residual, rows, self.derivative.pairs, constants.size)
        if jacobian is None or not np.isfinite(jacobian).all():
            return self._difference_jacobian(constants, residual), constants.size
        difference = self.derivative.difference
        if difference:
            jacobian[:, difference] = self._difference_jacobian(constants, residual, difference)
        return jacobian, len(difference)

    def _difference_jacobian(self, constants, residual, which=None):
        """Forward differences with scipy's default steps (what least_squares would take), in the constants `which`
        (None: all)."""
        self._basis_only = True
        try:
            if which is None:
                jacobian = forward_differences(self, constants, residual)
            else:
                jacobian = forward_differences(lambda moved: self(_with(constants, which, moved)), constants[which],
                                               residual)
        finally:
            self._basis_only = False
        self._last = None  # the cached design is no longer the last trial's
        return jacobian


def _with(constants, which, values):
    """`constants` with those at the indices `which` set to `values`."""
    moved = constants.copy()
    moved[which] = values
    return moved


def _formula_key(formula):
    """What a DerivativeProgram is built from: formulas equal in these have the same one."""
    return formula.densities, formula.terms, formula.constants, formula.channels, formula.angular


def _derivatives(program):
    """The DerivativeProgram of a program's formula, or None when sympy's derivatives cannot be evaluated (e.g. the
    DiracDelta of a derivative of sign): the fit then takes finite differences. Kept for the last
    DERIVATIVE_CACHE_SIZE formulas of the process: a form's screen, its fit on all the data and its snapped and
    climbed refits ask for the same one, and building it (sympy's derivatives) costs as much as several passes."""
    if isinstance(program, AlloyProgram):
        # the tie is part of the key: the same formulas fitted with shared three-body constants and without
        # (a model file's program and its refit's, symff.model.AlloyModel.refit_program) differ in their constants
        tie = None if program.tie is None else tuple(program.tie.tolist())
        key = (program.elements, tuple(_formula_key(p.formula) for p in program.programs), tie)
        build = lambda: AlloyDerivativeProgram(program)
    else:
        key = _formula_key(program.formula)
        build = lambda: DerivativeProgram(program.formula)
    with _DERIVATIVE_LOCK:  # fits may run in threads (a Dask worker's)
        if key in _DERIVATIVE_CACHE:
            _DERIVATIVE_CACHE.move_to_end(key)
            return _DERIVATIVE_CACHE[key]
    try:
        derivative = build()
        derivative = derivative if derivative.program is not None else None
    except Rejected:
        derivative = None
    with _DERIVATIVE_LOCK:
        _DERIVATIVE_CACHE[key] = derivative
        while len(_DERIVATIVE_CACHE) > DERIVATIVE_CACHE_SIZE:
            _DERIVATIVE_CACHE.popitem(last=False)
    return derivative


def loss_at(program, evaluator, targets, constants, *, options: FitOptions = FitOptions()):
    """The loss at fixed nonlinear `constants`, the coefficients and reference energies solved in closed form (one
    pass over the data); PENALTY where the potential is not finite there."""
    projected = _Projected(program, evaluator, targets, reuse=options.reuse_fixed_terms)
    with np.errstate(all="ignore"):
        projected(np.asarray(constants, dtype=float))
    return PENALTY if projected.best is None else projected.best.loss


def fit_constants(program, evaluator, targets, start, *, max_evaluations=DEFAULT_MAX_EVALUATIONS,
                  tolerance=1e-10, options: FitOptions = FitOptions()) -> Fit:
    """Fit `program`'s constants from `start`; raise Rejected when no trial gives a finite potential.
    `tolerance` is the relative change of loss and constants at which Levenberg–Marquardt stops. `evaluations` of
    the result counts the passes over the data (an analytic fit's joint pass of terms and derivative terms counts as
    one, and its Jacobians then take none)."""
    start = np.asarray(start, dtype=float)
    projected = _Projected(program, evaluator, targets, analytic=options.jacobian == "analytic" and start.size > 0,
                           reuse=options.reuse_fixed_terms)
    # Trials of a wild candidate overflow; they score as a penalty, so numpy's warnings are only noise.
    with np.errstate(all="ignore"):
        projected(start)
        if start.size and projected.best is not None:
            try:
                if options.solver == "minpack":
                    jacobian = "2-point" if projected.derivative is None else projected.jacobian
                    least_squares(projected, start, jac=jacobian, method="lm", max_nfev=max_evaluations,
                                  x_scale="jac", ftol=tolerance, xtol=tolerance)
                else:
                    bases = _positive_bases(program, start) if options.log_bases else ()
                    fun, jacobian, x0 = _in_logs(projected, start, bases) if len(bases) else (
                        projected, projected.jacobian_and_passes, start)
                    levenberg_marquardt(fun, jacobian if projected.derivative is not None else None, x0,
                                        max_evaluations=max_evaluations, ftol=tolerance, xtol=tolerance,
                                        secant=options.solver == "secant",
                                        jac_calls=len(projected.derivative.difference) if projected.derivative else 0)
            except (ValueError, np.linalg.LinAlgError):
                pass  # a singular or non-finite step ends the fit; the best trial so far stands
    if projected.best is None:
        raise Rejected("non_finite", "the potential is not finite at its starting constants")
    best = projected.best
    return Fit(best.constants, best.linear, best.reference, best.loss, projected.evaluations)


def _only_as_base(expr, symbol):
    """Whether every occurrence of `symbol` in `expr` is the base of a power whose exponent does not hold it."""
    if expr == symbol:
        return False
    if expr.is_Pow and expr.base == symbol:
        return symbol not in expr.exp.free_symbols
    return all(_only_as_base(arg, symbol) for arg in expr.args)


def _positive_bases(program, start):
    """Indices of the constants that appear only as bases of powers (c**r: a decay), positive at `start`; none for
    an alloy's program."""
    if isinstance(program, AlloyProgram):
        return np.zeros(0, dtype=np.int64)
    bases = _decay_bases(*_formula_key(program.formula))
    return np.array([j for j in bases if start[j] > 0], dtype=np.int64)


@functools.lru_cache(maxsize=DERIVATIVE_CACHE_SIZE)
def _decay_bases(densities, terms, constants, channels, angular):
    """Indices of the constants of a formula (given by `_formula_key`) that appear only as bases of powers: found
    once per formula, as every fit of it asks."""
    expressions = [*densities, *terms, *(e for pair in angular for e in pair)]
    return tuple(j for j, c in enumerate(constants) if any(c in e.free_symbols for e in expressions)
                 and all(_only_as_base(e, c) for e in expressions))


def _in_logs(projected, start, bases):
    """(residual, Jacobian, start) of the fit with the constants `bases` as their logarithms (`FitOptions.log_bases`):
    c**r = exp(r ln c), so that a decay beside a power law (c**r r**p) has a straight valley in (ln c, p) where it has
    a curved one in (c, p)."""
    def constants(u):
        c = np.array(u, dtype=float)
        c[bases] = np.exp(c[bases])
        return c

    def jacobian(u):
        c = constants(u)
        j, passes = projected.jacobian_and_passes(c)
        scale = np.ones(c.size)
        scale[bases] = c[bases]  # ∂/∂(ln c) = c ∂/∂c
        return j * scale, passes

    u0 = start.copy()
    u0[bases] = np.log(start[bases])
    return (lambda u: projected(constants(u))), jacobian, u0
