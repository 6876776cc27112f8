"""Analytic derivatives of a formula's basis with respect to its nonlinear constants, and the variable-projection
Jacobian built from them.

Vocabulary. The *basis* A(c) holds the energies, forces and stresses of each term T_m with unit coefficient
(symff.evaluate.evaluator.Basis); its columns depend on the constants c through T_m itself and through the neighbour
sums rho_k = NS(g_k). The derivative of column m with respect to c_j is again the basis column of a potential of the
same shape, the *derivative term*

    D_mj = ∂T_m/∂c_j + Σ_k ∂T_m/∂rho_k · σ_kj,     σ_kj = NS(∂g_k/∂c_j),

whose neighbour sums are the rho_k and the σ_kj. So `DerivativeProgram` is a `PotentialProgram` of an extended
formula (densities g_k and ∂g_k/∂c_j, the terms T_m themselves and the D_mj, written by sympy), and the evaluator
computes A and every ∂A/∂c_j in one pass over the data, with ∂g_k/∂c_j tabulated on the r grid like the densities.
The fit runs that *joint* pass at every trial (symff.fit.constants): the neighbour sums of the g_k, the terms' setup
and the pass itself are shared, which costs less than a pass for A and another for ∂A/∂c at each accepted step, even
with the trials that are refused. Interpolation is linear in the tabulated values and slopes, so these are the exact
derivatives of the tabulated model, not an approximation of them.

The loss is fitted by variable projection: r(c) = A(c) x(c) − y with x = A⁺y solved in closed form
(symff.fit.loss.Targets). Its exact Jacobian (Golub & Pereyra 1973) is, column j,

    ∂r/∂c_j = P⊥ (∂A/∂c_j) x − (A⁺)ᵀ (∂A/∂c_j)ᵀ r,        P⊥ = 1 − A A⁺,

which `projected_jacobian` forms from a QR factorization of A's column-scaled rows. The joint pass replaces the one
pass per constant that finite differences take, and its columns carry no truncation error.

Three-body sums. A constant of a three-body sum's functions f or h has no derivative term of this kind
(∂NS3(f, h)/∂c through f is a sum of products F'·F, no NS3 of one bond function): those constants are the
`difference` constants, whose columns the fit takes by forward differences (one pass each); every other constant's
column is analytic, as the three-body sums s_l do not depend on it (D_mj = ∂T_m/∂c_j + Σ_k ∂T_m/∂rho_k σ_kj, with
T_m a function of the s_l too). A formula whose three-body sums share constants with its other functions takes
differences in those constants as well.
"""

from types import SimpleNamespace

import numpy as np
import scipy.linalg
import sympy as sp

from ..expr.program import AlloyProgram, PotentialProgram, derivative_of
from ..expr.symbols import Rejected, rho_symbol

RANK_TOLERANCE = 1e-12  # a scaled design column whose pivot is below this share of the largest adds no direction


class DerivativeProgram:
    """The terms T_m of a formula and their derivative terms D_mj, as one program the evaluator runs like a
    `PotentialProgram` (its `extended` formula: the densities g_k and ∂g_k/∂c_j, with their channels, and the terms
    T_m, then the D_mj).

    `own` are the program's terms that are the formula's T_m, in order; `columns` those that are the derivative terms,
    whose (m, j) `pairs` lists; a D_mj that is identically zero (T_m does not depend on c_j) is left out. `difference`
    lists the constants of the three-body sums' functions, which have no derivative terms (the module docstring). The
    program takes the formula's constants c; it is None when no D_mj is left (the formula has no constants, or only
    those of three-body sums). Raises Rejected when a derivative cannot be evaluated (sympy's DiracDelta, say)."""

    def __init__(self, formula):
        constants = formula.constants
        angular = tuple(getattr(formula, "angular", ()))
        in_three_body = set().union(*(f.free_symbols | h.free_symbols for f, h in angular))
        self.difference = [j for j, c in enumerate(constants) if c in in_three_body]
        n_k = len(formula.densities)
        rho = [rho_symbol(k) for k in range(n_k)]
        # the three-body sums are rho_{K+l} in the terms; the extended formula has more densities before them
        held = [sp.Dummy(f"s{l}") for l in range(len(angular))]
        own_terms = [t.xreplace({rho_symbol(n_k + l): s for l, s in enumerate(held)}) for t in formula.terms]
        densities = list(formula.densities)
        channels = list(formula.channels or (None,) * n_k)  # σ_kj sums over the channel of rho_k
        sigma = {}  # (k, j) -> the symbol of σ_kj
        analytic = [(j, c) for j, c in enumerate(constants) if j not in self.difference]
        for j, c in analytic:
            for k, g in enumerate(formula.densities):
                dg = derivative_of(g, c)
                if dg != 0:
                    sigma[(k, j)] = rho_symbol(len(densities))
                    densities.append(dg)
                    channels.append(channels[k])
        terms, self.pairs = [], []
        for m, term in enumerate(own_terms):
            for j, c in analytic:
                slope = derivative_of(term, c)
                for k in range(n_k):
                    if (k, j) in sigma and term.has(rho[k]):
                        slope += derivative_of(term, rho[k]) * sigma[(k, j)]
                if slope != 0:
                    terms.append(slope)
                    self.pairs.append((m, j))
        sums = {s: rho_symbol(len(densities) + l) for l, s in enumerate(held)}
        self.n_terms, self.n_constants = len(formula.terms), len(constants)
        self.own, self.columns = list(range(self.n_terms)), [self.n_terms + c for c in range(len(terms))]
        self.extended = SimpleNamespace(densities=tuple(densities),
                                        terms=tuple(t.xreplace(sums) for t in (*own_terms, *terms)),
                                        constants=constants, channels=tuple(channels), angular=angular)
        self.program = PotentialProgram(self.extended) if terms else None


