"""Candidates and their choice: MD with the current model, then the frames of largest committee disagreement.

An *MD run* is Langevin dynamics (ASE) from one MD start structure at one temperature, with the current model through
`SymFFCalculator`; every `snapshot_every` steps its frame is a *candidate*. A run whose model stops being finite (a
young model may let atoms collapse) ends there, with the candidates it made.

The *disagreement* of a frame is the committee's largest force deviation, max over atoms of |σ_F| (the norm of the
per-component standard deviations of the ensemble's forces, uncalibrated; DP-GEN's measure): where the members
disagree the data do not pin the model down. *Selection* takes frames in order of decreasing disagreement, with the
diversity rule that one MD run gives at most `per_run` frames per iteration, so that one hot run does not fill the
batch.
"""

import numpy as np
from ase import units
from ase.calculators.singlepoint import SinglePointCalculator
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import Stationary, thermalize_momenta

from ..data import Dataset
from ..evaluate.predict import model_evaluator
from ..export.calculator import SymFFCalculator
from ..expr.symbols import Rejected

UNBOUNDED = 1e6  # eV/Å: the disagreement of a frame where some member is not finite


def md_candidates(model, starts, config, rng):
    """Candidate frames (ASE atoms with info run, temperature, step) from one MD run per start and temperature."""
    candidates = []
    for s, start in enumerate(starts):
        for temperature in config.temperatures:
            run = f"{s}@{temperature:g}K"
            atoms = start.copy()
            atoms.calc = SymFFCalculator(model, ensemble=False)
            thermalize_momenta(atoms, temperature, rng=rng)
            Stationary(atoms)
            md = Langevin(atoms, config.timestep_fs * units.fs, temperature_K=temperature,
                          friction=config.friction / units.fs, fixcm=False, rng=rng)
            for step in range(config.snapshot_every, config.md_steps + 1, config.snapshot_every):
                try:
                    md.run(config.snapshot_every)
                except Rejected:
                    break
                frame = atoms.copy()
                frame.info = {"run": run, "temperature": temperature, "step": step}
                candidates.append(frame)
    return candidates


def disagreement(ensemble, model, frames):
    """The committee's largest force deviation (eV/Å) in each frame."""
    if not frames:
        return np.zeros(0)
    data = Dataset.from_atoms([_unlabelled(f) for f in frames], elements=model.elements, min_distance=None)
    try:
        spread = ensemble.spread(model_evaluator(model, data, exact=False), raw=True)
    except Rejected:  # some frame is beyond where a member is finite: judge frame by frame; there it is maximal
        if len(frames) == 1:
            return np.array([UNBOUNDED])
        return np.concatenate([disagreement(ensemble, model, [f]) for f in frames])
    deviation = np.linalg.norm(spread.forces, axis=1)
    return np.minimum(np.maximum.reduceat(deviation, data.atom_start[:-1]), UNBOUNDED)


def select(frames, scores, batch, per_run):
    """Indices of at most `batch` frames, by decreasing score, at most `per_run` from one MD run."""
    taken, per = [], {}
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        run = frames[k].info.get("run")
        if per.get(run, 0) >= per_run:
            continue
        taken.append(int(k))
        per[run] = per.get(run, 0) + 1
        if len(taken) == batch:
            break
    return taken


def _unlabelled(frame):
    copy = frame.copy()
    copy.calc = SinglePointCalculator(copy, energy=0.0, forces=np.zeros((len(frame), 3)))
    return copy
