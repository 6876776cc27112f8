"""Which LAMMPS pair style can hold a model, decided from its canonical `Formula`: its *LAMMPS form*.

A model's per-atom energy is E_i = Σ_m a_m T_m(rho_0, ..., rho_{K-1}) with rho_k = NS(g_k) over a FULL neighbour list.
A term that is a bare neighbour sum, T_m = rho_k, is a *pair term*: Σ_i a_m NS(g_k) = Σ_{i<j} 2 a_m g_k(r_ij) f_c(r_ij),
so it is the LAMMPS pair energy φ(r) = 2 a_m g_k(r) f_c(r) summed over each pair once (the factor 2 is the full list).
Every other term is an *embedding term*: a function of one *density*. Because canonical forms split a neighbour sum of
a sum, NS(g + c h) = NS(g) + c NS(h), a term may depend on several rho_k through one fixed linear combination
rho = Σ_k w_k rho_k (∂T/∂rho_k / ∂T/∂rho_k0 = w_k a number): that is one density f(r) = Σ_k w_k g_k(r) f_c(r), and
the term is F(rho) = T(rho_k0 = rho, other rho_k = 0). Embedding terms of the same density are merged into one
*embedding* F; a term that is a sum of such terms is split. The LAMMPS forms (`LAMMPS_FORMS`):

- no embedding: `lepton` (pair_style lepton: the exact expression of φ, cutoff function included; no table), or
  `table` (pair_style table) when the expression has a function lepton lacks or when asked for;
- one embedding: `eam/alloy` (one setfl file: φ, f and F tabulated);
- several embeddings of different densities, E_i = NS(φ) + Σ_k F_k(NS(ρ_k)): `hybrid/overlay` of one eam/alloy file
  per embedding (φ in the first, zero in the others; LAMMPS sums the sub-styles' energies and forces);
- a product of two neighbour sums (a term of degree 2 in them, c·NS(g_j)·NS(g_k) + ...) is a sum of embeddings too:
  c·A·B = (c s_j s_k / 2)·[(s_j A + s_k B)² − A² − B²], with s = ±1 the sign of g_j and g_k, so that each of the
  three densities s_j g_j + s_k g_k, s_j g_j, s_k g_k is non-negative (a setfl density grid starts at 0); an
  embedding that comes out linear, F(rho) = α rho, is a pair term;
- three-body sums NS3(f, g) (rho_K, ... after the radial sums) are densities too, but of `pair_style meam/spline`,
  whose U takes densities of any sign: an embedding of Σ w NS(ρ) + Σ v NS3(f, g) with one bond function f is one
  meam/spline file (`symff.export.meam_spline`), alone when it is the only embedding (`meam/spline`), else one piece
  of a `hybrid/overlay` (φ = 0 in it); the three-body sums that enter linearly make one piece per f with U(n) = n;
- any other term that depends on several densities jointly (a quotient, F(NS(ρ1)·NS(ρ2)), a product of sums whose
  functions change sign, an embedding of three-body sums of different f): `symff only`, refused by `analyse_form`
  with a `NotExportable` error whose `reason` says which term.

`ExportForm` evaluates φ, each f_k and F_k with their derivatives as numpy arrays (symff's own numeric programs, no
exec); `lammps_form(model)` gives a model's LAMMPS form and, for `symff only`, the reason.
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.printing.str import StrPrinter

from ..cutoff import multiplicative_cutoff
from ..errors import ModelError
from ..evaluate.angular import AngularForm, N
from ..expr.program import Program
from ..expr.symbols import NS, NS3, R, rho_symbol
from ..grammar.operators import FUNCTIONS
from ..model import AlloyModel
from . import setfl

SYMFF_ONLY = "symff only"
DENSITY = sp.Dummy("density")  # the argument of an embedding while a form is split
LAMMPS_FORMS = {
    "lepton": "pair_style lepton: the exact pair expression, cutoff function included (no table)",
    "table": "pair_style table: the pair energy tabulated (spline in r²)",
    "eam/alloy": "pair_style eam/alloy: pair energy, density and embedding tabulated in one setfl file",
    "eam/fs": "pair_style eam/fs: as eam/alloy, with the density depending on both elements of a pair (alloys)",
    "hybrid/overlay": "pair_style hybrid/overlay: one eam/alloy setfl file per embedding density, one meam/spline "
                      "file per embedding with three-body sums, summed",
    "meam/spline": "pair_style meam/spline: φ, ρ, U, f and g of one three-body sum tabulated (symff.export.meam_spline)",
    SYMFF_ONLY: "runs in symff and its ASE calculator only",
}
EXPORTABLE = (
    "LAMMPS holds pair terms and sums of embeddings of one density each, E_i = Σ a NS(φ) + Σ_k F_k(NS(ρ_k)) "
    "(pair_style lepton or table, eam/alloy, hybrid/overlay of eam/alloy and meam/spline files; a density may hold "
    "three-body sums NS3(f, g) of one f), products of two neighbour sums of fixed-sign functions among them"
)
# The functions of pair_style lepton (Lepton's parser) that symff's expressions can contain: from the table of
# primitives (a function without a lepton name makes a pair form a pair_style table).
LEPTON_FUNCTIONS = {f.sympy: f.lepton for f in FUNCTIONS.values() if f.lepton}


class NotExportable(ModelError):
    """A form LAMMPS cannot hold; `reason` says why, in a few words (front.json's `lammps_reason`)."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Embedding:
    """One embedding F(rho) of the density rho = Σ_j g(r_ij) f_c(r_ij)."""

    density_expr: sp.Expr  # g(r), without the cutoff
    function_expr: sp.Expr  # F in the symbol rho0


@dataclass(frozen=True, eq=False)
class ExportForm:
    """A model split into LAMMPS pieces: pair energy φ(r) and embeddings (density f_k(r), F_k(rho)); cutoff
    included."""

    pair_expr: sp.Expr  # Σ a_m g_k(r) over pair terms (numbers inlined), without the cutoff and the factor 2
    embeddings: tuple  # of Embedding, one per density
    r_in: float
    r_out: float
    three_body: tuple = ()  # of AngularForm with φ = 0: the embeddings with three-body sums, one meam/spline each

    @property
    def kind(self):
        """"pair", "eam" (one embedding), "meam" (one three-body piece) or "hybrid" (several pieces)."""
        if self.three_body:
            return "meam" if len(self.three_body) == 1 and not self.embeddings else "hybrid"
        return {0: "pair", 1: "eam"}.get(len(self.embeddings), "hybrid")

    @property
    def style(self):
        """The LAMMPS form symff exports by default: the exact one for pair forms, else the one that holds it."""
        if self.kind == "pair":
            return "lepton" if lepton_expression(self) is not None else "table"
        return {"eam": "eam/alloy", "meam": "meam/spline"}.get(self.kind, "hybrid/overlay")

    def pair(self, r):
        """(φ, φ') with φ(r) = 2 g(r) f_c(r): the energy of one pair, counted once."""
        h, h_slope = multiplicative_cutoff(_radial, self.r_in, self.r_out)(r, self.pair_expr)
        return 2.0 * h, 2.0 * h_slope

    def density(self, r, k=0):
        """(f, f') with f(r) = g_k(r) f_c(r): the contribution of one neighbour to density k."""
        return multiplicative_cutoff(_radial, self.r_in, self.r_out)(r, self.embeddings[k].density_expr)

    def embedding(self, rho, k=0):
        """(F_k, F_k') of density k."""
        expr, symbol = self.embeddings[k].function_expr, rho_symbol(0)
        value, slope = Program([expr, sp.diff(expr, symbol)], [symbol], [])([np.asarray(rho, dtype=float)], [])
        return np.array(value, dtype=float), np.array(slope, dtype=float)

    def angular_pieces(self):
        """The whole form as AngularForms whose per-atom embedding energies U(n_i) sum to its own per-atom energy: the
        pair part (n_i = Σ_j g f_c, U(n) = n), each radial embedding, each three-body piece."""
        pair = AngularForm(0, self.pair_expr, 0, 0, N)
        radial = [AngularForm(0, e.density_expr, 0, 0, e.function_expr.xreplace({rho_symbol(0): N}))
                  for e in self.embeddings]
        return [pair, *radial, *self.three_body]

    def text(self):
        """The form in LAMMPS terms, one line."""
        parts = [f"phi(r) = 2*({self.pair_expr})*fc(r)"]
        for k, e in enumerate(self.embeddings):
            function = e.function_expr.xreplace({rho_symbol(0): sp.Symbol("rho")})
            parts.append(f"f{k}(r) = ({e.density_expr})*fc(r); F{k}(rho) = {function}")
        for k, piece in enumerate(self.three_body):
            parts.append(f"U{k}(n) = {piece.embedding}, n = NS(({piece.rho})*fc(r)) + NS3(({piece.f})*fc(r), "
                         f"{piece.g})")
        return "; ".join(parts)


def _radial(r, expr):
    r = np.asarray(r, dtype=float)
    value, slope = Program([expr, sp.diff(expr, R)], [R], [])([r], [])
    return np.array(value, dtype=float), np.array(slope, dtype=float)


def lammps_form(model):
    """(LAMMPS form, reason): one of `LAMMPS_FORMS`, and for `symff only` why ("" otherwise)."""
    if isinstance(model, AlloyModel):  # setfl files (symff.export.alloy), or nothing
        from .alloy import analyse_alloy_form, lammps_style  # which imports this module

        try:
            return lammps_style(analyse_alloy_form(model)), ""
        except ModelError as refused:
            return SYMFF_ONLY, str(refused).split(": ", 1)[-1]
    try:
        form = analyse_form(model)
    except NotExportable as refused:
        return SYMFF_ONLY, refused.reason
    if not form.embeddings:  # no setfl file
        return form.style, ""
    spacing = setfl.crystal_spacing(form)
    try:
        bounds = [setfl.density_bound(form, k, spacing=spacing) for k in range(len(form.embeddings))]
    except ValueError:  # no default density grid: the export needs --rho-max, and checks its tables then
        return form.style, ""
    try:
        setfl.check_tables(form, bounds, spacing=spacing)
    except ValueError as refused:
        return SYMFF_ONLY, str(refused)
    return form.style, ""


def analyse_form(model) -> ExportForm:
    """Split `model` into a pair part, embeddings of one radial density each and three-body pieces (an embedding U of
    one density Σ w NS(ρ) + Σ v NS3(f, g) with one bond function f); a form LAMMPS cannot hold raises
    `NotExportable`."""
    formula = model.formula
    numbers = {s: sp.Float(float(v), 17) for s, v in zip(formula.constants, model.constants)}
    n_radial = len(formula.densities)
    rho = [rho_symbol(k) for k in range(n_radial + len(formula.angular))]
    densities = [g.xreplace(numbers) for g in formula.densities]
    bonds = [f.xreplace(numbers) for f, _ in formula.angular]
    angles = [h.xreplace(numbers) for _, h in formula.angular]
    # With numbers in place of constants two densities can coincide (a canonical form may fold one pair function
    # into two constants of equal value): they are one density.
    first = {}
    alias = {rho[k]: rho[first.setdefault(g, k)] for k, g in enumerate(densities)}
    numbers |= {s: sp.Float(float(v), 17) for s, v in zip(formula.linear, model.linear)}
    pair, groups = sp.Integer(0), {}  # density key -> (weights {k: w_k}, [a_m F_m(DENSITY)])
    for a, term in zip(formula.linear, formula.terms):
        term = term.xreplace(alias)
        if term in rho[:n_radial]:
            pair += numbers[a] * densities[rho.index(term)]
            continue
        for weights, part in _one_density_parts(term, rho, numbers, model, model.formula, densities):
            key = tuple((k, float(f"{w:.12g}")) for k, w in sorted(weights.items()))
            groups.setdefault(key, (weights, []))[1].append(a * part)
    constant = sp.Add(*groups.pop((), (None, []))[1]).xreplace(numbers)  # joins the first embedding
    embeddings, three_body, linear_three_body = [], [], {}  # bond f -> Σ v g of three-body sums entering linearly
    for weights, parts in groups.values():
        function = sp.Add(*parts).xreplace(numbers)
        density = sp.Add(*(sp.Float(w, 17) * densities[k] for k, w in weights.items() if k < n_radial))
        slope = sp.diff(function, DENSITY)
        linear = not slope.free_symbols and function.xreplace({DENSITY: 0}) == 0  # F = α rho
        angular = {k: w for k, w in weights.items() if k >= n_radial}
        if linear:
            pair += slope * density
        if not angular:
            if not linear:
                embeddings.append(Embedding(density, function.xreplace({DENSITY: rho_symbol(0)})))
            continue
        bond = {bonds[k - n_radial] for k in angular}
        if len(bond) > 1:
            why = "an embedding of three-body sums of different bond functions f"
            raise NotExportable(f"cannot export {model.energy_string(6)} to LAMMPS: {why}; {EXPORTABLE}", why)
        [bond] = bond
        three = sp.Add(*(sp.Float(w, 17) * angles[k - n_radial] for k, w in angular.items()))
        if linear:
            linear_three_body[bond] = linear_three_body.get(bond, 0) + slope * three
        else:
            three_body.append(AngularForm(0, density, bond, three, function.xreplace({DENSITY: N})))
    three_body += [AngularForm(0, 0, bond, g, N) for bond, g in linear_three_body.items()]
    if embeddings:
        embeddings[0] = Embedding(embeddings[0].density_expr, embeddings[0].function_expr + constant)
    elif three_body:  # a constant in U: LAMMPS subtracts U(0), the export's energy shift gives it back
        piece = three_body[0]
        three_body[0] = AngularForm(0, piece.rho, piece.f, piece.g, piece.embedding + constant)
    elif constant != 0:
        embeddings.append(Embedding(sp.Integer(0), constant))
    return ExportForm(pair, tuple(embeddings), model.r_in, model.r_out, tuple(three_body))


def _one_density_parts(term, rho, numbers, model, formula, densities):
    """[(weights, F)]: `term` as a sum of functions F(DENSITY) of one density DENSITY = Σ_k w_k rho_k each (the term
    itself if it is one, else the arguments of a sum, or the squares of a product of two sums); raises NotExportable
    for a part of several densities jointly. `formula`: the one whose term it is (an alloy model has one per element)."""
    used = [k for k, s in enumerate(rho) if term.has(s)]
    weights = {k: 1.0 for k in used} if len(used) <= 1 else _common_combination(term, used, rho, numbers)
    if weights is not None:  # a function of Σ w_k rho_k with w = 1 for the first: F(x) = T(rho_first = x, others 0)
        return [(weights, term.xreplace({rho[k]: (DENSITY if k == used[0] else 0) for k in used}))]
    if term.is_Add:
        return [found for arg in term.args for found in _one_density_parts(arg, rho, numbers, model, formula, densities)]
    squares = _squares_of_product(term, used, rho, densities, numbers, model.r_out)
    if squares is not None:
        return squares
    written = {k: _sum_expression(k, densities, formula, numbers) for k in used}
    sums = ", ".join(map(str, written.values()))
    shown = sp.sstr(term.xreplace(numbers).evalf(4).xreplace({rho[k]: written[k].evalf(4) for k in used}))
    reason = (f"the term {shown} depends on {len(used)} neighbour sums jointly (not a sum of embeddings of "
              "non-negative densities)")
    raise NotExportable(
        f"cannot export {model.energy_string(6)} to LAMMPS: its term {shown} depends on {len(used)} neighbour sums "
        f"({sums}) jointly, not through one density; {EXPORTABLE}: make every term a bare neighbour sum or a "
        f"function of one neighbour sum (symff search --lammps-exportable searches only such forms)", reason)


def _sum_expression(k, densities, formula, numbers):
    """Neighbour sum k as a formula writes it: NS(g) for the radial ones, NS3(f, h) after them."""
    if k < len(densities):
        return NS(densities[k])
    f, h = formula.angular[k - len(densities)]
    return NS3(f.xreplace(numbers), h.xreplace(numbers))


def _squares_of_product(term, used, rho, densities, numbers, r_out):
    """[(weights, F)] for a term of degree 2 in the neighbour sums, as squares of non-negative densities: c·A·B with
    A, B linear in the sums (each plus a constant), or else a polynomial, each monomial c·rho_j·rho_k a product of
    two such. With x_k = s_k rho_k ≥ 0 (s the sign of g_k), a factor is P − N + a0 with P, N combinations of the x_k
    of non-negative weights, and each product of two, U·V = [(U + V)² − U² − V²] / 2 (U·U = U²): one density per
    combination however many sums a factor holds (the channels of an alloy's species expansion make one density, not
    one each). A three-body sum's s is 1 (meam/spline's U takes any density). None if the term is no such polynomial
    or a radial g changes sign."""
    signs = {k: _sign(densities[k], r_out) if k < len(densities) else 1.0 for k in used}
    if None in signs.values():
        return None
    symbols = [rho[k] for k in used]
    products = _two_linear_factors(term, used, symbols, numbers)
    if products is None:
        try:
            poly = sp.Poly(sp.expand(term), *symbols)
        except sp.PolynomialError:
            return None
        if poly.total_degree() != 2:
            return None
        products = []
        for powers, c in poly.terms():
            present = [k for k, p in zip(used, powers) for _ in range(p)]
            if len(present) < 2:  # a constant or c·rho_k: a factor times the number 1
                products.append((c, (0, {present[0]: 1.0}) if present else (1, {}), (1, {})))
            else:
                products.append((c, (0, {present[0]: 1.0}), (0, {present[1]: 1.0})))
    parts = []
    for c, (a0, a), (b0, b) in products:
        if a0 != 0 and b0 != 0:
            parts.append(({}, c * a0 * b0))
        parts += [(w, c * z * DENSITY) for z, w in ((a0, b), (b0, a)) if z != 0 and w]  # linear: pair terms
        for u_sign, u in _signed_parts(a, signs):
            for v_sign, v in _signed_parts(b, signs):
                if u == v:
                    parts.append((u, c * u_sign * v_sign * DENSITY**2))
                    continue
                half = c * u_sign * v_sign / 2
                both = {k: u.get(k, 0.0) + v.get(k, 0.0) for k in sorted({*u, *v})}
                parts += [(both, half * DENSITY**2), (u, -half * DENSITY**2), (v, -half * DENSITY**2)]
    return parts


def _two_linear_factors(term, used, symbols, numbers):
    """[(c, (a0, a), (b0, b))] if `term` is c·A·B with c free of the sums and A = a0 + Σ a_k rho_k, B likewise (a_k
    numbers, a0 a constant expression), else None."""
    c, factors = sp.Integer(1), []
    for factor in sp.Mul.make_args(term):
        base, exponent = factor.as_base_exp()
        if not factor.has(*symbols):
            c *= factor
        elif exponent == 2:
            factors += [base, base]
        else:
            factors.append(factor)
    if len(factors) != 2:
        return None
    linear = []
    for factor in factors:
        try:
            poly = sp.Poly(factor, *symbols)
            if poly.total_degree() != 1:
                return None
            weights = {used[powers.index(1)]: float(coefficient.xreplace(numbers))
                       for powers, coefficient in poly.terms() if any(powers)}
        except (sp.PolynomialError, TypeError):
            return None
        linear.append((poly.coeff_monomial(1), {k: w for k, w in weights.items() if w != 0}))
    return [(c, *linear)]


def _signed_parts(weights, signs):
    """Σ w_k rho_k as (+1, P), (−1, N) (the empty left out): P the terms with w_k s_k > 0, N minus those with
    w_k s_k < 0, so that both are densities of non-negative functions and the sum is P − N."""
    positive = {k: w for k, w in weights.items() if w * signs[k] > 0}
    negative = {k: -w for k, w in weights.items() if w * signs[k] < 0}
    return [(s, part) for s, part in ((1, positive), (-1, negative)) if part]


def _sign(g, r_out):
    """+1.0 or -1.0: the sign of the pair function g(r) on [0.5 Å, r_out] (zeros allowed); None if it changes sign
    or is not finite there."""
    values = np.broadcast_to(_radial(np.linspace(0.5, r_out, 2001), g)[0], (2001,))
    if not np.isfinite(values).all():
        return None
    if (values >= 0).all():
        return 1.0
    return -1.0 if (values <= 0).all() else None


def _common_combination(term, used, rho, numbers):
    """{k: w_k} with w of the first density 1 if `term` depends on the rho_k only through Σ w_k rho_k, else None.
    Decided with symbolic constants (sympy cancels those, not floats), evaluated with their values."""
    slope = sp.diff(term, rho[used[0]])
    weights = {used[0]: 1.0}
    for k in used[1:]:
        ratio = sp.diff(term, rho[k]) / slope
        if ratio.has(*rho):
            ratio = sp.simplify(ratio)
        if ratio.has(*rho):
            return None
        value = complex(ratio.xreplace(numbers).evalf())
        if value.imag or not np.isfinite(value.real):
            return None
        weights[k] = value.real
    return weights


# --- pair_style lepton ----------------------------------------------------------------------------------------------
class _LeptonPrinter(StrPrinter):
    """sympy -> Lepton (the expression parser of pair_style lepton): `^` for powers, every power and rational in
    parentheses (Lepton's unary minus and `^` need no precedence guesswork then), floats with 17 digits."""

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.as_base_exp()
        if exponent == sp.Rational(1, 2):
            return f"sqrt({self._print(base)})"
        return f"(({self._print(base)})^({self._print(exponent)}))"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return f"({expr.p}/{expr.q})"

    def _print_Exp1(self, expr):
        return "exp(1)"

    def _print_Function(self, expr):
        name = LEPTON_FUNCTIONS.get(type(expr).__name__)
        if name is None:
            raise ValueError(f"pair_style lepton has no {type(expr).__name__}")
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Symbol(self, expr):
        if expr != R:
            raise ValueError(f"pair_style lepton knows only r, not {expr}")
        return "r"


for _function in FUNCTIONS.values():  # StrPrinter has its own printers of some functions: every one goes to lepton's
    setattr(_LeptonPrinter, f"_print_{_function.sympy}", _LeptonPrinter._print_Function)


# A product whose factors reach e**±EXTREME_LOG (1e±150) between SHORTEST_R and r_out is written as one exp of the
# sum of their logarithms: Lepton evaluates factor by factor and differentiates r**p as p*r**p/r, so a finite
# 1.9e-124 * (6.4e-38)**r * r**441 gave an infinite force at 4.99 A where the product is 0.035 eV.
EXTREME_LOG = 345.0
SHORTEST_R = 0.5  # A: no pair of an MD that has not already failed comes closer


def _log_magnitudes(mul):
    """(sign, [ln|factor|] of the coefficient and of the powers of positive bases in `mul`, its other factors)."""
    sign, logs, rest = 1, [], []
    for factor in mul.args:
        if factor.is_Number:
            sign = sign * sp.sign(factor)
            logs.append(sp.log(abs(factor)))
        elif factor.is_Pow and factor.base.is_Number and factor.base > 0 and factor.exp.has(R):
            logs.append(factor.exp * sp.log(factor.base))  # c**u(r)
        elif factor.is_Pow and factor.base == R and factor.exp.is_Number:
            logs.append(factor.exp * sp.log(R))  # r**p
        elif isinstance(factor, sp.exp):
            logs.append(factor.args[0])
        else:
            rest.append(factor)
    return sign, logs, rest


def _without_extreme_factors(expr, r_out):
    """`expr` with every product of extreme factors (above) as sign * exp(Σ ln|factor|) * its other factors."""
    r = np.linspace(SHORTEST_R, r_out, 64)

    def guarded(mul):
        sign, logs, rest = _log_magnitudes(mul)
        if len(logs) < 2:
            return mul
        with np.errstate(all="ignore"):
            values = sp.lambdify(R, logs, "numpy")(r)  # one function for all the factors: lambdify is the cost
        if all(np.all(np.abs(v) < EXTREME_LOG) for v in values):
            return mul
        # unevaluated: sympy would pull r**p and the coefficient back out of the exp
        return sp.Mul(sign, *rest, sp.exp(sp.Add(*logs), evaluate=False), evaluate=False)

    return expr.replace(lambda e: e.is_Mul, guarded)


def lepton_expression(form):
    """The pair energy φ(r) = 2 g(r) f_c(r) of a pair form as a Lepton expression in r (f_c written out with
    step()), or None if the expression has a function Lepton lacks."""
    r_in, r_out = repr(float(form.r_in)), repr(float(form.r_out))
    # f_c = 1 below r_in and the polynomial between (DESIGN.md); LAMMPS stops at the cutoff r_out itself
    cutoff = (f"(1 - step(r - {r_in})*(1 - (2*r^2 - 3*{r_in}^2 + {r_out}^2)*({r_out}^2 - r^2)^2"
              f"/({r_out}^2 - {r_in}^2)^3))")
    try:
        pair = _without_extreme_factors(sp.sympify(form.pair_expr), float(form.r_out))
        return f"2*({_LeptonPrinter().doprint(pair)})*{cutoff}"
    except ValueError:
        return None
