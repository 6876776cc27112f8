"""The property tier of a search (`symff search --properties TARGETS`): material properties as the last tiers.

After a candidate is fitted on all the data and passes the sanity tier, its properties are computed from its
program (symff.validate.fast) in three tiers by cost, and its loss becomes

    loss = data loss + property_weight × property loss

property loss = Σ w·p(d) / Σ w over the targets, d = (value − target)/tolerance, p = d² (`weighted`, the default) or
the square of the part of |d| beyond 1 (`tolerance`: a candidate within every tolerance pays nothing);
`config.property_objective`, symff.targets.PROPERTY_OBJECTIVES.

- tier `static`: lattice constants, elastic constants, cohesive energy, phase differences (~0.1 s);
- tier `defects`: vacancy and surface energies, unrelaxed (a few ms once the geometry is cached);
- tier `relaxed`: the same energies relaxed, as `symff validate` computes them (BFGS on the ASE calculator, about a
  second for the vacancy and nine facets of Cu-PBE, 1.1 s measured beside a test run): what the targets are, so what a member must meet. Relaxation
  lowers surface energies by a few per cent, enough to take a member within the 10 % tolerances unrelaxed outside
  them (the issue-16 hour of 2026-11-30: gamma_110 and gamma_210 at -10.6 % and -10.2 % relaxed).

HOGA rule (Chan and co-workers): the static part of the property loss is a lower bound of the whole, so a candidate
whose data loss + property_weight × that bound already exceeds `front_limit` — the archive's lowest loss at most as
complex, as the generation began — cannot enter the front; it stops after the static tier and is scored there with
the bound. The relaxed tier, by far the costliest (~1 s against ~0.08 s for the other two), waits for the whole
generation (`relaxed_outcome`, called by symff.search.batch): only a candidate on the front of the archive and of the
generation's candidates, each counted with its loss at the unrelaxed defect energies (no bound of the relaxed loss,
but near it), is relaxed, round after round until that front holds no unrelaxed candidate; the others keep the
unrelaxed energies (tier `defects`). Before all that, the screen (symff.search.batch) estimates a candidate's loss as
its data loss on the subset + property_weight × the static property loss at the screened constants
(`screened_estimate`), like the archive's losses, so that it keeps a form whose properties are far off from the fit on
all the data. With `hierarchical=False` (the baseline of benchmarks/hierarchical.py) every
candidate is relaxed at once. A candidate whose properties cannot be computed (not finite, Rejected, a structure that
does not relax) is rejected (`properties_failed`); only that candidate.
"""

import math
from dataclasses import replace
from functools import lru_cache

import numpy as np

from ..export.calculator import SymFFCalculator
from ..expr.symbols import Rejected
from ..model import Model
from ..targets import PROPERTY_OBJECTIVES, targets_from_rows
from ..validate.fast import FastProperties, is_defect, relaxed_defects
from .scoring import Candidate, Outcome

FAILED_KIND = "properties_failed"
FAILURES = (Rejected, ArithmeticError, ValueError, np.linalg.LinAlgError)  # a property evaluation that fails


@lru_cache(maxsize=8)
def _targets(rows):
    return targets_from_rows([list(row) for row in rows], "the search's property targets")


def target_set(config):
    return _targets(tuple(tuple(row) for row in config.properties))


def property_outcome(outcome, config, front_limit=math.inf, relax=True):
    """The outcome with its candidate scored by the property tiers (or rejected as `properties_failed`); `relax`
    False: it stops before the relaxed tier (a hierarchical search relaxes after the whole generation)."""
    candidate = outcome.result
    if not (isinstance(candidate, Candidate) and candidate.full and config.properties):
        return outcome
    element, chosen = _chosen(config)
    names = [t.name for t in chosen]
    defects = [name for name in names if is_defect(name)]
    model = _model(candidate, config, element)
    fast = FastProperties(model, element)
    penalty = PROPERTY_OBJECTIVES[config.property_objective]
    outcome.stats.property_static += 1
    tier = "static"

    def within(tier):  # can the candidate still reach the front, with the property loss of `tier`?
        return candidate.loss + config.property_weight * _loss(chosen, values, tier, penalty) <= front_limit

    try:
        with np.errstate(all="ignore"):
            values = fast.static(names=names)
            if defects and within(tier):
                outcome.stats.property_defects += 1
                values |= fast.defects(defects, values["a0"], values["_e_ground"])
                tier = "defects"
                if relax and within(tier):
                    outcome.stats.property_relaxed += 1
                    values |= relaxed_defects(SymFFCalculator(model), element, defects, values["a0"])
                    tier = "relaxed"
    except FAILURES:
        values = None
    return _scored(outcome, candidate.loss, config, values, tier)


