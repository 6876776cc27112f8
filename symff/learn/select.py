"""The choice among candidates (the frames of MD with the current model, symff.learn.md): the frames of largest
committee disagreement.

The *disagreement* of a frame is the committee's largest force deviation, max over atoms of |σ_F| (the norm of the
per-component standard deviations of the ensemble's forces, uncalibrated; DP-GEN's measure): where the members
disagree the data do not pin the model down. Its *energy disagreement* is the members' standard deviation of the
energy per atom (eV/atom): a whole-frame measure, less drawn than the largest force to the hottest atom of a frame.
`rank_by` in the configuration says which one ranks the frames. *Selection* takes frames in order of decreasing
disagreement, with the diversity rule that one MD run gives at most `per_run` frames per iteration, so that one hot
run does not fill the batch, and (when `per_start` is set) the runs from one MD start structure at most `per_start`,
so that one kind of structure (a surface: its frames disagree most) does not fill it either.

The *density* of a frame is its mean similarity to all the candidate frames (information density, Settles & Craven
2008): a frame like many others stands for much of what MD visits, an outlier for little. With `density_weight` β > 0
frames are ranked by disagreement × density^β, which keeps the batch from filling with the rarest frames (the hottest,
which the committee disagrees on most). Similarity: exp(−d²/2s²) of the distance d between the frames' radial
descriptors (per atom, the histogram of neighbour distances up to the cutoff), s the median distance between frames.

*Variance reduction* (`strategy: variance_reduction`) chooses the batch instead of ranking frames one by one: it
takes, one after the other, the frame whose labels would most lower the committee's variance summed over all the
candidate frames (each frame's energy per atom and its mean force-component variance, each over the model's training
RMSE squared), under the same diversity rule. The committee's members span the model's uncertainty, so a label's
effect is worked out in their space, as an ensemble Kalman filter does (Evensen 1994; the ETKF's form, Bishop et al.
2001): with A the members' centred predictions (members × quantities) and a prior weight w ~ N(0, I/(K−1)) on them,
a frame labelled with noise R adds A_x R⁻¹ A_xᵀ to the precision P of w, and the summed variance is trace(P⁻¹ G),
G = A W Aᵀ: every step a (K × K) solve per frame. A frame informs where its predictions co-vary with many others, so
the batch goes to what the committee is unsure of *and* what MD visits, without a similarity measure.
"""

from dataclasses import dataclass

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator
from ase.neighborlist import neighbor_list
from scipy.spatial.distance import pdist, squareform

from ..data import Dataset
from ..evaluate.predict import model_evaluator
from ..expr.symbols import Rejected

UNBOUNDED = 1e6  # eV/Å: the disagreement of a frame where some member is not finite
DESCRIPTOR_BINS = 32  # of the radial descriptor, from 0 to the cutoff


@dataclass(frozen=True, eq=False)
class Committee:
    """The members' predictions on the candidate frames; a frame where some member is not finite is NaN."""

    energy: np.ndarray  # (members, frames) eV/atom
    forces: np.ndarray  # (members, atoms, 3) eV/Å
    atom_start: np.ndarray  # (frames + 1,): frame f's atoms are atom_start[f]:atom_start[f + 1]

    @classmethod
    def predict(cls, ensemble, model, frames):
        if not frames:
            return cls(np.zeros((len(ensemble), 0)), np.zeros((len(ensemble), 0, 3)), np.zeros(1, dtype=int))
        data = Dataset.from_atoms([_unlabelled(f) for f in frames], elements=model.elements, min_distance=None)
        try:
            predictions = ensemble.predictions(model_evaluator(model, data, exact=False))
        except Rejected:  # some frame is beyond where a member is finite: predict frame by frame
            if len(frames) == 1:
                return cls(np.full((len(ensemble), 1), np.nan), np.full((len(ensemble), len(frames[0]), 3), np.nan),
                           data.atom_start)
            parts = [cls.predict(ensemble, model, [f]) for f in frames]
            return cls(np.concatenate([p.energy for p in parts], axis=1),
                       np.concatenate([p.forces for p in parts], axis=1), data.atom_start)
        return cls(np.array([p.energy for p in predictions]) / data.atoms_per_structure,
                   np.array([p.forces for p in predictions]), data.atom_start)

    def frame_forces(self, f):
        return self.forces[:, self.atom_start[f]:self.atom_start[f + 1]].reshape(len(self.forces), -1)


