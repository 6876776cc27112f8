"""Canonical forms: equal potentials get one key, constants fold, and compiled programs agree with sympy."""

import random

import numpy as np
import pytest
import sympy as sp

from symff.errors import ModelError
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.program import PotentialProgram, dense_slopes
from symff.expr.symbols import R, Rejected, rho_symbol
from symff.grammar.spec import load_grammar
from symff.grammar.trees import TreeGrammar
from symff.model import parse_formula

SAME_FORMS = [
    ("NS(A*r**-12 + B*r**-6)", "NS(B/r**6) + NS(A*(1/r)**12)"),
    ("NS(A*r**-12 + B*r**-6)", "A*NS(r**-12) - B*NS(-r**-6)"),
    ("NS(A*r**-9) + B*sqrt(NS(r**-6))", "NS(A/r**9) + B*NS(C*r**-6)**(1/2)"),  # a factor inside sqrt folds
    ("A*NS(B**r)", "A*NS(exp(-B*r))"),
    ("A*NS(B**r)", "NS(A*exp(-B*(r - C)))"),
    ("A*NS(B**r)", "A*NS(B**(C*r))"),
    ("NS(A*r**-12)", "NS(A*r**-12) + C"),  # a constant per atom belongs to the reference energy
    # powers of a fractional power combine (its base is >= 0 wherever it is real): found by a Sutton–Chen search
    ("NS(A*r**-9) + B*sqrt(NS(r**-6))", "NS(A*r**-9) + B*(NS(r**-6)**(3/2))**(1/3)"),
    ("A*NS(r**-6)**C", "A*(NS(r**-6)**(1/2))**C"),
    # so do any powers of a positive base, and |x| is x there: found by a Sutton–Chen rediscovery (seed 10)
    ("A*NS(r**-6)**C", "A*(NS(r**-6)**B)**C"),
    ("A*NS(B**r)**C", "A*(NS(B**r)**D)**C"),
    ("A*NS(r**-6)", "A*(NS(r**-6)**2)**(1/2)"),
    # an even power of a difference is one form whichever way round the difference is written: both were on an LJ front
    ("A*NS((r - C)**10)", "A*NS((C - r)**10)"),
    ("A*NS((r - C)**-2)", "A*NS((C - r)**-2)"),
    ("A*NS((B*r - r**2)**4)", "A*NS((r**2 - B*r)**4)"),
    ("A*NS(r**-6)*(NS(r) - C)**2", "A*NS(r**-6)*(C - NS(r))**2"),
    # exponentials of one exponent merge into one base: a Sutton–Chen rediscovery (seed 1) ended on
    # √NS(c0**r c1**r / r**6) with c0 c1 = 1.0000000002, a factor 1 that no snap of c0 or c1 alone could remove
    ("A*NS(r**-9) + B*sqrt(NS(C**r*r**-6))", "A*NS(r**-9) + B*sqrt(NS(C**r*D**r*r**-6))"),
    ("A*NS(B**r)", "A*NS(B**r*C**r*D**r)"),
    ("A*NS(B**(r**2)*C**r)", "A*NS(B**(r**2)*C**r*D**r)"),
]
DIFFERENT_FORMS = [
    ("NS(A*r**-12 + B*r**-6)", "NS(A*r**-12 + B*r**-7)"),
    ("NS(A*r**-9) + B*sqrt(NS(r**-6))", "NS(A*r**-9) + B*NS(r**-6)**(1/3)"),
    ("A*NS(r**-6)", "A*NS(r**-6)**2"),
    ("A*(NS(r) - B)", "A*((NS(r) - B)**2)**(1/2)"),  # |x| is not x where x can be negative
    ("A*NS(r - B)**C", "A*(NS(r - B)**D)**C"),
    ("A*NS((r - C)**(1/2))", "A*NS((C - r)**(1/2))"),  # only an even integer power forgets the sign
]


@pytest.mark.parametrize("a, b", SAME_FORMS)
def test_equal_potentials_have_one_canonical_form(a, b):
    (fa, _), (fb, _) = parse_formula(a), parse_formula(b)
    assert fa.key == fb.key
    assert fa.complexity == fb.complexity


@pytest.mark.parametrize("a, b", DIFFERENT_FORMS)
def test_different_potentials_have_different_forms(a, b):
    assert parse_formula(a)[0].key != parse_formula(b)[0].key


def test_merged_exponentials_carry_the_product_of_their_bases():
    """c0**r c1**r becomes one c**r with c = c0 c1, so that a product of 1 is a constant at 1 for the snap."""
    c0, c1 = sp.symbols("c0 c1", positive=True)
    formula = canonicalize(sp.Function("NS")(c0**R * c1**R * R**-6), {c0: 3.90357834, c1: 0.25617521})
    assert formula.key == parse_formula("NS(C**r*r**-6)")[0].key
    assert formula.initial == pytest.approx([3.90357834 * 0.25617521])


