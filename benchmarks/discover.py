"""Discovery benchmark: search DFT data with the eam grammar and compare the front's test errors with references.

    python benchmarks/discover.py cu-mlearn [--time-limit 3600] [--seed 1] [--out RUN] [--refit]
    python benchmarks/discover.py cu-mlearn --from-run RUN     # report an existing run without searching again

Cases: cu-mlearn, ni-mlearn, mo-mlearn (../shared/datasets/mlearn/{El}/train → test) and cu-poet (Cu-POET.extxyz,
split by info['split']). The search runs as `symff search` in a fresh process; errors follow DESIGN.md (reference
energy fitted on train, test errors per atom and per force component). The table lists every front member, with its
LAMMPS form (front.json's `lammps`: lepton, table, eam/alloy, hybrid/overlay or symff only) and sanity, then refitted
classical forms (--refit: Sutton–Chen and POET's GP1, constants fitted on the same training data from their published
values), then the published reference numbers of DESIGN.md. The *best* member is the run's default member, the model
a user gets from `symff evaluate/export RUN` (symff.rundir.default_member): the most accurate member that is sane,
LAMMPS-runnable and of complexity ≤ 40.
The last line is `CASE: best E_MAE X meV/atom, F_MAE Y eV/A, complexity C, T s` (T: search wall time).
"""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
MAX_COMPLEXITY = 40  # symff.rundir.DEFAULT_MAX_COMPLEXITY: the default member's bound

# Test-set errors (E MAE meV/atom, F MAE eV/Å) measured with the DESIGN.md protocol (DESIGN.md table).
REFERENCES = {
    "cu-mlearn": {"Mishin EAM": (6.04, 0.047), "Foiles EAM": (11.09, 0.040), "POET GP1 (published)": (5.63, 0.046),
                  "Sutton-Chen x f_c": (26.25, 0.106)},
    "cu-poet": {"Mishin EAM": (8.56, 0.075), "Foiles EAM": (5.21, 0.057), "POET GP1 (published)": (4.18, 0.072),
                "Sutton-Chen x f_c": (30.31, 0.115)},
    "ni-mlearn": {},
    "mo-mlearn": {},
}
# Classical forms refitted on the training data, starting from their published constants (integers stay fixed).
REFIT_FORMS = {
    "Sutton-Chen (refit)": "NS(0.5*0.012382*3.61**9*r**-9) - 0.012382*39.432*3.61**3*sqrt(NS(r**-6))",
    "POET GP1 (refit)": "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r)",
}


def case_data(case):
    """(train files, test files, extra search arguments) of a case."""
    if case == "cu-poet":
        return [DATASETS / "cu-poet" / "Cu-POET.extxyz"], [], ["--split-key", "split"]
    element = case.split("-")[0].capitalize()
    folder = DATASETS / "mlearn" / element
    return [folder / "train.extxyz"], [folder / "test.extxyz"], []


