"""The search: strongly typed genetic programming with NSGA-II selection on (loss, complexity).

    population <- the start forms' trees, if any, then random trees (ramped half-and-half)
    score every tree (canonical form -> cache -> screen on a subset -> physical sanity -> fit constants on all the
        data: symff.search.batch); a tree that is no sane potential is rejected; a tree whose fit reached another
        form (exponents climbed, constants snapped, terms dropped) is replaced by the tree of that form, its fitted
        constants as values (config.inherit_forms)
    repeat for each generation:
        offspring <- crossover / mutation of parents chosen by binary tournament on (Pareto rank, crowding)
        score the offspring (and replace them likewise)
        population <- NSGA-II selection from population + offspring, one individual per canonical form
        archive <- best candidate at each complexity so far
    until the generation count, the time limit or the target loss is reached

Selection sees log10(loss), so crowding spreads the population over orders of magnitude of accuracy.
All randomness comes from one random.Random seeded from the configuration.
"""

import math
import random
import time
from dataclasses import dataclass, field

from deap import base, gp, tools

from ..expr.build import tree_to_sympy
from ..expr.canonical import canonicalize
from ..expr.symbols import Rejected
from ..expr.to_tree import Unexpressible, formula_to_tree
from ..fit.constants import PENALTY
from ..grammar.spec import load_grammar
from ..grammar.trees import TreeGrammar
from ..neighbours import build_neighbours
from .archive import ParetoArchive
from .batch import Plan, score_plans
from .config import SearchConfig
from .pool import InProcess
from .scoring import Scorer
from .stages import StageBuilder
from .start_forms import seed_trees

REJECTED = (math.log10(PENALTY) + 1.0, 1e9)


class Fitness(base.Fitness):
    weights = (-1.0, -1.0)  # minimize log10(loss) and complexity


class Individual(gp.PrimitiveTree):
    def __init__(self, content):
        super().__init__(content)
        self.fitness = Fitness()
        self.candidate = None


@dataclass
class GenerationReport:
    generation: int
    elapsed: float
    trees: int
    cache_hits: int
    fits: int
    evaluations: int
    rejected: dict
    front: list  # [(complexity, loss)]
    best_loss: float
    tiers: dict = field(default_factory=dict)  # property tiers: candidates that reached each (symff.search.properties)


@dataclass
class SearchResult:
    config: SearchConfig
    front: list  # Candidates, by complexity
    generations: int
    elapsed: float
    stats: dict
    history: list = field(default_factory=list)  # GenerationReports
    stop_reason: str = ""


