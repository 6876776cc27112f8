"""Fitting a given form to data and material properties together (`symff fit FORMULA DATA --properties TARGETS`).

Vocabulary:
- *data loss*: the loss of `symff.fit.loss` (energies, forces, stresses), reference energies solved in closed form;
- *property loss*: the weighted mean squared deviation (predicted − target)/tolerance over the targets
  (`symff.targets`); ≤ 1 when the targets sit on average at their tolerance, and *met* when every |deviation| ≤ 1;
- *trade-off λ*: the local fit minimises data loss + λ · property loss.

Scheme (a global optimiser around symff's own least-squares fit):
1. the data-only fit of `fit_form` gives the starting constants;
2. optuna (TPE sampler, seeded, two objectives) proposes λ and a log-scale perturbation of the nonlinear constants
   (the first trials: λ = FIRST_TRADE_OFFS, unperturbed);
3. the local fit — trust-region least squares on all constants (nonlinear and term coefficients; the reference
   energies stay in closed form) — minimises data loss + λ · property loss, with the properties evaluated by
   `symff.validate.fast` (static properties and unrelaxed defects; relaxed defect energies enter as the unrelaxed
   ones plus the relaxation energy of the last fully evaluated trial, so that the local fit stays smooth);
4. tiers (HOGA): the static properties are computed first; a trial whose (data loss, static part of the property
   loss) is already dominated by the front stops there (the static part is a lower bound of the property loss);
   the others get the costly tier, the relaxed vacancy and surface energies (BFGS, `relaxed_defects`);
5. the trials that are not dominated in (data loss, property loss) are the *front*; the model written is the front
   member with the lowest data loss among those that meet every tolerance, else the one with the smallest largest
   deviation.

A property evaluation that fails (Rejected, NaN) makes the trial's property loss MISSING_DEVIATION²: that trial
loses, the fit goes on.
"""

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from ..errors import ModelError
from ..evaluate.evaluator import Evaluator
from ..evaluate.predict import fitted_errors
from ..export.calculator import SymFFCalculator
from ..expr.symbols import Rejected
from ..fit.metrics import error_metrics
from ..model import Model
from ..neighbours import build_neighbours
from ..targets import MISSING_DEVIATION
from ..validate.fast import FastProperties, is_defect, relaxed_defects
from .given_form import fit_form
from .loss import LossWeights, Targets

DEFAULT_TIME_BUDGET = 600.0  # s
LAMBDA_RANGE = (1.0, 1e4)  # trade-off λ proposed log-uniformly
FIRST_TRADE_OFFS = (100.0, 1000.0)  # the first trials, from the data-only constants
PERTURBATION = 0.1  # decades: the largest log-scale perturbation of a nonlinear constant
LOCAL_EVALUATIONS = 60  # passes over the data allowed to one local fit
FAILED = MISSING_DEVIATION


@dataclass
class Trial:
    number: int
    trade_off: float
    constants: np.ndarray
    linear: np.ndarray
    data_loss: float
    property_loss: float
    worst: float  # largest |deviation|
    properties: dict
    tier: str  # "static" (stopped there) or "relaxed" (all tiers)
    energy_mae_mev: float = float("nan")
    force_mae: float = float("nan")

    @property
    def met(self):
        return self.worst <= 1.0

    def summary(self):
        return {"trial": self.number, "trade_off": self.trade_off, "data_loss": self.data_loss,
                "property_loss": self.property_loss, "worst_deviation": self.worst, "met": self.met,
                "train_energy_mae_mev": self.energy_mae_mev, "train_force_mae": self.force_mae}


@dataclass
class PropertyFit:
    model: Model
    chosen: Trial
    front: list
    trials: list
    counts: dict = field(default_factory=dict)  # tier -> trials that reached it


