"""Numeric programs: straight-line numpy code for sympy expressions, built without `exec` or a compiler.

A candidate is evaluated many times (every step of its constant fit), on a radial grid for its pair functions and on
every atom for its terms. Building a `Program` costs well under a millisecond: sympy's expression DAG is walked once,
every distinct subexpression becomes one numpy operation (common subexpressions are computed once), and running it is
a short loop of numpy calls. Non-finite results are left as NaN/inf for the caller to reject.

`PotentialProgram` bundles what the evaluator needs for one `Formula`: each density g_k and its derivative on r, each
three-body sum's bond function f_l(r) and angular function h_l(c) with their derivatives, and each term T_m with its
derivatives ∂T_m/∂rho_k (k over the radial sums, then the three-body sums).
"""

import functools
import operator
from functools import reduce
from types import SimpleNamespace

import numpy as np
import sympy as sp

from .canonical import Formula
from .functions import NUMPY
from .symbols import C, R, Rejected, rho_symbol


def _sum(*xs):
    return reduce(operator.add, xs)


def _product(*xs):
    return reduce(operator.mul, xs)


def _square(x):
    return x * x


def _reciprocal(x):
    return 1.0 / x


def _inverse_square(x):
    return 1.0 / (x * x)


def _inverse_sqrt(x):
    return 1.0 / np.sqrt(x)


def _power_of(exponent, x):
    return np.power(x, exponent)


# the common exact powers made fast; module functions, not lambdas, so that a program (a calculator's) can be pickled
_POWERS = {2: _square, -1: _reciprocal, -2: _inverse_square, 0.5: np.sqrt, -0.5: _inverse_sqrt}


def _power(exponent):
    """A numpy function for x**exponent."""
    return _POWERS.get(exponent) or functools.partial(_power_of, exponent)


class Program:
    """Evaluate `outputs` (sympy expressions) for array `inputs` (symbols) and scalar `params` (symbols)."""

    def __init__(self, outputs, inputs, params):
        self.n_inputs = len(inputs)
        self.n_params = len(params)
        self._slots = {s: k for k, s in enumerate([*inputs, *params])}
        self._numbers = []  # (slot, value)
        self._code = []  # (function, argument slots, output slot)
        self._outputs = [self._emit(e) for e in outputs]
        self.n_slots = len(self._slots)

    def _new_slot(self, e):
        slot = len(self._slots)
        self._slots[e] = slot
        return slot

    def _emit(self, e):
        slot = self._slots.get(e)
        if slot is not None:
            return slot
        if e.is_Number:
            if not e.is_real or not e.is_finite:
                raise Rejected("non_finite", str(e))
            slot = self._new_slot(e)
            self._numbers.append((slot, float(e)))
            return slot
        if e.is_Symbol:
            raise Rejected("unsupported", f"unknown symbol {e}")
        if e.is_Pow and e.exp.is_Number:
            function, args = _power(float(e.exp)), [self._emit(e.base)]
        elif e.is_Pow:
            function, args = np.power, [self._emit(e.base), self._emit(e.exp)]
        elif e.is_Add:
            function, args = _sum, [self._emit(a) for a in e.args]
        elif e.is_Mul:
            function, args = _product, [self._emit(a) for a in e.args]
        elif e.func in NUMPY:
            function, args = NUMPY[e.func], [self._emit(e.args[0])]
        else:
            raise Rejected("unsupported", f"{e.func} cannot be evaluated")
        slot = self._new_slot(e)
        self._code.append((function, args, slot))
        return slot

    def __call__(self, inputs, params):
        """Return a list of arrays, one per output, each broadcast to the shape of the first input."""
        registers = [None] * self.n_slots
        registers[: self.n_inputs] = inputs
        registers[self.n_inputs : self.n_inputs + self.n_params] = [np.float64(p) for p in params]
        for slot, value in self._numbers:
            registers[slot] = np.float64(value)
        with np.errstate(all="ignore"):
            for function, args, slot in self._code:
                registers[slot] = function(*[registers[a] for a in args])
        shape = np.shape(inputs[0])
        # only a scalar output (a constant, or one of the params) needs the view: broadcast_to costs a few µs a call
        outputs = [registers[s] for s in self._outputs]
        return [x if np.shape(x) == shape else np.broadcast_to(x, shape) for x in outputs]


