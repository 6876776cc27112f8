"""The operator registry: every primitive a grammar file may name, with its typed signature.

A potential has two levels. *Pair* expressions are functions of the distance r; *Atom* expressions are per-atom scalars
built from neighbour sums NS(g) = Σ_j g(r_ij) f_c(r_ij). Operators take and return these types, plus three kinds of
leaf that only appear as arguments: fitted constants (`Const`), bases of c**x (`Base`, a constant in (0, 1) at the
start), integer exponents (`IntExponent`) and fixed rational exponents (`FixedExponent`).

The registry is the single source of truth: grammar files are checked against it, the tree generator reads the
signatures, and the expression builder (symff.expr.build) has one sympy rule per name.
"""

from dataclasses import dataclass


class Pair:
    """A function of the distance r."""


class Atom:
    """A per-atom scalar: a function of neighbour sums."""


class Const:
    """A fitted constant that is an argument of an operator (an exponent of pow_const)."""


class Base:
    """A fitted constant used as the base of c**x; it starts in (0, 1) so that c**r decays."""


class IntExponent:
    """An integer exponent, evolved rather than fitted (so that r**-12 stays exactly r**-12)."""


class FixedExponent:
    """A rational exponent from the grammar's list (1/2, -1, ...), evolved rather than fitted."""


class Embedded:
    """A function F(rho) of the density rho = NS(g) of one embedding term of an exportable potential."""


class Embedding:
    """A sum of embedding terms Σ_k F_k(NS(g_k)) of an exportable potential, each of its own density."""


class Potential:
    """The root of an exportable tree: pair terms plus embedding terms, E_i = T + Σ_k F_k(NS(g_k))."""


LEVELS = {"pair": Pair, "atom": Atom}

# Atom operators that keep a sum of neighbour sums linear: in an exportable tree they are the only Atom operators,
# every other one acts on the embedded density (type Embedded) instead.
LINEAR_ATOM_OPERATORS = ("add", "sub", "ns")


@dataclass(frozen=True)
class Operator:
    name: str  # name in grammar files and in symff.expr.build
    level: str  # "pair" or "atom": which section of a grammar file lists it
    args: tuple  # argument types
    ret: type
    summary: str


def _arith(level, t):
    return [
        Operator("add", level, (t, t), t, "x + y"),
        Operator("sub", level, (t, t), t, "x - y"),
        Operator("mul", level, (t, t), t, "x * y"),
        Operator("div", level, (t, t), t, "x / y"),
        Operator("pow_const", level, (t, Const), t, "x ** c, c fitted"),
    ]


OPERATORS = {
    (op.level, op.name): op
    for op in [
        *_arith("pair", Pair),
        Operator("pow_int", "pair", (Pair, IntExponent), Pair, "x ** n, n an integer from integer_exponents"),
        Operator("pow", "pair", (Pair, Pair), Pair, "x ** y"),
        Operator("exp_const", "pair", (Base, Pair), Pair, "c ** x, c fitted (starts in (0, 1))"),
        *_arith("atom", Atom),
        Operator("pow_fixed", "atom", (Atom, FixedExponent), Atom, "x ** q, q from fixed_exponents"),
        Operator("pow_int", "atom", (Atom, IntExponent), Atom, "x ** n, n an integer from integer_exponents"),
        Operator("ns", "atom", (Pair,), Atom, "NS(g) = Σ_j g(r_ij) f_c(r_ij), the neighbour sum"),
    ]
}

# Leaves a grammar may list under `terminals`: `r` (pair level only) and `const` (a fitted constant of that level).
TERMINALS = {"pair": ("r", "const"), "atom": ("const",)}

# The operators of an exportable tree (the form LAMMPS runs as hybrid/overlay of eam/alloy files):
# eam(T, E) = T + E at the root, E a sum (add) of embedding terms embed(F, g) = F(rho -> NS(g)).
EAM_ROOT = Operator("eam", "root", (Atom, Embedding), Potential, "T + E: pair terms T, embedding terms E")
EAM_OPERATORS = (
    (Operator("embed", "eam", (Embedded, Pair), Embedding, "F(NS(g)): an embedding F of the density NS(g)"), 1.0),
    # a sum is drawn half as often as a single term: most random trees have one or two embeddings
    (Operator("add", "eam", (Embedding, Embedding), Embedding, "E1 + E2: two embedding terms"), 0.5),
)
