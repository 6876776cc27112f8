"""Where a Nb–Mo model's energy errors come from, and what per-structure weights of the training files would change.

    python benchmarks/nbmo_errors.py MODEL.json [--weights unit AIMDx3 ...] [--energy-weight 1 3 ...]
        [--holdout 0.2] [--passes 2000]

MODEL.json: a symff-model/2 file fitted on the nbmo case's training files (e.g. RUN/models/K.json of
`benchmarks/discover.py nbmo`). First, through `SymFFCalculator` with the model's own reference energies, each
file's signed energy errors (model − DFT, meV/atom): MAE, mean (an offset), spread, and for the AIMD files the mean
error at each of their volumes (an equation of state that is off shows as errors of one sign at one volume). Then
the model's form refitted from its own constants (`fit_constants`, the fit of `symff fit` and of the search) under
each weighting of the training structures (`WEIGHTINGS`) and each weight of the energy term against the force term
(`--energy-weight`, the loss weight of `symff search --energy-weight`), with each test file's energy and force MAE
(symff's own, reference energies from that fit): what `symff search --weight-key` or `--energy-weight` with such
weights could reach on this form. Test errors choose nothing: `--holdout F` refits on the rest of each training
file and also prints the errors on the held-out fraction F of each element's training structures (seeded), the
figures to choose weights by without looking at the test files.
"""

import argparse
import sys
import time
from collections import Counter
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


def split_training(frames, fraction, seed=0):
    """({training file: the structures to fit}, {element group: the held-out structures}); groups Nb, Mo, NbMo."""
    fitted, held_out = {}, {}
    rng = np.random.default_rng(seed)
    for name in TRAIN:
        held = rng.random(len(frames[name])) < fraction
        fitted[name] = [a for a, h in zip(frames[name], held) if not h]
        held_out.setdefault(name.split("_")[0], []).extend(a for a, h in zip(frames[name], held) if h)
    return fitted, {group: held for group, held in held_out.items() if held}


def holdout_datasets(model, frames, fraction):
    """(training Dataset of all but the held-out structures, its file name per structure, {name: Dataset} of the test
    files and of each element group's held-out structures) for `split_training(frames, fraction)`."""
    fitted, held_out = split_training(frames, fraction)
    names = [name for name in TRAIN for _ in fitted[name]]
    train = Dataset.from_atoms([a for name in TRAIN for a in fitted[name]], names, model.elements)
    tests = {name: Dataset.from_atoms(frames[name], [name] * len(frames[name]), model.elements) for name in TEST}
    tests |= {f"held-out {group}": Dataset.from_atoms(held, [group] * len(held), model.elements)
              for group, held in held_out.items()}
    return train, names, tests


def refit(model, train, targets, evaluator, passes, **cutoff):
    """(fit, the model with its constants refitted to `targets` from its own, reference energies of that fit)."""
    fit = fit_constants(model.program, evaluator, targets, model.constants, max_evaluations=passes)
    return fit, replace(model, constants=fit.constants, linear=fit.linear, errors={}, metadata={}, **cutoff,
                        reference_energy=dict(zip(train.elements, map(float, fit.reference))))


def error_row(model, tests):
    """"NAME E/F" (symff's energy MAE meV/atom, force MAE eV/Å) of `model` on each data set of `tests`."""
    return "  ".join(f"{name} {e['energy_mae_mev']:.2f}/{e['force_mae']:.4f}"
                     for name in tests for e in [model_errors(model, tests[name])])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", metavar="MODEL.json")
    parser.add_argument("--weights", nargs="+", choices=list(WEIGHTINGS), default=list(WEIGHTINGS))
    parser.add_argument("--energy-weight", type=float, nargs="+", default=[1.0], metavar="W",
                        help="loss weights of the energy term to refit under (force 1, stress 0.1: the defaults)")
    parser.add_argument("--holdout", type=float, default=0.0, metavar="F",
                        help="refit on all but a seeded fraction F of each training file and print the errors on it")
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

    train, names, tests = holdout_datasets(model, frames, args.holdout)
    evaluator = Evaluator(train, build_neighbours(train, model.r_out), r_in=model.r_in, r_out=model.r_out)
    print(f"\nthe form refitted from its constants under weights of the training files (<= {args.passes} passes); "
          "test MAE E meV/atom / F eV/A (symff):")
    files = Counter(names)  # structures fitted of each training file
    for weighting in args.weights:
        weights = np.array([WEIGHTINGS[weighting](name, files[name]) for name in names])
        for energy_weight in args.energy_weight:
            start = time.perf_counter()
            targets = Targets(replace(train, weights=weights), LossWeights(energy=energy_weight))
            fit, refitted = refit(model, train, targets, evaluator, args.passes)
            print(f"  {weighting:13s} E×{energy_weight:<4g} loss {fit.loss:8.2f}  {error_row(refitted, tests)}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
