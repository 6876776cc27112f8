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
the bound. Likewise only a candidate whose loss with the unrelaxed defect energies is within `front_limit` is relaxed
(the unrelaxed loss is no bound of the relaxed one, but near it); the others keep the unrelaxed energies. A candidate
whose properties cannot be computed (not finite, Rejected, a structure that does not relax) is rejected
(`properties_failed`); only that candidate.
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
from .scoring import Candidate

FAILED_KIND = "properties_failed"


@lru_cache(maxsize=8)
def _targets(rows):
    return targets_from_rows([list(row) for row in rows], "the search's property targets")


def target_set(config):
    return _targets(tuple(tuple(row) for row in config.properties))


def property_outcome(outcome, config, front_limit=math.inf):
    """The outcome with its candidate scored by the property tiers (or rejected as `properties_failed`)."""
    candidate = outcome.result
    if not (isinstance(candidate, Candidate) and candidate.full and config.properties):
        return outcome
    targets = target_set(config)
    element = targets.elements[0]
    chosen = [t for t in targets.for_element(element) if t.weight > 0]
    total = sum(t.weight for t in chosen) or 1.0
    static = [t for t in chosen if not is_defect(t.name)]
    defects = [t for t in chosen if is_defect(t.name)]
    model = Model(candidate.formula, candidate.fit.constants, candidate.fit.linear, (element,), {element: 0.0},
                  config.r_in, config.r_out)  # a reference of 0: the properties are differences of energies
    fast = FastProperties(model, element)
    outcome.stats.property_static += 1
    try:
        with np.errstate(all="ignore"):
            values = fast.static(names=[t.name for t in chosen])
            penalty = PROPERTY_OBJECTIVES[config.property_objective]
            bound = _partial_loss(static, values, total, penalty)
            tier = "static"
            loss = bound
            names = [t.name for t in defects]
            if candidate.loss + config.property_weight * bound <= front_limit and defects:
                outcome.stats.property_defects += 1
                values |= fast.defects(names, values["a0"], values["_e_ground"])
                loss = bound + _partial_loss(defects, values, total, penalty)
                tier = "defects"
                if candidate.loss + config.property_weight * loss <= front_limit:
                    outcome.stats.property_relaxed += 1
                    values |= relaxed_defects(SymFFCalculator(model), element, names, values["a0"])
                    loss = bound + _partial_loss(defects, values, total, penalty)
                    tier = "relaxed"
    except (Rejected, ArithmeticError, ValueError, np.linalg.LinAlgError):
        loss = math.nan
    if not math.isfinite(loss):
        outcome.result = FAILED_KIND
        outcome.stats.reject(FAILED_KIND)
        return outcome
    values = {k: float(v) for k, v in values.items() if not k.startswith("_")}
    worst = max((abs(t.deviation(values.get(t.name))) for t in chosen if t.name in values), default=0.0)
    final = tier == ("relaxed" if defects else "static")  # through every tier these targets have
    record = {"data_loss": candidate.loss, "property_loss": loss, "tier": tier, "final": final,
              "worst_deviation": worst, "met": final and worst <= 1, "values": values}
    fit = replace(candidate.fit, loss=candidate.loss + config.property_weight * loss)
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
