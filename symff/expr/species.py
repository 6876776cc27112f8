"""Shared forms with per-channel constants: how one evolved form becomes a potential of several elements.

A search on data of several elements evolves element-blind forms, as for one element, and fits each one as the
*species expansion* of its canonical form: the per-atom energy of element A is the form with every neighbour sum
split by the neighbour's element B (a *channel*),

    NS(g(r; c)) -> Σ_B NS(g(r; c_B), B),

where the constants of g get their own values per pair of centre and neighbour element (c becomes c_B in E_A, a
different constant in E_B), and the constants outside the neighbour sums (the embedding's) get their own values per
element. Canonical folding then gives every channel of a linear (pair) term its own coefficient; such a term of the
pair type A–B is written in the energy of one of the two elements only (its copy in the other would add nothing the
linear solve could tell apart). So the form stays one formula and the search space is the one-element search space,
while the fit has the freedom of an `eam/fs` potential of that shape. Each element's energy is an ordinary canonical
formula with species-filtered sums (an `AlloyModel`, model file symff-model/2).

Three-body sums NS3(f, h) stay element blind (every neighbour counts) and their constants are *shared*: one value
for all elements (`AlloyProgram`'s tie), so that f and h are one bond and one angular function, which is what a
multi-element meam/spline file holds (its f depends on the neighbour's element only, its g on the two neighbours').
What multiplies or embeds such a sum is per element like any term outside the sums: each element weighs the same
three-body sum with a coefficient of its own.
"""

import functools

import numpy as np
import sympy as sp

from .canonical import canonicalize
from .program import AlloyProgram, potential_program
from .symbols import NS, NS3, constant_symbol, rho_symbol


def species_formulas(formula, elements) -> dict:
    """{element: canonical Formula of its per-atom energy} of `formula` (element blind) expanded over `elements`,
    every constant starting at the value the blind form has (`formula.initial`, its coefficients at
    `formula.linear_initial`)."""
    return {element: expanded for element, (expanded, _) in _expansion(formula, tuple(elements)).items()}


def full_constants(formula, elements, free) -> np.ndarray:
    """Every element's constants of the expansion of `formula` over `elements`, in order, from the `free` ones that
    its program is fitted in (`fitted_form`: shared three-body constants once)."""
    tie, first = _tie(formula, tuple(elements))
    free = np.asarray(free, dtype=float)
    if tie is None:
        return free
    if free.size != first.size:
        raise ValueError(f"{free.size} constants given for the {first.size} free ones of the expanded form")
    return free[tie]


def form_constants(formula, fitted, elements) -> np.ndarray:
    """The constants of `formula` itself read off `fitted`, the fitted constants of its species expansion over
    `elements` (in the order of `fitted_form`): for each, the median of the values its copies (one per element, or
    per element and channel) were fitted to — the one value a tree of the form can hold, so that offspring start
    near their parent's fit (symff.search.engine); a constant with no copy of its own (folding merged it with
    another) keeps its starting value."""
    copies = {c: [] for c in formula.constants}
    sources = [source for _, of_element in _expansion(formula, tuple(elements)).values() for source in of_element]
    for source, value in zip(sources, full_constants(formula, elements, fitted), strict=True):
        if source is not None:
            copies[source[0]].append(float(value))
    return np.array([np.median(copies[c]) if copies[c] else initial
                     for c, initial in zip(formula.constants, formula.initial)], dtype=float)


def fitted_form(formula, elements=()):
    """(program, constants, starting values) that `formula` is fitted as on data of `elements`: the form itself for
    one element (or none given), its species expansion for several (an AlloyProgram; the constants of every
    element's formula in order, a shared three-body constant once, where it first comes: `full_constants` gives
    them all back)."""
    if len(elements) < 2:
        return potential_program(formula), formula.constants, formula.initial
    formulas = species_formulas(formula, elements)
    constants = tuple(c for f in formulas.values() for c in f.constants)
    start = species_start(formulas)
    tie, first = _tie(formula, tuple(elements))
    if tie is None:
        return AlloyProgram(formulas), constants, start
    return AlloyProgram(formulas, tie), tuple(constants[k] for k in first), start[first]


@functools.lru_cache(maxsize=16)
def _tie(formula, elements):
    """(tie, first): per constant of the expansion (every element's, in order) the index of its free constant, and
    per free constant the first of its copies; (None, None) where no constant is shared. The constants shared are
    the copies of a constant of the blind form's three-body functions (symff.expr.program.AlloyProgram)."""
    shared = {c for f, h in formula.angular for c in (f.free_symbols | h.free_symbols) if c in formula.constants}
    if not shared:
        return None, None
    sources = [source for _, of_element in _expansion(formula, elements).values() for source in of_element]
    index, tie, first = {}, [], []
    for k, source in enumerate(sources):
        key = source[0] if source is not None and source[1] is None and source[0] in shared else k
        if key not in index:
            index[key] = len(first)
            first.append(k)
        tie.append(index[key])
    return np.array(tie, dtype=np.int64), np.array(first, dtype=np.int64)


