"""The smooth cutoff of neighbour sums (Hernandez et al. 2019, npj Comput. Mater. 5, 112).

    f_c(r) = 1                                                     for r <= r_in
           = (2r² - 3r_in² + r_out²)(r_out² - r²)² / (r_out² - r_in²)³   for r_in < r < r_out
           = 0                                                     for r >= r_out

f_c and f_c' are continuous everywhere, so forces are continuous. f_c'' is not: it is 0 outside (r_in, r_out), starts
at -24 r_in²/(r_out² - r_in²)² just above r_in and ends at +24 r_out²/(r_out² - r_in²)² just below r_out (-0.84 and
+2.34 Å⁻² for the defaults 3 and 5 Å). The form is kept
because the published POET potentials and our reference numbers use it; the tests check both facts.

Every neighbour sum weighs its pair function g by f_c. That product and its derivative are written here once:
`cutoff_product(g, g', f_c, f_c')` gives (h, h') = (g f_c, g' f_c + g f_c'), exactly zero where f_c and f_c' vanish
(beyond r_out, whatever g does there, even where it is not finite), and `multiplicative_cutoff(radial, r_in, r_out)`
lifts a radial function r -> (g, g') to r -> (h, h'), a function transformer in the manner of JAX MD's
`multiplicative_isotropic_cutoff`. Every evaluation path (kernels' tables and exact pair values, the numpy reference,
the export and report functions) takes h from here.

Three-body sums may have a shorter cutoff of their own (`three_body_radii`): their cost grows with the square of the
neighbours they count (325 pairs of neighbours of a bcc atom inside 5 Å, 91 inside its second shell), while the
radial sums' grows linearly.
"""

import numpy as np

DEFAULT_INNER = 3.0
DEFAULT_OUTER = 5.0


def smooth_cutoff(r, r_in=DEFAULT_INNER, r_out=DEFAULT_OUTER):
    """Return (f_c(r), f_c'(r)) for an array of distances."""
    r = np.asarray(r, dtype=float)
    r2 = r * r
    a2, b2 = r_in * r_in, r_out * r_out
    inv = 1.0 / (b2 - a2) ** 3
    between = (r > r_in) & (r < r_out)
    p = 2.0 * r2 - 3.0 * a2 + b2
    q = b2 - r2
    value = np.where(r <= r_in, 1.0, np.where(between, p * q * q * inv, 0.0))
    # d/dr [p q²] = 4r q² - 4r p q = 4 r q (q - p)
    slope = np.where(between, 4.0 * r * q * (q - p) * inv, 0.0)
    return value, slope


def cutoff_product(g, g_slope, f_c, f_c_slope):
    """(h, h') = (g f_c, g' f_c + g f_c') from g, g' and f_c, f_c' at the same distances (arrays that broadcast);
    h = h' = 0 where f_c = f_c' = 0, also where g is not finite."""
    with np.errstate(all="ignore"):
        h = g * f_c
        h_slope = g_slope * f_c + g * f_c_slope
    outside = (f_c == 0.0) & (f_c_slope == 0.0)
    if np.any(outside):
        h = np.where(outside, 0.0, h)
        h_slope = np.where(outside, 0.0, h_slope)
    return h, h_slope


def multiplicative_cutoff(radial, r_in=DEFAULT_INNER, r_out=DEFAULT_OUTER):
    """The radial function `radial(r, *args) -> (g, g')` times the smooth cutoff: `r, *args -> (g f_c, (g f_c)')`."""

    def cut(r, *args):
        g, g_slope = radial(r, *args)
        return cutoff_product(g, g_slope, *smooth_cutoff(r, r_in, r_out))

    return cut


def three_body_radii(r_in, r_out, three_body_cutoff=None):
    """(inner, outer) of the smooth cutoff of three-body sums: `three_body_cutoff` (a pair), or None for the radial
    sums' (r_in, r_out). Their pairs are a subset of the radial sums', so it must satisfy 0 < inner < outer <= r_out;
    else ValueError."""
    if three_body_cutoff is None:
        return float(r_in), float(r_out)
    inner, outer = (float(v) for v in three_body_cutoff)
    if not 0 < inner < outer <= r_out:
        raise ValueError(f"the three-body cutoff needs 0 < inner < outer <= the cutoff {r_out} Å, got {inner} and "
                         f"{outer}")
    return inner, outer
