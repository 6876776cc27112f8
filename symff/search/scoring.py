"""Scoring a candidate: canonical form, cache, constant fit, fitness.

A `Candidate` is a canonical formula with fitted constants. Trees with the same canonical key share one fit (the
`Scorer`'s cache), and trees that are not usable potentials are rejected and counted by kind. The fits themselves are
pure functions of a form and the data (`screen_form`, `fit_form`), so that a generation's fits can run in parallel
anywhere (symff.search.batch, symff.search.pool).

Scoring is hierarchical (the HOGA scheme of Hernandez et al. 2019): a candidate's constants are first fitted on a
small subset of the data with a small budget (the *screen*); only a candidate that could enter the front is then fitted on all the data, starting from the screened constants. The others keep their screened loss, which is
enough for selection to rank them, and never enter the archive.

After a fit, constants that landed next to a simple number (an integer or a half) are tried as that exact number:
if the refit loses nothing, the simpler formula replaces the candidate. That is how a fitted exponent of -6.0000001
becomes r**-6, so that a formula the data determines exactly is written exactly. Likewise two factors of an angular
function with near-equal roots, (c + 0.333333)(c + 0.333334), are tried as one square (`equal_factor_squares`), and
terms the data do not need are dropped.

Then the exact exponents are searched locally (symff.search.neighbourhood): each integer or fixed rational exponent
is moved one step (r**-10 -> r**-9, x**(1/3) -> x**(1/2)), each power c**n of an angular function is shifted to
(c + k)**n with a new constant k, and a neighbour that lowers the loss by 1 % replaces the candidate, up to three
steps (a shifted one fitted on first, its new constant having started from a guess). Each step first scores the
neighbours with nonlinear constants by one linear re-solve at the current constants (one pass each) and gives a short
fit from there only to the best (`FitOptions.climb_fits`); the form the climb ends on gets another round of snapping.
How the fits run (analytic or finite-difference Jacobian, the budgets of the climb) is the stage's `FitOptions`
(symff.fit.constants).
"""

import itertools
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..expr.canonical import Formula, canonicalize
from ..expr.program import potential_program
from ..expr.species import fitted_form, form_constants
from ..expr.symbols import NS, NS3, C, R, Rejected
from ..fit.constants import PENALTY, Fit, FitOptions, fit_constants, loss_at
from .neighbourhood import NEIGHBOUR_GROUPS, form_neighbours


@dataclass(eq=False)
class Candidate:
    formula: Formula
    fit: Fit
    tree: str = ""  # the first tree that produced it, as text
    generation: int = 0
    full: bool = True  # fitted on all the data (False: screened on the subset only)
    properties: dict | None = None  # the property tier's values and losses (symff.search.properties)
    # of a fit of the form's species expansion (data of several elements: one value per element and channel), the
    # form's own constants read off it (symff.expr.species.form_constants); None for a fit of the form itself
    form_constants: np.ndarray | None = field(default=None, repr=False)

    @property
    def key(self):
        return self.formula.key

    @property
    def complexity(self):
        return self.formula.complexity

    @property
    def loss(self):
        return self.fit.loss

    @property
    def values(self):
        """{symbol: fitted value} of the form's constants and term coefficients; of a fit of the species expansion,
        its `form_constants` and the form's own starting coefficients (the expansion has more)."""
        if self.form_constants is not None:
            return self.formula.values(self.form_constants, self.formula.linear_initial)
        return self.formula.values(self.fit.constants, self.fit.linear)


@dataclass
class ScoreStats:
    trees: int = 0  # trees scored
    cache_hits: int = 0  # trees whose canonical form was already scored
    fits: int = 0  # constant fits run on all the data
    evaluations: int = 0  # passes over all the data
    screen_fits: int = 0  # constant fits run on the screening subset
    screen_evaluations: int = 0  # passes over the screening subset
    screened_out: int = 0  # candidates the screen kept from a fit on all the data
    rejected: dict = field(default_factory=dict)  # kind -> count

    snapped: int = 0  # candidates whose constants were replaced by exact numbers
    climbed: int = 0  # climb steps taken: a candidate replaced by a neighbour form (symff.search.neighbourhood)
    property_static: int = 0  # candidates whose static properties were computed (symff.search.properties)
    property_defects: int = 0  # ... and whose defect energies too (the ones that could still reach the front)
    property_relaxed: int = 0  # ... and whose relaxed defect energies too (those that still could)

    def reject(self, kind):
        self.rejected[kind] = self.rejected.get(kind, 0) + 1

    def add(self, other):
        for name, value in vars(other).items():
            if name == "rejected":
                for kind, count in value.items():
                    self.rejected[kind] = self.rejected.get(kind, 0) + count
            else:
                setattr(self, name, getattr(self, name) + value)


