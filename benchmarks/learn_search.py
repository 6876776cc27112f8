"""Active learning that re-searches the form (`search` in the configuration) against refitting one form, with ASE's
EMT for Cu as the oracle.

Usage: python benchmarks/learn_search.py [--time-limit S] [--out DIR]

- Start: 3 rattled 32-atom fcc cells (lattice constant ×1, 0.98, 1.03), labelled by EMT.
- Both loops: MD (LAMMPS where the model exports, else ASE) from the start cells at 300 and 1200 K, 200 steps,
  9 labels in batches of 3, the committee's largest force disagreement ranking the frames, seed 0.
- Refit: the form A NS(r^-n) − B sqrt(NS(r^-6)) (Sutton–Chen's) refitted each iteration. Search: the same form as
  the first start form, then `symff search` settings {grammar: eam, population: 60, time_limit: S (default 45)} each
  iteration from the last front.
- Test set (fixed): 24 EMT MD frames of a 108-atom fcc cell at 300, 800 and 1200 K.

Printed: each iteration's labels, largest disagreement, and the test energy and force MAE of its model, for both.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml
from ase import units
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.io import write
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import thermalize_momenta

from symff.data import Dataset
from symff.evaluate.predict import model_errors
from symff.learn import load_config, run_learning
from symff.learn.oracle import label
from symff.model import Model

FORM = "A*NS(r**-n) - B*sqrt(NS(r**-6))"


def start_set(rng):
    frames = []
    for strain in (1.0, 0.98, 1.03):
        atoms = bulk("Cu", "fcc", a=3.61 * strain, cubic=True).repeat(2)
        atoms.rattle(0.08, seed=int(rng.integers(1 << 30)))
        frames.append(label(atoms, EMT()))
    return frames


def test_set(rng, frames_per_run=8, steps_between=25):
    frames = []
    for temperature in (300.0, 800.0, 1200.0):
        atoms = bulk("Cu", "fcc", a=3.61, cubic=True).repeat(3)
        atoms.calc = EMT()
        thermalize_momenta(atoms, temperature, rng=rng)
        md = Langevin(atoms, 2 * units.fs, temperature_K=temperature, friction=0.02 / units.fs, fixcm=False, rng=rng)
        for _ in range(frames_per_run):
            md.run(steps_between)
            frames.append(label(atoms, EMT()))
    return Dataset.from_atoms(frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=45.0, help="seconds of each iteration's search")
    parser.add_argument("--out", type=Path, help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.out or Path(scratch)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        write(folder / "start.extxyz", start_set(rng))
        test = test_set(rng)
        settings = {"form": FORM, "start_values": {"A": 1000, "B": 30, "n": 9}, "start": ["start.extxyz"],
                    "oracle": {"calculator": "ase.calculators.emt.EMT"}, "temperatures": [300, 1200],
                    "md_steps": 200, "batch": 3, "budget": 9, "iterations": 3, "threshold": 0.0, "seed": 0}
        loops = {"refit": settings,
                 "search": settings | {"search": {"grammar": "eam", "population": 60, "time_limit": args.time_limit}}}
        for name, config in loops.items():
            path = folder / f"{name}.yaml"
            path.write_text(yaml.safe_dump(config))
            start = time.perf_counter()
            summary = run_learning(load_config(path), folder / name, report=lambda line: None)
            elapsed = time.perf_counter() - start
            for record in summary["iterations"]:
                model = Model.load(folder / name / f"iter-{record['iteration']:03d}" / "model.json")
                errors = model_errors(model, test, exact=False)
                largest = record.get("largest_disagreement")
                print(f"{name:6s} labels {record['labels_used']:2d}: largest disagreement "
                      f"{'-' if largest is None else f'{largest:.3g}'} eV/Å, test energy MAE "
                      f"{errors['energy_mae_mev']:.3g} meV/atom, force MAE {errors['force_mae']:.3g} eV/Å")
            print(f"{name:6s} {elapsed:.0f} s; last model: {model.energy_string(4)}")


if __name__ == "__main__":
    main()
