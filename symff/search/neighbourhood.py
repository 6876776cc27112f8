"""Discrete neighbours of a canonical form: each exact exponent moved one step, each power of c = cos θ in an
angular function shifted, and each power law of r (a pair function, a density, a bond function) made a power law
times a decay.

Integer and fixed rational exponents are evolved, not fitted, so a search can sit next to the truth for many
generations: a front member 942 NS(r⁻¹⁰) − 10 NS(r⁻⁶)^(1/3) is two steps from Sutton–Chen, and only point mutations
that pick exactly those leaves and values reach it. Trying the neighbours of a fitted candidate (a local search over
the discrete leaves, as the snapping of constants is over the continuous ones) closes such gaps in a few fits.

The angular functions of the classical three-body potentials are powers of a *shifted* cosine: Stillinger–Weber's
(c + 1/3)², Tersoff's (h − c)². In the search a power of c shifted by a constant is rare: a constant added to c at
the top of g is split off into a term of its own (NS3(f, c + k) = NS3(f, c) + k NS3(f, 1)), so the shift survives
only under a power, which random trees seldom build; the searches find c², c⁴ instead. So each power cⁿ (n ≥ 2) of an
angular function has two more neighbours, (c + k)ⁿ with a new fitted constant k starting on either side of 0.

Classical pair functions and densities are power laws times decays, rⁿ kʳ: Stillinger–Weber's (A r⁻⁴ − B) e^(−2r),
Voter–Chen's r⁶ e^(−βr). A search that holds a power law and a decay in separate sums fits such a product as their
sum, a NS(kʳ) + b NS(r⁻⁷), well enough that no exponent step leads on: the product with the power's own exponent fits
far worse (r⁻⁷ e^(−2r) is much steeper than r⁻⁴ e^(−2r)), so the climb never takes it. With the exponent set free
the product is one smooth step away: r^p kʳ from p = n and k just below 1 is the power law itself, and the fit walks
down the valley of p and k towards the truth (on the rediscovery data, r⁻⁷ → r^(−5.3) 0.36ʳ in one fit of 100
evaluations, the loss 15 times lower). So in a form that holds a decay somewhere, each neighbour sum of a power law
of r has the neighbour NS(r^p kʳ), p and k new constants; the snapping makes p exact once the fits reach it. The bond
function f of a three-body sum NS3(f, g) is such a function too (Stillinger–Weber's and Tersoff's are decays, and a
search that finds r⁻⁶ in its place sits in the same valley), so a power-law bond function has the neighbour with
f = r^p kʳ in every three-body sum that shares it: the sums of one f with the terms of a polynomial g (NS3(f, 1),
NS3(f, c), NS3(f, c²)) are one three-body term, and move together.

A three-body sum whose angular function is a constant, NS3(f, k), holds no angle: it is Σ_{j<k} f f =
(NS(f)² − NS(f²))/2, a squared density of the three-body cutoff's range. Alloy searches keep such a sum as their one
three-body sum (docs/alloys.md), and neither an angle in it nor a radial squared density beside it alone lowers the
loss: with an angle the sum no longer holds the squared density the form needs. Both at once do, by a quarter of the
loss on the Nb–Mo data. So with `splits` (powers n) such a sum has the neighbours NS3(f, cⁿ) + a NS(f')², f' being f
with constants of its own that start at f's values.
"""

import sympy as sp

from ..expr.symbols import NS, NS3, C, R, constant_symbol

INTEGER_STEP = 1
RATIONAL_STEP = sp.Rational(1, 6)  # 1/3 <-> 1/2 <-> 2/3, -1/2 <-> -1/3
SHIFT_STARTS = (-0.5, 0.5)  # start values of the shift k of (c + k)**n: either side, the fit moves it
SHIFT = sp.Symbol("shift_k", real=True)  # the new constant (canonicalization renames it)
DECAY = sp.Symbol("decay_k", real=True)  # the base k of a new decay factor kʳ
POWER = sp.Symbol("power_p", real=True)  # the exponent p of a power law made free beside it
DECAY_START = 0.99  # kʳ next to 1: the product starts as the power law it replaces (its coefficient re-solved)
SPLIT = sp.Symbol("split_a", real=True)  # the coefficient of the squared density a split adds (solved in closed form)
NEIGHBOUR_GROUPS = ("step", "decay", "split")  # the groups of form_neighbours, each probed among itself


