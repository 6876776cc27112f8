"""Uncertainty on mlearn Cu: an ensemble's spread against a model's actual error (GP1's by default).

Usage: python benchmarks/uncertainty.py [--model MODEL] [--committee [--forms MODEL ...]] [--members K] [--seeds N]
                                       [--data DIR]

The model is symff/potentials/Cu-mlearn-GP1-refit.json (POET's GP1 form fitted on mlearn Cu train), or the model file
--model names (fitted on mlearn Cu train). For each seed 0..N-1 an ensemble is made (`symff.uncertainty`): K refits of
the model's form on bootstrap resamples of mlearn Cu train, or with --committee K refits of each of several forms
fitted on mlearn Cu train, pooled: the model's and Cu-mlearn-2.json and Cu-mlearn-1.json, or the model's and the model
files --forms names (e.g. front members of a search on mlearn Cu train, RUN/models/K.json). Its calibration factors
are fitted on train (never on test), and on mlearn Cu test it reports the Spearman correlation with the model's
absolute energy error (per atom) of the per-structure energy spread and of the local energy spread
(`symff.uncertainty`), and the share of energies per atom and of force components whose error lies inside the 90 %
interval ±1.645·spread. Goals (issue 17): Spearman >= 0.5, force coverage 0.80–0.95. The last line gives the mean over
the seeds.
"""

import argparse
import time
from pathlib import Path

import numpy as np

from symff.data import read_dataset
from symff.environment import describe
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.uncertainty import DEFAULT_MEMBERS, assess, bootstrap_ensemble, calibrate, committee

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "symff" / "potentials" / "Cu-mlearn-GP1-refit.json"
OTHER_FORMS = [ROOT / "symff" / "potentials" / f"Cu-mlearn-{k}.json" for k in (2, 1)]  # also fitted on mlearn Cu train
DATA = ROOT.parent / "shared" / "datasets" / "mlearn" / "Cu"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL, help=f"the model whose error is ranked ({MODEL.name})")
    parser.add_argument("--committee", action="store_true", help="pool the refits of three forms")
    parser.add_argument("--forms", nargs="+", type=Path, metavar="MODEL",
                        help="with --committee: the other forms (model files fitted on mlearn Cu train; default "
                             "Cu-mlearn-2.json and Cu-mlearn-1.json)")
    parser.add_argument("--members", type=int, help=f"per form (default {DEFAULT_MEMBERS}; 3 with --committee)")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DATA, help=f"folder of train.extxyz and test.extxyz ({DATA})")
    args = parser.parse_args()
    print(f"environment: {describe()}", flush=True)  # the figures below depend on it

    model = Model.load(args.model)
    members = args.members or (3 if args.committee else DEFAULT_MEMBERS)
    if args.forms and not args.committee:
        parser.error("--forms needs --committee")
    forms = [model, *map(Model.load, args.forms or OTHER_FORMS)] if args.committee else [model]
    train = read_dataset([args.data / "train.extxyz"], elements=model.elements)
    test = read_dataset([args.data / "test.extxyz"], elements=model.elements)
    neighbours = build_neighbours(train, model.r_out)
    rows = []
    for seed in range(args.seeds):
        start = time.perf_counter()
        if args.committee:
            ensemble = committee(forms, train, members, seed=seed, neighbours=neighbours)
        else:
            ensemble = bootstrap_ensemble(model, train, members, seed=seed, neighbours=neighbours)
        calibrate(model, ensemble, train, neighbours=neighbours)
        result = assess(model, ensemble, test)
        energy, force = result.coverage()
        rows.append((result.spearman(), result.spearman(local=True), energy, force))
        print(f"seed {seed}: {len(ensemble)} members of {len(forms)} form(s) ({time.perf_counter() - start:.0f} s), "
              f"calibration energy x{ensemble.calibration['energy']:.3g} force x{ensemble.calibration['force']:.3g}; "
              f"test: spearman energy spread {rows[-1][0]:.3f}, local energy spread {rows[-1][1]:.3f}; coverage90 "
              f"energy {energy:.3f} force {force:.3f}")
    spearman, local, energy, force = np.mean(rows, axis=0)
    print(f"uncertainty: mean over {args.seeds} seeds: spearman {spearman:.3f} (local energy spread {local:.3f}; goal "
          f">= 0.5), coverage90 force {force:.3f} (goal 0.80-0.95), coverage90 energy {energy:.3f}")


if __name__ == "__main__":
    main()
