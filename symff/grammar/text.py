"""Trees as text: prefix tokens that name primitives and leaves, how trees travel between islands and into checkpoints.

`tree_to_text` writes primitive names, the named leaves (`r`, `c`, the embedded density `rho` of an exportable tree) and
leaf values (`1/2` for a fixed exponent); `tree_from_text` reads them back over a `TreeGrammar`'s primitive set,
checking every node against the type its parent expects.
"""

import ast
from fractions import Fraction

from deap import gp

from .operators import Angle, Embedded, FixedExponent, IntExponent, Pair
from .trees import leaf_kind

# The leaves written by name in a tree's text, and their types: the distance, the embedded density of an exportable
# tree, and c = cos θ of an angular function.
NAMED_LEAVES = {"r": Pair, "rho": Embedded, "c": Angle}


def tree_to_text(tree) -> str:
    """A tree as prefix tokens: primitive names, the named leaves (`r`, `rho`) and leaf values (`1/2` for a fixed
    exponent)."""
    tokens = []
    for node in tree:
        if isinstance(node, gp.Primitive):
            tokens.append(node.name)
        elif node.ret is FixedExponent:
            tokens.append(f"{node.value.numerator}/{node.value.denominator}")
        elif leaf_kind(node) in NAMED_LEAVES:
            tokens.append(node.value)
        else:
            tokens.append(repr(node.value))
    return " ".join(tokens)


def tree_from_text(text, grammar) -> list:
    """The nodes of a tree written by `tree_to_text`, over the primitive set of `grammar` (a TreeGrammar, plain or
    exportable: the tree starts at its root type). Every node is checked against the type its parent expects."""
    nodes, expected = [], [grammar.root]
    for token in text.split():
        if not expected:
            raise ValueError(f"tokens after a complete tree: {text!r}")
        ret = expected.pop()
        if token in grammar.pset.mapping:
            prim = grammar.pset.mapping[token]
            if prim.ret is not ret:
                raise ValueError(f"{token} returns {prim.ret.__name__} where {ret.__name__} is expected: {text!r}")
            nodes.append(prim)
            expected.extend(reversed(prim.args))
        elif token in NAMED_LEAVES:
            if NAMED_LEAVES[token] is not ret:
                raise ValueError(f"leaf {token} where {ret.__name__} is expected: {text!r}")
            nodes.append(gp.Terminal(token, True, ret))
        elif ret is FixedExponent:
            nodes.append(gp.Terminal(Fraction(token), False, FixedExponent))
        else:
            try:
                value = ast.literal_eval(token)
            except (ValueError, SyntaxError):
                raise ValueError(f"unknown token {token!r} where {ret.__name__} is expected: {text!r}") from None
            if not isinstance(value, (int, float)) or (issubclass(ret, IntExponent) and not isinstance(value, int)):
                raise ValueError(f"bad leaf {token!r} for {ret.__name__}")
            nodes.append(gp.Terminal(value, False, ret))
    if expected:
        raise ValueError(f"incomplete tree: {text!r}")
    return nodes
