"""From a grammar tree to a sympy expression, by the rules of the table of primitives (symff.grammar.operators).

Every fitted-constant leaf becomes its own symbol, with the leaf's value as the constant's starting value; integer
and rational exponents become exact sympy numbers, so r**-12 stays exactly r**-12.
"""

import sympy as sp

from ..grammar.operators import EAM_OPERATORS, EAM_ROOT, OPERATORS
from ..grammar.trees import leaf_kind
from .symbols import NS, SUM_HEADS, C, R, constant_symbol

# The leaf `rho` of an exportable tree: the density of the embedding term it is in, replaced by that term's NS(g).
EMBEDDED_RHO = sp.Symbol("_rho", real=True)


def _rule(op):
    if op.function:
        return getattr(sp, op.function)
    if op.sum_kind:
        return SUM_HEADS[op.sum_kind]
    return op.rule


# primitive name (as in a tree node, after its level prefix) -> rule; the same name at two levels has one rule
_ALL = [*OPERATORS.values(), EAM_ROOT, *(op for op, _ in EAM_OPERATORS)]
RULES = {op.name: _rule(op) for op in _ALL if op.name != "embed"}
RULES["embed"] = lambda embedding, g: embedding.xreplace({EMBEDDED_RHO: NS(g)})  # structural: F(rho -> NS(g))


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
    if kind == "c":
        return C
    if kind == "rho":
        return EMBEDDED_RHO
    if kind == "int":
        return sp.Integer(node.value)
    if kind == "fixed":
        return sp.Rational(node.value.numerator, node.value.denominator)
    symbol = constant_symbol(f"_t{len(values)}", positive=(kind == "base"))
    values[symbol] = float(node.value)
    return symbol