@dataclass(frozen=True)
class Stage:
    """Data to fit on: an evaluator, its targets and the number of passes a fit may make."""

    evaluator: object
    targets: object
    max_evaluations: int
    tolerance: float = 1e-10  # relative change at which a fit stops: a screen needs only a rough loss
    options: FitOptions = field(default_factory=FitOptions)  # how fits run (FitOptions.before(): the procedure before)
    species: tuple = ()  # the elements a form is expanded over (symff.expr.species); empty: one element

    def program(self, formula):
        """(program, starting constants) of `formula` on this stage: the form itself for one element, its species
        expansion for several."""
        program, _, start = fitted_form(formula, self.species)
        return program, start

    def candidate(self, formula, fit, tree, generation, full=True):
        """The Candidate of `formula` fitted on this stage (for several elements, with the form's own constants read
        off its expansion's fit)."""
        own = form_constants(formula, fit.constants, self.species) if self.species else None
        return Candidate(formula, fit, tree, generation, full=full, form_constants=own)


class Scorer:
    """The state of scoring for one search: its cache (key -> Candidate, or the kind of rejection) and its counts.

    A search scores a generation's trees together (symff.search.batch), running the fits wherever its pool runs them;
    `symff.search.batch.score_alone(scorer, tree)` scores one tree at once, on the stages given here (None for a
    search, whose pool has them)."""

    def __init__(self, full: Stage, screen: Stage | None = None, limit=None):
        self.full = full
        self.screen = screen
        self.limit = limit  # complexity -> the screened loss up to which `score` fits on all the data (None: any)
        self.cache = {}  # key -> Candidate, or the kind of rejection
        self.stats = ScoreStats()


@dataclass
class Outcome:
    """What a job returns: `result` (a Candidate, or the kind of rejection), the other forms it fitted fully on the
    way (snapped or climbed: (key, Candidate) in order), its counts and the CPU time it took."""

    result: object
    extras: list = field(default_factory=list)
    stats: ScoreStats = field(default_factory=ScoreStats)
    seconds: float = 0.0


def screen_form(formula, stage, tree, generation) -> Outcome:
    """The screening fit of a new form on the subset, from its initial constants."""
    stats = ScoreStats()
    try:
        program, start = stage.program(formula)
        screened = fit_constants(program, stage.evaluator, stage.targets, start,
                                 max_evaluations=stage.max_evaluations, tolerance=stage.tolerance,
                                 options=stage.options)
        stats.screen_fits += 1
        stats.screen_evaluations += screened.evaluations
    except Rejected as exc:
        stats.reject(exc.kind)
        return Outcome(exc.kind, stats=stats)
    return Outcome(stage.candidate(formula, screened, tree, generation, full=False), stats=stats)


def fit_form(formula, stage, tree, generation, start=None, accept=None) -> Outcome:
    """The fit of a form on all the data from `start` (None: its initial constants), then snapped and climbed (a
    `FormFitter`) to forms that `accept(formula, fit)` (default: any)."""
    fitter = FormFitter(stage, accept)
    try:
        candidate = fitter.fit(formula, tree, generation, start)
    except Rejected as exc:
        fitter.stats.reject(exc.kind)
        return Outcome(exc.kind, stats=fitter.stats)
    return Outcome(candidate, list(fitter.cache.items()), fitter.stats)


