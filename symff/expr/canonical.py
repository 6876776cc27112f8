"""The canonical form of a candidate potential.

Every candidate is rewritten as

    E_i = Σ_m a_m T_m(rho_0, ..., rho_{K+L-1}; c),    rho_k = NS(g_k(r; c)),    rho_{K+l} = NS3(f_l(r; c), h_l(cos θ; c))

where the *terms* T_m are distinct, the *densities* g_k are distinct, the coefficients a_m enter linearly (they are
solved in closed form when fitting) and the constants c enter nonlinearly. The rewriting:

1. folds constants: a subexpression free of r and NS becomes one constant; constant factors of a product merge into
   one; terms of a sum that differ only by a constant factor merge; powers of one base merge, and so do constant
   bases under one exponent, c0**x c1**x = (c0 c1)**x; a constant factor of a
   sum is distributed (with a fresh constant per term, so that every constant occurs once); a sum raised to an even
   integer power takes, of itself and its negation, the one with the smaller structure key (sign-normalized); a
   power of a power, (x**a)**b, is x**(a b) where x**a is fractional or x is positive (`is_positive`); a constant
   factor k >= 0 under a power moves out, (k x)**e = k**e x**e, and a negative one under a power of a positive x
   fixes the exponent at its integer value (the only ones at which it is real);
2. linearizes neighbour sums, NS(Σ_t c_t g_t) = Σ_t c_t NS(g_t), and three-body sums in their angular function,
   NS3(k f, Σ_t c_t h_t) = Σ_t k² c_t NS3(f, h_t);
3. drops constant terms of E_i (the per-element reference energy holds them) and gives every term its own a_m.

Two trees that differ only in their constants, or in how sums and coefficients are arranged, get the same `key`:
that is what deduplication and the fitness cache use. `complexity` is the node count of the canonical expression.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from .functions import SYMPY as SYMPY_FUNCTIONS
from .functions import scalar
from .symbols import (
    NS,
    NS3,
    C,
    R,
    Rejected,
    constant_symbol,
    is_angular_sum,
    is_environment_sum,
    is_neighbour_sum,
    rho_symbol,
)

BAD_ATOMS = (sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I)


@dataclass(frozen=True, eq=False)
class Formula:
    """A candidate in canonical form, with starting values for its constants."""

    energy: sp.Expr  # Σ a_m T_m with NS(g_k) and NS3(f_l, h_l) calls: the per-atom energy
    densities: tuple  # g_k(r; c): the radial sums rho_0 .. rho_{K-1}
    terms: tuple  # T_m(rho_k; c)
    linear: tuple  # a_m symbols, one per term
    constants: tuple  # c_i symbols, in canonical order
    initial: np.ndarray = field(repr=False)  # starting values of the c_i
    linear_initial: np.ndarray = field(repr=False)  # values of the a_m where the source gave them, else 1
    key: str = ""
    complexity: int = 0
    channels: tuple = ()  # per density: the neighbour element its sum is filtered by (NS(g, B)), or None (all)
    angular: tuple = ()  # (f_l(r; c), h_l(cos θ; c)): the three-body sums rho_K .. rho_{K+L-1}
    # per constant, the constant of the expression canonicalized that it stands for (one that folding made of
    # several: its own fresh name): what lets a caller read values back (symff.expr.species.form_constants)
    origins: tuple = field(default=(), repr=False)

    @property
    def n_sums(self):
        """K + L: the number of environment sums, radial then angular (the rows of rho)."""
        return len(self.densities) + len(self.angular)

    def __str__(self):
        return str(self.energy)

    def values(self, constants, linear):
        """{symbol: float} of the constants c_i at `constants` and the coefficients a_m at `linear`."""
        return dict(zip(self.constants, map(float, constants))) | dict(zip(self.linear, map(float, linear)))

    def with_values(self, constants, linear):
        """The energy expression with numbers in place of every constant."""
        return self.energy.xreplace({s: sp.Float(v, 17) for s, v in self.values(constants, linear).items()})


def canonicalize(expr, values) -> Formula:
    """Canonical form of `expr` (an Atom expression over r and NS) whose constants have starting `values`."""
    folder = _Folder(values)
    try:
        energy = folder.linearize(folder.fold(expr))
    except OverflowError:  # float arithmetic on constant values while folding, e.g. e**(1000 c) with c = 1
        raise Rejected("overflow", "a constant overflows while the formula is folded") from None
    terms = {}
    for term in sp.Add.make_args(energy):
        coefficient, rest = folder.split(term)
        if rest == 1:  # a constant per atom: the reference energy holds it
            continue
        terms[rest] = folder.value(coefficient)
    if not terms:
        raise Rejected("constant", "the energy does not depend on the positions")
    return _name_canonically(terms, folder.values, folder.origins)


def zero_formula() -> Formula:
    """The energy 0, without terms: what an element of a species expansion has when every term of its energy was
    fitted to zero (canonicalize refuses a constant energy of a whole formula)."""
    return _name_canonically({}, {}, {})


class _Folder:
    def __init__(self, values):
        self.values = dict(values)
        self._fresh = 0
        self.origins = {}  # a fresh constant that stands for one constant of the input -> that constant
        self._has_variable = {}
        self._folded_sums = {}
        self._linear_sums = {}

    # --- classification ---------------------------------------------------------------------------------------
    def has_variable(self, e):
        hit = self._has_variable.get(e)
        if hit is None:
            hit = e == R or e == C or is_environment_sum(e) or any(self.has_variable(a) for a in e.args)
            self._has_variable[e] = hit
        return hit

    def is_positive(self, e):
        """Whether `e` is > 0 wherever it is real, whatever its constants' values (a neighbour sum of such a function
        is >= 0: zero for an atom without neighbours, where the powers below agree too)."""
        if e == R or isinstance(e, sp.exp):
            return True
        if e.is_Number or e in self.values:
            return bool(e.is_positive)  # a constant made positive by construction (an exponential's base) says so
        if is_neighbour_sum(e):
            return self.is_positive(e.args[0])
        if e.is_Pow:  # c**r is real only for c > 0, r being any distance
            return self.is_positive(e.base) or (not self.has_variable(e.base) and self.has_variable(e.exp))
        if e.is_Mul or e.is_Add:
            return all(self.is_positive(a) for a in e.args)
        return False

    def split(self, term):
        """(constant factor, rest) of a product."""
        constant, rest = [], []
        for factor in sp.Mul.make_args(term):
            (rest if self.has_variable(factor) else constant).append(factor)
        return sp.Mul(*constant), sp.Mul(*rest)

    def value(self, e) -> float:
        """Numeric value of a constant expression; non-real or non-finite values reject the candidate."""
        try:
            v = self._evaluate(e)
        except ZeroDivisionError:
            raise Rejected("division_by_zero", str(e)) from None
        except (OverflowError, ValueError):
            raise Rejected("overflow", str(e)) from None
        if isinstance(v, complex):
            raise Rejected("complex", str(e))
        if not math.isfinite(v):
            raise Rejected("non_finite", str(e))
        return float(v)

    def _evaluate(self, e):
        if e in BAD_ATOMS:
            raise ZeroDivisionError
        if e.is_Number:
            return float(e)
        if e in self.values:
            return self.values[e]
        args = [self._evaluate(a) for a in e.args]
        if e.is_Add:
            return math.fsum(args)
        if e.is_Mul:
            return math.prod(args)
        if e.is_Pow:
            out = args[0] ** args[1]
            if isinstance(out, complex):
                raise Rejected("complex", str(e))
            return out
        if e.func in SYMPY_FUNCTIONS and len(args) == 1:
            return scalar(e.func, args[0])
        raise Rejected("unsupported", f"{e.func} in a constant")

    def constant(self, value, positive=False, source=None):
        """A fresh constant of `value`; `source`, the expression it replaces, is its origin where that is one
        constant (Formula.origins)."""
        symbol = constant_symbol(f"_f{self._fresh}", positive=positive and value > 0)
        self._fresh += 1
        self.values[symbol] = value
        if source is not None and source.is_Symbol:
            self.origins[symbol] = self.origins.get(source, source)
        return symbol

    # --- folding ----------------------------------------------------------------------------------------------
    def fold(self, e):
        if e == R or e == C or e.is_Number or e in self.values:
            if e in BAD_ATOMS:
                raise Rejected("division_by_zero", "a constant is infinite or undefined")
            return e
        if not self.has_variable(e):
            return self.constant(self.value(e), source=e)
        if is_neighbour_sum(e):
            # one neighbour sum that occurs twice (F(NS(g)) with NS(g) in two factors) folds once: one density
            folded = self._folded_sums.get(e)
            if folded is None:
                folded = self._folded_sums[e] = NS(self.fold(e.args[0]), *e.args[1:])  # the channel stays
            return folded
        if is_angular_sum(e):
            folded = self._folded_sums.get(e)
            if folded is None:
                folded = self._folded_sums[e] = NS3(*(self.fold(a) for a in e.args))
                for power in folded.args[1].atoms(sp.Pow):
                    if power.base.has(C) and not (power.exp.is_Integer and power.exp > 0):
                        # c = cos θ passes through 0 and is negative: only polynomials of c are finite and real
                        raise Rejected("singular", f"the angular function has {power}")
            return folded
        return self.rebuild(e, [self.fold(a) for a in e.args])

    def rebuild(self, e, args):
        if e.is_Add:
            out = self.fold_add(args)
        elif e.is_Mul:
            out = self.fold_mul(args)
        elif e.is_Pow:
            out = self.fold_pow(*args)
        elif isinstance(e, sp.exp):
            out = self.fold_exponential(sp.E, args[0])
        else:
            out = e.func(*args)
        if out.has(*BAD_ATOMS):
            raise Rejected("division_by_zero", str(out))
        return out

    def fold_add(self, args):
        groups = {}
        for term in (t for a in args for t in sp.Add.make_args(a)):
            coefficient, rest = self.split(term)
            groups.setdefault(rest, []).append(coefficient)
        terms = []
        for rest, coefficients in groups.items():
            total = sp.Add(*coefficients)
            if total.free_symbols:
                total = self.constant(self.value(total), source=total)
            elif total == 0:
                continue
            terms.append(total * rest)
        return sp.Add(*terms)

    def fold_mul(self, args):
        constant, powers = [], {}
        for factor in (f for a in args for f in sp.Mul.make_args(a)):
            if not self.has_variable(factor):
                constant.append(factor)
                continue
            base, exponent = (factor.base, factor.exp) if factor.is_Pow else (factor, sp.Integer(1))
            powers.setdefault(base, []).append(exponent)
        coefficient = sp.Mul(*constant)
        if coefficient.free_symbols:
            coefficient = self.constant(self.value(coefficient), source=coefficient)
        factors, exponentials = [], {}
        for base, exponents in powers.items():
            exponent = exponents[0] if len(exponents) == 1 else self.fold(sp.Add(*exponents))
            if not self.has_variable(base) and self.has_variable(exponent) and self.value(base) > 0:
                exponentials.setdefault(exponent, []).append(base)
            else:
                factors.append(base if exponent == 1 else self.fold_pow(base, exponent))
        for exponent, bases in exponentials.items():
            # c0**x c1**x = (c0 c1)**x: one constant where the data fix only the product (else c0 c1 = 1 hides a
            # factor that is 1, which no snap of c0 or c1 alone can remove)
            base = bases[0] if len(bases) == 1 else self.constant(math.prod(map(self.value, bases)), positive=True)
            factors.append(self.fold_pow(base, exponent))
        if coefficient == 0:
            return sp.Integer(0)
        if coefficient.free_symbols and len(factors) == 1 and factors[0].is_Add:
            # c (x + y) -> c1 x + c2 y: each term gets its own constant, so every constant occurs once
            scale = self.values[coefficient]
            return self.fold_add([self.fold_mul([self.constant(scale), t]) for t in factors[0].args])
        return coefficient * sp.Mul(*factors)

    def fold_pow(self, base, exponent):
        if base.is_Pow and not self.has_variable(exponent) and (
                (base.exp.is_Rational and not base.exp.is_Integer)
                or (not self.has_variable(base.exp) and self.is_positive(base.base))):
            # (x**a)**b = x**(a b) where x >= 0: for a fractional a, x**a is real (and evaluated) only there, so
            # (NS(r**-6)**(3/2))**(1/3) is the square root it is; for x > 0 always, and one constant replaces two
            # of which the data fix only the product
            return self.fold_pow(base.base, self.fold(base.exp * exponent))
        if base.is_Mul and not exponent.is_Integer and not self.has_variable(exponent):
            coefficient, rest = self.split(base)
            k = self.value(coefficient) if coefficient != 1 else None
            if k is not None and k >= 0:
                # (k x)**e = k**e x**e for k >= 0: the constant moves out, where it can become a linear coefficient
                # (k = 0, e.g. from (r - r)**c: a fit moves k off 0, and then the form is x**e's)
                power = self.value(exponent)
                if k == 0 and not power > 0:
                    raise Rejected("division_by_zero", f"({base})**{power:g} with a zero factor")
                return self.fold_mul([self.constant(k**power), self.fold_pow(rest, exponent)])
            if k is not None and k < 0 and self.is_positive(rest):
                # (k x)**e for k < 0 < x is real only at an integer e, from which no fit can move it: that integer
                power = self.value(exponent)
                if power != round(power):
                    raise Rejected("complex", f"({base})**{power:g} of a negative base")
                return self.fold_pow(base, sp.Integer(round(power)))
        if exponent.is_Integer and exponent % 2 == 0 and base.is_Add:
            base = self.sign_normalized(base)
        out = base**exponent
        if out.has(*BAD_ATOMS):
            raise Rejected("division_by_zero", f"({base})**({exponent})")
        if out.is_Pow and not self.has_variable(out.base) and self.has_variable(out.exp):
            return self.fold_exponential(out.base, out.exp)
        if out.is_Mul:  # sympy distributed an integer power over a product: merge its constant factors
            return self.fold_mul(out.args)
        if out.is_Pow and out.exp != exponent and not self.has_variable(out.exp) and out.exp.free_symbols:
            # sympy merged nested powers, (r**5)**c -> r**(5 c): the new exponent is one constant again
            return out.base ** self.fold(out.exp)
        return out

    def sign_normalized(self, base):
        """Of the sum `base` and its negation, the one with the smaller structure key: (x - y)**n = (y - x)**n for an
        even n, so (r - c)**10 and (c - r)**10 get one form. A tie (c0 r + c1 and its negation) is one form anyway."""
        negated = self.fold_add([-term for term in base.args])
        constants = set(self.values)
        return min((base, negated), key=lambda e: structure_key(e, constants))

    def fold_exponential(self, base, exponent):
        """c**(k x) -> (c**k)**x and exp(k x) -> (e**k)**x when c or k is a fitted constant: one constant base,
        so that equal exponentials get one canonical form."""
        value = self.value(base) if base is not sp.E else math.e
        if not value > 0:
            return base**exponent
        shift = sp.Add(*(t for t in sp.Add.make_args(exponent) if not self.has_variable(t)))
        if shift != 0 and (shift.free_symbols or base.free_symbols):
            # c**(k + x) = c**k c**x: the constant factor can become a linear coefficient
            scale = self.constant(value ** self.value(shift))
            return self.fold_mul([scale, self.fold_exponential(base, self.fold(exponent - shift))])
        coefficient, rest = self.split(exponent)
        if coefficient == 1 or not (coefficient.free_symbols or base.free_symbols):
            return base**exponent
        return self.constant(value ** self.value(coefficient), positive=True) ** rest

    # --- neighbour sums are linear ----------------------------------------------------------------------------
    def linearize(self, e):
        if is_neighbour_sum(e):
            if e in self._linear_sums:  # a repeated neighbour sum keeps one set of constants
                return self._linear_sums[e]
            parts = []
            for term in sp.Add.make_args(e.args[0]):
                coefficient, rest = self.split(term)
                parts.append(coefficient * NS(rest, *e.args[1:]))
            self._linear_sums[e] = self.fold_add(parts)
            return self._linear_sums[e]
        if is_angular_sum(e):
            if e in self._linear_sums:
                return self._linear_sums[e]
            bond, angle = e.args
            scale, bond = self.split(bond)  # f enters twice: NS3(k f, h) = k² NS3(f, h)
            parts = []
            for term in sp.Add.make_args(angle):
                coefficient, rest = self.split(term)
                parts.append(scale**2 * coefficient * NS3(bond, rest))
            self._linear_sums[e] = self.fold_add(parts)
            return self._linear_sums[e]
        if not e.args or not e.has(NS, NS3):
            return e
        return self.rebuild(e, [self.linearize(a) for a in e.args])


# --- canonical naming -------------------------------------------------------------------------------------------
def structure_key(e, constants, memo=None):
    """A string that is equal for expressions equal up to the values and names of their constants."""
    memo = {} if memo is None else memo
    hit = memo.get(e)
    if hit is not None:
        return hit
    if e in constants:
        key = "C"
    elif e.is_Symbol or e.is_Number:
        key = str(e)
    else:
        children = [structure_key(a, constants, memo) for a in e.args]
        if e.is_Add or e.is_Mul:
            children.sort()
        name = "NS" if is_neighbour_sum(e) else type(e).__name__
        key = f"{name}({','.join(children)})"
    memo[e] = key
    return key


def _ordered_constants(e, constants, memo, seen):
    """Constants in order of a traversal whose children are sorted by structure key."""
    if e in constants:
        if e not in seen:
            seen.append(e)
        return
    args = e.args
    if e.is_Add or e.is_Mul:
        args = sorted(args, key=lambda a: structure_key(a, constants, memo))
    for a in args:
        _ordered_constants(a, constants, memo, seen)


def _name_canonically(terms, values, origins):
    constants = set(values)
    memo = {}
    ordered_terms = sorted(terms, key=lambda t: structure_key(t, constants, memo))
    seen = []
    for term in ordered_terms:
        _ordered_constants(term, constants, memo, seen)
    names = {old: constant_symbol(f"c{i}", positive=old.is_positive) for i, old in enumerate(seen)}
    linear = tuple(sp.Symbol(f"a{m}", real=True) for m in range(len(ordered_terms)))
    renamed = [t.xreplace(names) for t in ordered_terms]

    neighbour_sums, angular_sums = [], []
    for term in renamed:
        for ns in sorted(term.atoms(sp.core.function.AppliedUndef), key=str):
            for kind, found in ((is_neighbour_sum, neighbour_sums), (is_angular_sum, angular_sums)):
                if kind(ns) and ns not in found:
                    found.append(ns)
    new_constants = set(names.values())
    neighbour_sums.sort(key=lambda ns: structure_key(ns, new_constants))
    angular_sums.sort(key=lambda ns: structure_key(ns, new_constants))
    rho = {ns: rho_symbol(k) for k, ns in enumerate([*neighbour_sums, *angular_sums])}
    energy = sp.Add(*(a * t for a, t in zip(linear, renamed)))
    key_constants = new_constants | set(linear)
    return Formula(
        energy=energy,
        densities=tuple(ns.args[0] for ns in neighbour_sums),
        channels=tuple(str(ns.args[1]) if len(ns.args) > 1 else None for ns in neighbour_sums),
        terms=tuple(t.xreplace(rho) for t in renamed),
        linear=linear,
        constants=tuple(names[old] for old in seen),
        initial=np.array([values[old] for old in seen], dtype=float),
        linear_initial=np.array([terms[t] if terms[t] != 0 else 1.0 for t in ordered_terms], dtype=float),
        key=structure_key(energy, key_constants),
        complexity=sum(1 for _ in sp.preorder_traversal(energy)),
        angular=tuple(tuple(ns.args) for ns in angular_sums),
        origins=tuple(origins.get(old, old) for old in seen),
    )


def floats_to_constants(expr):
    """Give every Float of a written formula its own constant symbol: (expression, {symbol: value})."""
    values = {}

    def walk(e):
        if isinstance(e, sp.Float):
            symbol = constant_symbol(f"_p{len(values)}")
            values[symbol] = float(e)
            return symbol
        if not e.args:
            return e
        return e.func(*(walk(a) for a in e.args))

    return walk(expr), values