# r as a real symbol, for the pair functions' programs: with r > 0 sympy asks the sign of every polynomial in r it
# meets while building a derivative, and answers by factoring it (67 s for a candidate with r**192 in a denominator;
# 15 ms with a real r). Without any assumption it is worse: rebuilding (c0 + r)**k asks for its real part and expands
# it. The expressions are only evaluated at r > 0, so nothing is lost.
_REAL_R = sp.Symbol("r_real", real=True)


@functools.lru_cache(maxsize=8192)
def derivative_of(expression, symbol):
    """sp.diff(expression, symbol), remembered: the same pair functions and terms recur in many candidates of a
    search (one LJ search differentiates 135 distinct pair functions 920 times, a millisecond each)."""
    return sp.diff(expression, symbol)


def radial_functions(densities):
    """The pair functions in terms of `_REAL_R`, then their derivatives on r."""
    real = [g.xreplace({R: _REAL_R}) for g in densities]
    return [*real, *(derivative_of(g, _REAL_R) for g in real)]


class _ThreeBodyFunctions:
    """The bond functions f_l(r) and angular functions h_l(c) of L three-body sums, as numeric programs of `params`."""

    n_angular = 0

    def _three_body_programs(self, angular, params, build=True):
        """Build the programs of `angular`, [(f_l, h_l)] (with `build` False, only count them: an AlloyProgram
        evaluates its elements' three-body sums itself)."""
        self.n_angular = len(angular)
        if not build:
            angular = ()
        if angular:
            self._bond = Program(radial_functions([f for f, _ in angular]), [_REAL_R], params)
            angle = [h for _, h in angular]
            self._angle = Program([*angle, *(derivative_of(h, C) for h in angle)], [C], params)
        # what each three-body sum's values depend on: its two functions (as text) and which constants they hold
        self.angular_signatures = [(str(f), str(h), [k for k, c in enumerate(params) if f.has(c) or h.has(c)])
                                   for f, h in angular]

    def bond_functions(self, r, constants):
        """(f, f') of the three-body sums as arrays of shape (L, len(r))."""
        out = self._bond([r], constants)
        return np.array(out[: self.n_angular]), np.array(out[self.n_angular :])

    def angle_functions(self, c, constants):
        """(h, h') of the three-body sums at cosines c, as arrays of shape (L, len(c))."""
        out = self._angle([c], constants)
        return np.array(out[: self.n_angular]), np.array(out[self.n_angular :])


def _densities_read(formula, term):
    return [k for k in range(len(formula.densities)) if term.has(rho_symbol(k))]


def _fixed_terms(formula, *kind):
    """{m: key} of the terms of a formula without three-body sums whose basis columns no constant changes: neither
    T_m nor a density it reads has a constant (NS(r), NS(r**-3)**0.5). The key names what the columns are computed
    from (`kind`: the sum kind, and an element's term its element), so that the same term of another formula finds
    them (`symff.evaluate.evaluator.Evaluator.basis`); a formula with three-body sums has none here (their own passes
    are kept by `Evaluator.three_body_sums`)."""
    constants = set(formula.constants)
    channels = formula.channels or (None,) * len(formula.densities)
    fixed = {}
    for m, term in enumerate(formula.terms):
        used = _densities_read(formula, term)
        if term.free_symbols & constants or any(formula.densities[k].free_symbols & constants for k in used):
            continue
        local = term.xreplace({rho_symbol(k): rho_symbol(n) for n, k in enumerate(used)})
        # srepr, not str: numbers that print alike (0.1 and 0.10000000000000002) are other functions
        fixed[m] = (*kind, sp.srepr(local), tuple((sp.srepr(formula.densities[k]), channels[k]) for k in used))
    return fixed


def _without_terms(formula, dropped):
    """(densities, terms, constants, channels, angular) of `formula` without its terms in `dropped` and the densities
    only those read; the same constants. For a formula without three-body sums."""
    kept = [term for m, term in enumerate(formula.terms) if m not in dropped]
    used = sorted({k for term in kept for k in _densities_read(formula, term)})
    renumber = {rho_symbol(k): rho_symbol(n) for n, k in enumerate(used)}
    channels = tuple(formula.channels[k] for k in used) if formula.channels else formula.channels
    return (tuple(formula.densities[k] for k in used), tuple(term.xreplace(renumber) for term in kept),
            formula.constants, channels, ())


