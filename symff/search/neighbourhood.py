"""Discrete neighbours of a canonical form: each exact exponent moved one step, and each power of c = cos θ in an
angular function shifted.

Integer and fixed rational exponents are evolved, not fitted, so a search can sit next to the truth for many
generations: a front member 942 NS(r⁻¹⁰) − 10 NS(r⁻⁶)^(1/3) is two steps from Sutton–Chen, and only point mutations
that pick exactly those leaves and values reach it. Trying the neighbours of a fitted candidate (a local search over
the discrete leaves, as the snapping of constants is over the continuous ones) closes such gaps in a few fits.

The angular functions of the classical three-body potentials are powers of a *shifted* cosine: Stillinger–Weber's
(c + 1/3)², Tersoff's (h − c)². In the search a power of c shifted by a constant is rare: a constant added to c at
the top of g is split off into a term of its own (NS3(f, c + k) = NS3(f, c) + k NS3(f, 1)), so the shift survives
only under a power, which random trees seldom build; the searches find c², c⁴ instead. So each power cⁿ (n ≥ 2) of an
angular function has two more neighbours, (c + k)ⁿ with a new fitted constant k starting on either side of 0.
"""

import sympy as sp

from ..expr.symbols import NS3, C

INTEGER_STEP = 1
RATIONAL_STEP = sp.Rational(1, 6)  # 1/3 <-> 1/2 <-> 2/3, -1/2 <-> -1/3
SHIFT_STARTS = (-0.5, 0.5)  # start values of the shift k of (c + k)**n: either side, the fit moves it
SHIFT = sp.Symbol("shift_k", real=True)  # the new constant (canonicalization renames it)


def form_neighbours(energy):
    """(energy, starts) of every neighbour of `energy`: the exponent steps and the angular shifts, `starts` the start
    values of the new constants a neighbour has (none for an exponent step)."""
    for neighbour in exponent_neighbours(energy):
        yield neighbour, {}
    for neighbour in angular_shift_neighbours(energy):
        for start in SHIFT_STARTS:
            yield neighbour, {SHIFT: start}


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


def angular_shift_neighbours(energy):
    """Energies with one power c**n (n ≥ 2) in the angular function of a three-body sum made (c + SHIFT)**n."""
    seen = set()
    for angular in sorted(energy.atoms(NS3), key=sp.default_sort_key):  # an order no hash seed changes
        bond, g = angular.args
        for power in sp.preorder_traversal(g):
            if not (power.is_Pow and power.base == C and power.exp.is_Integer and power.exp >= 2) or power in seen:
                continue
            seen.add(power)
            shifted = NS3(bond, g.xreplace({power: sp.Pow(C + SHIFT, power.exp, evaluate=False)}))
            yield energy.xreplace({angular: shifted})
