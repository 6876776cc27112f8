"""symff.fit.levenberg: Levenberg–Marquardt that finds the minima scipy's MINPACK finds, keeps to its budget, and gives
the same bits whatever the process's memory holds; its secant variant (NL2SOL's second-order term) reaches the same
minima in fewer steps where the residual is large."""

import numpy as np
import pytest
from scipy.optimize import least_squares

from symff.fit.levenberg import levenberg_marquardt, model_trust_region_step, trust_region_step

T = np.linspace(0.0, 3.0, 40)
Y = 0.5 + 2.0 * np.exp(-1.3 * T) + 0.01 * np.sin(7 * T)  # not exactly of the model's form: a nonzero residual


def exponential(x):
    return x[0] + x[1] * np.exp(x[2] * T) - Y


def exponential_jacobian(x):
    e = np.exp(x[2] * T)
    return np.column_stack([np.ones_like(T), e, x[1] * T * e])


def rosenbrock(x):
    return np.array([10 * (x[1] - x[0] ** 2), 1 - x[0]])


def rosenbrock_jacobian(x):
    return np.array([[-20 * x[0], 10.0], [-1.0, 0.0]])


# Two exponentials fitted to a curve they cannot follow (a sine on top, noise): a large residual at the minimum,
# where Gauss–Newton converges only linearly.
T60 = np.linspace(0.0, 3.0, 60)
NOISY = 2 * np.exp(-0.7 * T60) + 0.5 * np.sin(3 * T60) + np.random.default_rng(0).normal(0, 0.3, T60.size)


def two_exponentials(x):
    return x[0] * np.exp(x[1] * T60) + x[2] * np.exp(x[3] * T60 ** 2) - NOISY


def two_exponentials_jacobian(x):
    e, g = np.exp(x[1] * T60), np.exp(x[3] * T60 ** 2)
    return np.column_stack([e, x[0] * T60 * e, g, x[2] * T60 ** 2 * g])


@pytest.mark.parametrize("secant", [False, True], ids=["gauss-newton", "secant"])
@pytest.mark.parametrize("analytic", [True, False], ids=["jacobian", "differences"])
@pytest.mark.parametrize("problem", [(exponential, exponential_jacobian, [0.0, 1.0, -0.5]),
                                     (rosenbrock, rosenbrock_jacobian, [-1.2, 1.0]),
                                     (two_exponentials, two_exponentials_jacobian, [1.0, -0.1, 0.5, -0.5])],
                         ids=["exponential", "rosenbrock", "large-residual"])
def test_it_reaches_the_minimum_scipys_minpack_reaches(problem, analytic, secant):
    fun, jac, x0 = problem
    x = levenberg_marquardt(fun, jac if analytic else None, np.array(x0), max_evaluations=500, ftol=1e-12,
                            xtol=1e-12, secant=secant)
    oracle = least_squares(fun, x0, jac=jac if analytic else "2-point", method="lm", x_scale="jac", ftol=1e-12,
                           xtol=1e-12, max_nfev=500)
    # the secant steps stop elsewhere in the flat valley of an ill-conditioned minimum, as low or lower
    assert np.allclose(x, oracle.x, rtol=1e-4 if secant else 1e-6, atol=1e-9)
    assert np.sum(fun(x) ** 2) <= np.sum(oracle.fun ** 2) * (1 + 1e-9)


def test_it_keeps_to_its_budget_of_evaluations():
    calls = []

    def counted(x):
        calls.append(x.copy())
        return rosenbrock(x)

    levenberg_marquardt(counted, None, np.array([-1.2, 1.0]), max_evaluations=7, ftol=1e-15, xtol=1e-15)
    assert len(calls) <= 7  # the differences count, as in MINPACK's lmdif
    calls.clear()
    levenberg_marquardt(counted, rosenbrock_jacobian, np.array([-1.2, 1.0]), max_evaluations=7, ftol=1e-15,
                        xtol=1e-15)
    assert len(calls) == 7


