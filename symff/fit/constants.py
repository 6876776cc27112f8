"""Fitting the constants of a formula: linear coefficients in closed form, the rest by Levenberg–Marquardt.

For every trial of the nonlinear constants c the coefficients a_m and reference energies are solved exactly
(`Targets.solve`), so Levenberg–Marquardt runs on the projected residual r(c) alone (Golub & Pereyra's variable
projection). A trial that makes the potential non-finite returns a large constant residual, so the step is refused
instead of the fit failing.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from ..expr.symbols import Rejected

PENALTY = 1e12  # loss of a trial whose potential is not finite
DEFAULT_MAX_EVALUATIONS = 200


@dataclass(frozen=True)
class Fit:
    constants: np.ndarray  # nonlinear constants c
    linear: np.ndarray  # a_m
    reference: np.ndarray  # per-element reference energy of the loss (the model file's comes from `reference_energies`)
    loss: float
    evaluations: int


class _Projected:
    """r(c) with the best trial remembered (least_squares does not return the best point it has seen)."""

    def __init__(self, program, evaluator, targets):
        self.program, self.evaluator, self.targets = program, evaluator, targets
        self.penalty = np.full(targets.n_rows, np.sqrt(PENALTY / targets.n_rows))
        self.best = None
        self.evaluations = 0

    def __call__(self, constants):
        self.evaluations += 1
        try:
            basis = self.evaluator.basis(self.program, constants)
            linear, reference, residual = self.targets.solve(basis)
        except Rejected:  # a trial that is not finite, or overflows the linear solve: refused, the fit goes on
            return self.penalty
        loss = float(residual @ residual)
        if not np.isfinite(loss):
            return self.penalty
        if self.best is None or loss < self.best.loss:
            self.best = Fit(np.array(constants, dtype=float), linear, reference, loss, self.evaluations)
        return residual


def fit_constants(program, evaluator, targets, start, *, max_evaluations=DEFAULT_MAX_EVALUATIONS,
                  tolerance=1e-10) -> Fit:
    """Fit `program`'s constants from `start`; raise Rejected when no trial gives a finite potential.
    `tolerance` is the relative change of loss and constants at which Levenberg–Marquardt stops."""
    projected = _Projected(program, evaluator, targets)
    start = np.asarray(start, dtype=float)
    # Trials of a wild candidate overflow; they score as a penalty, so numpy's warnings are only noise.
    with np.errstate(all="ignore"):
        projected(start)
        if start.size and projected.best is not None:
            try:
                least_squares(projected, start, method="lm", max_nfev=max_evaluations, x_scale="jac",
                              ftol=tolerance, xtol=tolerance)
            except (ValueError, np.linalg.LinAlgError):
                pass  # a singular or non-finite step ends the fit; the best trial so far stands
    if projected.best is None:
        raise Rejected("non_finite", "the potential is not finite at its starting constants")
    best = projected.best
    return Fit(best.constants, best.linear, best.reference, best.loss, projected.evaluations)
