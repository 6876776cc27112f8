"""What a Nb–Mo member's constant-angle three-body sum gives up: the member's form refitted with an angular function.

    python benchmarks/nbmo_angle_probe.py RUN K [--powers 2 4 6 8 10] [--energy-weight 3] [--passes 400]

RUN: a run of `benchmarks/discover.py nbmo` (or `symff search` on its training files) with the angular grammar; K: a
front member (its complexity, as in front.json's archive) whose form holds one three-body sum of a constant angular
function, NS3(f, k). Such a sum is Σ_{j<k} f f = (NS(f)² − NS(f²))/2 (f within the three-body cutoff): a squared
density of a shorter range and a pair term, no angle. The searches kept such sums (docs/alloys.md, "At most one
three-body sum"); this probe refits the member's form (read from RUN's checkpoint, element blind) on all but a seeded
20 % of each training file (`nbmo_errors.py --holdout 0.2`'s split), from the blind form's constants (each element's
copy at the median of its fitted values), in these variants:

- as is, from the search's fitted constants (every element's own) and from the blind form's;
- angle cⁿ: the sum's angular function k made cⁿ (one three-body sum still);
- squared density + angle cⁿ: the same, and a term a·NS(b^r)² added, b a new constant starting at the base of f's
  decay where f is one (else 0.1): the squared density the constant-angle sum stood for, as a radial sum that an
  eam/alloy file holds.

It prints each variant's training loss and symff's errors on the held-out structures and on the test files
(meV/atom / eV/Å), and writes each refitted model to --out. The forms are the member's with one change each, chosen
before the refits; the test files are printed, not used for any choice here.
"""

import argparse
import sys
from pathlib import Path
from types import SimpleNamespace

import ase.io
import numpy as np
import sympy as sp
from nbmo_errors import DATA, TEST, TRAIN, error_row, holdout_datasets

from symff.checkpoint import read_checkpoint
from symff.evaluate.evaluator import Evaluator
from symff.expr.canonical import canonicalize
from symff.expr.species import fitted_form
from symff.expr.symbols import NS, NS3, C, R, Rejected
from symff.fit.constants import fit_constants
from symff.fit.loss import LossWeights, Targets
from symff.model import form_model
from symff.neighbours import build_neighbours

ELEMENTS = ("Nb", "Mo")
NEW_COEFFICIENT = sp.Symbol("a_probe", real=True)
NEW_BASE = sp.Symbol("b_probe", positive=True)


def member(run, complexity):
    """(Candidate, the search's configuration) of the front member of `complexity` in RUN's first island."""
    state = read_checkpoint(run)
    island = state["islands"][0]
    island = island if isinstance(island, dict) else island.to_dict()
    if complexity not in island["archive"]:
        raise SystemExit(f"{run}: no front member of complexity {complexity} (have {sorted(island['archive'])})")
    return island["candidates"][island["archive"][complexity]], state["config"]


def variants(energy, powers, values):
    """{label: (energy, starts of new constants)} of `energy` with one constant-angle three-body sum (`values`: its
    constants' values)."""
    constant_angle = [s for s in energy.atoms(NS3) if not s.args[1].has(C)]
    if len(constant_angle) != 1:
        raise SystemExit(f"the form holds {len(constant_angle)} three-body sums of a constant angular function, "
                         f"not one: {energy}")
    [sum3] = constant_angle
    bond = sum3.args[0]
    base = next((factor.base for factor in sp.Mul.make_args(bond) if factor.is_Pow and factor.exp == R), None)
    decay = float(base.xreplace(values)) if base is not None else 0.1
    found = {"as is, the blind form's constants": (energy, {})}
    for n in powers:
        angled = energy.xreplace({sum3: NS3(bond, C**n)})
        found[f"angle c**{n}"] = angled, {}
        found[f"squared density + angle c**{n}"] = (angled + NEW_COEFFICIENT * NS(NEW_BASE**R) ** 2,
                                                     {NEW_COEFFICIENT: 1.0, NEW_BASE: decay})
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", metavar="RUN")
    parser.add_argument("complexity", metavar="K", type=int)
    parser.add_argument("--powers", type=int, nargs="+", default=[2, 4, 6, 8, 10])
    parser.add_argument("--energy-weight", type=float, default=3.0)
    parser.add_argument("--passes", type=int, default=400, help="passes over the data allowed to each refit")
    parser.add_argument("--out", type=Path, default=Path("angle-probe"), help="folder for the refitted models")
    args = parser.parse_args(argv)
    candidate, search = member(args.run, args.complexity)
    formula = candidate.formula
    r_in, r_out = search["r_in"], search["r_out"]
    three_body = tuple(search["three_body_cutoff"]) if search.get("three_body_cutoff") else None
    values = dict(zip(formula.constants, candidate.form_constants)) | dict(zip(formula.linear,
                                                                              formula.linear_initial))
    found = variants(formula.energy, args.powers, values)

    frames = {name: ase.io.read(DATA / f"{name}.extxyz", ":") for name in TRAIN + TEST}
    train, _, tests = holdout_datasets(SimpleNamespace(elements=ELEMENTS), frames, 0.2)
    evaluator = Evaluator(train, build_neighbours(train, r_out), r_in=r_in, r_out=r_out,
                          three_body_cutoff=three_body)
    targets = Targets(train, LossWeights(energy=args.energy_weight))
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"front member of complexity {args.complexity} of {args.run}: {formula.energy}")
    print(f"refits on 80 % of each training file (E×{args.energy_weight:g}, <= {args.passes} passes); "
          "MAE E meV/atom / F eV/A:", flush=True)
    runs = [("as is, the search's constants", formula.energy, {}, candidate.fit.constants),
            *((label, energy, starts, None) for label, (energy, starts) in found.items())]
    for k, (label, energy, starts, constants) in enumerate(runs):
        try:
            form = canonicalize(energy, values | starts)
            program, _, start = fitted_form(form, ELEMENTS)
            fit = fit_constants(program, evaluator, targets,
                                np.asarray(start if constants is None else constants, dtype=float),
                                max_evaluations=args.passes)
        except Rejected as why:
            print(f"  {label:32s} rejected: {why}", flush=True)
            continue
        model = form_model(form, fit.constants, fit.linear, ELEMENTS, r_in=r_in, r_out=r_out,
                           three_body_cutoff=three_body)
        model.reference_energy = dict(zip(train.elements, map(float, fit.reference)))
        model.save(args.out / f"{k}.json")
        print(f"  {label:32s} complexity {form.complexity:3d}  loss {fit.loss:8.2f}  {error_row(model, tests)}  "
              f"-> {args.out / f'{k}.json'}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