class _LocalObjective:
    """Residuals [data rows; √(λ w_i / W) · deviation_i] of all constants x = (c, a)."""

    def __init__(self, evaluator, data_targets, target_set, element, model_template, a0_guess, offsets):
        formula = model_template.formula
        self.evaluator, self.data, self.a0_guess = evaluator, data_targets, a0_guess
        self.target_set, self.element, self.template = target_set, element, model_template
        self.offsets, self.trade_off = offsets, 1.0
        self.targets = [t for t in target_set.for_element(element) if t.weight > 0]
        weights = np.array([t.weight for t in self.targets])
        self.scale = np.sqrt(weights / weights.sum())
        self.n_constants = len(formula.constants)
        self._basis_key, self._basis = None, None
        self._fast = FastProperties(model_template, element)  # one cache of reduced defect structures

    def split(self, x):
        return np.asarray(x[: self.n_constants], dtype=float), np.asarray(x[self.n_constants:], dtype=float)

    def data_residual(self, constants, linear):
        key = constants.tobytes()
        if key != self._basis_key:
            # the columns of fixed terms kept from trial to trial (the same to the bit)
            self._basis, self._basis_key = self.evaluator.basis(self.template.program, constants, reuse=True), key
        design = self.data.design(self._basis)
        m = linear.size
        partial = design[:, :m] @ linear - self.data.target
        reference, *_ = np.linalg.lstsq(design[:, m:], -partial, rcond=None)
        return partial + design[:, m:] @ reference

    def model(self, constants, linear):
        t = self.template
        model = Model(t.formula, constants, linear, t.elements, t.reference_energy, t.r_in, t.r_out, t.three_body_cutoff)
        model.__dict__["program"] = t.program  # the compiled program is shared, not rebuilt per trial point
        return model

    def fast_properties(self, constants, linear):
        """{name: value} of static properties and unrelaxed defects (+ offsets) and the ground state's energy
        `_e_ground`."""
        fast = self._fast
        fast.model = self.model(constants, linear)
        fast.energy.model = fast.model
        names = [t.name for t in self.targets]
        with np.errstate(all="ignore"):
            values = fast.static(guess=self.a0_guess, names=names)
            values |= {k: v + self.offsets.get(k, 0.0) for k, v in
                       fast.defects(names, values["a0"], values["_e_ground"]).items()}
        return values

    def deviations(self, values):
        return np.array([t.deviation(values.get(t.name)) for t in self.targets])

    def __call__(self, x):
        constants, linear = self.split(x)
        try:
            data = self.data_residual(constants, linear)
            deviations = self.deviations(self.fast_properties(constants, linear))
        except (Rejected, ArithmeticError, ValueError, np.linalg.LinAlgError):
            return np.full(self.data.n_rows + len(self.targets), 1e6)
        deviations = np.where(np.isfinite(deviations), deviations, FAILED)
        residual = np.concatenate([data, np.sqrt(self.trade_off) * self.scale * deviations])
        return np.where(np.isfinite(residual), residual, 1e6)


def property_loss(target_set, element, values, names=None):
    """(property loss, largest |deviation|) over the targets of positive weight, or over those in `names` with the
    loss still normalised by all weights (a lower bound of the full loss)."""
    targets = [t for t in target_set.for_element(element) if t.weight > 0]
    total = sum(t.weight for t in targets) or 1.0
    chosen = [t for t in targets if names is None or t.name in names]
    d = np.array([t.deviation(values.get(t.name)) for t in chosen]) if chosen else np.zeros(0)
    d = np.where(np.isfinite(d), d, FAILED)
    w = np.array([t.weight for t in chosen])
    return float(w @ d**2 / total), float(np.abs(d).max()) if d.size else 0.0


def dominated(point, others):
    return any(o[0] <= point[0] and o[1] <= point[1] and (o[0] < point[0] or o[1] < point[1]) for o in others)


def front_of(trials):
    """Fully evaluated trials not dominated in (data loss, property loss), by data loss."""
    full = [t for t in trials if t.tier == "relaxed"]
    points = [(t.data_loss, t.property_loss) for t in full]
    return sorted((t for t, p in zip(full, points) if not dominated(p, points)), key=lambda t: t.data_loss)


def choose(front):
    met = [t for t in front if t.met]
    return min(met, key=lambda t: t.data_loss) if met else min(front, key=lambda t: t.worst)