class FormFitter:
    """One form's fit on all the data, with the snapping of constants and the climb over exponents that follow it.

    It sees only what it fits itself (`cache`: the forms it reached on the way), never the search's cache, so its
    result does not depend on what else was scored before or beside it: that is what lets a generation's fits run in
    any order, on any worker, with the same front."""

    def __init__(self, stage: Stage, accept=None):
        self.stage = stage
        self.evaluator, self.targets, self.max_evaluations = stage.evaluator, stage.targets, stage.max_evaluations
        self.accept = accept or (lambda formula, fit: True)  # whether snapping or climbing may move to a form
        self.options = stage.options
        self.cache = {}  # key -> Candidate (full), the forms this fit reached
        self.stats = ScoreStats()

    def fit(self, formula, tree, generation, start=None):
        program, initial = self.stage.program(formula)
        fit = fit_constants(program, self.evaluator, self.targets, initial if start is None else start,
                            max_evaluations=self.max_evaluations, tolerance=self.options.tolerance,
                            options=self.options)
        self.stats.fits += 1
        self.stats.evaluations += fit.evaluations
        if not fit.loss < PENALTY:
            raise Rejected("non_finite")
        if self.stage.species:
            # snapping reads the form's own constants off the fit, where an expanded form's fit has one value per
            # channel and element; and the whole climb on expanded fits costs more generations than it finds
            # (docs/alloys.md). So an expanded form climbs only through the angle splits, if any.
            return self._climbed(self.stage.candidate(formula, fit, tree, generation))
        candidate = self._simplified(Candidate(formula, fit, tree, generation))
        climbed = self._climbed(candidate)
        if climbed is not candidate:  # constants refitted at the new exponents may now sit on simple numbers
            candidate = self._simplified(self._polished(climbed))
        return candidate

    def _polished(self, candidate, evaluations=None):
        """The climbed form fitted further from its short fit (`evaluations`, by default
        `options.polish_evaluations`), where that lowers the loss and keeps it sane (`accept`: other constants can
        fail a check the short fit passed)."""
        evaluations = self.options.polish_evaluations if evaluations is None else evaluations
        if not evaluations:
            return candidate
        try:
            fit = fit_constants(self.stage.program(candidate.formula)[0], self.evaluator, self.targets,
                                candidate.fit.constants, max_evaluations=evaluations,
                                tolerance=self.options.tolerance, options=self.options)
        except Rejected:
            return candidate
        self.stats.evaluations += fit.evaluations
        if not fit.loss < candidate.loss or not self.accept(candidate.formula, fit):
            return candidate
        polished = self.stage.candidate(candidate.formula, fit, candidate.tree, candidate.generation)
        self.cache[candidate.key] = polished
        return polished

    def _simplified(self, candidate):
        """The candidate snapped as far as it goes. Each form on the way stands in the cache for the last, as the
        tree's form does for its result: else a tree of such a form would take it from the search's cache as it was
        (a pair of sums that `derivative_pair` rewrites, reached by a snap to an exact exponent, would hold the
        front's place one complexity step below its rewrite)."""
        reached = [candidate]
        for _ in range(MAX_SIMPLIFICATIONS):  # a simplification can open the way to another
            simpler = self._snapped(reached[-1])
            if simpler is reached[-1]:
                break
            reached.append(simpler)
        for passed in reached[:-1]:
            self.cache[passed.key] = reached[-1]
        return reached[-1]

    def _climbed(self, candidate):
        """Hill-climb over exact exponents, angular shifts, decays and angle splits (symff.search.neighbourhood;
        `_groups`): move to the best neighbour form while it lowers the loss by at least CLIMB_GAIN; the neighbours
        tried get a short fit from the current constants."""
        if not self._groups():  # an expanded form without angle splits: every fit of an alloy search
            return candidate
        for _ in range(MAX_CLIMB_STEPS):
            best = candidate
            for neighbour, refit in self._neighbour_fits(candidate.formula, candidate.values):
                if refit.loss < best.loss * (1 - CLIMB_GAIN) and self.accept(neighbour, refit):
                    best = self.stage.candidate(neighbour, refit, candidate.tree, candidate.generation)
            if best is candidate:
                return candidate
            if len(best.formula.constants) > len(candidate.formula.constants):
                # a shifted neighbour's new constant started from a guess: fitted on, the next step starts from
                # its minimum instead of comparing short fits of neighbours of a form not yet fitted
                best = self._polished(best, self.options.neighbour_polish_evaluations or self.max_evaluations)
            self.stats.climbed += 1
            self.cache.setdefault(best.key, best)
            candidate = best
        return candidate

    def _neighbour_fits(self, formula, values):
        """(neighbour formula, fit) of the neighbours of `formula` at the constants `values`, in the order of
        `form_neighbours` (a new constant at its start value): those held in `cache` with their fit; each of the
        others with a short fit from `values` — or, with `options.climb_fits`, only that many of those with nonlinear
        constants: the lowest by their loss at `values` with the coefficients re-solved (ties: the first), in each
        group of `form_neighbours`. The decay neighbours (a power law times a new decay) are probed among themselves,
        for their own short fits: at the start their probe is the current loss, which would take the exponent steps'
        fits."""
        entries = []  # [neighbour, fit or None (to be fitted), its group]
        for energy, starts, group in form_neighbours(formula.energy, self._groups(), values, self.options.angle_splits):
            try:
                neighbour = canonicalize(energy, values | starts)
            except Rejected:
                continue
            held = self.cache.get(neighbour.key)
            if isinstance(held, Candidate) and held.full:
                # the cache maps a key to its simplified candidate: take its formula with its fit
                entries.append([held.formula, held.fit, group])
            elif not isinstance(held, str):  # a str: rejected before
                entries.append([neighbour, None, group])
        fresh = [entry for entry in entries if entry[1] is None]
        if self.options.climb_fits:
            # a neighbour without nonlinear constants is fitted exactly in the one pass a probe would take: always
            for group in NEIGHBOUR_GROUPS:
                probed = [entry for entry in fresh if entry[0].constants and entry[2] == group]
                if len(probed) > self.options.climb_fits:
                    left_out = {id(probed[k]) for k in self._by_probe(probed)[self.options.climb_fits:]}
                    fresh = [entry for entry in fresh if id(entry) not in left_out]
        for entry in fresh:
            try:
                program, start = self.stage.program(entry[0])
                entry[1] = fit_constants(program, self.evaluator, self.targets, start,
                                         max_evaluations=self.options.climb_evaluations,
                                         tolerance=self.options.tolerance, options=self.options)
            except Rejected:
                continue
            self.stats.evaluations += entry[1].evaluations
        return [(neighbour, fit) for neighbour, fit, _ in entries if fit is not None]

    def _groups(self):
        """The groups of `form_neighbours` the climb tries: for an expanded form only the angle splits, if any."""
        splits = ("split",) * bool(self.options.angle_splits)
        if self.stage.species:
            return splits
        return ("step",) + ("decay",) * self.options.decay_neighbours + splits

    def _by_probe(self, entries):
        """Positions of `entries` ordered by their loss at their start constants (one pass each; ties: the first)."""
        probes = []
        for neighbour, *_ in entries:
            program, start = self.stage.program(neighbour)
            probes.append(loss_at(program, self.evaluator, self.targets, start, options=self.options))
            self.stats.evaluations += 1
        return sorted(range(len(entries)), key=lambda k: probes[k])

    def _snapped(self, candidate, rewrite=True):
        """Try the candidate with near-simple constants made exact, near-equal factors of an angular function made a
        square, three-body terms that add up to a square made one (`merged_square`) or a pair of neighbour sums at
        nearby constants made a sum and its derivative (`derivative_pair`; after either, no term is dropped in the
        same refit, and where the refit loses, the rest is tried without the rewrite) and useless terms dropped;
        keep it if the refit loses nothing (Occam's razor, applied by the data)."""
        formula, fit = candidate.formula, candidate.fit
        fitted = {c: float(v) for c, v in zip(formula.constants, fit.constants)}
        energy, values = formula.energy, fitted | {a: float(v) for a, v in zip(formula.linear, fit.linear)}
        merged = rewrite and (merged_square(energy, formula.linear, values)
                              or derivative_pair(energy, formula.linear, values))
        if merged:
            energy, values = merged
        exact = {c: n for c, n in ((c, simple_number(v)) for c, v in fitted.items()) if n is not None}
        squares = equal_factor_squares(energy, fitted)
        dropped = {} if merged else {formula.linear[m]: sp.Integer(0) for m in self._droppable_terms(formula, fit)}
        if not exact and not squares and not dropped and not merged:
            return candidate
        values = {c: v for c, v in values.items() if c not in exact and c not in dropped}
        try:
            simpler = canonicalize(energy.xreplace(squares).xreplace(exact | dropped), values)
            held = self.cache.get(simpler.key)
            if isinstance(held, Candidate) and held.full:
                simpler, refit = held.formula, held.fit  # as above: the held formula goes with its fit
            else:
                refit = fit_constants(potential_program(simpler), self.evaluator, self.targets, simpler.initial,
                                      max_evaluations=self.max_evaluations, tolerance=self.options.tolerance,
                                      options=self.options)
                self.stats.evaluations += refit.evaluations
        except Rejected:
            return self._snapped(candidate, rewrite=False) if merged else candidate
        if refit.loss > fit.loss * (1 + SNAP_TOLERANCE) + SNAP_ABSOLUTE or not self.accept(simpler, refit):
            return self._snapped(candidate, rewrite=False) if merged else candidate
        self.stats.snapped += 1
        snapped = Candidate(simpler, refit, candidate.tree, candidate.generation)
        self.cache.setdefault(simpler.key, snapped)
        return snapped

    def _droppable_terms(self, formula, fit):
        """Terms whose removal, with the other coefficients re-solved, costs no loss (a cheap linear test)."""
        if len(formula.terms) < 2:
            return []
        try:
            basis = self.evaluator.basis(potential_program(formula), fit.constants,
                                         reuse=self.options.reuse_fixed_terms)
        except Rejected:
            return []
        self.stats.evaluations += 1
        droppable = []
        for m in range(len(formula.terms)):
            keep = [k for k in range(len(formula.terms)) if k != m and k not in droppable]
            if not keep:
                break
            try:
                _, _, residual = self.targets.solve(basis.select(keep))
            except Rejected:
                continue
            if residual @ residual <= fit.loss * (1 + SNAP_TOLERANCE) + SNAP_ABSOLUTE:
                droppable.append(m)
        return droppable


