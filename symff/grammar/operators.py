"""The table of primitives: every operator a grammar file may name, with its typed signature and how it is built.

A potential has two levels. *Pair* expressions are functions of the distance r; *Atom* expressions are per-atom scalars
built from neighbour sums NS(g) = Σ_j g(r_ij) f_c(r_ij) and three-body sums NS3(f, g) = Σ_{j<k} f(r_ij) f_c(r_ij)
f(r_ik) f_c(r_ik) g(cos θ_jik), whose angular function g is an *Angle* expression: a polynomial in c = cos θ_jik
(the third level, `angle`, of a grammar file that uses `ns3`). Operators take and return these types, plus three kinds of
leaf that only appear as arguments: fitted constants (`Const`), bases of c**x (`Base`, a constant in (0, 1) at the
start), integer exponents (`IntExponent`; `AngleExponent` at the angle level) and fixed rational exponents (`FixedExponent`).

The table is the single source of truth; everything else is derived from it:

- `OPERATORS`: the tree operators. Grammar files are checked against them, the tree generator reads the signatures,
  the expression builder (symff.expr.build) applies each one's `rule` (plain arithmetic on its arguments, so the same
  rule builds sympy expressions), and its inverse (symff.expr.to_tree) looks operators up by name.
- `FUNCTIONS`: the named functions of one argument (exp, log, abs, sign). Each is a grammar operator at both levels
  (no shipped grammar uses them yet), a sympy class the model-file parser accepts, a numpy function of the numeric
  programs and of constant folding (symff.expr.functions), and a pair_style lepton function or none (then a pair form
  exports as pair_style table: symff.export.form).
- `operator_table()`: the operator table of docs/grammar.md (a test checks the page against it).

Adding a primitive is one entry here plus its case in tests/test_primitives.py, which walks every entry through
grammar -> sympy -> program -> model file -> LAMMPS form (docs/grammar.md, "Adding a primitive").

This layer names sympy and numpy objects by their attribute names only (`"Abs"`, `"abs"`): the grammar does not
import them; symff.expr.functions resolves the names.
"""

from dataclasses import dataclass, field


class Pair:
    """A function of the distance r."""


class Atom:
    """A per-atom scalar: a function of neighbour sums."""


class Angle:
    """A function of c = cos θ_jik: the angular function of a three-body sum."""


class Const:
    """A fitted constant that is an argument of an operator (an exponent of pow_const)."""


class Base:
    """A fitted constant used as the base of c**x; it starts in (0, 1) so that c**r decays."""


class IntExponent:
    """An integer exponent, evolved rather than fitted (so that r**-12 stays exactly r**-12), from the grammar's
    `integer_exponents`."""

    level = None  # the grammar section whose own `integer_exponents` it takes (None: the grammar's range)


class AngleExponent(IntExponent):
    """An integer exponent of an angular function, c**n: from the angle section's own `integer_exponents` where the
    grammar gives one. c = cos θ runs over [-1, 1] through 0, so it wants other exponents than r does (no poles, and
    the low powers of a polynomial), and a type of its own keeps crossover from trading it with r's exponents."""

    level = "angle"


class FixedExponent:
    """A rational exponent from the grammar's list (1/2, -1, ...), evolved rather than fitted."""


class Embedded:
    """A function F(rho) of the density rho = NS(g) of one embedding term of an exportable potential."""


class Embedding:
    """A sum of embedding terms Σ_k F_k(NS(g_k)) of an exportable potential, each of its own density."""


class Potential:
    """The root of an exportable tree: pair terms plus embedding terms, E_i = T + Σ_k F_k(NS(g_k))."""


LEVELS = {"pair": Pair, "atom": Atom, "angle": Angle}

# Atom operators that keep a sum of neighbour sums linear: in an exportable tree they are the only Atom operators,
# every other one acts on the embedded density (type Embedded) instead.
LINEAR_ATOM_OPERATORS = ("add", "sub", "ns")


@dataclass(frozen=True)
class Function:
    """A named function of one argument: one entry gives its grammar operators, its sympy class, its numpy function
    and its pair_style lepton name."""

    name: str  # name in grammar files
    sympy: str  # the sympy class, and how model files write it: sympy.<sympy>
    numpy: str  # numpy.<numpy>, in numeric programs and constant folding
    lepton: str | None  # the function of pair_style lepton, None where lepton lacks it (pair forms: pair_style table)
    builds: str
    notes: str = ""
    written: bool = True  # False: only derivatives produce it (no grammar operator, not in model files)


FUNCTIONS = {
    f.name: f
    for f in [
        Function("exp", "exp", "exp", "exp", "e**x"),
        Function("log", "log", "log", "log", "log(x)", "natural logarithm"),
        Function("abs", "Abs", "abs", "abs", "abs(x)", "absolute value"),
        Function("sign", "sign", "sign", None, "sign(x)", "no lepton function: pair forms export as pair_style table"),
        # sympy's derivative of sign is 2 DiracDelta(x): zero wherever a force is evaluated
        Function("dirac_delta", "DiracDelta", "zeros_like", None, "0 (x != 0)", written=False),
    ]
}


