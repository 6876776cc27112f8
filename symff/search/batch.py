"""Scoring a generation's trees, of one search or of all the islands at once, so that the fits can run anywhere.

    forms:   every tree -> its canonical form; rejected, already held in its search's cache, a repeat, or new
                                                                                              (jobs, parallel)
    fit:     every new form with constants is first fitted on its search's screening subset, then checked for
             physical sanity at the screened constants (symff.sanity: a repulsive wall, a lone atom, clusters; about
             5 ms), and then fitted on all the data (snapped and climbed: symff.search.scoring.FormFitter) only if
             it is sane and could enter the front: if its screened loss is at most screen_slack x the archive's lowest
             loss at most as complex, as the generation began (with property targets, the screened loss counts
             the static property loss at the screened constants: symff.search.properties.screened_estimate, as the
             archive's losses count theirs); a new form without constants, at most screen_above_complexity
             complex, or with screening off is fitted on all the data at once. Snapping and climbing move only to
             sane forms, and every form fitted on all the data is checked again at its final constants (and so are
             the forms reached on the way)
                                                                                                      (jobs, parallel)
    merge:   the outcomes enter each search's cache, in the order of its trees

With property targets (`--properties`), a form fitted on all the data and sane then goes through the property tiers
(static, then defect energies; symff.search.properties), which stop where it can no longer reach the front.
    relax:   the costliest tier, relaxed defect energies, once every form of the generation is scored: round after
             round, the forms on the front of the archive and of the generation (counted with their unrelaxed
             energies) that are not relaxed yet                                                 (jobs, parallel)

A form that fails a sanity check is rejected (kind `sanity_<check>`, counted like every rejection), so it never enters
the archive and selection treats it as no potential at all: the front holds only sane forms.

A search's first generation has no archive to compare with, so there the screens run first, as one batch, and a
screened form is fitted on all the data if its screened loss is at most screen_slack x the lowest screened loss at
most as complex (a second batch).

Every decision depends only on the state at the start of the generation and on the jobs' outcomes, and every job only
on its form and its data, so the front is the same whichever worker runs which job, in whatever order: a generation's
fits spread over all the workers (symff.search.pool) and one worker gives the same front as many.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from ..expr.build import tree_to_sympy
from ..expr.canonical import canonicalize
from ..expr.symbols import Rejected
from ..model import form_model
from ..sanity import first_failure
from .properties import awaits_relaxation, property_outcome, relaxed_outcome, screened_estimate
from .scoring import Candidate, Outcome, fit_form, screen_form


@dataclass(eq=False)
class Job:
    """One fit, to run where the data is. `kind`: "screen" (on the subset), "full" (on all the data, from `start` or
    the form's initial constants), "screened" (a screen, then a full fit if the screened loss is at most `limit`) or
    "relax" (the relaxed property tier of `candidate`).
    `config`: the search's settings, which pick the stages (None for a scorer with stages of its own); `sanity`:
    whether the sanity tier runs."""

    kind: str
    config: object
    formula: object
    tree: str
    generation: int
    start: np.ndarray | None = None
    limit: float = math.inf
    sanity: bool = True
    front_limit: float = math.inf  # the loss a candidate must reach to enter the front (the property tiers' stop)
    candidate: object = None  # the Candidate a "relax" job relaxes

    @property
    def weight(self):
        """A rough relative cost (a full fit costs more, and more so with more constants and terms), to start the
        costly jobs first; it only orders the work, never changes a result."""
        scale = 1 if self.kind == "screen" else 10
        return scale * (1 + len(self.formula.constants)) * len(self.formula.terms)


FORMS_PER_JOB = 25  # trees canonicalized per job: ~2 ms each, so a job is worth a Dask task (~5 ms of overhead)


@dataclass(eq=False)
class FormsJob:
    """The canonical forms of a few trees, given as (sympy expression, starting values) from `tree_to_sympy`."""

    sources: list
    kind: str = "forms"

    @property
    def weight(self):
        return 1000  # first: they are short, and the fits wait for them


def canonical_forms(sources):
    """For each (expression, values): its canonical Formula, or the kind of its rejection."""
    forms = []
    for expr, values in sources:
        try:
            forms.append(canonicalize(expr, values))
        except Rejected as exc:
            forms.append(exc.kind)
    return forms


def run_job(stages, job):
    """A job's Outcome, with `stages` (a StageBuilder, or FixedStages) providing the data it fits on."""
    cpu = time.thread_time()
    if job.kind == "forms":
        return Outcome(canonical_forms(job.sources), seconds=time.thread_time() - cpu)
    if job.kind == "relax":
        outcome = relaxed_outcome(job.candidate, job.config)
        outcome.seconds = time.thread_time() - cpu
        return outcome
    full = None if job.kind == "screen" else stages.full(job.config)
    accept = sanity_test(full) if job.sanity and full is not None else None
    if job.kind == "full":
        outcome = fit_form(job.formula, full, job.tree, job.generation, job.start, accept)
    else:
        screen = stages.screen(job.config)
        outcome = screen_form(job.formula, screen, job.tree, job.generation)
        if job.sanity:
            outcome = sane_outcome(outcome, screen)
        if getattr(job.config, "properties", None):
            outcome = screened_estimate(outcome, job.config)
        passed = isinstance(outcome.result, Candidate) and outcome.result.loss <= job.limit
        if job.kind == "screened" and passed:
            screened = outcome
            outcome = fit_form(job.formula, full, job.tree, job.generation, screened.result.fit.constants, accept)
            outcome.stats.add(screened.stats)
    if job.sanity and outcome.stats.fits:  # fitted on all the data: checked at the final constants
        outcome = sane_outcome(outcome, full)
    if outcome.stats.fits and getattr(job.config, "properties", None):  # the property tiers, after all the others
        # a hierarchical search relaxes once the whole generation is scored (Plan.relax_jobs)
        relax = not getattr(job.config, "hierarchical", True)
        fitted = outcome.result
        outcome = property_outcome(outcome, job.config, job.front_limit, relax)
        # the forms reached on the way enter the cache too, scored the same way (counted in the same stats); the one
        # the fit ended on is the result itself, scored once
        extras = [(key, outcome.result if c is fitted else
                   property_outcome(Outcome(c, stats=outcome.stats), job.config, job.front_limit, relax).result)
                  for key, c in outcome.extras]
        outcome.extras = [(key, c) for key, c in extras if isinstance(c, Candidate)]
    outcome.seconds = time.thread_time() - cpu
    return outcome


def failed_check(formula, fit, stage):
    """The first sanity check (symff.sanity) the form fails at these constants, with the cutoff of `stage`'s
    evaluator and expanded over its elements (several: each element alone), or None."""
    evaluator = stage.evaluator
    return first_failure(form_model(formula, fit.constants, fit.linear, stage.species or ("X",), r_in=evaluator.r_in,
                                    r_out=evaluator.r_out, three_body_cutoff=evaluator.three_body_cutoff))


def sanity_test(stage):
    """accept(formula, fit) for a full fit: snapping and climbing move only to sane forms, so that a climb from
    NS(ρ)**(1/2) to NS(ρ)**(1/3), which gains 1 % of loss but makes the force diverge where ρ vanishes at the
    cutoff, is not taken (seen on mlearn Cu: it turned the Gupta start form insane)."""
    return lambda formula, fit: failed_check(formula, fit, stage) is None


def sane_outcome(outcome, stage):
    """The outcome with its candidate replaced by the kind of its rejection (`sanity_<check>`) where it fails a
    physical-sanity check at its constants (the sanity tier). The forms a full fit reached on the way (`extras`)
    need no check: snapping and climbing move only to sane forms (`sanity_test`)."""
    candidate = outcome.result
    if isinstance(candidate, Candidate):
        failed = failed_check(candidate.formula, candidate.fit, stage)
        if failed is not None:
            outcome.result = f"sanity_{failed}"
            outcome.stats.reject(outcome.result)
    return outcome


class FixedStages:
    """The stages of a scorer built with stages of its own, whatever the settings."""

    def __init__(self, full, screen):
        self._full, self._screen = full, screen

    def full(self, config):
        return self._full

    def screen(self, config):
        return self._screen


class Plan:
    """One search's part of a generation: its trees' forms, the jobs for the new ones, and the merge of their outcomes.

    `limit(complexity, beside)`: the screened loss up to which a form is fitted on all the data, given the lowest
    screened loss at most as complex among the forms screened with it (`beside`, math.inf when not known).
    `two_phase`: screen every form first and decide after (a search's first generation)."""

    def __init__(self, scorer, individuals, generation, *, config, screens, limit, two_phase=False):
        self.scorer, self.generation, self.config, self.limit = scorer, generation, config, limit
        self.screens, self.two_phase = screens, two_phase
        self.sanity = getattr(config, "sanity", True)  # a scorer with stages of its own (config None) checks too
        bound = getattr(config, "max_three_body_sums", None)
        self.max_three_body_sums = math.inf if bound is None else bound
        # the archive's lowest loss at most as complex: `limit` without the screen's slack
        slack = getattr(config, "screen_slack", 1.0)
        self.screen_above = getattr(config, "screen_above_complexity", 0)
        if getattr(config, "hierarchical", True):
            self.front_limit = lambda complexity: limit(complexity, math.inf) / slack
        else:
            self.front_limit = lambda complexity: math.inf
        self.keys = []  # per tree: its form's key, or None (rejected before any fit)
        self.new = {}  # key -> (formula, tree as text) of the forms this generation meets first, in order
        self.outcomes = {}  # key -> the Outcomes of its jobs, in order
        self.relaxed = {}  # a candidate's key -> its relaxed tier's result (a Candidate, or the kind of rejection)
        self.relax_outcomes = []
        self.trees = [str(tree) for tree in individuals]
        self.sources = []  # per tree: (sympy expression, values) to canonicalize, or the kind of its rejection
        for tree in individuals:
            try:
                self.sources.append(tree_to_sympy(tree))
            except Rejected as exc:
                self.sources.append(exc.kind)

    def forms_jobs(self, size=FORMS_PER_JOB):
        """Jobs that canonicalize the trees (the first batch), `size` trees each."""
        todo = [source for source in self.sources if not isinstance(source, str)]
        return [FormsJob(todo[k:k + size]) for k in range(0, len(todo), size)]

    def take_forms(self, forms):
        """The trees' canonical forms (or kinds of rejection), in the order of `forms_jobs`: count the trees, the
        rejected and the repeats, and note the new forms."""
        stats, forms = self.scorer.stats, iter(forms)
        for source, tree in zip(self.sources, self.trees):
            stats.trees += 1
            formula = source if isinstance(source, str) else next(forms)
            if not isinstance(formula, str) and len(formula.angular) > self.max_three_body_sums:
                formula = "three_body_sums"
            if isinstance(formula, str):
                stats.reject(formula)
                self.keys.append(None)
                continue
            self.keys.append(formula.key)
            if formula.key in self.scorer.cache or formula.key in self.new:
                stats.cache_hits += 1
            else:
                self.new[formula.key] = (formula, tree)

    def jobs(self, phase):
        """The jobs of batch `phase` (0, then 1), as (key, Job)."""
        screened = {} if phase == 0 else {key: outcomes[0].result for key, outcomes in self.outcomes.items()
                                          if isinstance(outcomes[0].result, Candidate) and not outcomes[0].result.full}
        jobs = []
        for key, (formula, tree) in self.new.items():
            job = {"config": self.config, "formula": formula, "tree": tree, "generation": self.generation,
                   "sanity": self.sanity, "front_limit": self.front_limit(formula.complexity)}
            if phase == 0:
                if not (self.screens and formula.constants) or formula.complexity <= self.screen_above:
                    jobs.append((key, Job("full", **job)))
                elif self.two_phase:
                    jobs.append((key, Job("screen", **job)))
                else:
                    jobs.append((key, Job("screened", **job, limit=self.limit(formula.complexity, math.inf))))
            elif key in screened and self.two_phase:
                beside = min(c.loss for c in screened.values() if c.complexity <= formula.complexity)
                if screened[key].loss <= self.limit(formula.complexity, beside):
                    jobs.append((key, Job("full", **job, start=screened[key].fit.constants)))
        return jobs

    def entering(self):
        """key -> what enters the cache: each new form's result (in the order the forms were met), then the forms
        fits reached on the way that the cache does not hold, with the relaxed tier's results in their place. One
        candidate can stand under two keys: the form a tree gave, and the form its fit climbed to."""
        last = {key: self.outcomes[key][-1] for key in self.new if self.outcomes.get(key)}
        entries = {key: outcome.result for key, outcome in last.items()}
        for outcome in last.values():
            for key, candidate in outcome.extras:
                if key not in self.scorer.cache:
                    entries.setdefault(key, candidate)
        return {key: self.relaxed.get(c.key, c) if isinstance(c, Candidate) else c for key, c in entries.items()}

    def relax_jobs(self):
        """The next round of the relaxed tier, as (key, Job): each candidate that awaits it and is on the front of
        the archive (`front_limit`) and of the forms this generation fitted on all the data, every one counted with
        its loss as it stands (unrelaxed where it awaits). A round can move a relaxed candidate off that front and
        let another on: rounds follow until none awaits on it."""
        candidates = {}  # key -> the candidate of that form (the lowest loss, where two fits reached it)
        for c in self.entering().values():
            if isinstance(c, Candidate) and c.full and (c.key not in candidates or c.loss < candidates[c.key].loss):
                candidates[c.key] = c
        order = [(c.loss, c.complexity, key) for key, c in candidates.items()]
        jobs = []
        for key, c in candidates.items():
            if awaits_relaxation(c) and c.loss <= self.front_limit(c.complexity) and not any(
                    rank < (c.loss, c.complexity, key) for rank in order if rank[1] <= c.complexity):
                jobs.append((key, Job("relax", self.config, c.formula, c.tree, self.generation, candidate=c)))
        return jobs

    def take_relaxed(self, key, outcome):
        self.relax_outcomes.append(outcome)
        self.relaxed[key] = outcome.result

    def merge(self):
        """Enter the outcomes into the cache (`entering`) and return each tree's candidate (None: rejected)."""
        scorer = self.scorer
        for key in self.new:
            outcomes = self.outcomes.get(key, [])
            for outcome in outcomes:
                scorer.stats.add(outcome.stats)
            if outcomes and isinstance(outcomes[-1].result, Candidate) and not outcomes[-1].result.full:
                scorer.stats.screened_out += 1
        for outcome in self.relax_outcomes:
            scorer.stats.add(outcome.stats)
        for key, result in self.entering().items():
            scorer.cache.setdefault(key, result)
        held = [scorer.cache.get(key) if key is not None else None for key in self.keys]
        return [c if isinstance(c, Candidate) else None for c in held]


def score_plans(plans, run):
    """Canonicalize the plans' trees, then run their fits, batch by batch: `run(jobs)` returns the outcomes in the
    order of the jobs (symff.search.pool)."""
    jobs = [plan.forms_jobs() for plan in plans]
    outcomes = iter(run([job for plan_jobs in jobs for job in plan_jobs]))
    for plan, plan_jobs in zip(plans, jobs):
        plan.take_forms([form for _ in plan_jobs for form in next(outcomes).result])
    for phase in (0, 1):
        keyed = [(plan, key, job) for plan in plans for key, job in plan.jobs(phase)]
        outcomes = run([job for _, _, job in keyed]) if keyed else []
        for (plan, key, _), outcome in zip(keyed, outcomes):
            plan.outcomes.setdefault(key, []).append(outcome)
    while keyed := [(plan, key, job) for plan in plans for key, job in plan.relax_jobs()]:
        for (plan, key, _), outcome in zip(keyed, run([job for _, _, job in keyed])):
            plan.take_relaxed(key, outcome)
    return [plan.merge() for plan in plans]


def score_alone(scorer, tree, generation=0):
    """One tree scored at once with the scorer's own stages and `scorer.limit(complexity)`."""
    plan = Plan(scorer, [tree], generation, config=None, screens=scorer.screen is not None,
                limit=lambda complexity, beside: scorer.limit(complexity) if scorer.limit else math.inf)
    stages = FixedStages(scorer.full, scorer.screen)
    [candidates] = score_plans([plan], lambda jobs: [run_job(stages, job) for job in jobs])
    return candidates[0]