MAX_SIMPLIFICATIONS = 3
MAX_CLIMB_STEPS = 3  # exponent steps one candidate may take
CLIMB_GAIN = 0.01  # relative loss a neighbour must gain to replace the candidate
SNAP_TOLERANCE = 1e-6  # relative loss a simplified formula may give up
SNAP_ABSOLUTE = 1e-12  # absolute loss it may give up (a loss this small is numerical noise)
SNAP_DISTANCE = 1e-3  # how close to a simple number a constant must be to be tried
SNAP_LARGEST = 64  # the largest magnitude a simple number has
PAIR_DISTANCE = 1e-2  # how close (relative) the constants of two sums must be to be tried as a derivative_pair: the
# loss is flat along their distance, and searches leave such pairs 1e-5 to 3e-3 apart


def equal_factor_squares(energy, values):
    """{product: square} for each product in the angular function of a three-body sum that holds two factors linear
    in c = cos θ whose roots agree within SNAP_DISTANCE at `values`: s₁(c + k₁)·s₂(c + k₂) becomes
    (s₂/s₁)·(s₁(c + k₁))², the same function where k₁ = k₂, with one constant fewer. A search finds Stillinger–Weber's
    (c + 1/3)² as (c + 0.333333)(c + 0.333334) as readily as the square; the canonical form keeps the two apart."""
    squares = {}
    for angular in sorted(energy.atoms(NS3), key=sp.default_sort_key):
        for product in sp.preorder_traversal(angular.args[1]):
            if not product.is_Mul or product in squares:
                continue
            linear = [(factor, root) for factor in product.args if (root := _root_in_c(factor, values)) is not None]
            for (first, a), (second, b) in itertools.combinations(linear, 2):
                if abs(a - b) <= SNAP_DISTANCE * max(1.0, abs(a)):
                    ratio = second.diff(C) / first.diff(C)
                    rest = [f for f in product.args if f is not first and f is not second]
                    squares[product] = sp.Mul(*rest, ratio, sp.Pow(first, 2, evaluate=False))
                    break
    return squares