class AlloyDerivativeProgram:
    """The derivative terms of an `AlloyProgram`: each element's `DerivativeProgram` side by side, as one
    `AlloyProgram` (an element's terms depend only on its own constants, so the derivatives are block diagonal);
    `pairs` as for one formula, in the numbering of the whole. `program` is None when no element has constants."""

    def __init__(self, program: AlloyProgram):
        parts = [DerivativeProgram(p.formula) for p in program.programs]
        free = np.arange(program.n_free) if program.tie is None else program.tie  # full constant -> free constant
        shared = np.bincount(free, minlength=program.n_free) > 1
        self.pairs, self.own, self.columns, difference, m, j, column = [], [], [], set(), 0, 0, 0
        for part in parts:
            self.pairs += [(m + a, int(free[j + b])) for a, b in part.pairs]
            difference |= {int(free[j + b]) for b in part.difference}
            self.own += [column + c for c in part.own]
            self.columns += [column + c for c in part.columns]
            m, j, column = m + part.n_terms, j + part.n_constants, column + len(part.extended.terms)
        # the free constants of several elements' functions are those of three-body sums (symff.expr.species): a
        # column of the free constant would be the sum of its copies' columns, which differences give as well
        if any(shared[c] for _, c in self.pairs):
            raise Rejected("unsupported", "derivatives of constants shared outside three-body sums")
        self.difference = sorted(difference)
        self.n_terms, self.n_constants = m, program.n_free
        if any(part.program is None for part in parts):
            # an element without derivative terms has no program to stand beside the others: the fit takes
            # differences (an expanded form has the same constants in every element, so this is a hand-written model)
            self.program = None
        else:
            self.program = AlloyProgram(dict(zip(program.elements, (part.extended for part in parts))), program.tie)


def joint_basis(derivative: DerivativeProgram, evaluator, constants, *, reuse=False):
    """(basis of the terms T_m, basis of the derivative terms D_mj) at `constants`: one pass over the data (the
    columns of fixed terms kept with `reuse`: `Evaluator.basis`)."""
    joint = evaluator.basis(derivative.program, constants, reuse=reuse)
    return joint.select(derivative.own), joint.select(derivative.columns)


def projected_jacobian(design, solution, residual, derivative_rows, pairs, n_constants):
    """∂r/∂c (rows × n_constants) of the projected residual r = design·solution − target at its least-squares
    solution; `derivative_rows` (rows × len(pairs)) are the loss rows of the derivative terms D_mj listed in `pairs`
    (term m, constant j: the derivative of design column m; the reference-energy columns do not depend on c)."""
    norms = np.sqrt(np.einsum("ij,ij->j", design, design))
    norms[norms == 0] = 1.0
    # pivoted, so that columns that are (nearly) combinations of others come last and are dropped: they span nothing
    q, r, order = scipy.linalg.qr(design / norms, mode="economic", pivoting=True, check_finite=False)
    diagonal = np.abs(np.diag(r))
    rank = int(np.sum(diagonal > RANK_TOLERANCE * max(diagonal.max(initial=0.0), 1e-300)))
    q, r = q[:, :rank], r[:rank, :rank]
    shifted = np.zeros((design.shape[0], n_constants))  # (∂A/∂c_j) x
    transposed = np.zeros((design.shape[1], n_constants))  # (∂A/∂c_j)ᵀ r
    for column, (m, j) in enumerate(pairs):
        shifted[:, j] += derivative_rows[:, column] * solution[m]
        transposed[m, j] = derivative_rows[:, column] @ residual
    jacobian = shifted - q @ (q.T @ shifted)
    # (A⁺)ᵀ w = Q R⁻ᵀ (w / norms)[order] with A diag(1/norms)[:, order] = Q R
    scaled = (transposed / norms[:, None])[order[:rank]]
    jacobian -= q @ scipy.linalg.solve_triangular(r, scaled, trans="T", check_finite=False)
    return jacobian
