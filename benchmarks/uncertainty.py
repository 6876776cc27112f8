"""Uncertainty on mlearn Cu: a bootstrap ensemble of the GP1 form, its spread against the model's actual error.

Usage: python benchmarks/uncertainty.py [--members K] [--seeds N] [--data DIR]

The model is symff/potentials/Cu-mlearn-GP1-refit.json (POET's GP1 form fitted on mlearn Cu train). For each seed
0..N-1 an ensemble of K refits on bootstrap resamples of mlearn Cu train is made (`symff.uncertainty`), its
calibration factors are fitted on train (never on test), and on mlearn Cu test it reports the Spearman correlation of
the per-structure energy spread with the model's absolute energy error, and the share of energies per atom and of
force components whose error lies inside the 90 % interval ±1.645·spread. Goals (issue 17): Spearman >= 0.5, force
coverage 0.80–0.95. The last line gives the mean over the seeds.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from symff.data import read_dataset
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.uncertainty import DEFAULT_MEMBERS, assess, bootstrap_ensemble, calibrate

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "symff" / "potentials" / "Cu-mlearn-GP1-refit.json"
DATA = ROOT.parent / "shared" / "datasets" / "mlearn" / "Cu"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=DEFAULT_MEMBERS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder of train.extxyz and test.extxyz ({DATA})")
    args = parser.parse_args()

    model = Model.load(MODEL)
    train = read_dataset([args.data / "train.extxyz"], elements=model.elements)
    test = read_dataset([args.data / "test.extxyz"], elements=model.elements)
    neighbours = build_neighbours(train, model.r_out)
    rows = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        ensemble = bootstrap_ensemble(model, train, args.members, seed=seed, neighbours=neighbours)
        calibrate(model, ensemble, train, neighbours=neighbours)
        result = assess(model, ensemble, test)
        energy, force = result.coverage()
        rows.append((result.spearman(), energy, force))
        print(f"seed {seed}: {args.members} members ({time.perf_counter() - start:.0f} s), calibration energy "
              f"x{ensemble.calibration['energy']:.3g} force x{ensemble.calibration['force']:.3g}; test: spearman "
              f"{rows[-1][0]:.3f}, coverage90 energy {energy:.3f} force {force:.3f}")
    spearman, energy, force = np.mean(rows, axis=0)
    print(f"uncertainty: mean over {args.seeds} seeds: spearman {spearman:.3f} (goal >= 0.5), coverage90 force "
          f"{force:.3f} (goal 0.80-0.95), coverage90 energy {energy:.3f}")


if __name__ == "__main__":
    main()
