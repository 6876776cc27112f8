"""Which property objective finds better potentials: `weighted` (every deviation, squared) or `tolerance` (only the
part beyond the tolerance: the tier with tolerances, made soft)?

    python benchmarks/property_objective.py /work/shared/datasets/mlearn/Cu/train.extxyz \
        --test /work/shared/datasets/mlearn/Cu/test.extxyz --properties symff/targets/Cu-PBE.yaml --time-limit 900

The same search (seed, time, population, start forms) with each objective, the two side by side at once, one process
and one core each (run it on an otherwise idle 2-core machine). For each front: its members meeting every
tolerance (static and unrelaxed defect properties, as the search scores them), sane and LAMMPS-runnable, and the
most accurate of those on the test data. Last line:
`property_objective: weighted met A best E/F, tolerance met B best E/F` (E meV/atom, F eV/Å on the test data).
"""

import argparse
import multiprocessing
import time

OBJECTIVES = ("weighted", "tolerance")


def run(objective, args):
    from symff.data.read import read_dataset
    from symff.export.form import SYMFF_ONLY, lammps_form
    from symff.sanity import is_sane
    from symff.search import pool
    from symff.search.config import SearchConfig
    from symff.search.engine import run_search
    from symff.search.results import front_models

    pool.single_thread()
    train = read_dataset(args.data)
    test = read_dataset(args.test) if args.test else None
    config = SearchConfig(grammar="eam", population=args.population, generations=100_000,
                          time_limit=args.time_limit, seed=args.seed, properties=args.properties,
                          property_objective=objective, start_forms=args.start_forms or None)
    started = time.perf_counter()
    result = run_search(config, train)
    elapsed = time.perf_counter() - started
    front = []
    for m in front_models(result, train, test):
        errors = m.errors.get("test", m.errors["train"])
        record = m.metadata.get("properties", {})
        front.append({"complexity": m.complexity, "data_loss": record.get("data_loss"),
                      "property_loss": record.get("property_loss"), "worst": record.get("worst_deviation"),
                      "met": bool(record.get("met")), "sane": is_sane(m), "lammps": lammps_form(m)[0] != SYMFF_ONLY,
                      "energy": errors["energy_mae_mev"], "force": errors["force_mae"],
                      "formula": m.energy_string(4)})
    return {"objective": objective, "elapsed": elapsed, "generations": result.generations,
            "candidates": result.stats["trees"], "fits": result.stats["fits"], "front": front}


def _usable(member):
    return member["met"] and member["sane"] and member["lammps"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--test")
    parser.add_argument("--properties", required=True, metavar="TARGETS")
    parser.add_argument("--time-limit", type=float, default=900.0)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start-forms", default="classical", help="as `symff search --start-forms` ('' for none)")
    args = parser.parse_args()
    with multiprocessing.get_context("spawn").Pool(len(OBJECTIVES)) as workers:
        runs = workers.starmap(run, [(objective, args) for objective in OBJECTIVES])
    summary = []
    for r in runs:
        usable = [m for m in r["front"] if _usable(m)]
        best = min(usable, key=lambda m: (m["force"], m["energy"]), default=None)
        summary.append(f"{r['objective']} met {len(usable)} best "
                       + (f"{best['energy']:.2f}/{best['force']:.4f}" if best else "none"))
        print(f"\n{r['objective']}: {r['elapsed']:.0f} s, {r['generations']} generations, {r['candidates']} "
              f"candidates, {r['fits']} full fits; front (complexity, data loss, property loss, worst |deviation|, "
              "within every tolerance, sane, LAMMPS, test E MAE meV/atom, test F MAE eV/Å, formula):")
        for m in r["front"]:
            data, prop, worst = (float("nan") if m[k] is None else m[k] for k in ("data_loss", "property_loss", "worst"))
            print(f"  {m['complexity']:4d} {data:10.4g} {prop:10.4g} {worst:8.3g} {'met' if m['met'] else '-':>4s}"
                  f" {'sane' if m['sane'] else '-':>5s} {'yes' if m['lammps'] else 'no':>4s} {m['energy']:8.2f}"
                  f" {m['force']:8.4f}  {m['formula']}")
    print("property_objective: " + ", ".join(summary))


if __name__ == "__main__":
    main()