def _root_in_c(factor, values):
    """The root of `factor` as a function of c, at `values`, where it is linear in c (s c + t, s a nonzero number);
    else None."""
    if not factor.has(C):
        return None
    slope = factor.diff(C)
    if not slope.is_number or slope == 0:
        return None
    try:
        return float(-(factor - slope * C).xreplace(values) / slope)
    except TypeError:  # a constant without a value
        return None


def merged_square(energy, linear, values):
    """(energy, values) with the three-body terms a_m NS3(f_m, g_m) of `energy` (Σ a_m T_m, `linear` its a_m) whose
    bond functions agree at `values` (within SNAP_DISTANCE from 1 to 6 Å) and whose angular functions add up to a
    quadratic in c with a double root, Σ a_m g_m = A c² + B c + D with B² = 4AD within SNAP_DISTANCE, made one term
    A NS3(f, (c + B/2A)²) (the first term's coefficient and bond function, a new constant for the shift); None where
    there are none. A search finds Stillinger–Weber's (c + 1/3)² as c² + 2c/3 + 1/9 in three three-body sums, or as
    c(c + 2/3) + 1/9 in two, each with a bond constant of its own: the canonical form keeps them apart."""
    if not energy.has(NS3):  # every snap asks: most forms have no three-body sum
        return None
    groups = []  # [[(a_m, NS3 term), ...]] whose bond functions agree
    for coefficient, term in _coefficient_terms(energy, linear, NS3):
        group = next((g for g in groups if _same_function(g[0][1].args[0], term.args[0], values)), None)
        if group is None:
            groups.append(group := [])
        group.append((coefficient, term))
    for group in groups:
        if len(group) < 2:
            continue
        try:
            total = sp.Poly(sum(values[a] * term.args[1] for a, term in group).xreplace(values), C)
            big_a, big_b, big_d = map(float, total.all_coeffs()) if total.degree() == 2 else (0.0, 0.0, 0.0)
        except (sp.PolynomialError, TypeError):  # not a polynomial in c, or a constant without a value
            continue
        if big_a == 0 or abs(big_b**2 - 4 * big_a * big_d) > SNAP_DISTANCE * big_b**2:
            continue
        coefficient, first = group[0]
        shift = sp.Symbol("merged_shift", real=True)
        kept = [addend for addend in sp.Add.make_args(energy) if not any(addend == a * t for a, t in group)]
        merged = coefficient * NS3(first.args[0], sp.Pow(C + shift, 2, evaluate=False))
        return sp.Add(*kept, merged), values | {coefficient: big_a, shift: big_b / (2 * big_a)}
    return None


