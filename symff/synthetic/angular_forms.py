"""Known angular forms (`symff.evaluate.angular.AngularForm`) that tests, benchmarks and exports share: a
Stillinger–Weber-like form (U(n) = n) and a MEAM-spline-like form with a nonlinear embedding, both for the smooth
cutoff (3, 5 Å), with energies of a few eV per atom on mlearn Si and Mo.
"""

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
