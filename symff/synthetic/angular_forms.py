"""Known angular forms (`symff.evaluate.angular.AngularForm`) that tests, benchmarks and exports share: a
Stillinger–Weber-like form (U(n) = n) and a MEAM-spline-like form with a nonlinear embedding, both for the smooth
cutoff (3, 5 Å), with energies of a few eV per atom on mlearn Si and Mo.
"""

import sympy as sp

from symff.evaluate.angular import AngularForm

# Stillinger–Weber-like: additive three-body terms (U(n) = n) with SW's g(c) = (c + 1/3)², SW's two-body numbers for Si
# (A = 7.0496, B = 0.6022, σ = 2.0951 Å) and exponential radial decays in place of SW's own cutoff, so that the smooth
# cutoff (3, 5 Å) does the cutting: about −4 eV/atom on mlearn Si.
STILLINGER_WEBER = AngularForm(
    phi="7.0496*(0.6022*(2.0951/r)**4 - 1)*exp(-2.0*(r - 2.0951))",
    rho="0",
    f="3.0*exp(-2.4*(r - 2.0951))",
    g="(c + 1/3)**2",
    embedding="n",
)
# MEAM-spline-like: a nonlinear embedding of a radial plus a three-body density with a non-polynomial g.
NONLINEAR = AngularForm(
    phi="4.0*exp(-2.0*(r - 2.35)) - 2.0*exp(-(r - 2.35))",
    rho="exp(-1.5*(r - 2.35))",
    f="0.8*exp(-(r - 2.35))",
    g="0.3 + exp(-2*(c + 0.5)**2)",
    embedding="-3.0*sqrt(n + 0.5) + 0.02*n**2",
)
FORMS = {"stillinger-weber": STILLINGER_WEBER, "nonlinear": NONLINEAR}  # by the names tests and benchmarks use
# The Stillinger–Weber-like form as a model file writes it, E_i = NS(φ/2) + NS3(f, g) with φ/2 expanded into its two
# terms (A r⁻⁴ + B) e^(−2r), as a search writes a sum, and 1/3 a number (a fitted constant, as in a searched g = (c + k)²):
# the known form of `symff rediscover stillinger-weber`.
STILLINGER_WEBER_ENERGY = f"NS({sp.expand(STILLINGER_WEBER.phi / 2)}) + NS3({STILLINGER_WEBER.f}, (c + {1 / 3!r})**2)"
