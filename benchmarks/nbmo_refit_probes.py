"""What limits a Nb–Mo form's force error: the form refitted at other cutoffs, toward absolute errors, and with the
force rows of one element's training files weighted up.

    python benchmarks/nbmo_refit_probes.py MODEL.json [--energy-weight 3] [--passes 300]

MODEL.json: a symff-model/2 file fitted on the nbmo case's training files (e.g. RUN/models/K.json of
`benchmarks/discover.py nbmo`). Every refit starts from the model's constants on all but a seeded 20 % of each
training file (the split of `nbmo_errors.py --holdout 0.2`) and prints symff's errors on the held-out structures and
on the test files (meV/atom / eV/Å):

- cutoffs: the form refitted with (r_in, r_out) of `CUTOFFS` instead of its own;
- L1: force rows reweighted toward a fit of absolute errors (iteratively reweighted least squares, weights
  δ/max(|ΔF|, δ), rescaled to keep the force term's total at the current fit), the MAE the figures are;
- Nb forces ×k: the force rows of the Nb training files weighted k times (energies and the other files unchanged).

docs/alloys.md ("Start forms from a Nb-only search") has the figures of one run.
"""

import argparse
import sys
from dataclasses import replace

import ase.io
import numpy as np
from nbmo_errors import DATA, TEST, TRAIN, error_row, holdout_datasets, refit

from symff.evaluate.evaluator import Evaluator
from symff.fit.loss import LossWeights, Targets
from symff.model import Model
from symff.neighbours import build_neighbours

CUTOFFS = [(4.0, 5.0), (3.5, 5.5), (4.0, 5.5), (4.5, 5.5), (4.0, 6.0)]
L1_DELTA = 0.05  # eV/Å: force residuals below it keep their squared weight
NB_FORCE_FACTORS = [3.0, 10.0]


def scale_force_rows(targets, factor):
    """`targets` with each force row's scale multiplied by `factor` (one per row) and its target row with it."""
    targets.force_scale = targets.force_scale * factor
    data = targets.dataset
    targets.target = np.concatenate([targets.energy_scale * data.energy, targets.force_scale * data.forces.ravel(),
                                     targets.stress_scale * data.stress[targets.has_stress].ravel()])
    return targets


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", metavar="MODEL.json")
    parser.add_argument("--energy-weight", type=float, default=3.0, help="loss weight of the energy term (default 3)")
    parser.add_argument("--passes", type=int, default=300, help="passes over the data allowed to each refit")
    args = parser.parse_args(argv)
    model = Model.load(args.model)
    frames = {name: ase.io.read(DATA / f"{name}.extxyz", ":") for name in TRAIN + TEST}
    train, names, tests = holdout_datasets(model, frames, 0.2)
    weights = LossWeights(energy=args.energy_weight)

    def report(label, fit, refitted):
        print(f"  {label:22s} loss {fit.loss:8.2f}  {error_row(refitted, tests)}", flush=True)

    print(f"refits of {args.model} (E×{args.energy_weight:g}, <= {args.passes} passes), MAE E meV/atom / F eV/A:")
    evaluator = Evaluator(train, build_neighbours(train, model.r_out), r_in=model.r_in, r_out=model.r_out)
    fit, base = refit(model, train, Targets(train, weights), evaluator, args.passes)
    report(f"as is ({model.r_in:g}, {model.r_out:g} A)", fit, base)

    for r_in, r_out in CUTOFFS:
        other = Evaluator(train, build_neighbours(train, r_out), r_in=r_in, r_out=r_out)
        report(f"cutoff {r_in:g}, {r_out:g} A",
               *refit(model, train, Targets(train, weights), other, args.passes, r_in=r_in, r_out=r_out))

    targets = Targets(train, weights)
    plain = targets.force_scale.copy()
    n_energy = targets.energy_scale.size
    current = base
    for step in range(1, 4):
        residual = targets.solve(evaluator.basis(model.program, current.constants))[2]
        force_error = residual[n_energy:n_energy + plain.size] / targets.force_scale  # eV/Å per component
        factor = L1_DELTA / np.maximum(np.abs(force_error), L1_DELTA)
        factor *= np.sum((plain * force_error) ** 2) / np.sum(factor * (plain * force_error) ** 2)
        targets = scale_force_rows(Targets(train, weights), np.sqrt(factor))
        fit, current = refit(replace(model, constants=current.constants), train, targets, evaluator, args.passes)
        report(f"L1 reweighting, step {step}", fit, current)

    nb_rows = np.repeat(np.array([name.startswith("Nb_") for name in names])[train.structure_of_atom], 3)
    for k in NB_FORCE_FACTORS:
        targets = scale_force_rows(Targets(train, weights), np.where(nb_rows, np.sqrt(k), 1.0))
        report(f"Nb forces x{k:g}", *refit(model, train, targets, evaluator, args.passes))


if __name__ == "__main__":
    sys.exit(main())
