"""Levenberg–Marquardt in numpy: the trust-region method of Moré (1978), as MINPACK's `lmder` runs it, with the same
stopping rules, scaling and step-bound updates, but bit-for-bit reproducible.

Why not scipy's `least_squares(method="lm")`: its MINPACK, given the same residuals and Jacobians, does not always
take the same steps. In one process, with the same inputs, it returned steps that differ in the last bits depending on
what the process had allocated before (scipy 1.17.1; measured: 2 or 3 different first steps in 200 calls from one
saved residual and Jacobian, none when the freed memory held zeros), and an ill-conditioned fit (Jacobian condition number
2e13) turns those bits into another minimum: the search's front then depended on the history of the process, and a
search resumed from its checkpoint could end elsewhere than the uninterrupted one. Every operation here is numpy and
LAPACK on arrays of fixed shapes, which give the same bits whatever the heap holds (measured the same way: 300 of 300
first steps identical).

The step of each trial solves min ||J p + f|| subject to ||D p|| <= Δ to MINPACK's accuracy (||D p|| within 10 % of Δ,
at most 10 Newton steps on the secular equation), from the singular value decomposition of J D⁻¹ instead of MINPACK's
pivoted QR; D holds the largest column norms of the Jacobians met so far (least_squares' x_scale="jac").

`secant=True` adds NL2SOL's idea (Dennis, Gay & Welsch 1981) for large-residual problems, where the Gauss–Newton
model JᵀJ misses the curvature Σ fᵢ ∇²fᵢ and the iteration converges only linearly: a secant estimate S of that
term, updated after every accepted step from the change of the Jacobian (the Dennis–Gay–Welsch update, sized down
where it overshoots), and each step taken with the model — Gauss–Newton or augmented by S — that predicted the last
step's reduction better.
"""

import numpy as np

EPS = np.finfo(float).eps
STEP_FACTOR = 100.0  # the first step bound: STEP_FACTOR x ||D x0|| (MINPACK's and least_squares' default)
GRADIENT_TOLERANCE = 1e-8  # least_squares' default gtol
SECULAR_ACCURACY = 0.1  # ||D p|| may miss the step bound by this share of it
SECULAR_STEPS = 10
DIFFERENCE_STEP = EPS ** 0.5  # relative step of a forward difference (scipy's default)


def forward_differences(fun, x, f):
    """∂fun/∂x at x by forward differences from f = fun(x): one call of `fun` per component."""
    columns = []
    for j in range(x.size):
        moved = x.copy()
        moved[j] += DIFFERENCE_STEP * max(1.0, abs(x[j]))
        columns.append((fun(moved) - f) / (moved[j] - x[j]))
    return np.column_stack(columns)