def test_the_trust_region_step_is_the_damped_least_squares_step_within_the_bound():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(30, 4)) @ np.diag([1.0, 1e-2, 1e-4, 1e-8])  # badly conditioned, as fits are
    f = rng.normal(size=30)
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    gauss_newton = np.linalg.lstsq(a, -f, rcond=None)[0]
    for delta in (1e-3, 0.1, 10.0):
        q, alpha = trust_region_step(s, vt, u.T @ f, delta, 0.0)
        assert np.linalg.norm(q) <= 1.1 * delta
        assert alpha > 0 and abs(np.linalg.norm(q) - delta) <= 0.1 * delta
        assert np.allclose((a.T @ a + alpha * np.eye(4)) @ q, -a.T @ f, rtol=1e-8, atol=1e-10)
    q, alpha = trust_region_step(s, vt, u.T @ f, 2 * np.linalg.norm(gauss_newton), 0.0)
    assert alpha == 0 and np.allclose(q, gauss_newton)  # within the bound: the Gauss–Newton step


def test_the_secant_term_takes_fewer_evaluations_where_the_residual_is_large():
    counts = {}
    for secant in (False, True):
        calls = []
        x = levenberg_marquardt(lambda x, calls=calls: calls.append(1) or two_exponentials(x),
                                two_exponentials_jacobian, np.array([1.0, -0.1, 0.5, -0.5]), max_evaluations=500,
                                ftol=1e-10, xtol=1e-10, secant=secant)
        counts[secant] = len(calls), float(np.sum(two_exponentials(x) ** 2))
    assert counts[True][1] <= counts[False][1] * (1 + 1e-9)
    assert counts[True][0] < 0.6 * counts[False][0]  # measured: 15 against 37


def test_the_model_step_solves_the_shifted_system_on_the_bound_even_where_the_model_is_indefinite():
    rng = np.random.default_rng(5)
    q_basis = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    g = rng.normal(size=4)
    for eigenvalues in (np.array([3.0, 1.0, 1e-3, 1e-6]), np.array([2.0, 0.5, -0.1, -1.0])):
        h = q_basis @ np.diag(eigenvalues) @ q_basis.T
        for delta in (1e-2, 0.3, 3.0):
            q, alpha = model_trust_region_step(eigenvalues, q_basis.T @ g, q_basis.T, delta, 0.0)
            assert alpha > -eigenvalues.min()  # H + αI positive definite: q is the minimum on its sphere
            assert abs(np.linalg.norm(q) - delta) <= 0.1 * delta
            assert np.allclose((h + alpha * np.eye(4)) @ q, -g, rtol=1e-8, atol=1e-10)
    h = q_basis @ np.diag([3.0, 1.0, 0.5, 0.2]) @ q_basis.T
    newton = -np.linalg.solve(h, g)
    q, alpha = model_trust_region_step(np.array([3.0, 1.0, 0.5, 0.2]), q_basis.T @ g, q_basis.T,
                                       2 * np.linalg.norm(newton), 0.0)
    assert alpha == 0 and np.allclose(q, newton)  # positive definite and within the bound: Newton's step


def test_a_column_of_zeros_does_not_stop_it():
    def fun(x):
        return np.array([x[0] - 1.0, 2 * (x[0] - 1.0), 0.5])  # x[1] does nothing

    def jac(x):
        return np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 0.0]])

    x = levenberg_marquardt(fun, jac, np.array([3.0, 7.0]), max_evaluations=50, ftol=1e-12, xtol=1e-12)
    assert x[0] == pytest.approx(1.0) and x[1] == 7.0


def test_the_same_problem_gives_the_same_bits_whatever_memory_held_before():
    """scipy's MINPACK did not (symff.fit.levenberg): freed memory full of large numbers changed its steps."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 5)) @ np.diag([1.0, 1e-3, 1e-6, 1e-9, 1e-12])

    def fun(x):
        return np.tanh(a @ x) - 0.3

    def jac(x):
        return (1 - np.tanh(a @ x) ** 2)[:, None] * a

    results = set()
    for k in range(40):
        junk = np.full(int(rng.integers(1, 50_000)), 1e300 * rng.random())
        del junk
        x = levenberg_marquardt(fun, jac, np.full(5, 0.1), max_evaluations=60, ftol=1e-12, xtol=1e-12)
        results.add(x.tobytes())
    assert len(results) == 1
