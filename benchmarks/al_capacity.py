"""Where the active-learning benchmark's errors are set by GP1's form, not by the labels: GP1 fitted on every MD frame
that a random-selection loop ran, and on random subsets of them.

Usage: python benchmarks/al_capacity.py [--seed 0] [--draws 10] [--greedy N] [--out DIR]

- The loop, oracle (Mishin's Cu EAM in the real LAMMPS), start cells and test set are those of
  benchmarks/active_learning.py (its functions): one random-selection loop (--seed) gives the MD frames of its
  iterations (each iteration's model at 300, 900 and 1500 K from bulk, vacancy and slab cells), and every frame is
  labelled by the oracle: the pool.
- GP1 is fitted as each iteration of the loop fits it (the two start cells plus the frames, 2 starts from the published
  constants) on the whole pool and on --draws random subsets of 3, 6, 12, 24, 48 and 96 of its frames (no diversity
  rule), and the test errors printed: force MAE and RMSE (meV/Å), energy MAE and RMSE (meV/atom), medians over draws.
- --greedy N: N frames chosen one by one from the pool, each the one whose fit has the lowest
  max(force MAE / F_REF, energy MAE / E_REF) *on the test set*, with F_REF and E_REF random selection's twelve-label
  medians in docs/active-learning.md: a choice no loop can make (it reads the test errors), that says whether some N
  frames reach both references at all.

The last line: `al_capacity: pool P frames, force MAE F meV/Å, energy MAE E meV/atom` (GP1 fitted on the whole pool).
"""

import argparse
import tempfile
from pathlib import Path
from types import SimpleNamespace

import active_learning as benchmark
import numpy as np
from ase.io import read, write

from symff.data import Dataset
from symff.environment import describe
from symff.evaluate.predict import model_errors
from symff.fit.given_form import fit_form
from symff.learn.oracle import label

SIZES = (3, 6, 12, 24, 48, 96)
F_REF, E_REF = 10.45, 0.411  # meV/Å, meV/atom: random selection's 12-label medians (six seeds, docs/active-learning.md)
LOOP = {"members": 4, "batch": 3, "per_start": 1, "rank_by": "energy", "density_weight": 0.0, "budget": 12,
        "fit_starts": 2}  # benchmarks/active_learning.py's defaults


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="the random-selection loop's seed")
    parser.add_argument("--draws", type=int, default=10, help="random subsets of each size")
    parser.add_argument("--greedy", type=int, default=0, metavar="N", help="choose N frames by their test errors")
    parser.add_argument("--out", type=Path, help="keep the loop and the labelled pool here")
    args = parser.parse_args()
    print(f"environment: {describe()}", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.out or Path(scratch)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)  # as benchmarks/active_learning.py draws its start and test sets
        calc = benchmark.oracle()
        write(folder / "start.extxyz", benchmark.start_set(calc, rng, 2))
        write(folder / "md_start.extxyz", benchmark.md_starts())
        test = Dataset.from_atoms(benchmark.test_set(calc, rng))
        start = Dataset.from_atoms(read(folder / "start.extxyz", ":"))
        summary = benchmark.learn(folder, "random", SimpleNamespace(**LOOP), args.seed, folder / "start.extxyz",
                                  folder / "md_start.extxyz")
        pool = []
        for record in summary["iterations"]:
            candidates = folder / f"random-{args.seed}" / f"iter-{record['iteration']:03d}" / "candidates.extxyz"
            for frame in read(candidates, ":") if candidates.is_file() else []:
                labelled = label(frame, calc)
                labelled.info = dict(frame.info)
                pool.append(labelled)
        write(folder / "pool.extxyz", pool)
        print(f"pool: {len(pool)} MD frames of {len(summary['iterations']) - 1} iterations, labelled by the oracle")

        def errors(frames):
            train = Dataset.concatenate([start, Dataset.from_atoms(frames)]) if frames else start
            model = fit_form(benchmark.GP1, train, starts=LOOP["fit_starts"], seed=0,
                             start_values=benchmark.GP1_START, source="form").model
            e = model_errors(model, test, exact=False)
            return 1000 * e["force_mae"], 1000 * e["force_rmse"], e["energy_mae_mev"], e["energy_rmse_mev"]

        print("frames  force MAE  force RMSE  energy MAE  energy RMSE   (meV/Å, meV/atom; medians over draws)")
        print("{:>6}  {:9.2f}  {:10.2f}  {:10.3f}  {:11.3f}   (the start cells alone)".format(0, *errors([])))
        draw = np.random.default_rng(args.seed)
        for n in SIZES:
            table = [errors([pool[i] for i in draw.choice(len(pool), n, replace=False)]) for _ in range(args.draws)]
            print("{:>6}  {:9.2f}  {:10.2f}  {:10.3f}  {:11.3f}".format(n, *np.median(table, axis=0)), flush=True)
        whole = errors(pool)
        print("{:>6}  {:9.2f}  {:10.2f}  {:10.3f}  {:11.3f}   (the whole pool)".format(len(pool), *whole))

        def score(values):  # the larger of the errors relative to random selection's references
            return max(values[0] / F_REF, values[2] / E_REF)

        chosen = []
        for step in range(args.greedy):
            tried = {i: errors([pool[j] for j in [*chosen, i]]) for i in range(len(pool)) if i not in chosen}
            best = min(tried, key=lambda i: score(tried[i]))
            values = tried[best]
            chosen.append(best)
            frame = pool[best].info
            print(f"greedy {step + 1}: start {frame['start']} at {frame['temperature']:g} K, step {frame['step']}: "
                  f"force MAE {values[0]:.2f} meV/Å, energy MAE {values[2]:.3f} meV/atom "
                  f"(max ratio to {F_REF}, {E_REF}: {score(values):.3f})", flush=True)
        print(f"al_capacity: pool {len(pool)} frames, force MAE {whole[0]:.2f} meV/Å, energy MAE {whole[2]:.3f} "
              "meV/atom")


if __name__ == "__main__":
    main()