def run_search(case, out, args, extra):
    train, test, split = case_data(case)
    command = [sys.executable, "-m", "symff", "search", *map(str, train), *split, "--grammar", "eam",
               "--seed", str(args.seed), "--generations", str(args.generations), "--time-limit", str(args.time_limit),
               "--population", str(args.population), "--out", str(out), *extra]
    if test:
        command[4:4] = ["--test", *map(str, test)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def front_rows(run):
    from symff.rundir import member_lammps_form
    from symff.sanity import is_sane

    rows = []
    for member in json.loads((Path(run) / "front.json").read_text())["members"]:
        rows.append({"name": f"front {member['index']}", "complexity": member["complexity"],
                     "lammps": member_lammps_form(run, member)[0], "sane": is_sane(member),
                     "errors": member["errors"], "formula": member["formula"],
                     "model": str(Path(run) / member["model"])})
    return rows


def read_case(case):
    from symff.data import read_dataset, split_by_key

    train_files, test_files, split = case_data(case)
    if split:
        return split_by_key(read_dataset(train_files), "split")
    train = read_dataset(train_files)
    return train, read_dataset(test_files, elements=train.elements)


def refit_rows(case):
    """Refit the classical forms on the training data (local Levenberg–Marquardt from the published constants)."""
    from symff.evaluate.evaluator import Evaluator
    from symff.evaluate.predict import fitted_reference, model_errors
    from symff.expr.program import PotentialProgram
    from symff.fit.constants import fit_constants
    from symff.fit.loss import Targets
    from symff.model import Model, parse_formula
    from symff.neighbours import build_neighbours

    train, test = read_case(case)
    neighbours = build_neighbours(train, 5.0)
    evaluator = Evaluator(train, neighbours, r_in=3.0, r_out=5.0)
    rows = []
    for name, text in REFIT_FORMS.items():
        formula, _ = parse_formula(text, name, numbers_are_constants=True)
        fit = fit_constants(PotentialProgram(formula), evaluator, Targets(train), formula.initial, max_evaluations=300)
        model = Model(formula, fit.constants, fit.linear, train.elements, {}, 3.0, 5.0)
        model.reference_energy = fitted_reference(model, train, neighbours=neighbours)
        errors = {"train": model_errors(model, train, neighbours=neighbours), "test": model_errors(model, test)}
        rows.append({"name": name, "complexity": model.complexity, "lammps": "eam/alloy", "sane": None, "errors": errors,
                     "formula": model.energy_string(4), "model_file": model.to_dict()})
    return rows


def ship(row, run, case, name):
    """Copy the model file of `row` into symff/potentials/NAME.json with its provenance."""
    from symff.model import Model

    config = json.loads((Path(run) / "config.json").read_text())
    search = json.loads((Path(run) / "front.json").read_text())["search"]
    model = Model.load(row["model"])
    datasets = DATASETS.resolve()

    def relative(path):
        path = Path(path).resolve()
        return f"shared/datasets/{path.relative_to(datasets)}" if path.is_relative_to(datasets) else str(path)

    model.metadata |= {
        "symff_version": config["symff_version"],
        "provenance": {
            "case": case,
            "train": [relative(p) for p in config["data"]["train"]],
            "test": [relative(p) for p in config["data"]["test"]],
            "split_key": config["data"].get("split_key"),
            "command": config["command"],
            "seed": config["search"]["seed"],
            "search": config["search"],
            "generations": search["generations"],
            "search_seconds": search["elapsed_s"],
            "front_member": row["name"],
            "errors_protocol": "DESIGN.md: reference energy fitted on train; MAE/RMSE per atom and per force component",
        },
    }
    path = Path(__file__).resolve().parents[1] / "symff" / "potentials" / f"{name}.json"
    return model.save(path)


def best_row(rows, run):
    """The row of the run's default member (symff.rundir.default_member), or None if it has none."""
    from symff.errors import ModelError
    from symff.rundir import default_member

    try:
        name = f"front {default_member(run)}"
    except ModelError:
        return None
    return next(r for r in rows if r["name"] == name)


def table(rows, references):
    header = (f"{'model':<24} {'C':>3} {'LAMMPS':>14} {'sane':>4} {'train E':>8} {'train F':>8} {'test E':>8} "
              f"{'test F':>8}  formula")
    lines = [header]
    for r in rows:
        train, test = r["errors"].get("train", {}), r["errors"].get("test", {})
        sane = {True: "yes", False: "no", None: "-"}[r["sane"]]
        lines.append(f"{r['name']:<24} {r['complexity']:>3} {r['lammps']:>14} {sane:>4} "
                     f"{train.get('energy_mae_mev', float('nan')):8.3f} {train.get('force_mae', float('nan')):8.4f} "
                     f"{test.get('energy_mae_mev', float('nan')):8.3f} {test.get('force_mae', float('nan')):8.4f}  "
                     f"{r['formula']}")
    for name, (e, f) in references.items():
        lines.append(f"{name + ' [DESIGN.md]':<24} {'':>3} {'':>14} {'':>4} {'':>8} {'':>8} {e:8.3f} {f:8.4f}")
    lines.append("(MAE: energy meV/atom, force eV/Å per component; test reference energy fitted on train)")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", choices=sorted(REFERENCES))
    parser.add_argument("--time-limit", type=float, default=3600.0)
    parser.add_argument("--generations", type=int, default=10000)
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="the run directory (default: runs/discover-CASE-SEED)")
    parser.add_argument("--from-run", type=Path, metavar="RUN", help="report this run instead of searching")
    parser.add_argument("--refit", action="store_true", help="also refit Sutton-Chen and GP1 on the training data")
    parser.add_argument("--refit-json", type=Path, metavar="FILE",
                        help="with --refit: read the refitted rows from FILE if it exists, else write them there")
    parser.add_argument("--ship", metavar="NAME", help="write the best member to symff/potentials/NAME.json")
    args, extra = parser.parse_known_args()
    if args.from_run:
        run = args.from_run
        seconds = json.loads((run / "front.json").read_text())["search"]["elapsed_s"]
    else:
        run = args.out or Path("runs") / f"discover-{args.case}-{args.seed}"
        seconds = run_search(args.case, run, args, extra)
    references = REFERENCES[args.case]
    rows = front_rows(run)
    best = best_row(rows, run)
    if args.refit and args.refit_json and args.refit_json.exists():
        rows += json.loads(args.refit_json.read_text())
    elif args.refit:
        refitted = refit_rows(args.case)
        if args.refit_json:
            args.refit_json.write_text(json.dumps(refitted, indent=1))
        rows += refitted
    print(table(rows, references))
    if best is None:
        print(f"{args.case}: no sane, LAMMPS-runnable member of complexity <= {MAX_COMPLEXITY}, {seconds:.0f} s")
        return
    test = best["errors"]["test"]
    print(f"best: {best['name']} ({best['model']})")
    if args.ship:
        print(f"shipped: {ship(best, run, args.case, args.ship)}")
    print(f"{args.case}: best E_MAE {test['energy_mae_mev']:.2f} meV/atom, F_MAE {test['force_mae']:.3f} eV/A, "
          f"complexity {best['complexity']}, {seconds:.0f} s")


if __name__ == "__main__":
    main()
