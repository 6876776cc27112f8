"""Discrete neighbours of a canonical form: each exact exponent moved one step.

Integer and fixed rational exponents are evolved, not fitted, so a search can sit next to the truth for many
generations: a front member 942 NS(r⁻¹⁰) − 10 NS(r⁻⁶)^(1/3) is two steps from Sutton–Chen, and only point mutations
that pick exactly those leaves and values reach it. Trying the neighbours of a fitted candidate (a local search over
the discrete leaves, as the snapping of constants is over the continuous ones) closes such gaps in a few fits.
"""

import sympy as sp

INTEGER_STEP = 1
RATIONAL_STEP = sp.Rational(1, 6)  # 1/3 <-> 1/2 <-> 2/3, -1/2 <-> -1/3


def exponent_neighbours(energy):
    """Energies that differ from `energy` in one exact exponent by one step (never to 0 or 1)."""
    powers = [p for p in sp.preorder_traversal(energy) if p.is_Pow and p.exp.is_Rational]
    seen = set()
    for power in powers:
        step = INTEGER_STEP if power.exp.is_Integer else RATIONAL_STEP
        for exponent in (power.exp - step, power.exp + step):
            if exponent in (0, 1) or (power, exponent) in seen:
                continue
            seen.add((power, exponent))
            yield energy.xreplace({power: sp.Pow(power.base, exponent, evaluate=False)})
