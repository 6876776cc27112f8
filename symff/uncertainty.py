"""Uncertainty of a model from an ensemble: its form (and other forms) refitted on bootstrap resamples of its training
structures.

Vocabulary.
- A *member* is a `Model` of the same form (the same canonical formula, elements and cutoff; in a committee, of one
  of its forms) with constants fitted on one *bootstrap resample*: as many structures as the training set, drawn
  with replacement (a structure drawn n times weighs n in the loss). Each member is fitted by the constant fitter
  (`symff.fit.constants.fit_constants`, the one `symff fit` uses), started from the model's own constants; the
  resamples come from one seeded generator.
- A *committee* pools the bootstrap members of several models of different forms (the model's and, say, the
  next-best forms of a front), all of one element set and cutoff: their disagreement carries some of the model-form
  error that the refits of one form cannot show.
- The *spread* of a prediction is the standard deviation over the members: of the total energy of each structure
  (and of it per atom), and of each force component. The *local energy spread* of a structure is the RMS over its
  atoms of the members' standard deviation of each atom's energy E_i relative to the structure's mean per-atom
  energy: how much the members disagree on how the energy is shared among the atoms (unusual local environments),
  blind to a shift common to all atoms. It ranks structures; the intervals use the energy spread.
- The *calibration* factors scale the spread into an error estimate: the raw bootstrap spread measures how much the
  constants are pinned down by the data, not how wrong the form is, so it is smaller than the errors. `calibrate`
  fits, on data the caller chooses (the training set, or a validation set: never the test set), the factor that makes
  the 90 % interval ±1.645·factor·spread hold 90 % of the errors of the model there, for energies per atom and for
  force components separately. `spread` returns calibrated values; `raw=True` the committee's own.

An ensemble lives in the model file under the optional key "ensemble" (docs/file-formats.md): its members as energy
strings with their reference energies, the calibration factors and how it was made. A model file without it reads
as before, and the key is ignored by readers that do not know it.
"""

from dataclasses import dataclass, field, replace

import numpy as np

from .errors import ModelError
from .evaluate.predict import model_evaluator, not_finite
from .expr.symbols import Rejected
from .fit.constants import fit_constants
from .fit.loss import LossWeights, Targets
from .model import AlloyModel, Model
from .neighbours import build_neighbours

DEFAULT_MEMBERS = 8
Z90 = 1.6448536269514722  # the 90 % two-sided interval of a normal distribution is ±Z90 standard deviations
REFIT_EVALUATIONS = 100  # passes over the resample allowed to each member's fit (it starts next to its optimum)


@dataclass(frozen=True, eq=False)
class Spread:
    energy: np.ndarray  # (n_structures,) eV, total energy
    forces: np.ndarray  # (n_atoms, 3) eV/Å
    energy_per_atom: np.ndarray  # (n_structures,) eV/atom
    local_energy: np.ndarray  # (n_structures,) eV/atom: the local energy spread (module docstring), uncalibrated