@dataclass(frozen=True)
class Operator:
    name: str  # name in grammar files and in symff.expr.build
    level: str  # "pair" or "atom": which section of a grammar file lists it
    args: tuple  # argument types
    ret: type
    builds: str
    notes: str = ""
    # how symff.expr.build makes it from its built arguments: plain arithmetic (works on sympy expressions), or
    # None for the operators built from another table: a `function` of FUNCTIONS, or an environment sum `sum_kind`
    # (symff.evaluate.sums; its sympy head is symff.expr.symbols.SUM_HEADS[sum_kind])
    rule: object = field(default=None, compare=False)
    function: str = ""
    sum_kind: str = ""


def _arithmetic(level, t, exponent=IntExponent, exponent_notes="n evolved from `integer_exponents`, so `r**-12` "
                "stays exact"):
    return [
        Operator("add", level, (t, t), t, "x + y", rule=lambda x, y: x + y),
        Operator("sub", level, (t, t), t, "x - y", rule=lambda x, y: x - y),
        Operator("mul", level, (t, t), t, "x·y", rule=lambda x, y: x * y),
        Operator("div", level, (t, t), t, "x / y", rule=lambda x, y: x / y),
        Operator("pow_const", level, (t, Const), t, "x**c", "c fitted", rule=lambda x, c: x**c),
        Operator("pow_int", level, (t, exponent), t, "x**n", exponent_notes, rule=lambda x, n: x**n),
    ]


def _functions(level, t):
    return [Operator(f.name, level, (t,), t, f.builds, f.notes, function=f.sympy) for f in FUNCTIONS.values()
            if f.written]


OPERATORS = {
    (op.level, op.name): op
    for op in [
        *_arithmetic("pair", Pair),
        Operator("pow", "pair", (Pair, Pair), Pair, "x**y", "both pair expressions", rule=lambda x, y: x**y),
        Operator("exp_const", "pair", (Base, Pair), Pair, "c**x", "c fitted, starts in (0, 1) so that c**r decays",
                 rule=lambda c, x: c**x),
        *_functions("pair", Pair),
        *_arithmetic("atom", Atom),
        Operator("pow_fixed", "atom", (Atom, FixedExponent), Atom, "x**q", "q from `fixed_exponents` (√ρ of "
                 "Finnis–Sinclair / Sutton–Chen)", rule=lambda x, q: x**q),
        *_functions("atom", Atom),
        Operator("ns", "atom", (Pair,), Atom, "NS(g)", "the neighbour sum Σ_j g(r_ij) f_c(r_ij)", sum_kind="radial"),
        Operator("ns3", "atom", (Pair, Angle), Atom, "NS3(f, g)", "the three-body sum Σ_{j<k} f(r_ij) f_c(r_ij) "
                 "f(r_ik) f_c(r_ik) g(cos θ_jik), g an angle expression", sum_kind="angular"),
        # polynomials of c: no division or fitted power (c ranges over [-1, 1], through 0)
        *(op for op in _arithmetic("angle", Angle, AngleExponent, "n evolved from the angle section's "
                                   "`integer_exponents` (else the grammar's)")
          if op.name in ("add", "sub", "mul", "pow_int")),
    ]
}

# Leaves a grammar may list under `terminals`: `r` (pair level only), `c` (angle level only) and `const` (a fitted
# constant of that level).
TERMINALS = {"pair": ("r", "const"), "atom": ("const",), "angle": ("c", "const")}

# The operators of an exportable tree (the form LAMMPS runs as hybrid/overlay of eam/alloy files):
# eam(T, E) = T + E at the root, E a sum (add) of embedding terms embed(F, g) = F(rho -> NS(g)).
# `embed` has no rule here: symff.expr.build replaces the leaf rho of F by NS(g).
EAM_ROOT = Operator("eam", "root", (Atom, Embedding), Potential, "T + E", "pair terms T, embedding terms E",
                    rule=lambda terms, embeddings: terms + embeddings)
EAM_OPERATORS = (
    (Operator("embed", "eam", (Embedded, Pair), Embedding, "F(NS(g))", "an embedding F of the density NS(g)"), 1.0),
    # a sum is drawn half as often as a single term: most random trees have one or two embeddings
    (Operator("add", "eam", (Embedding, Embedding), Embedding, "E1 + E2", "two embedding terms",
              rule=lambda x, y: x + y), 0.5),
)


def operator_table():
    """The operator table of docs/grammar.md, in Markdown."""
    rows = ["| level | name | builds | notes |", "|---|---|---|---|"]
    rows += [f"| {op.level} | `{op.name}` | `{op.builds}` | {op.notes} |" for op in OPERATORS.values()]
    return "\n".join(rows) + "\n"