def screened_estimate(outcome, config):
    """The outcome with its screened candidate's loss (fitted on the subset) raised by property_weight × the static
    property loss at its screened constants (the cheapest property tier, ~0.02 s): so that the screen compares like
    with like against the archive, whose losses hold property losses. An estimate, as the screened data loss is: the
    constants of the fit on all the data move the properties too. Where the properties cannot be computed at these
    constants, the loss stays the data loss (the fit on all the data decides)."""
    candidate = outcome.result
    if not (isinstance(candidate, Candidate) and not candidate.full and config.properties):
        return outcome
    element, chosen = _chosen(config)
    try:
        with np.errstate(all="ignore"):
            values = FastProperties(_model(candidate, config, element), element).static(names=[t.name for t in chosen])
            bound = _loss(chosen, values, "static", PROPERTY_OBJECTIVES[config.property_objective])
    except FAILURES:
        return outcome
    if math.isfinite(bound):
        estimate = candidate.loss + config.property_weight * bound
        outcome.result = replace(candidate, fit=replace(candidate.fit, loss=estimate))
    return outcome


def awaits_relaxation(candidate):
    """Whether a scored candidate stopped at the unrelaxed defect tier (it may still be relaxed)."""
    return isinstance(candidate, Candidate) and bool(candidate.properties) and candidate.properties["tier"] == "defects"


def relaxed_outcome(candidate, config):
    """The relaxed tier of a candidate that stopped at the unrelaxed one (`awaits_relaxation`): an Outcome with the
    candidate rescored on its relaxed defect energies, or rejected as `properties_failed`."""
    outcome = Outcome(candidate)
    element, chosen = _chosen(config)
    record = candidate.properties
    values = dict(record["values"])
    outcome.stats.property_relaxed += 1
    try:
        with np.errstate(all="ignore"):
            values |= relaxed_defects(SymFFCalculator(_model(candidate, config, element)), element,
                                      [t.name for t in chosen if is_defect(t.name)], values["a0"])
    except FAILURES:
        values = None
    return _scored(outcome, record["data_loss"], config, values, "relaxed")


def _chosen(config):
    """(element, the targets with a weight) of the search's property targets."""
    targets = target_set(config)
    element = targets.elements[0]
    return element, [t for t in targets.for_element(element) if t.weight > 0]


def _model(candidate, config, element):
    # a reference energy of 0: the properties are differences of energies
    return Model(candidate.formula, candidate.fit.constants, candidate.fit.linear, (element,), {element: 0.0},
                 config.r_in, config.r_out, config.three_body_cutoff)


def _loss(chosen, values, tier, penalty):
    """The property loss of the targets computed by `tier` (the static tier: a lower bound of the whole)."""
    total = sum(t.weight for t in chosen) or 1.0
    counted = [t for t in chosen if tier != "static" or not is_defect(t.name)]
    return _partial_loss(counted, values, total, penalty)


def _scored(outcome, data_loss, config, values, tier):
    """The outcome with its candidate's loss = data loss + property_weight × property loss at `tier`, and its
    property record; rejected as `properties_failed` where `values` is None or a property is not finite."""
    candidate = outcome.result
    _, chosen = _chosen(config)
    penalty = PROPERTY_OBJECTIVES[config.property_objective]
    loss = math.nan if values is None else _loss(chosen, values, tier, penalty)
    if not math.isfinite(loss):
        outcome.result = FAILED_KIND
        outcome.stats.reject(FAILED_KIND)
        return outcome
    values = {k: float(v) for k, v in values.items() if not k.startswith("_")}
    worst = max((abs(t.deviation(values.get(t.name))) for t in chosen if t.name in values), default=0.0)
    final = tier == ("relaxed" if any(is_defect(t.name) for t in chosen) else "static")  # through every tier
    record = {"data_loss": data_loss, "property_loss": loss, "tier": tier, "final": final,
              "worst_deviation": worst, "met": final and worst <= 1, "values": values}
    fit = replace(candidate.fit, loss=data_loss + config.property_weight * loss)
    outcome.result = replace(candidate, fit=fit, properties=record)
    return outcome


def _partial_loss(targets, values, total, penalty):
    """Σ w penalty(d) / W over `targets`, NaN where a value is missing or not finite."""
    loss = 0.0
    for t in targets:
        value = values.get(t.name)
        if value is None or not np.isfinite(value):
            return math.nan
        loss += t.weight * penalty((value - t.value) / t.tolerance)
    return loss / total