def derivative_pair(energy, linear, values):
    """(energy, values) with two terms a NS(g) + b NS(h) of `energy` (Σ a_m T_m, `linear` its a_m) whose functions
    differ only in one constant, h = g with s → x, at values within PAIR_DISTANCE (relative), written as the limit
    the pair approximates: (a + b) NS(g) + b (x − s) NS(∂g/∂s), its error of the order of (x − s)², which the refit
    takes up; None where there is none. A search fits r kʳ as the difference of two nearby decays (773223
    NS(0.0480262ʳ) − 771615 NS(0.0480707ʳ)) and rᵖ log r as that of two nearby powers, with large coefficients
    that cancel: the canonical form keeps the two apart, and the function they make is written nowhere."""
    for (a, first), (b, second) in itertools.permutations(_coefficient_terms(energy, linear, NS), 2):
        g, h = first.args[0], second.args[0]
        others = sorted(h.free_symbols - g.free_symbols - {R}, key=str) + sorted(h.atoms(sp.Number), key=float)
        for s in sorted((g.free_symbols - h.free_symbols) & values.keys(), key=str):
            for x in others:
                if values[s] == 0 or first.func(g.xreplace({s: x}), *first.args[1:]) != second:
                    continue
                step = float(values.get(x, x)) - values[s]
                if not 0 < abs(step) <= PAIR_DISTANCE * abs(values[s]):
                    continue
                kept = [addend for addend in sp.Add.make_args(energy) if addend != a * first and addend != b * second]
                pair = a * first + b * first.func(sp.diff(g, s), *first.args[1:])
                rest = {k: v for k, v in values.items() if k != x}
                return sp.Add(*kept, pair), rest | {a: values[a] + values[b], b: values[b] * step}
    return None


def _coefficient_terms(energy, linear, kind):
    """[(a_m, T_m)] of the terms of `energy` (Σ a_m T_m, `linear` its a_m) that are one `kind` of sum (NS, NS3) times
    their coefficient."""
    found = []
    for addend in sp.Add.make_args(energy):
        coefficients = [a for a in linear if addend.has(a)]
        if len(coefficients) == 1 and isinstance(term := addend / coefficients[0], kind):
            found.append((coefficients[0], term))
    return found


def _same_function(first, second, values):
    """Whether two functions of r agree at `values` within SNAP_DISTANCE (relative) at 1, 1.5, …, 6 Å."""
    first, second = first.xreplace(values), second.xreplace(values)
    for r in np.arange(1.0, 6.01, 0.5):
        try:
            a, b = (float(f.xreplace({R: r})) for f in (first, second))
        except TypeError:
            return False
        if not abs(a - b) <= SNAP_DISTANCE * max(abs(a), abs(b)):
            return False
    return True


def simple_number(value):
    """The integer or half within SNAP_DISTANCE of `value` (as an exact sympy number), or None. Numbers beyond
    SNAP_LARGEST are not simple: any large fitted constant is within SNAP_DISTANCE (relative) of an integer, and made
    exact as an exponent it lets sympy build a polynomial of that degree to learn a sign (the Sutton–Chen rediscovery,
    seed 4, ran out of 24 GB in such a query during a snap; with this bound it recovers the form)."""
    if not abs(value) <= SNAP_LARGEST + 1:  # also 1e308, whose double would overflow round()
        return None
    nearest = round(value * 2) / 2
    if abs(nearest) > SNAP_LARGEST:
        return None
    if abs(value - nearest) <= SNAP_DISTANCE * max(1.0, abs(value)):
        return sp.Rational(round(nearest * 2), 2)
    return None