@dataclass(eq=False)
class Ensemble:
    members: list  # Models of the same form
    calibration: dict = field(default_factory=lambda: {"energy": 1.0, "force": 1.0})
    info: dict = field(default_factory=dict)  # how it was made: method, seed, train, ...

    def __len__(self):
        return len(self.members)

    # --- predictions ----------------------------------------------------------------------------------------------
    def predictions(self, evaluator):
        """Each member's `Prediction` on the evaluator's data set (one pass over the pairs each)."""
        elements = evaluator.dataset.elements
        return [evaluator.predict(m.program, m.constants, m.linear, m.reference_for(elements)) for m in self.members]

    def spread(self, evaluator, *, raw=False) -> Spread:
        """The members' standard deviations, times the calibration factors unless `raw`."""
        data = evaluator.dataset
        predictions = self.predictions(evaluator)
        energy = np.std([p.energy for p in predictions], axis=0, ddof=1)
        forces = np.std([p.forces for p in predictions], axis=0, ddof=1)
        if not raw:
            energy = energy * self.calibration["energy"]
            forces = forces * self.calibration["force"]
        starts, n = data.atom_start[:-1], data.atoms_per_structure
        atom_energy = [p.atom_energy + np.asarray(m.reference_for(data.elements))[data.species]
                       for p, m in zip(predictions, self.members)]
        relative = [e - np.repeat(np.add.reduceat(e, starts) / n, n) for e in atom_energy]
        local = np.sqrt(np.add.reduceat(np.var(relative, axis=0, ddof=1), starts) / n)
        return Spread(energy, forces, energy / n, local)

    # --- model files ----------------------------------------------------------------------------------------------
    def to_dict(self):
        return {
            **self.info,
            "calibration": {k: float(v) for k, v in self.calibration.items()},
            "members": [{"energy": m.to_dict()["energy"], "reference_energy": dict(m.reference_energy)}
                        for m in self.members],  # "energy" as in the model file: one string, or one per element
        }

    def attach(self, model):
        """Store the ensemble in `model`'s metadata, so that `model.save` writes it into the model file."""
        model.metadata["ensemble"] = self.to_dict()
        return model

    @classmethod
    def of(cls, model, source="model"):
        """The ensemble stored with `model`, or None."""
        data = model.metadata.get("ensemble")
        if data is None:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("members"), list) or len(data["members"]) < 2:
            raise ModelError(f"{source}: \"ensemble\" must hold a list \"members\" of at least 2 models")
        members = []
        for k, member in enumerate(data["members"]):
            where = f"{source}: ensemble member {k}"
            if not isinstance(member, dict) or "energy" not in member or "reference_energy" not in member:
                raise ModelError(f"{where}: needs \"energy\" and \"reference_energy\"")
            read = AlloyModel.from_expressions if isinstance(member["energy"], dict) else Model.from_expression
            members.append(read(member["energy"], model.elements, member["reference_energy"], model.r_in, model.r_out,
                                where))
            members[-1].three_body_cutoff = model.three_body_cutoff
        calibration = {"energy": 1.0, "force": 1.0} | dict(data.get("calibration", {}))
        for name, value in calibration.items():
            if not (isinstance(value, int | float) and np.isfinite(value) and value > 0):
                raise ModelError(f"{source}: ensemble calibration {name} must be a positive number, got {value!r}")
        info = {k: v for k, v in data.items() if k not in ("members", "calibration")}
        return cls(members, calibration, info)

    @classmethod
    def for_calculator(cls, model, ensemble):
        """What `SymFFCalculator(model, ensemble=...)` means: None the model's if any, False none, K its first K."""
        if ensemble is None:
            return cls.of(model)
        if ensemble is False:
            return None
        if isinstance(ensemble, cls):
            return ensemble
        if isinstance(ensemble, int) and not isinstance(ensemble, bool):
            stored = cls.of(model)
            if stored is None or len(stored) < ensemble or ensemble < 2:
                make = "make them with `symff uncertainty MODEL DATA --train TRAIN --write`"
                if stored is None:
                    raise ModelError(f"ensemble={ensemble}: the model holds no ensemble members; {make}")
                raise ModelError(f"ensemble={ensemble}: the model holds {len(stored)} ensemble members (need 2 <= K <= "
                                 f"{len(stored)}; {make})")
            return replace(stored, members=stored.members[:ensemble])
        raise ModelError(f"ensemble must be None, False, a number of members or an Ensemble, got {ensemble!r}")


# --- making and calibrating an ensemble ---------------------------------------------------------------------------
def bootstrap_resamples(n_structures, members, rng):
    """How many times each structure is drawn in each of `members` bootstrap resamples of `n_structures`. Of few
    structures every member can draw the same resample (2 structures have 3; 4 members all draw one in 7 % of seeds):
    their refits are then one model, with no spread to measure, so the last is drawn again until one differs."""
    def draw():
        return np.bincount(rng.integers(0, n_structures, n_structures), minlength=n_structures)

    draws = [draw() for _ in range(members)]
    while members > 1 and n_structures > 1 and all((d == draws[0]).all() for d in draws[1:]):  # else none differs
        draws[-1] = draw()
    return draws


def bootstrap_ensemble(model, train, members=DEFAULT_MEMBERS, *, seed=0, weights=None,
                       max_evaluations=REFIT_EVALUATIONS, neighbours=None) -> Ensemble:
    """`members` refits of `model`'s form on bootstrap resamples of `train` (a `Dataset`), seeded by `seed`."""
    if members < 2:
        raise ModelError(f"an ensemble needs at least 2 members, got {members}")
    if train.n_structures < 2:
        raise ModelError(f"bootstrap needs at least 2 training structures, got {train.n_structures}")
    rng = np.random.default_rng(seed)
    neighbours = neighbours if neighbours is not None else build_neighbours(train, model.r_out)
    evaluator = model_evaluator(model, train, neighbours, exact=False)
    program, start = model.refit_program()  # an alloy's shared three-body functions stay shared
    fitted = []
    for counts in bootstrap_resamples(train.n_structures, members, rng):
        resample = replace(train, weights=train.weights * counts)  # weight 0: not drawn
        targets = Targets(resample, weights or LossWeights())
        try:
            fit = fit_constants(program, evaluator, targets, start, max_evaluations=max_evaluations)
        except Rejected as exc:
            raise ModelError(f"a bootstrap refit of {model.energy_string(6)} is not finite: {exc}") from None
        reference = dict(zip(train.elements, map(float, fit.reference)))
        # the same kind of model (one element or several) with the refitted numbers
        fitted.append(replace(model, constants=program.full_constants(fit.constants), linear=fit.linear, errors={},
                              metadata={},
                              reference_energy={e: reference.get(e, model.reference_energy.get(e, 0.0))
                                                for e in model.elements}))
    info = {"method": "bootstrap", "seed": int(seed), "train_structures": int(train.n_structures)}
    return Ensemble(fitted, info=info)