def shared_three_body_tie(formulas, constants):
    """The `AlloyProgram` tie (per constant, the index of its free constant) of the formulas of a model of several
    elements ({element: Formula}) at their `constants` (every element's, in order), read off the values: a
    three-body sum of one element whose functions are those of an earlier element's sum, with the same values, has
    its constants tied to that sum's. That is how a model file, which writes each element's energy in full, gets
    back the one bond and angular function its search fitted; None where nothing is tied. Only constants that occur
    in the three-body functions alone, with distinct values within their sum, are tied (otherwise which copy stands
    for which would be a guess)."""
    constants = np.asarray(constants, dtype=float)
    tie = np.arange(constants.size)
    earlier = {}  # (f, h) with values -> (f, h, {value: its constant}, {constant: index}) of its first element
    offset = 0
    for formula in formulas.values():
        index = {c: offset + i for i, c in enumerate(formula.constants)}
        values = {c: float(constants[k]) for c, k in index.items()}
        numbers = {c: sp.Float(v, 17) for c, v in values.items()}  # 17 digits: distinct doubles stay distinct
        outside = set().union(*(g.free_symbols for g in formula.densities), *(t.free_symbols for t in formula.terms))
        for f, h in formula.angular:
            own = [c for c in formula.constants if c in f.free_symbols | h.free_symbols]
            if not own or outside & set(own) or len({values[c] for c in own}) < len(own):
                continue
            key = (f.xreplace(numbers), h.xreplace(numbers))
            if key not in earlier:
                earlier[key] = (f, h, {values[c]: c for c in own}, index)
                continue
            first_f, first_h, by_value, first_index = earlier[key]
            renamed = {c: by_value[values[c]] for c in own}
            if f.xreplace(renamed) == first_f and h.xreplace(renamed) == first_h:
                tie[[index[c] for c in own]] = tie[[first_index[renamed[c]] for c in own]]
        offset += len(formula.constants)
    if (tie == np.arange(constants.size)).all():
        return None
    return np.unique(tie, return_inverse=True)[1].astype(np.int64)  # numbered 0.. in order of first occurrence


def species_start(formulas) -> np.ndarray:
    """The starting constants of an expanded form: each element's, in the order of `formulas`."""
    return np.concatenate([f.initial for f in formulas.values()]) if formulas else np.zeros(0)


@functools.lru_cache(maxsize=16)
def _expansion(formula, elements) -> dict:
    """{element: (canonical Formula of its energy, per constant the (constant of `formula`, channel element or None)
    it is a copy of, or None for one that folding made of several)}. Kept for the last forms (a Formula hashes by
    identity): a job expands its form for the fit and again for `form_constants`; callers do not mutate it."""
    values = formula.values(formula.initial, formula.linear_initial)
    expansion = {}
    for k, element in enumerate(elements):
        copies = {}  # channel copy -> (constant, channel)
        expanded = _expanded(formula, values, elements, k, copies)
        expansion[element] = expanded, [copies.get(o, (o, None) if o in formula.constants else None)
                                        for o in expanded.origins]
    return expansion


def _expanded(formula, values, elements, index, copies):
    """The canonical form of the energy of `elements[index]`: each term of `formula` with its neighbour sums split
    into channels (each channel's copy of a constant recorded in `copies`: copy -> (constant, channel)). A pair term
    a NS(φ) (linear in one sum) of the pair type A–B is written once, in the energy of the earlier of A and B in
    `elements`: a copy in both would be two equal columns of the linear solve, whose coefficients only their sum
    fixes."""
    own = dict(values)

    def channels(k, neighbours):
        g = formula.densities[k]
        parts = []
        for neighbour in neighbours:
            renamed = {c: _channel_constant(c, neighbour) for c in sorted(g.free_symbols & values.keys(), key=str)}
            own.update({copy: values[c] for c, copy in renamed.items()})
            copies.update({copy: (c, neighbour) for c, copy in renamed.items()})
            parts.append(NS(g.xreplace(renamed), sp.Symbol(neighbour)))
        return sp.Add(*parts)

    n_k = len(formula.densities)
    blind = {rho_symbol(n_k + l): NS3(f, h) for l, (f, h) in enumerate(formula.angular)}  # shared: not split
    terms = []
    for linear, term in zip(formula.linear, formula.terms):
        neighbours = elements[index:] if term.is_Symbol else elements  # a pair term is rho_k itself
        sums = {rho_symbol(k): channels(k, neighbours) for k in range(n_k) if term.has(rho_symbol(k))}
        terms.append(linear * term.xreplace(sums | blind))
    return canonicalize(sp.Add(*terms), own)


def _channel_constant(constant, neighbour):
    return constant_symbol(f"{constant.name}_{neighbour}", positive=bool(constant.is_positive))
