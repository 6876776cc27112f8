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
"""

import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator
from ase.neighborlist import neighbor_list
from scipy.spatial.distance import pdist, squareform

from ..data import Dataset
from ..evaluate.predict import model_evaluator
from ..expr.symbols import Rejected

UNBOUNDED = 1e6  # eV/Å: the disagreement of a frame where some member is not finite
DESCRIPTOR_BINS = 32  # of the radial descriptor, from 0 to the cutoff


def disagreement(ensemble, model, frames):
    """(the committee's largest force deviation in eV/Å, its energy deviation in eV/atom) of each frame."""
    if not frames:
        return np.zeros(0), np.zeros(0)
    data = Dataset.from_atoms([_unlabelled(f) for f in frames], elements=model.elements, min_distance=None)
    try:
        spread = ensemble.spread(model_evaluator(model, data, exact=False), raw=True)
    except Rejected:  # some frame is beyond where a member is finite: judge frame by frame; there it is maximal
        if len(frames) == 1:
            return np.array([UNBOUNDED]), np.array([UNBOUNDED])
        force, energy = zip(*(disagreement(ensemble, model, [f]) for f in frames))
        return np.concatenate(force), np.concatenate(energy)
    deviation = np.linalg.norm(spread.forces, axis=1)
    return (np.minimum(np.maximum.reduceat(deviation, data.atom_start[:-1]), UNBOUNDED),
            np.minimum(spread.energy_per_atom, UNBOUNDED))


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
    taken, runs, starts = [], {}, {}
    for k in np.argsort(-np.asarray(scores), kind="stable"):
        run, start = frames[k].info.get("run"), frames[k].info.get("start")
        if runs.get(run, 0) >= per_run or (per_start and starts.get(start, 0) >= per_start):
            continue
        taken.append(int(k))
        runs[run], starts[start] = runs.get(run, 0) + 1, starts.get(start, 0) + 1
        if len(taken) == batch:
            break
    return taken


def _unlabelled(frame):
    copy = frame.copy()
    copy.calc = SinglePointCalculator(copy, energy=0.0, forces=np.zeros((len(frame), 3)))
    return copy
