"""The smooth cutoff: its values, continuity of f_c and f_c' at r_in and r_out, and the known jump of f_c''."""

import numpy as np
import pytest

from symff.cutoff import smooth_cutoff

RADII = [(3.0, 5.0), (2.5, 6.0), (4.0, 4.5)]


def second_derivative(r, r_in, r_out, h=1e-5):
    _, up = smooth_cutoff(r + h, r_in, r_out)
    _, down = smooth_cutoff(r - h, r_in, r_out)
    return (up - down) / (2 * h)


@pytest.mark.parametrize("r_in, r_out", RADII)
def test_value_is_one_inside_and_zero_outside(r_in, r_out):
    r = np.array([0.5, r_in, r_out, r_out + 1])
    value, slope = smooth_cutoff(r, r_in, r_out)
    np.testing.assert_array_equal(value, [1, 1, 0, 0])
    np.testing.assert_array_equal(slope, [0, 0, 0, 0])


@pytest.mark.parametrize("r_in, r_out", RADII)
def test_slope_is_the_derivative_of_the_value(r_in, r_out):
    r = np.linspace(r_in + 1e-3, r_out - 1e-3, 200)
    h = 1e-6
    numerical = (smooth_cutoff(r + h, r_in, r_out)[0] - smooth_cutoff(r - h, r_in, r_out)[0]) / (2 * h)
    np.testing.assert_allclose(smooth_cutoff(r, r_in, r_out)[1], numerical, atol=1e-8)


@pytest.mark.parametrize("r_in, r_out", RADII)
@pytest.mark.parametrize("edge", ["inner", "outer"])
def test_value_and_first_derivative_are_continuous(r_in, r_out, edge):
    """Across an edge, the gaps in f_c and f_c' shrink in proportion to the distance (no step)."""
    r0 = r_in if edge == "inner" else r_out
    curvature = 50 * r_out**2 / (r_out**2 - r_in**2) ** 2  # above the largest |f_c''|
    for eps in (1e-6, 1e-9):
        (v_lo, v_hi), (s_lo, s_hi) = smooth_cutoff(np.array([r0 - eps, r0 + eps]), r_in, r_out)
        assert abs(v_hi - v_lo) < curvature * eps**2 + 1e-15
        assert abs(s_hi - s_lo) < curvature * eps


@pytest.mark.parametrize("r_in, r_out", RADII)
def test_second_derivative_jumps_by_the_documented_amount(r_in, r_out):
    """DESIGN.md's cutoff is C¹, not C²: f_c'' jumps at both ends. The docstring states by how much; check it, so that
    the claim 'first two derivatives continuous' cannot silently be believed."""
    d = (r_out**2 - r_in**2) ** 2
    eps = 1e-4
    # f_c'' is 0 below r_in and above r_out; between, it starts at -24 r_in²/d and ends at +24 r_out²/d.
    for r0, expected in ((r_in, -24 * r_in**2 / d), (r_out, -24 * r_out**2 / d)):
        jump = second_derivative(r0 + eps, r_in, r_out) - second_derivative(r0 - eps, r_in, r_out)
        assert jump == pytest.approx(expected, rel=1e-3)
        assert abs(jump) > 0.1  # a real jump, not rounding


def test_multiplicative_cutoff_is_the_product_and_its_derivative():
    """The one place g·f_c is formed: value and derivative of the product, and exactly zero beyond r_out even where
    g is not finite."""
    from symff.cutoff import multiplicative_cutoff

    def radial(r, power):
        return r**power, power * r ** (power - 1)

    cut = multiplicative_cutoff(radial, 3.0, 5.0)
    r = np.linspace(1.0, 6.0, 501)
    h, h_slope = cut(r, -6.0)
    f_c, _ = smooth_cutoff(r, 3.0, 5.0)
    np.testing.assert_allclose(h, r**-6.0 * f_c, rtol=1e-14)
    step = 1e-6
    numeric = (cut(r + step, -6.0)[0] - cut(r - step, -6.0)[0]) / (2 * step)
    np.testing.assert_allclose(h_slope, numeric, rtol=1e-6, atol=1e-10)
    beyond = np.array([5.0, 5.5])
    with np.errstate(all="ignore"):
        h, h_slope = multiplicative_cutoff(lambda r: (r / 0.0, r / 0.0), 3.0, 5.0)(beyond)
    assert np.all(h == 0.0) and np.all(h_slope == 0.0)
