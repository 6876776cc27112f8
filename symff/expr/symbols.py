"""The symbols every symff expression is written in.

- `r`: the interatomic distance (positive).
- `NS`: the neighbour sum, an undefined sympy function: NS(g) = Σ_j g(r_ij) f_c(r_ij); with a second argument, the
  symbol of an element B, the species-filtered sum NS(g, B) = Σ over the neighbours j of element B of g(r_ij) f_c(r_ij).
- `NS3`: the three-body (angular) sum, NS3(f, g) = Σ_{j<k} f(r_ij) f_c(r_ij) f(r_ik) f_c(r_ik) g(cos θ_jik): f is a
  function of `r`, g a function of `c` = cos θ_jik, the angle at atom i between its neighbours j and k.
- `c0, c1, ...`: constants fitted nonlinearly; `a0, a1, ...`: coefficients of the additive terms of the per-atom
  energy, solved in closed form; `rho0, rho1, ...`: the neighbour sums of a formula, once it is decomposed.
"""

import sympy as sp

R = sp.Symbol("r", positive=True)


class _Cosine(sp.Symbol):
    """The symbol c = cos θ_jik: of a class of its own, so that a fitted constant named c (a symbol of the same name
    and assumptions) is never taken for it."""


C = _Cosine("c", real=True)
NS = sp.Function("NS")
NS3 = sp.Function("NS3")
# The sympy head of each kind of environment sum (symff.evaluate.sums), by kind name.
# the species-filtered sum is NS with a channel: NS(g, B)
SUM_HEADS = {"radial": NS, "species": NS, "angular": NS3}


class Rejected(Exception):
    """A candidate that is not a usable potential; `kind` says why (counted by the search, never shown as an error)."""

    def __init__(self, kind, detail=""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind, self.detail = kind, detail


def constant_symbol(name, positive=False):
    return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)


def rho_symbol(k):
    return sp.Symbol(f"rho{k}", real=True)


def is_neighbour_sum(expr):
    return isinstance(expr, sp.core.function.AppliedUndef) and expr.func == NS


def is_angular_sum(expr):
    return isinstance(expr, sp.core.function.AppliedUndef) and expr.func == NS3


def is_environment_sum(expr):
    """A call of any registered environment-sum head (NS, NS3)."""
    return isinstance(expr, sp.core.function.AppliedUndef) and expr.func in SUM_HEADS.values()