def levenberg_marquardt(fun, jac, x0, *, max_evaluations, ftol, xtol, gtol=GRADIENT_TOLERANCE, secant=False,
                        jac_calls=0):
    """Minimize ||fun(x)||² from x0; `jac(x)` is ∂fun/∂x at a point fun was last called at, or (∂fun/∂x, the calls of
    `fun` it made), which count as evaluations (None: forward differences, whose calls of `fun` count as evaluations,
    as in MINPACK's `lmdif`); `jac_calls`: the calls of `fun` a `jac` is expected to make, so that, as with
    differences, no Jacobian is taken that no trial could follow. Stops once `max_evaluations` calls of `fun`
    are made or a MINPACK test holds (relative reduction of the sum of squares below
    `ftol`, step bound below `xtol` of ||D x||, cosine of residual and Jacobian columns below `gtol`). `secant`: add
    the secant estimate of the second-order term (the module's docstring). Returns the last accepted x; a caller that
    needs the best trial keeps it itself."""
    x = np.array(x0, dtype=float)
    f = fun(x)
    evaluations, fnorm = 1, float(np.linalg.norm(f))
    scale = delta = xnorm = None
    par = 0.0
    first = True  # before the first accepted step
    curvature = SecantCurvature(x.size) if secant else None
    while evaluations < max_evaluations:
        if jac is None:
            if evaluations + x.size >= max_evaluations:
                return x  # no trial would follow the differences
            jacobian = forward_differences(fun, x, f)
            evaluations += x.size
        else:
            if jac_calls and evaluations + jac_calls >= max_evaluations:
                return x  # no trial would follow the Jacobian's differences
            jacobian = jac(x)
            if isinstance(jacobian, tuple):  # (∂fun/∂x, the calls of fun it made), counted as differences are
                jacobian, calls = jacobian
                evaluations += calls
            jacobian = np.asarray(jacobian, dtype=float)
        norms = np.linalg.norm(jacobian, axis=0)
        if scale is None:
            scale = np.where(norms > 0, norms, 1.0)
            xnorm = float(np.linalg.norm(scale * x))
            delta = STEP_FACTOR * xnorm if xnorm > 0 else STEP_FACTOR
        else:
            scale = np.maximum(scale, norms)
        gradient = jacobian.T @ f
        if curvature is not None:
            curvature.update(jacobian, f, gradient)
        if fnorm == 0 or np.max(np.abs(gradient[norms > 0]) / (fnorm * norms[norms > 0]), initial=0.0) <= gtol:
            return x
        u, s, vt = np.linalg.svd(jacobian / scale, full_matrices=False)
        uf = u.T @ f
        augmented = curvature is not None and curvature.augmented
        if augmented:  # the model JᵀJ + S in the scaled variables, by its eigenvectors
            eigenvalues, vectors = np.linalg.eigh((vt.T * s * s) @ vt + curvature.matrix / np.outer(scale, scale))
            basis, components = vectors.T, vectors.T @ (gradient / scale)
        while True:
            if augmented:
                scaled_step, par = model_trust_region_step(eigenvalues, components, basis, delta, par)
            else:
                scaled_step, par = trust_region_step(s, vt, uf, delta, par)
            step = scaled_step / scale
            pnorm = float(np.linalg.norm(scaled_step))
            if first:
                delta = min(delta, pnorm)
            trial = x + step
            f_trial = fun(trial)
            evaluations += 1
            fnorm1 = float(np.linalg.norm(f_trial))
            actual = 1.0 - (fnorm1 / fnorm) ** 2 if 0.1 * fnorm1 < fnorm else -1.0
            if augmented:  # the model's reduction of ||f||², relative, and its slope along the step
                directional = float(gradient @ step) / fnorm ** 2
                predicted = -(2 * directional + float(np.linalg.norm(jacobian @ step)) ** 2 / fnorm ** 2
                              + float(step @ curvature.matrix @ step) / fnorm ** 2)
            else:
                linear = float(np.linalg.norm(jacobian @ step)) / fnorm
                damping = np.sqrt(par) * pnorm / fnorm
                predicted = linear ** 2 + damping ** 2 / 0.5
                directional = -(linear ** 2 + damping ** 2)
            ratio = actual / predicted if predicted != 0 else 0.0
            if ratio <= 0.25:
                shrink = 0.5 if actual >= 0 else 0.5 * directional / (directional + 0.5 * actual)
                if 0.1 * fnorm1 >= fnorm or shrink < 0.1:
                    shrink = 0.1
                delta = shrink * min(delta, pnorm / 0.1)
                par /= shrink
            elif par == 0 or ratio >= 0.75:
                delta = pnorm / 0.5
                par *= 0.5
            accepted = ratio >= 1e-4
            if accepted:
                if curvature is not None:
                    curvature.step_taken(step, jacobian, gradient, actual * fnorm ** 2)
                x, f, fnorm, first = trial, f_trial, fnorm1, False
                xnorm = float(np.linalg.norm(scale * x))
            converged = abs(actual) <= ftol and predicted <= ftol and 0.5 * ratio <= 1
            if converged or delta <= xtol * xnorm or evaluations >= max_evaluations:
                return x
            if (abs(actual) <= EPS and predicted <= EPS and 0.5 * ratio <= 1) or delta <= EPS * xnorm:
                return x  # the tolerances cannot be met in floating point
            if accepted:
                break
    return x


class SecantCurvature:
    """NL2SOL's secant estimate S of Σ fᵢ ∇²fᵢ (the curvature the Gauss–Newton model misses) and its choice of model.

    After an accepted step s from x (Jacobian J, residual f) to x⁺ (J⁺, f⁺), with y = J⁺ᵀf⁺ − Jᵀf and
    y# = (J⁺ − J)ᵀ f⁺ (what S s should be): S is first sized by min(1, |sᵀy#| / |sᵀSs|) and then updated by
    Dennis–Gay–Welsch, S += (w yᵀ + y wᵀ)/(yᵀs) − (wᵀs) y yᵀ/(yᵀs)², w = y# − S s (skipped where yᵀs ≤ 0). The next
    step uses the augmented model JᵀJ + S when it predicted the reduction of ||f||² of the step just taken more
    closely than Gauss–Newton did."""

    def __init__(self, size):
        self.matrix = np.zeros((size, size))
        self.augmented = False
        self._pending = None  # (step, J, Jᵀf, actual reduction of ||f||²) of the last accepted step

    def step_taken(self, step, jacobian, gradient, reduction):
        self._pending = step, jacobian, gradient, reduction

    def update(self, jacobian, f, gradient):
        """Take the Jacobian `jacobian`, residual `f` and gradient Jᵀf at the point the last accepted step reached."""
        if self._pending is None:
            return
        step, old_jacobian, old_gradient, reduction = self._pending
        self._pending = None
        # the reduction each model predicted for that step, against what it gained
        linear = old_jacobian @ step
        gauss_newton = -(2 * float(old_gradient @ step) + float(linear @ linear))
        augmented = gauss_newton - float(step @ self.matrix @ step)
        self.augmented = abs(augmented - reduction) < abs(gauss_newton - reduction)
        y = gradient - old_gradient
        wanted = (jacobian - old_jacobian).T @ f
        ys = float(y @ step)
        if not (ys > 0 and np.isfinite(wanted).all()):
            return
        sss = float(step @ self.matrix @ step)
        if sss != 0:
            self.matrix *= min(1.0, abs(float(step @ wanted)) / abs(sss))
        w = wanted - self.matrix @ step
        self.matrix += (np.outer(w, y) + np.outer(y, w)) / ys - float(w @ step) * np.outer(y, y) / ys ** 2