def _element_set_and_cutoff(model):
    return list(model.elements), (model.r_in, model.r_out), model.three_body_cutoff


def _described(model):
    cutoff = model.three_body_cutoff
    three_body = "" if cutoff is None else f", three-body {cutoff[0]:g}–{cutoff[1]:g} Å"
    return f"{', '.join(model.elements)}; cutoff {model.r_in:g}–{model.r_out:g} Å{three_body}"


def committee(models, train, members_per_form=DEFAULT_MEMBERS // 2, *, seed=0, weights=None,
              max_evaluations=REFIT_EVALUATIONS, neighbours=None) -> Ensemble:
    """The bootstrap members of each of `models` (different forms of one element set and cutoff), pooled; each form's
    resamples drawn from `seed` + its position in `models`."""
    first = models[0]
    for k, model in enumerate(models[1:], 1):
        if _element_set_and_cutoff(model) != _element_set_and_cutoff(first):
            raise ModelError(f"a committee needs one element set and cutoff: form {k + 1} of {len(models)} "
                             f"({_described(model)}) differs from the first ({_described(first)})")
    neighbours = neighbours if neighbours is not None else build_neighbours(train, first.r_out)
    members = []
    for k, model in enumerate(models):
        members += bootstrap_ensemble(model, train, members_per_form, seed=seed + k, weights=weights,
                                      max_evaluations=max_evaluations, neighbours=neighbours).members
    info = {"method": "committee", "forms": len(models), "seed": int(seed), "train_structures": int(train.n_structures)}
    return Ensemble(members, info=info)


@dataclass(frozen=True, eq=False)
class Assessment:
    """Per-structure and per-force errors of a model with its ensemble's spread, on one data set."""

    energy_error: np.ndarray  # (n_structures,) eV/atom, model − reference (the model's reference energies)
    energy_spread: np.ndarray  # (n_structures,) eV/atom, calibrated
    force_error: np.ndarray  # (n_atoms, 3) eV/Å
    force_spread: np.ndarray  # (n_atoms, 3) eV/Å, calibrated
    local_energy_spread: np.ndarray  # (n_structures,) eV/atom, uncalibrated

    def spearman(self, local=False):
        """Spearman rank correlation of the per-structure energy spread (the local one if `local`) with the
        absolute energy error."""
        return spearman(self.local_energy_spread if local else self.energy_spread, np.abs(self.energy_error))

    def coverage(self, z=Z90):
        """Fractions of energies (per atom) and force components whose error lies within ±z·spread."""
        return (float(np.mean(np.abs(self.energy_error) <= z * self.energy_spread)),
                float(np.mean(np.abs(self.force_error) <= z * self.force_spread)))


def assess(model, ensemble, dataset, *, neighbours=None, raw=False, exact=False) -> Assessment:
    """The model's errors and the ensemble's spread on `dataset` (which must have labels)."""
    evaluator = model_evaluator(model, dataset, neighbours, exact=exact)
    try:
        prediction = evaluator.predict(model.program, model.constants, model.linear,
                                       model.reference_for(dataset.elements))
    except Rejected as exc:
        raise not_finite([model], dataset, exact, exc) from None
    try:
        spread = ensemble.spread(evaluator, raw=raw)
    except Rejected as exc:
        raise not_finite(ensemble.members, dataset, exact, exc, "a member of the ensemble") from None
    n = dataset.atoms_per_structure
    return Assessment((prediction.energy - dataset.energy) / n, spread.energy_per_atom,
                      prediction.forces - dataset.forces, spread.forces, spread.local_energy)


def calibrate(model, ensemble, dataset, *, neighbours=None, source="calibration data"):
    """Fit the ensemble's calibration factors on `dataset` (training or validation data, not test data): the
    factors that make ±Z90·factor·spread hold 90 % of the model's energy (per atom) and force-component errors."""
    raw = assess(model, ensemble, dataset, neighbours=neighbours, raw=True)
    ensemble.calibration = {"energy": _factor(raw.energy_error, raw.energy_spread, source, "energy"),
                            "force": _factor(raw.force_error, raw.force_spread, source, "force")}
    ensemble.info["calibrated_on"] = dataset.n_structures
    return ensemble


def _factor(error, spread, source, what):
    error, spread = np.abs(error).ravel(), np.asarray(spread).ravel()
    usable = spread > 0
    if not usable.any():
        raise ModelError(f"{source}: the ensemble has no {what} spread to calibrate (members identical)")
    # a model without error there (exact data) would get factor 0: keep the smallest positive one instead
    return max(float(np.quantile(error[usable] / spread[usable], 0.9) / Z90), np.finfo(float).tiny)


def spearman(x, y):
    """Spearman rank correlation (average ranks for ties)."""
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)
