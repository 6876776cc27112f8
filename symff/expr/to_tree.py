"""From a written formula to a tree of a search's grammar: the inverse of symff.expr.build.

A formula (a sympy expression over r and NS, numbers inlined, as in a model file) becomes a typed tree of a
`TreeGrammar` whose numbers are fitted-constant leaves starting at the formula's values, so that the search refits
them. The rules follow symff.expr.build backwards, one sympy node at a time:

- a sum becomes a chain of `add` (a term with a negative coefficient: `sub`); a product a chain of `mul`;
- r**n becomes `pow_int` (an integer in the grammar's range), x**q `pow_fixed` (a fraction in its list), and
  otherwise `pow_const` with the exponent as a fitted constant; x**(expression in r) becomes `pow`, c**x and
  exp(k x) become `exp_const` with a fitted base;
- a function of the table of primitives (log(x), ...) becomes its operator;
- a three-body sum NS3(f, g) becomes `ns3` with f a pair and g an angle expression (c the angle level's leaf);
- a number becomes a constant leaf of its level.

Numeric factors of the per-atom energy's terms, and of the terms of a neighbour sum that is itself such a term, are
left out: every term of the canonical form gets a coefficient of its own, solved in closed form when fitting, so they
carry nothing. In an *exportable* grammar (root eam(T, E)) the terms that are linear in neighbour sums go to T and
every other term must be a function of one density NS(g), and becomes an embedding term of its own.

A formula the grammar cannot express raises `Unexpressible` with the reason (an operator the grammar lacks, a tree
over its size or depth limit, ...).
"""

import math
from fractions import Fraction

import sympy as sp
from deap import gp

from ..grammar.operators import (
    Angle,
    Atom,
    Base,
    Const,
    Embedded,
    Embedding,
    FixedExponent,
    Pair,
    Potential,
)
from .functions import SYMPY as SYMPY_FUNCTIONS
from .symbols import NS, NS3, C, R, is_angular_sum, is_neighbour_sum

LEVEL_NAMES = {Pair: "pair", Atom: "atom", Angle: "angle", Embedded: "embedding", Embedding: "embedding terms"}
RHO = sp.Symbol("_embedded_rho", real=True)  # stands for the density NS(g) of an exportable tree's embedding term


class Unexpressible(Exception):
    """The grammar cannot express a formula; the message says why."""


def formula_to_tree(expr, tree_grammar) -> gp.PrimitiveTree:
    """The tree of `tree_grammar` (a symff.grammar.trees.TreeGrammar) for the per-atom energy `expr`."""
    builder = _Builder(tree_grammar)
    expr = sp.sympify(expr)
    if tree_grammar.exportable:
        nodes = builder.exportable(expr)
    else:
        nodes = builder.sum_of_terms(expr, Atom)
    tree = gp.PrimitiveTree(nodes)
    g = tree_grammar.grammar
    if not tree_grammar.fits(nodes):
        raise Unexpressible(f"its tree ({len(nodes)} nodes) exceeds the grammar's limits (max_size {g.max_size}, "
                            f"max_depth {g.max_depth})")
    return tree


