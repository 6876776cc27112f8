"""Where a Nb–Mo model's energy errors come from, and what per-structure weights of the training files would change.

    python benchmarks/nbmo_errors.py MODEL.json [--weights unit AIMDx3 ...] [--passes 2000]

MODEL.json: a symff-model/2 file fitted on the nbmo case's training files (e.g. RUN/models/K.json of
`benchmarks/discover.py nbmo`). First, through `SymFFCalculator` with the model's own reference energies, each
file's signed energy errors (model − DFT, meV/atom): MAE, mean (an offset), spread, and for the AIMD files the mean
error at each of their volumes (an equation of state that is off shows as errors of one sign at one volume). Then
the model's form refitted from its own constants (`fit_constants`, the fit of `symff fit` and of the search) under
each weighting of the training structures (`WEIGHTINGS`), with each test file's energy and force MAE (symff's own,
reference energies from that fit): what `symff search --weight-key` with such weights could reach on this form.
"""

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import ase.io
import numpy as np

from symff.data import Dataset
from symff.evaluate.evaluator import Evaluator
from symff.evaluate.predict import model_errors
from symff.export.calculator import SymFFCalculator
from symff.fit.constants import fit_constants
from symff.fit.loss import LossWeights, Targets
from symff.model import Model
from symff.neighbours import build_neighbours

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "nbmotaw"
TRAIN = [f"{element}_{kind}" for element in ("Nb", "Mo") for kind in ("AIMD", "Elastic", "Surface")] + ["NbMo_SS"]
TEST = ["Nb_Test", "Mo_Test", "NbMo_Test"]
# weight of a structure of training file `name` that has `n` structures
WEIGHTINGS = {
    "unit": lambda name, n: 1.0,
    "AIMDx3": lambda name, n: 3.0 if "AIMD" in name else 1.0,
    "AIMDx6": lambda name, n: 6.0 if "AIMD" in name else 1.0,
    "MoAIMDx4": lambda name, n: 4.0 if name == "Mo_AIMD" else 1.0,
    "file-balanced": lambda name, n: 1.0 / n,  # every file the same total weight
}


def signed_errors(calculator, frames):
    """(model − DFT energy per atom in meV, volume per atom) of each structure."""
    errors, volumes = [], []
    for atoms in frames:
        dft = atoms.get_potential_energy() / len(atoms)
        volumes.append(atoms.get_volume() / len(atoms))
        labelled = atoms.copy()
        labelled.calc = calculator
        errors.append(1000 * (labelled.get_potential_energy() / len(atoms) - dft))
    return np.array(errors), np.array(volumes)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", metavar="MODEL.json")
    parser.add_argument("--weights", nargs="+", choices=list(WEIGHTINGS), default=list(WEIGHTINGS))
    parser.add_argument("--passes", type=int, default=2000, help="passes over the data allowed to each refit")
    args = parser.parse_args(argv)
    model = Model.load(args.model)
    frames = {name: ase.io.read(DATA / f"{name}.extxyz", ":") for name in TRAIN + TEST}

    print("signed energy errors (model - DFT, meV/atom), the model's own reference energies:")
    calculator = SymFFCalculator(model)
    for name in TEST + TRAIN:
        errors, volumes = signed_errors(calculator, frames[name])
        print(f"  {name:11s} n={len(errors):4d}  MAE {np.abs(errors).mean():6.2f}  mean {errors.mean():+7.2f}  "
              f"std {errors.std():6.2f}")
        if "AIMD" in name or name in ("Nb_Test", "Mo_Test"):
            for volume in np.unique(volumes.round(2)):
                at = volumes.round(2) == volume
                print(f"      volume {volume:5.2f} A^3/atom  n={at.sum():3d}  mean {errors[at].mean():+7.2f}  "
                      f"std {errors[at].std():6.2f}")

    atoms = [a for name in TRAIN for a in frames[name]]
    names = [name for name in TRAIN for _ in frames[name]]
    train = Dataset.from_atoms(atoms, names, model.elements)
    tests = {name: Dataset.from_atoms(frames[name], [name] * len(frames[name]), model.elements) for name in TEST}
    evaluator = Evaluator(train, build_neighbours(train, model.r_out), r_in=model.r_in, r_out=model.r_out)
    print(f"\nthe form refitted from its constants under weights of the training files (<= {args.passes} passes); "
          "test MAE E meV/atom / F eV/A (symff):")
    for weighting in args.weights:
        weights = np.array([WEIGHTINGS[weighting](name, len(frames[name])) for name in names])
        start = time.perf_counter()
        fit = fit_constants(model.program, evaluator, Targets(replace(train, weights=weights), LossWeights()),
                            model.constants, max_evaluations=args.passes)
        refitted = replace(model, constants=fit.constants, linear=fit.linear, errors={}, metadata={},
                           reference_energy=dict(zip(train.elements, map(float, fit.reference))))
        row = "  ".join(f"{name} {e['energy_mae_mev']:.2f}/{e['force_mae']:.4f}"
                        for name in TEST for e in [model_errors(refitted, tests[name])])
        print(f"  {weighting:13s} loss {fit.loss:8.2f}  {row}  ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