def fit_form_with_properties(text, train, target_set, *, test=None, seed=0, time_budget=DEFAULT_TIME_BUDGET,
                             trials=None, r_in, r_out, weights=None, starts=8, start_values=None, source="formula",
                             progress=print, three_body_cutoff=None) -> PropertyFit:
    """Fit the form `text` to `train` and the property targets of `target_set` (see the module docstring)."""
    import optuna

    element = train.elements[0]
    target_set.check_elements(train.elements, "the training data")
    began = time.monotonic()
    cutoffs = {"r_in": r_in, "r_out": r_out, "three_body_cutoff": three_body_cutoff}
    base = fit_form(text, train, starts=starts, seed=seed, start_values=start_values, **cutoffs, weights=weights,
                    source=source)
    formula = base.model.formula
    progress(f"data-only fit: loss {base.loss:.4g} ({time.monotonic() - began:.0f} s)")
    neighbours = build_neighbours(train, r_out)
    evaluator = Evaluator(train, neighbours, **cutoffs)
    data_targets = Targets(train, weights or LossWeights())
    template = base.model
    fast = FastProperties(template, element)
    names = [t.name for t in target_set.for_element(element)]
    start_static = fast.static(names=names)
    if not np.isfinite(start_static["a0"]):
        raise ModelError(f"{source}: the data-only fit of {text!r} has no minimum of {element}'s ground state to start "
                         "the property fit from")
    calculator = SymFFCalculator(template)
    offsets = _relaxation_offsets(fast, calculator, element, names, start_static)
    objective = _LocalObjective(evaluator, data_targets, target_set, element, template, start_static["a0"], offsets)
    x0 = np.concatenate([template.constants, template.linear])
    done, counts = [], {"static": 0, "relaxed": 0}

    def run_trial(trial):
        trade_off = trial.suggest_float("trade_off", *LAMBDA_RANGE, log=True)
        shift = np.array([trial.suggest_float(f"log_scale_{k}", -PERTURBATION, PERTURBATION)
                          for k in range(len(formula.constants))])
        start = x0.copy()
        start[: shift.size] = x0[: shift.size] * 10.0**shift
        objective.trade_off = trade_off
        with np.errstate(all="ignore"):
            solution = least_squares(objective, start, method="trf", x_scale="jac", diff_step=1e-6,
                                     max_nfev=LOCAL_EVALUATIONS)
        constants, linear = objective.split(solution.x)
        try:
            data = objective.data_residual(constants, linear)
            values = objective.fast_properties(constants, linear)
        except (Rejected, ArithmeticError, ValueError, np.linalg.LinAlgError):
            data, values = np.full(1, 1e6), {}
        data_loss = float(data @ data)
        counts["static"] += 1
        lower, _ = property_loss(target_set, element, values, [n for n in names if not is_defect(n)])
        points = [(t.data_loss, t.property_loss) for t in done if t.tier == "relaxed"]
        record = Trial(trial.number, trade_off, constants, linear, data_loss, lower, float("nan"), values, "static")
        if dominated((data_loss, lower), points) or not values:
            done.append(record)
            progress(_line(record, counts, began))
            raise optuna.TrialPruned()
        counts["relaxed"] += 1
        model = objective.model(constants, linear)
        relaxed = relaxed_defects(SymFFCalculator(model), element, names, values["a0"])
        unrelaxed = {n: values[n] - objective.offsets.get(n, 0.0) for n in relaxed}
        objective.offsets = {n: relaxed[n] - unrelaxed[n] for n in relaxed if np.isfinite(relaxed[n] - unrelaxed[n])}
        values = {k: v for k, v in values.items() if not k.startswith("_")} | relaxed
        record.properties = values
        record.property_loss, record.worst = property_loss(target_set, element, values)
        record.tier = "relaxed"
        _train_errors(record, evaluator, template, train)
        done.append(record)
        progress(_line(record, counts, began))
        return data_loss, record.property_loss

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    for trade_off in FIRST_TRADE_OFFS:
        study.enqueue_trial({"trade_off": trade_off, **{f"log_scale_{k}": 0.0 for k in range(len(formula.constants))}})
    remaining = max(1.0, time_budget - (time.monotonic() - began))
    study.optimize(run_trial, n_trials=trials, timeout=remaining, catch=(Rejected,))
    front = front_of(done)
    if not front:
        raise ModelError(f"{source}: no trial of the property fit of {text!r} finished its evaluation "
                         f"(raise --time-budget)")
    chosen = choose(front)
    model = Model(formula, chosen.constants, chosen.linear, train.elements, {}, r_in, r_out,
                  metadata={"form": text, "loss": chosen.data_loss})
    fitted_errors(model, train, test, train_neighbours=neighbours)
    model.metadata["properties"] = {
        "targets": target_set.source, "reference": target_set.reference, "element": element,
        "chosen_trial": chosen.number, "trade_off": chosen.trade_off, "met": chosen.met,
        "data_loss": chosen.data_loss, "property_loss": chosen.property_loss,
        "table": target_set.table(element, chosen.properties),
        "front": [t.summary() for t in front],
        "counts": {"trials": len(done), **counts},
        "data_only": {"loss": base.loss, "errors": base.model.errors},
    }
    return PropertyFit(model, chosen, front, done, counts)


def _relaxation_offsets(fast, calculator, element, names, static):
    relaxed = relaxed_defects(calculator, element, names, static["a0"])
    unrelaxed = fast.defects(names, static["a0"], static["_e_ground"])
    return {n: relaxed[n] - unrelaxed[n] for n in relaxed if np.isfinite(relaxed[n] - unrelaxed[n])}


def _train_errors(record, evaluator, template, train):
    """Train MAE of a trial by the tabulated evaluator, reference energies refitted."""
    from ..fit.metrics import reference_energies

    try:
        zero = evaluator.predict(template.program, record.constants, record.linear, np.zeros(train.n_elements))
    except Rejected:
        return
    reference = reference_energies(zero.energy, train)
    prediction = evaluator.predict(template.program, record.constants, record.linear, reference)
    errors = error_metrics(prediction, train)
    record.energy_mae_mev, record.force_mae = errors["energy_mae_mev"], errors["force_mae"]


def _line(record, counts, began):
    tier = "all tiers" if record.tier == "relaxed" else "stopped after static tier"
    errors = (f"  train E {record.energy_mae_mev:.3g} meV/atom F {record.force_mae:.3g} eV/Å"
              if np.isfinite(record.energy_mae_mev) else "")
    worst = f"  worst |dev| {record.worst:.3g}" if np.isfinite(record.worst) else ""
    return (f"trial {record.number:3d}  λ {record.trade_off:8.3g}  data loss {record.data_loss:8.4g}  "
            f"property loss {record.property_loss:8.4g}{worst}{errors}  ({tier}; static {counts['static']}, "
            f"relaxed {counts['relaxed']}; {time.monotonic() - began:.0f} s)")