class _Builder:
    def __init__(self, tree_grammar):
        self.tg = tree_grammar
        self.grammar = tree_grammar.grammar

    # --- grammar look-ups ---------------------------------------------------------------------------------------
    def primitive(self, name, ret, required=True):
        """The primitive of operator `name` (add, pow_int, ns, ...) that returns `ret`, or None / Unexpressible."""
        for prim, _ in self.tg.primitives.get(ret, []):
            if prim.name.split("_", 1)[1] == name:
                return prim
        if required:
            raise Unexpressible(f"the grammar has no {LEVEL_NAMES.get(ret, ret.__name__)} operator {name}")
        return None

    def terminals(self, ret):
        if ret is Embedded:
            return self.tg.embedded_terminals
        return self.grammar.terminals({Pair: "pair", Angle: "angle"}.get(ret, "atom"))

    def constant(self, value, ret):
        value = float(value)
        if not math.isfinite(value):
            raise Unexpressible(f"the number {value} is not finite")
        if "const" not in self.terminals(ret):
            raise Unexpressible(f"the grammar has no {LEVEL_NAMES[ret]} constants (for the number {value:g})")
        return [gp.Terminal(value, False, ret)]

    # --- sums: terms with free coefficients ---------------------------------------------------------------------
    def sum_of_terms(self, expr, ret):
        """A sum whose terms' numeric coefficients are dropped (each canonical term gets its own)."""
        terms = [term.as_coeff_Mul()[1] for term in sp.Add.make_args(expr)]
        if ret not in (Pair, Angle):  # a constant per atom belongs to the reference energy (NS(1): kept)
            terms = [t for t in terms if t.has(R) or t.has(NS) or t.has(NS3) or t.has(RHO)]
        if not terms:
            raise Unexpressible("it does not depend on the positions")
        nodes = self.linear_term(terms[0], ret)
        add = self.primitive("add", ret)
        for term in terms[1:]:
            nodes = [add, *nodes, *self.linear_term(term, ret)]
        return nodes

    def linear_term(self, term, ret):
        if ret is not Pair and is_neighbour_sum(term):
            return [self.primitive("ns", ret), *self.sum_of_terms(term.args[0], Pair)]
        if ret is not Pair and is_angular_sum(term):
            return [self.primitive("ns3", ret), *self.build(term.args[0], Pair), *self.sum_of_terms(term.args[1], Angle)]
        return self.build(term, ret)

    # --- any expression -----------------------------------------------------------------------------------------
    def build(self, e, ret):
        if e == R:
            if ret is not Pair:
                raise Unexpressible("r appears outside a neighbour sum")
            return [gp.Terminal("r", True, Pair)]
        if e == RHO:
            return [gp.Terminal("rho", True, Embedded)]
        if e == C and ret is Angle:
            return [gp.Terminal("c", True, Angle)]
        if e.is_Number or not e.free_symbols and not e.has(NS, NS3):
            return self.constant(e.evalf(), ret)
        if is_angular_sum(e):
            if ret in (Pair, Angle):
                raise Unexpressible("a three-body sum inside a neighbour sum")
            return [self.primitive("ns3", ret), *self.build(e.args[0], Pair), *self.build(e.args[1], Angle)]
        if is_neighbour_sum(e):
            if ret is Pair:
                raise Unexpressible("a neighbour sum inside a neighbour sum")
            if ret is Embedded:
                raise Unexpressible("a second density inside the embedding")
            return [self.primitive("ns", ret), *self.build(e.args[0], Pair)]
        if e.is_Add:
            return self.add(e, ret)
        if e.is_Mul:
            return self.mul(e, ret)
        if isinstance(e, sp.exp) and self.primitive("exp_const", ret, required=False) is not None:
            return self.exponential(e.args[0], ret)  # e**x as c**y with a fitted base: what searches use
        if e.func in SYMPY_FUNCTIONS:  # a function of the table of primitives: its own operator
            return [self.primitive(SYMPY_FUNCTIONS[e.func].name, ret), *self.build(e.args[0], ret)]
        if e.is_Pow:
            return self.power(e.base, e.exp, ret)
        raise Unexpressible(f"no operator for {type(e).__name__}")

    def add(self, e, ret):
        args = sorted(e.args, key=sp.default_sort_key)
        positive = [a for a in args if not _negative(a)] or [args[0]]
        nodes = self.build(positive[0], ret)
        for term in args:
            if term is positive[0]:
                continue
            if _negative(term) and (sub := self.primitive("sub", ret, required=False)):
                nodes = [sub, *nodes, *self.build(-term, ret)]
            else:
                nodes = [self.primitive("add", ret), *nodes, *self.build(term, ret)]
        return nodes

    def mul(self, e, ret):
        coefficient, rest = e.as_coeff_Mul()
        factors = list(sp.Mul.make_args(rest))
        if coefficient != 1:
            factors.insert(0, coefficient)
        nodes = self.build(factors[0], ret)
        for factor in factors[1:]:
            nodes = [self.primitive("mul", ret), *nodes, *self.build(factor, ret)]
        return nodes

    def exponential(self, argument, ret):
        """exp(k + m y) = e**k (e**m)**y: a constant factor and c**y with the fitted base c = e**m."""
        shift, rest = argument.as_coeff_Add()
        if shift != 0:
            return self.build(sp.Mul(sp.exp(shift), sp.exp(rest), evaluate=False), ret)
        scale, y = rest.as_coeff_Mul()
        return self.power(sp.Float(math.exp(float(scale))), y, ret)

    def power(self, base, exponent, ret):
        if not base.has(R, NS, NS3, RHO, C):  # c**x with a fitted base
            prim = self.primitive("exp_const", ret)
            value = float(base)
            if not value > 0:
                raise Unexpressible(f"the base {value:g} of an exponential is not positive")
            return [prim, gp.Terminal(value, False, Base), *self.build(exponent, ret)]
        if exponent.has(R, NS, NS3, RHO, C):
            return [self.primitive("pow", ret), *self.build(base, ret), *self.build(exponent, ret)]
        inner = self.build(base, ret)
        if exponent.is_Rational:
            q = Fraction(int(exponent.p), int(exponent.q))
            prim = self.primitive("pow_int", ret, required=False)
            if prim and q.denominator == 1:
                integers = self.grammar.integer_exponents_at(prim.args[1].level)
                if q in integers:
                    return [prim, *inner, gp.Terminal(int(q), False, prim.args[1])]
                if (nodes := self.composed_power(base, int(q), integers, prim, ret)) is not None:
                    return nodes
            if q in self.grammar.fixed_exponents and (prim := self.primitive("pow_fixed", ret, required=False)):
                return [prim, *inner, gp.Terminal(q, False, FixedExponent)]
            if q < 0 and (div := self.primitive("div", ret, required=False)) and "const" in self.terminals(ret):
                # x**-n = 1/x**n: the numerator is a constant, folded into the term's coefficient
                return [div, *self.constant(1.0, ret), *self.power(base, -exponent, ret)]
        prim = self.primitive("pow_const", ret, required=False)
        if prim is None:
            raise Unexpressible(f"the grammar cannot raise {LEVEL_NAMES[ret]} expressions to the power {exponent}")
        return [prim, *inner, gp.Terminal(float(exponent), False, Const)]

    def composed_power(self, base, n, integers, prim, ret):
        """x**n for an n outside the grammar's range `integers` as the trees of the grammar make it (canonical
        folding turns both back into x**n): (x**a)**b with a·b = n, else x**a · x**(n − a) where the level
        multiplies; None where neither is in range. So the forms of a run, c**10 among them where the angle level's
        range is [2, 8], seed another run of the same grammar (`--start-forms`)."""
        def term(k):
            return gp.Terminal(k, False, prim.args[1])

        largest_first = sorted(integers, key=abs, reverse=True)
        for a in largest_first:
            if n % a == 0 and n // a in integers:
                return [prim, prim, *self.build(base, ret), term(a), term(n // a)]
        if (mul := self.primitive("mul", ret, required=False)) is None:
            return None
        for a in largest_first:
            rest = n - a
            if rest == 1 or rest in integers:
                tail = self.build(base, ret) if rest == 1 else [prim, *self.build(base, ret), term(rest)]
                return [mul, prim, *self.build(base, ret), term(a), *tail]
        return None

    # --- exportable trees: eam(T, E), E a sum of embed(F, g) -----------------------------------------------------
    def exportable(self, expr):
        linear, terms = [], []
        for term in sp.Add.make_args(expr):
            rest = term.as_coeff_Mul()[1]
            if is_neighbour_sum(rest):  # NS(g1 + g2) = NS(g1) + NS(g2): a pair term may serve as an embedding
                linear.extend(NS(part.as_coeff_Mul()[1]) for part in sp.Add.make_args(rest.args[0]))
                continue
            densities = {ns for ns in rest.atoms(sp.core.function.AppliedUndef) if is_neighbour_sum(ns)}
            if len(densities) != 1:
                raise Unexpressible(f"an exportable tree holds functions of one density each, the term {rest} "
                                    f"depends on {len(densities)}")
            [density] = densities
            # an embedding term of its own, also where another term has the same density: the embedding level has
            # no add (a sum of embeddings is linear), and the canonical form merges terms of one density anyway
            terms.append((rest.xreplace({density: RHO}), density.args[0]))
        if not terms and len(linear) > 1:  # a pair potential: one of its terms serves as the embedding F(rho) = rho
            terms = [(RHO, linear.pop().args[0])]
        elif not terms:
            terms = [(sp.Integer(0), R)]  # a constant embedding, dropped from the canonical form
        embed, add = self.primitive("embed", Embedding), self.primitive("add", Embedding, required=False)
        embeddings = []
        for k, (embedding, g) in enumerate(terms):
            nodes = [embed, *self.build(embedding, Embedded), *self.build(g, Pair)]
            embeddings = nodes if k == 0 else [add, *embeddings, *nodes]
        root = self.primitive("eam", Potential)
        pair_terms = self.sum_of_terms(sp.Add(*linear), Atom) if linear else self.constant(0.0, Atom)
        return [root, *pair_terms, *embeddings]


def _negative(term):
    return term.as_coeff_Mul()[0] < 0