def disagreement(committee):
    """(the committee's largest force deviation in eV/Å, its energy deviation in eV/atom) of each frame."""
    if committee.energy.shape[1] == 0:
        return np.zeros(0), np.zeros(0)
    deviation = np.linalg.norm(np.std(committee.forces, axis=0, ddof=1), axis=1)
    force = np.maximum.reduceat(deviation, committee.atom_start[:-1])
    energy = np.std(committee.energy, axis=0, ddof=1)
    return (np.minimum(np.nan_to_num(force, nan=UNBOUNDED), UNBOUNDED),
            np.minimum(np.nan_to_num(energy, nan=UNBOUNDED), UNBOUNDED))


def variance_reduction(frames, committee, batch, per_run, per_start=0, *, energy_noise, force_noise):
    """Indices of at most `batch` frames chosen one by one to lower the committee's summed variance most (module
    docstring), under the diversity rule of `select`. `energy_noise` (eV/atom) and `force_noise` (eV/Å): what a label
    cannot pin down, the model's training RMSEs. A frame where a member is not finite comes first, as in `select`."""
    members, n = committee.energy.shape
    finite = np.isfinite(committee.energy).all(axis=0)
    energy = np.where(finite, committee.energy - committee.energy.mean(axis=0), 0.0) / energy_noise
    gram = energy @ energy.T  # G = A W Aᵀ: energies, then each frame's mean force-component variance
    information = np.zeros((n, members, members))  # A_x R⁻¹ A_xᵀ of each frame
    for f in np.flatnonzero(finite):
        forces = committee.frame_forces(f)
        forces = (forces - forces.mean(axis=0)) / force_noise
        gram += forces @ forces.T / forces.shape[1]
        information[f] = np.outer(energy[:, f], energy[:, f]) + forces @ forces.T
    precision = (members - 1) * np.eye(members)
    rule, taken = _Diversity(per_run, per_start), []
    while len(taken) < batch:
        # the summed variance left after labelling each frame: trace((P + A_x R⁻¹ A_xᵀ)⁻¹ G), all frames in one solve
        left = np.trace(np.linalg.solve(precision + information, np.broadcast_to(gram, information.shape)), axis1=1,
                        axis2=2)
        left[~finite] = -np.inf
        chosen = next((int(f) for f in np.argsort(left, kind="stable") if f not in taken and rule.allows(frames[f])),
                      None)
        if chosen is None:
            break
        rule.take(frames[chosen])
        taken.append(chosen)
        precision = precision + information[chosen]
    return taken


def density(frames, cutoff):
    """Each frame's mean similarity to all of `frames` (itself included), in (0, 1] (module docstring)."""
    if not frames:
        return np.zeros(0)
    bins = np.linspace(0.0, cutoff, DESCRIPTOR_BINS + 1)
    descriptors = np.array([np.histogram(neighbor_list("d", frame, cutoff), bins)[0] / len(frame) for frame in frames])
    distances = squareform(pdist(descriptors))  # (n, n): no (n, n, bins) array for a long MD
    spread = np.median(distances[distances > 0]) if (distances > 0).any() else 1.0
    return np.exp(-0.5 * (distances / spread) ** 2).mean(axis=1)


def select(frames, scores, batch, per_run, per_start=0):
    """Indices of at most `batch` frames, by decreasing score, at most `per_run` from one MD run and (per_start > 0)
    at most `per_start` from the runs of one MD start structure."""
    rule, taken = _Diversity(per_run, per_start), []
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        if len(taken) == batch:
            break
        if rule.allows(frames[k]):
            rule.take(frames[k])
            taken.append(int(k))
    return taken


class _Diversity:
    """The diversity rule: at most `per_run` frames from one MD run, `per_start` (> 0) from one start structure."""

    def __init__(self, per_run, per_start):
        self.per_run, self.per_start, self.runs, self.starts = per_run, per_start, {}, {}

    def allows(self, frame):
        run, start = frame.info.get("run"), frame.info.get("start")
        full_start = self.per_start and self.starts.get(start, 0) >= self.per_start
        return self.runs.get(run, 0) < self.per_run and not full_start

    def take(self, frame):
        run, start = frame.info.get("run"), frame.info.get("start")
        self.runs[run], self.starts[start] = self.runs.get(run, 0) + 1, self.starts.get(start, 0) + 1


def _unlabelled(frame):
    copy = frame.copy()
    copy.calc = SinglePointCalculator(copy, energy=0.0, forces=np.zeros((len(frame), 3)))
    return copy