def form_neighbours(energy, groups=("step", "decay"), values=None, splits=()):
    """(energy, starts, group) of every neighbour of `energy` in `groups`: the exponent steps and the angular shifts
    ("step"), the power laws times a decay ("decay"), and the splits of a constant-angle three-body sum into the
    angles cⁿ of `splits` and a squared density ("split": its new constants start at `values`, the constants' values
    of `energy`); `starts` the start values of the new constants a neighbour has (none for an exponent step). The
    climb probes each group among itself (symff.search.scoring.FormFitter._neighbour_fits)."""
    if "step" in groups:
        for neighbour in exponent_neighbours(energy):
            yield neighbour, {}, "step"
        for neighbour in angular_shift_neighbours(energy):
            for start in SHIFT_STARTS:
                yield neighbour, {SHIFT: start}, "step"
    if "decay" in groups:
        for neighbour, starts in decay_neighbours(energy):
            yield neighbour, starts, "decay"
    if "split" in groups:
        for neighbour, starts in angle_split_neighbours(energy, values, splits):
            yield neighbour, starts, "split"


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


def decay_neighbours(energy):
    """(energy, starts) with one neighbour sum of a power law of r, NS(rⁿ) or NS(r^c) (or their species-filtered
    sums), made NS(r^p kʳ) (p and k free, starting at the power law: p = n, k = DECAY_START), and likewise one
    power-law bond function of the three-body sums, in all the sums that share it; only in a form that holds a decay
    kʳ in some sum's function of r."""
    sums = sorted(energy.atoms(NS), key=sp.default_sort_key)  # an order no hash seed changes
    angular = sorted(energy.atoms(NS3), key=sp.default_sort_key)
    if not any(_is_decay(f) for s in sums + angular for f in sp.Mul.make_args(s.args[0])):
        return
    for pair_sum in sums:
        function, *channel = pair_sum.args  # NS(g) or, species-filtered, NS(g, B)
        if (made := _times_decay(function)) is not None:
            product, starts = made
            yield energy.xreplace({pair_sum: NS(product, *channel)}), starts
    for bond in sorted({s.args[0] for s in angular}, key=sp.default_sort_key):
        if (made := _times_decay(bond)) is not None:
            product, starts = made
            yield energy.xreplace({s: NS3(product, *s.args[1:]) for s in angular if s.args[0] == bond}), starts


def angle_split_neighbours(energy, values, powers):
    """(energy, starts) with one three-body sum of a constant angular function, NS3(f, k), made NS3(f, cⁿ) for each n
    of `powers`, and a term SPLIT·NS(f')² added, f' being f with constants of its own starting at their `values`."""
    for angular in sorted(energy.atoms(NS3), key=sp.default_sort_key):  # an order no hash seed changes
        bond, g = angular.args
        if g.has(C):
            continue
        own = {c: constant_symbol(f"split_{c.name}", positive=bool(c.is_positive))
               for c in sorted(bond.free_symbols - {R}, key=str)}
        starts = {copy: float(values[c]) for c, copy in own.items()} | {SPLIT: 1.0}
        density = NS(bond.xreplace(own))
        for n in powers:
            yield energy.xreplace({angular: NS3(bond, C**n)}) + SPLIT * density**2, starts


def _times_decay(function):
    """(r^p kʳ, starts) for a power law of r (p = POWER starting at its exponent where that was exact, else its own
    free exponent; k = DECAY from DECAY_START), or None for any other function."""
    if function == R:
        exponent = sp.Integer(1)
    elif function.is_Pow and function.base == R and (function.exp.is_Rational or function.exp.is_Symbol):
        exponent = function.exp
    else:
        return None
    starts = {DECAY: DECAY_START} | ({POWER: float(exponent)} if exponent.is_Rational else {})
    power = POWER if exponent.is_Rational else exponent
    return R**power * DECAY**R, starts


def _is_decay(factor):
    """Whether a factor of a neighbour-sum function is kʳ with k a fitted constant."""
    return factor.is_Pow and factor.exp == R and factor.base.is_Symbol