def model_trust_region_step(eigenvalues, components, basis, delta, par):
    """(q, α): the scaled step minimizing gᵀq + ½ qᵀHq with ||q|| <= delta (to SECULAR_ACCURACY), for a symmetric
    H = basisᵀ diag(eigenvalues) basis that may be indefinite, `components` = basis g; (H + α I) q = −g, α above
    −min(eigenvalues)."""
    lowest = float(eigenvalues.min())
    if lowest > 0:
        newton = components / eigenvalues
        if float(np.linalg.norm(newton)) <= (1 + SECULAR_ACCURACY) * delta:
            return -(basis.T @ newton), 0.0
    floor = max(0.0, -lowest)  # H + α I is positive definite above it
    lower = floor * (1 + 1e-12) + np.finfo(float).tiny
    upper = max(lower, floor + float(np.linalg.norm(components)) / delta)
    alpha = min(max(par, lower), upper)
    for _ in range(SECULAR_STEPS):
        coefficients = components / (eigenvalues + alpha)
        norm = float(np.linalg.norm(coefficients))
        miss = norm - delta
        if abs(miss) <= SECULAR_ACCURACY * delta or norm == 0:
            break
        if miss > 0:
            lower = alpha
        else:
            upper = alpha
        slope = -float(np.sum(coefficients ** 2 / (eigenvalues + alpha))) / norm
        newton_alpha = alpha - miss / slope * (norm / delta)
        alpha = newton_alpha if lower < newton_alpha < upper else 0.5 * (lower + upper)
    coefficients = components / (eigenvalues + alpha)
    return -(basis.T @ coefficients), alpha


def trust_region_step(s, vt, uf, delta, par):
    """(q, α): the scaled step q = D p minimizing ||J p + f|| with ||q|| <= delta (to SECULAR_ACCURACY), and its
    Levenberg–Marquardt parameter α (0: the Gauss–Newton step fits), for J D⁻¹ = U diag(s) Vᵀ, uf = Uᵀ f, starting
    the search for α from `par`."""
    sg = s * uf  # (J D⁻¹)ᵀ f in the singular basis
    rank = int(np.sum(s > 0))  # as MINPACK: only an exactly singular direction counts (its R has a zero)

    def norm_at(alpha):
        """||q(α)|| and its derivative on α."""
        denominator = s * s + alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            coefficients = np.where(denominator > 0, sg / denominator, 0.0)
            norm = float(np.linalg.norm(coefficients))
            slope = -float(np.sum(np.where(denominator > 0, coefficients ** 2 / denominator, 0.0))) / norm \
                if norm > 0 else 0.0
        return coefficients, norm, slope

    if rank == len(s) and rank > 0:
        gauss_newton = uf / s
        gn_norm = float(np.linalg.norm(gauss_newton))
        if gn_norm <= (1 + SECULAR_ACCURACY) * delta:
            return -(vt.T @ gauss_newton), 0.0
        _, norm, slope = norm_at(0.0)
        lower = -(norm - delta) / slope * (norm / delta) if slope < 0 else 0.0
    else:
        lower = 0.0
    upper = float(np.linalg.norm(sg)) / delta
    if upper == 0:
        upper = np.finfo(float).tiny / min(delta, 0.1)
    alpha = min(max(par, lower), upper)
    if alpha == 0:
        alpha = upper
    for step in range(SECULAR_STEPS):
        if alpha == 0:
            alpha = max(np.finfo(float).tiny, 0.001 * upper)
        coefficients, norm, slope = norm_at(alpha)
        miss = norm - delta
        if abs(miss) <= SECULAR_ACCURACY * delta or (lower == 0 and miss < 0 and step > 0) \
                or step == SECULAR_STEPS - 1 or slope == 0:
            break
        correction = -miss / slope * (norm / delta)
        if miss > 0:
            lower = max(lower, alpha)
        else:
            upper = min(upper, alpha)
        alpha = max(lower, alpha + correction)
    return -(vt.T @ coefficients), alpha
