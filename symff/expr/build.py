"""From a grammar tree to a sympy expression: one sympy rule per operator of symff.grammar.operators.

Every fitted-constant leaf becomes its own symbol, with the leaf's value as the constant's starting value; integer
and rational exponents become exact sympy numbers, so r**-12 stays exactly r**-12.
"""

import sympy as sp

from ..grammar.trees import leaf_kind
from .symbols import NS, R, constant_symbol

RULES = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow_const": lambda x, c: x**c,
    "pow_int": lambda x, n: x**n,
    "pow_fixed": lambda x, q: x**q,
    "pow": lambda x, y: x**y,
    "exp_const": lambda c, x: c**x,
    "ns": lambda g: NS(g),
    "eam": lambda terms, embeddings: terms + embeddings,
    "embed": lambda embedding, g: embedding.xreplace({EMBEDDED_RHO: NS(g)}),
}
# The leaf `rho` of an exportable tree: the density of the embedding term it is in, replaced by that term's NS(g).
EMBEDDED_RHO = sp.Symbol("_rho", real=True)


def tree_to_sympy(tree):
    """Return (expression, {constant symbol: starting value}) for a prefix tree of grammar nodes."""
    values = {}
    position = 0

    def build():
        nonlocal position
        node = tree[position]
        position += 1
        if node.arity == 0:
            return _leaf(node, values)
        args = [build() for _ in range(node.arity)]
        return RULES[node.name.split("_", 1)[1]](*args)

    with sp.evaluate(True):
        expr = build()
    return expr, values


def _leaf(node, values):
    kind = leaf_kind(node)
    if kind == "r":
        return R
    if kind == "rho":
        return EMBEDDED_RHO
    if kind == "int":
        return sp.Integer(node.value)
    if kind == "fixed":
        return sp.Rational(node.value.numerator, node.value.denominator)
    symbol = constant_symbol(f"_t{len(values)}", positive=(kind == "base"))
    values[symbol] = float(node.value)
    return symbol