class PotentialProgram(_ThreeBodyFunctions):
    """Densities g_k(r), g_k'(r) and terms T_m(rho), ∂T_m/∂rho_k of one formula, as numeric programs."""

    sum_kind = "radial"  # the environment-sum kind (symff.evaluate.sums) whose kernels evaluate it

    def __init__(self, formula: Formula, three_body=True):
        self.formula = formula
        self.n_densities = len(formula.densities)
        params = formula.constants
        # formula-like objects (fit.jacobian) may have no three-body sums
        self._three_body_programs(getattr(formula, "angular", ()), params, build=three_body)
        self.n_sums = self.n_densities + self.n_angular
        self.n_terms = len(formula.terms)
        self._density = Program(radial_functions(formula.densities), [_REAL_R], params)
        rho = [rho_symbol(k) for k in range(self.n_sums)]
        self.dependencies = []  # (m, k) for every nonzero ∂T_m/∂rho_k
        derivatives = []
        for m, term in enumerate(formula.terms):
            for k, symbol in enumerate(rho):
                if term.has(symbol):
                    self.dependencies.append((m, k))
                    derivatives.append(derivative_of(term, symbol))
        self._terms = Program([*formula.terms, *derivatives], rho, params)
        self.fixed_terms = {} if self.n_angular else _fixed_terms(formula, self.sum_kind)

    def without(self, dropped):
        """The program of this formula's terms but those in `dropped` (a set of term indices), for the same
        constants; one per structure in this process, as `potential_program`'s."""
        return _potential_program(*_without_terms(self.formula, dropped))

    def full_constants(self, constants):
        """The formula's constants from those fitted: the same (every constant of one formula is free; compare
        `AlloyProgram.full_constants`)."""
        return np.asarray(constants, dtype=float)

    def densities(self, r, constants):
        """(g, g') as arrays of shape (K, len(r))."""
        out = self._density([r], constants)
        k = self.n_densities
        return np.array(out[:k]), np.array(out[k:])

    def terms(self, rho, constants):
        """rho: (K + L, n_atoms). Returns T (M, n_atoms) and the slopes (D, n_atoms): row d is ∂T_m/∂rho_k for
        (m, k) = `dependencies[d]`, every other ∂T_m/∂rho_k being zero (`dense_slopes` spreads them out)."""
        out = self._terms(list(rho), constants)
        m = self.n_terms
        values = np.array(out[:m])
        slopes = np.empty((len(self.dependencies), rho.shape[1]))
        for d, derivative in enumerate(out[m:]):
            slopes[d] = derivative
        return values, slopes


def dense_slopes(program, slopes):
    """∂T_m/∂sum_k as (M, K + L, n_atoms), zero where T_m ignores sum k, from the slopes per dependency that
    `program.terms` returns."""
    dense = np.zeros((program.n_terms, program.n_sums, slopes.shape[1]))
    for (m, k), row in zip(program.dependencies, slopes):
        dense[m, k] = row
    return dense


PROGRAM_CACHE_SIZE = 512  # PotentialPrograms kept per process (`potential_program`)


def potential_program(formula):
    """The PotentialProgram of `formula`, one for every formula of the same structure in this process (the last
    PROGRAM_CACHE_SIZE): a form's fit, its snaps, the check of its droppable terms and its sanity check each ask for
    it, and building it (sympy's derivatives) costs more than a pass over a small data set. Its `formula` holds only
    what it is built from."""
    return _potential_program(formula.densities, formula.terms, formula.constants, formula.channels, formula.angular)


@functools.lru_cache(maxsize=PROGRAM_CACHE_SIZE)
def _potential_program(densities, terms, constants, channels, angular):
    return PotentialProgram(SimpleNamespace(densities=densities, terms=terms, constants=constants, channels=channels,
                                            angular=angular))


