"""The symbols every symff expression is written in.

- `r`: the interatomic distance (positive).
- `NS`: the neighbour sum, an undefined sympy function: NS(g) = Σ_j g(r_ij) f_c(r_ij); with a second argument, the
  symbol of an element B, the species-filtered sum NS(g, B) = Σ over the neighbours j of element B of g(r_ij) f_c(r_ij).
- `c0, c1, ...`: constants fitted nonlinearly; `a0, a1, ...`: coefficients of the additive terms of the per-atom
  energy, solved in closed form; `rho0, rho1, ...`: the neighbour sums of a formula, once it is decomposed.
"""

import sympy as sp

R = sp.Symbol("r", positive=True)
NS = sp.Function("NS")
# The sympy head of each kind of environment sum (symff.evaluate.sums), by kind name.
SUM_HEADS = {"radial": NS, "species": NS}  # the species-filtered sum is NS with a channel: NS(g, B)


class Rejected(Exception):
    """A candidate that is not a usable potential; `kind` says why (counted by the search, never shown as an error)."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def constant_symbol(name, positive=False):
    return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)


def rho_symbol(k):
    return sp.Symbol(f"rho{k}", real=True)


def is_neighbour_sum(expr):
    return isinstance(expr, sp.core.function.AppliedUndef) and expr.func == NS