class Search:
    """One population's evolution. Its fits run on `pool` (symff.search.pool; default: in this process) with the
    stages of `stages` (a StageBuilder, shared by the islands of an island search)."""

    def __init__(self, config: SearchConfig, train, *, neighbours=None, progress=None, stages=None, pool=None):
        self.config = config
        self.train = train
        self.grammar = TreeGrammar(load_grammar(config.grammar), exportable=config.lammps_exportable)
        self.rng = random.Random(config.seed)
        self.neighbours = neighbours or build_neighbours(train, config.r_out)
        self.stages = stages or StageBuilder(train, self.neighbours)
        self.pool = pool or InProcess(train, self.neighbours, self.stages, single=False)
        self.screens = self.stages.subset(config) is not None
        self.archive = ParetoArchive()
        self.scorer = Scorer(None)
        self.progress = progress
        self.history = []

    @property
    def evaluator(self):
        """The evaluator of all the data (built on first use)."""
        return self.stages.full(self.config).evaluator

    # --- scoring ----------------------------------------------------------------------------------------------
    def _limit(self, complexity, beside=math.inf):
        """The screened loss up to which a candidate is fitted on all the data (it could enter the front): screen_slack
        x the archive's lowest loss at most as complex, or x `beside`, the lowest screened loss at most as complex
        among the candidates screened with it, if lower."""
        return self.config.screen_slack * min(self.archive.best_loss_up_to(complexity), beside)

    def plan(self, individuals, generation):
        """This search's part of scoring a generation (symff.search.batch)."""
        return Plan(self.scorer, individuals, generation, config=self.config, screens=self.screens,
                    limit=self._limit, two_phase=not self.archive.best)

    def _score(self, individuals, generation):
        """The individuals' candidates (None: rejected), in order, and the canonical keys of their own trees."""
        plan = self.plan(individuals, generation)
        [candidates] = score_plans([plan], self.pool.run)
        return candidates, plan.keys

    # --- selection --------------------------------------------------------------------------------------------
    def _survivors(self, pool, n):
        """NSGA-II over distinct canonical forms; duplicates and rejected trees only fill empty places."""
        seen, unique, spare = set(), [], []
        for ind in pool:
            key = ind.candidate.key if ind.candidate else None
            if key is None or key in seen:
                spare.append(ind)
            else:
                seen.add(key)
                unique.append(ind)
        chosen = tools.selNSGA2(unique, min(n, len(unique)))
        return chosen + spare[: n - len(chosen)]

    def _ranks(self, population):
        ranks = {}
        for rank, front in enumerate(tools.sortNondominated(population, len(population))):
            tools.emo.assignCrowdingDist(front)
            for ind in front:
                ranks[id(ind)] = rank
        return ranks

    def _tournament(self, population, ranks):
        a, b = self.rng.sample(population, 2)
        key_a = (ranks[id(a)], -a.fitness.crowding_dist)
        key_b = (ranks[id(b)], -b.fitness.crowding_dist)
        return a if key_a <= key_b else b

    # --- variation --------------------------------------------------------------------------------------------
    def _offspring(self, population):
        ranks = self._ranks(population)
        ops = [(name, weight) for name, weight in self.config.variation.items() if weight > 0]
        total = sum(w for _, w in ops)
        tg, rng = self.grammar, self.rng
        mutations = {"subtree": tg.mutate_subtree, "point": tg.mutate_point, "shrink": tg.mutate_shrink,
                     "add_term": tg.mutate_add_term}
        children = []
        while len(children) < self.config.population:
            x = rng.random() * total
            for name, weight in ops:
                x -= weight
                if x < 0:
                    break
            if name == "crossover":
                first, second = self._tournament(population, ranks), self._tournament(population, ranks)
                children.extend(tg.crossover(rng, first, second))
            else:
                children.append(mutations[name](rng, self._tournament(population, ranks)))
        return [Individual(c) for c in children[: self.config.population]]

    # --- the loop ---------------------------------------------------------------------------------------------
    def run(self) -> SearchResult:
        self.start()
        while not (reason := self.stop_reason()):
            try:
                self.step()
            except KeyboardInterrupt:  # Ctrl-C ends a long search with the front found so far
                reason = "interrupted"
                break
        return self.result(reason)

    def start(self, elapsed=0.0):
        """Generation 0: a random population, scored and selected. `elapsed`: seconds already spent (a resumed run)."""
        newcomers = self.first_population(elapsed)
        self.settle(newcomers, *self._score(newcomers, 0), 0)

    def step(self, immigrants=()):
        """One generation. `immigrants` (trees from other islands) join the pool the survivors are chosen from."""
        newcomers = self.newcomers(immigrants)
        self.settle(newcomers, *self._score(newcomers, self.generation + 1), self.generation + 1)

    # A generation in three parts, so that an island search can score the newcomers of all its islands together:
    # first_population / newcomers, then scoring (a candidate or None per individual), then settle.
    def first_population(self, elapsed=0.0):
        """The first population: the trees of the start forms (config.start_forms), then random trees."""
        self.started = time.perf_counter() - elapsed
        self.generation = 0
        self.population = []
        seeds = seed_trees(self.config.start_forms, self.grammar, limit=self.config.population)
        return [Individual(tree) for tree in seeds] + [Individual(self.grammar.random_tree(self.rng))
                                                       for _ in range(self.config.population - len(seeds))]

    def newcomers(self, immigrants=()):
        """The individuals a generation adds: `immigrants` (trees from other islands), then the offspring."""
        return [Individual(tree) for tree in immigrants] + self._offspring(self.population)

    def settle(self, newcomers, candidates, forms, generation):
        """Take the newcomers with their candidates into the archive and select the next population; the generation
        counts from here (a Ctrl-C while its newcomers are scored leaves the search at the one before). `forms`: the
        canonical key of each newcomer's own tree (None: rejected before any fit); a newcomer whose fit reached
        another form becomes the tree of that form (`_inherited`), and with `inherit_constants` every fitted one."""
        for k, (ind, candidate, form) in enumerate(zip(newcomers, candidates, forms)):
            moved = candidate is not None and candidate.key != form
            if candidate is not None and (self.config.inherit_constants or (self.config.inherit_forms and moved)):
                newcomers[k] = ind = self._inherited(ind, candidate)
            ind.candidate = candidate
            ind.fitness.values = fitness_values(ind.candidate)
            self.archive.update([ind.candidate])
        self.generation = generation
        self.population = self._survivors(self.population + newcomers, self.config.population)
        self._report(generation)

    def _inherited(self, ind, candidate):
        """The individual as the tree of the form its fit reached (exponents climbed, constants snapped, terms
        dropped), with the fitted constants as its constants' values, so that its offspring start from there: the
        fits' local moves then add up over generations instead of being made again from the random tree each time.
        Where the grammar cannot write that form exactly (a tree over its limits, an integer exponent outside the
        grammar's range, a number inside a nested sum), the individual as it was."""
        try:
            tree = formula_to_tree(candidate.formula.energy.xreplace(candidate.values), self.grammar)
            if canonicalize(*tree_to_sympy(tree)).key != candidate.key:
                return ind
        except (Unexpressible, Rejected):
            return ind
        return Individual(tree)

    def result(self, reason="") -> SearchResult:
        return SearchResult(
            config=self.config,
            front=self.archive.front(),
            generations=self.generation,
            elapsed=time.perf_counter() - self.started,
            stats=vars(self.scorer.stats) | {"distinct_forms": len(self.scorer.cache)},
            history=self.history,
            stop_reason=reason,
        )

    def stop_reason(self):
        return stop_reason(self.config, self.generation, time.perf_counter() - self.started, self.history)

    def _report(self, generation):
        s = self.scorer.stats
        front = self.archive.front()
        report = GenerationReport(
            generation=generation,
            elapsed=time.perf_counter() - self.started,
            trees=s.trees,
            cache_hits=s.cache_hits,
            fits=s.fits,
            evaluations=s.evaluations,
            rejected=dict(s.rejected),
            front=[(c.complexity, c.loss) for c in front],
            best_loss=self.archive.best_loss(),
            tiers={"properties_static": s.property_static, "properties_defects": s.property_defects,
                   "properties_relaxed": s.property_relaxed}
            if self.config.properties else {},
        )
        self.history.append(report)
        if self.progress:
            self.progress(report)


def fitness_values(candidate):
    """What selection sees: (log10 loss, complexity), or REJECTED for a tree that is no usable potential."""
    if candidate is None:
        return REJECTED
    return (math.log10(max(candidate.loss, 1e-300)), candidate.complexity)


def stop_reason(config, generation, elapsed, history):
    """Why a search stops after `generation` (with `history` its GenerationReports), or "" to go on."""
    if config.target_loss is not None and target_settled(history, config.target_loss, config.patience):
        return "target loss reached"
    if generation >= config.generations:
        return "generations"
    if config.time_limit is not None and elapsed >= config.time_limit:
        return "time limit"
    return ""


def target_settled(history, target_loss, patience):
    """The target loss is reached and the simplest member reaching it has not changed for `patience` generations
    (complexity pressure gets that long to strip terms the data does not need)."""
    def simplest(report):
        return min((c for c, loss in report.front if loss <= target_loss), default=None)

    now = simplest(history[-1])
    if now is None:
        return False
    since = [simplest(r) for r in history[-(patience + 1):]]
    return len(since) > patience and all(s == now for s in since)


def run_search(config: SearchConfig, train, *, neighbours=None, progress=None) -> SearchResult:
    return Search(config, train, neighbours=neighbours, progress=progress).run()