class AlloyProgram(_ThreeBodyFunctions):
    """Per-element energies, E_i = E_{Z_i}: one `PotentialProgram` per element of `formulas` ({element: Formula}).
    The environment sums of the whole are every element's radial sums side by side (density k filtered by
    `channels[k]`, an element or None: the environment-sum kind "species"), then the distinct three-body sums of all
    elements (element blind: every neighbour counts); its terms are the elements' side by side. Terms of element A are
    evaluated at the atoms of element A and are zero at the others.

    The program takes the *free* constants: without `tie`, every element's constants in the order of the elements;
    with `tie` (an index per constant of that concatenation into a shorter vector), constants that share an index
    are one fitted value. That is how a species expansion shares the constants of its three-body sums among the
    elements (symff.expr.species): one bond and one angular function for all, as meam/spline writes them. Three-body
    sums of several elements whose functions are the same over the free constants are one sum of the whole."""

    sum_kind = "species"

    def __init__(self, formulas, tie=None):
        self.elements = tuple(formulas)
        self.programs = [PotentialProgram(f, three_body=False) for f in formulas.values()]
        n_full = sum(len(f.constants) for f in formulas.values())
        self.tie = None if tie is None else np.asarray(tie, dtype=np.int64)
        self.n_free = n_full if tie is None else int(self.tie.max(initial=-1)) + 1
        free = [sp.Symbol(f"free{k}", real=True) for k in range(self.n_free)]
        self.channels = tuple(c for f in formulas.values() for c in (f.channels or (None,) * len(f.densities)))
        self.n_densities = len(self.channels)
        self._constants, self._sums, self._terms, self._dependencies = [], [], [], []
        self.dependencies = []
        angular = {}  # (f, h) over the free constants -> its index among the three-body sums of the whole
        k = m = c = 0
        for formula, program in zip(formulas.values(), self.programs):
            own = slice(c, c + len(formula.constants))
            renamed = {s: free[i] for s, i in zip(formula.constants, self._free_index(own))}
            rows = list(range(k, k + program.n_densities))
            for f, h in getattr(formula, "angular", ()):  # formula-like objects (fit.jacobian) may have none
                rows.append(self.n_densities + angular.setdefault((f.xreplace(renamed), h.xreplace(renamed)),
                                                                  len(angular)))
            self._constants.append(own)
            self._sums.append(np.array(rows, dtype=np.int64))
            self._terms.append(slice(m, m + program.n_terms))
            d = len(self.dependencies)  # this element's rows of the slopes
            self._dependencies.append(slice(d, d + len(program.dependencies)))
            self.dependencies += [(m + a, rows[b]) for a, b in program.dependencies]
            k, m, c = k + program.n_densities, m + program.n_terms, c + len(formula.constants)
        self.n_terms = m
        self.angular = tuple(angular)  # the three-body sums of the whole, in the free constants
        self._three_body_programs(self.angular, free)
        self.n_sums = self.n_densities + self.n_angular
        self.fixed_terms = {} if self.n_angular else {
            span.start + m: key for element, formula, span in zip(self.elements, formulas.values(), self._terms)
            for m, key in _fixed_terms(formula, self.sum_kind, element).items()}

    def without(self, dropped):
        """This program without the terms in `dropped` (indices of the whole), for the same free constants; one per
        structure in this process."""
        formulas = tuple((element, _without_terms(program.formula, {m - span.start for m in dropped}))
                         for element, program, span in zip(self.elements, self.programs, self._terms))
        return _alloy_program(formulas, None if self.tie is None else tuple(self.tie.tolist()))

    def _free_index(self, own):
        indices = np.arange(own.start, own.stop)
        return indices if self.tie is None else self.tie[indices]

    def full_constants(self, constants):
        """Every element's constants in the order of the elements, from the free constants."""
        constants = np.asarray(constants, dtype=float)
        return constants if self.tie is None else constants[self.tie]

    def densities(self, r, constants):
        """(g, g') of every element's radial densities, (K, len(r)) each."""
        full = self.full_constants(constants)
        n = np.size(r)
        parts = [[v.reshape(p.n_densities, n) for v in p.densities(r, full[c])]
                 for p, c in zip(self.programs, self._constants)]
        return np.concatenate([g for g, _ in parts]), np.concatenate([s for _, s in parts])

    def terms(self, rho, constants, atom_element):
        """T (M, n_atoms) and the slopes (D, n_atoms) of `dependencies`, as `PotentialProgram.terms`; `atom_element`
        (n_atoms,) indexes `elements`."""
        full = self.full_constants(constants)
        n_atoms = rho.shape[1]
        values = np.zeros((self.n_terms, n_atoms))
        slopes = np.zeros((len(self.dependencies), n_atoms))
        for e, (program, rows, m, c, d) in enumerate(zip(self.programs, self._sums, self._terms, self._constants,
                                                         self._dependencies)):
            atoms = np.flatnonzero(atom_element == e)
            # an element of energy 0 has no terms (symff.expr.canonical.zero_formula)
            if atoms.size and program.n_terms:
                t, s = program.terms(rho[rows][:, atoms], full[c])
                values[m, atoms] = t
                slopes[d, atoms] = s
        return values, slopes


@functools.lru_cache(maxsize=PROGRAM_CACHE_SIZE)
def _alloy_program(formulas, tie):
    """The AlloyProgram of ((element, (densities, terms, constants, channels, angular)), ...) and `tie`."""
    return AlloyProgram({element: SimpleNamespace(densities=densities, terms=terms, constants=constants,
                                                  channels=channels, angular=angular)
                         for element, (densities, terms, constants, channels, angular) in formulas}, tie)
