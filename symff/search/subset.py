"""The screening subset of the hierarchical evaluation: a share of the structures, stratified by config_type so
that every kind of structure is represented."""

import math

import numpy as np

MIN_STRUCTURES = 8  # below this a subset says too little to screen with


def screening_subset(dataset, fraction, seed):
    """Sorted structure indices of the subset, or None when screening is off or the data set is too small."""
    if fraction <= 0 or dataset.n_structures * fraction < MIN_STRUCTURES:
        return None
    rng = np.random.default_rng([seed, 7])
    groups = {}
    for s, kind in enumerate(dataset.config_type):
        groups.setdefault(kind, []).append(s)
    chosen = []
    for kind in sorted(groups):
        members = np.array(groups[kind])
        take = max(1, math.ceil(fraction * members.size))
        chosen.extend(rng.choice(members, size=take, replace=False).tolist())
    return np.array(sorted(chosen))