def test_a_negative_factor_under_a_power_fixes_the_exponent():
    """(k x)**e with k < 0 < x is real only at an integer e, so that integer is the exponent; at any other e the
    candidate is complex and rejected, not left to fail in the fit."""
    k, e = sp.symbols("k e", real=True)
    x = sp.Function("NS")(R**-9)
    integer = canonicalize(x + (k * sp.Function("NS")(R**-6)) ** e, {k: -2.0, e: 1.0})
    assert integer.key == parse_formula("NS(r**-9) + A*NS(r**-6)")[0].key
    with pytest.raises(Rejected, match="negative base"):
        canonicalize(x + (k * sp.Function("NS")(R**-6)) ** e, {k: -2.0, e: 0.5})
    positive = canonicalize(x + (k * sp.Function("NS")(R**-6)) ** e, {k: 2.0, e: 0.5})
    assert positive.key == parse_formula("NS(r**-9) + A*NS(r**-6)**B")[0].key
    # a factor that starts at 0 (a search's (r - r)**c) is moved out as well: Sutton–Chen seed 10 found the true
    # potential as a0 (c0 NS(r**c1))**c2 + … from c0 = 0, and with c0 inside no snap could reach the true form
    zero = canonicalize(x + (k * sp.Function("NS")(R**-6)) ** e, {k: 0.0, e: 0.5})
    assert zero.key == positive.key
    with pytest.raises(Rejected, match="zero factor"):
        canonicalize(x + (k * sp.Function("NS")(R**-6)) ** e, {k: 0.0, e: -0.5})


def test_linear_coefficients_are_split_off_and_constants_kept():
    formula, _ = parse_formula("NS(A*r**-9) + B*NS(C*r**D)**(1/2)")
    assert len(formula.terms) == len(formula.linear) == 2
    assert len(formula.constants) == 1  # D; C folds into B
    assert formula.complexity < sp.count_ops(sp.sympify("NS(A*r**-9) + B*NS(C*r**D)**(1/2)"), visual=False) + 20


def test_a_formula_without_positions_is_rejected():
    with pytest.raises(ModelError, match="not a usable potential"):
        parse_formula("A + B")


@pytest.mark.parametrize("text, message", [
    ("NS(NS(r))", "nested"),
    ("r**2 + NS(r)", "outside a neighbour sum"),
    ("sin(NS(r))", "unsupported function"),
    ("foo(r)", "unknown function"),
    ("NS(r", "cannot parse"),
    # numbers sympy would compute exactly, forever (^ is sympify's power)
    ("NS(r) + 9**9**9**9", "the number 9\\*\\*9\\*\\*9 in .* is beyond 1e\\+300"),
    ("NS(r) + 9^9^9", "beyond 1e\\+300"),
    ("NS(r) + 10**200*10**200", "beyond 1e\\+300"),
    pytest.param("NS(r)*1" + "0" * 400, "beyond 1e\\+300", id="a-401-digit-integer"),
    ("NS(r) + 1e400", "the number 1e400 in .* is beyond 1e\\+300"),
    pytest.param("NS(r**-6)" + "+1" * 50000, "nested too deeply to parse", id="fifty-thousand-terms"),
    ("", "non-empty"),
])
def test_malformed_formulas_are_refused(text, message):
    with pytest.raises(ModelError, match=message):
        parse_formula(text, source="test")


@pytest.mark.parametrize("name", ["pair", "eam"])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # lambdify's numpy code warns where both give NaN
def test_programs_agree_with_sympy(name):
    """The straight-line numpy programs (densities, terms and their derivatives) against sympy.lambdify."""
    trees, rng = TreeGrammar(load_grammar(name)), random.Random(7)
    r = np.linspace(1.8, 5.0, 41)
    checked = 0
    while checked < 25:
        try:
            formula = canonicalize(*tree_to_sympy(trees.random_tree(rng)))
        except Rejected:
            continue
        program, c = PotentialProgram(formula), formula.initial
        g, dg = program.densities(r, c)
        if not (np.isfinite(g).all() and np.isfinite(dg).all()):
            continue
        for k, density in enumerate(formula.densities):
            reference = sp.lambdify([R, *formula.constants], density)(r, *c)
            np.testing.assert_allclose(g[k], np.broadcast_to(reference, r.shape), rtol=1e-12, atol=1e-300)
            slope = sp.lambdify([R, *formula.constants], sp.diff(density, R))(r, *c)
            np.testing.assert_allclose(dg[k], np.broadcast_to(slope, r.shape), rtol=1e-10, atol=1e-300)
        rho = np.abs(np.random.default_rng(checked).normal(3, 1, (len(formula.densities), 7))) + 0.5
        terms, slopes = program.terms(rho, c)
        slopes = dense_slopes(program, slopes)
        symbols = [rho_symbol(k) for k in range(len(formula.densities))]
        for m, term in enumerate(formula.terms):
            reference = sp.lambdify([*symbols, *formula.constants], term)(*rho, *c)
            np.testing.assert_allclose(terms[m], np.broadcast_to(reference, rho.shape[1:]), rtol=1e-12)
            for k, symbol in enumerate(symbols):
                slope = sp.lambdify([*symbols, *formula.constants], sp.diff(term, symbol))(*rho, *c)
                np.testing.assert_allclose(slopes[m, k], np.broadcast_to(slope, rho.shape[1:]), rtol=1e-10,
                                           atol=1e-300)
        checked += 1


def test_a_sign_normalized_power_is_the_same_function():
    """(r - c)**10 and (c - r)**10 canonicalize to one form whose values, at the same c, are those of both."""
    r = np.linspace(2.0, 5.0, 7)
    values = []
    for text in ("0.5*NS((r - 2.7)**10)", "0.5*NS((2.7 - r)**10)"):
        formula, _ = parse_formula(text, numbers_are_constants=True)
        density = sp.lambdify(R, formula.densities[0].xreplace(dict(zip(formula.constants, formula.initial))))
        values.append((formula.key, formula.linear_initial[0] * density(r)))
    assert values[0][0] == values[1][0]
    assert np.allclose(values[0][1], values[1][1], rtol=1e-12)
    assert np.allclose(values[0][1], 0.5 * (r - 2.7) ** 10, rtol=1e-12)
