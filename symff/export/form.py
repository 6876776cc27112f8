"""Which LAMMPS pair style can hold a model, decided from its canonical `Formula`.

A model's per-atom energy is E_i = Σ_m a_m T_m(rho_0, ..., rho_{K-1}) with rho_k = NS(g_k) over a FULL neighbour list.
A term that is a bare neighbour sum, T_m = rho_k, is a *pair term*: Σ_i a_m NS(g_k) = Σ_{i<j} 2 a_m g_k(r_ij) f_c(r_ij),
so it is the LAMMPS pair energy φ(r) = 2 a_m g_k(r) f_c(r) summed over each pair once (the factor 2 is the full list).
Every other term is *embedding*: LAMMPS eam/alloy holds it when all of them depend on one and the same density rho_k,
as F(rho) = Σ a_m T_m(rho) with the density function f(r) = g_k(r) f_c(r). Because canonical forms split a neighbour
sum of a sum, NS(g + c h) = NS(g) + c NS(h), embedding terms may depend on several rho_k through one fixed linear
combination rho = Σ_k w_k rho_k (∂T/∂rho_k / ∂T/∂rho_k0 = w_k a number for every term): that is one density,
f(r) = Σ_k w_k g_k(r) f_c(r), and F(rho) = T(rho_k0 = rho, other rho_k = 0).

- no embedding terms: `kind == "pair"` (pair_style table);
- embedding terms of one density: `kind == "eam"` (pair_style eam/alloy);
- anything else is refused with a `ModelError` that says why and what would make the form exportable.

`ExportForm` evaluates φ, f and F with their derivatives as numpy arrays (symff's own numeric programs, no exec).
"""

from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..cutoff import smooth_cutoff
from ..errors import ModelError
from ..expr.program import Program
from ..expr.symbols import NS, R, rho_symbol

EXPORTABLE = (
    "LAMMPS holds pair-only forms E_i = Σ a NS(φ) (pair_style table) and single-density EAM forms "
    "E_i = Σ a NS(φ) + F(NS(ρ)) (pair_style eam/alloy)"
)


@dataclass(frozen=True, eq=False)
class ExportForm:
    """A model split into LAMMPS pieces: pair energy φ(r), density f(r), embedding F(rho); cutoff included."""

    kind: str  # "pair" or "eam"
    pair_expr: sp.Expr  # Σ a_m g_k(r) over pair terms (numbers inlined), without the cutoff and the factor 2
    density_expr: sp.Expr | None  # g_k(r) of the embedded density, without the cutoff
    embedding_expr: sp.Expr | None  # F(rho) in the symbol rho0
    r_in: float
    r_out: float

    def pair(self, r):
        """(φ, φ') with φ(r) = 2 g(r) f_c(r): the energy of one pair, counted once."""
        g, dg = _radial(self.pair_expr, r)
        fc, dfc = smooth_cutoff(r, self.r_in, self.r_out)
        return 2.0 * g * fc, 2.0 * (dg * fc + g * dfc)

    def density(self, r):
        """(f, f') with f(r) = g(r) f_c(r): the contribution of one neighbour to rho."""
        g, dg = _radial(self.density_expr, r)
        fc, dfc = smooth_cutoff(r, self.r_in, self.r_out)
        return g * fc, dg * fc + g * dfc

    def embedding(self, rho):
        """(F, F') of the density."""
        symbol = rho_symbol(0)
        value, slope = Program([self.embedding_expr, sp.diff(self.embedding_expr, symbol)], [symbol], [])(
            [np.asarray(rho, dtype=float)], []
        )
        return np.array(value, dtype=float), np.array(slope, dtype=float)

    def text(self):
        """The form in LAMMPS terms, one line."""
        pair = f"phi(r) = 2*({self.pair_expr})*fc(r)"
        if self.kind == "pair":
            return pair
        return f"{pair}; f(r) = ({self.density_expr})*fc(r); F(rho) = {self.embedding_expr}"


def _radial(expr, r):
    r = np.asarray(r, dtype=float)
    value, slope = Program([expr, sp.diff(expr, R)], [R], [])([r], [])
    return np.array(value, dtype=float), np.array(slope, dtype=float)


def analyse_form(model) -> ExportForm:
    """Split `model` into pair and embedding parts; a form LAMMPS cannot hold raises `ModelError`."""
    formula = model.formula
    values = dict(zip(formula.constants, map(float, model.constants)))
    numbers = {s: sp.Float(v, 17) for s, v in values.items()}
    rho = [rho_symbol(k) for k in range(len(formula.densities))]
    densities = [g.xreplace(numbers) for g in formula.densities]
    # With numbers in place of constants two densities can coincide (a canonical form may fold one pair function
    # into two constants of equal value): they are one density.
    first = {}
    alias = {rho[k]: rho[first.setdefault(g, k)] for k, g in enumerate(densities)}
    numbers |= {s: sp.Float(float(v), 17) for s, v in zip(formula.linear, model.linear)}
    pair, embedding, used = sp.Integer(0), sp.Integer(0), set()
    for a, term in zip(formula.linear, formula.terms):
        term = term.xreplace(alias)
        if term in rho:
            pair += numbers[a] * densities[rho.index(term)]
            continue
        used |= {k for k, s in enumerate(rho) if term.has(s)}
        embedding += a * term
    if len(used) > 1:
        weights = _common_combination(embedding, sorted(used), rho, numbers)
    else:
        weights = {k: 1.0 for k in used}
    embedding = embedding.xreplace(numbers)
    if weights is None:
        sums = ", ".join(str(NS(densities[k])) for k in sorted(used))
        raise ModelError(
            f"cannot export {model.energy_string(6)} to LAMMPS: its non-pair terms depend on {len(used)} neighbour "
            f"sums ({sums}), not through one density; {EXPORTABLE}: make every term either a bare neighbour sum or "
            f"a function of one neighbour sum (symff search --lammps-exportable searches only such forms)"
        )
    if not weights:
        return ExportForm("pair", pair, None, None, model.r_in, model.r_out)
    first = min(weights)
    density = sp.Add(*(sp.Float(w, 17) * densities[k] for k, w in weights.items()))
    embedding = embedding.xreplace({rho[k]: (rho_symbol(0) if k == first else 0) for k in weights})
    return ExportForm("eam", pair, density, embedding, model.r_in, model.r_out)


def _common_combination(embedding, used, rho, numbers):
    """{k: w_k} with w of the first density 1 if `embedding` depends on the rho_k only through Σ w_k rho_k, else
    None. Decided with symbolic constants (sympy cancels those, not floats), evaluated with their values."""
    slope = sp.diff(embedding, rho[used[0]])
    weights = {used[0]: 1.0}
    for k in used[1:]:
        ratio = sp.diff(embedding, rho[k]) / slope
        if ratio.has(*rho):
            ratio = sp.simplify(ratio)
        if ratio.has(*rho):
            return None
        value = complex(ratio.xreplace(numbers).evalf())
        if value.imag or not np.isfinite(value.real):
            return None
        weights[k] = value.real
    return weights
