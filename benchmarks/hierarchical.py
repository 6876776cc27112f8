"""Hierarchical (HOGA) against exhaustive scoring: the same search, same seed and time, with the property tiers.

    python benchmarks/hierarchical.py /work/shared/datasets/mlearn/Cu/train.extxyz \
        --test /work/shared/datasets/mlearn/Cu/test.extxyz --properties symff/targets/Cu-PBE.yaml --time-limit 600

Two runs of `symff search --properties` in this process (one worker), side by side:
- *hierarchical*: the default; a candidate is screened on a subset, checked for sanity, fitted on all the data, then
  scored by the property tiers, stopping at the first tier where it cannot reach the front;
- *exhaustive*: every tier for every candidate (no screening subset, `hierarchical=False`: every property tier).
Printed: candidates scored, full fits, forms the screen kept from a full fit, candidates that reached each property
tier, and each front (complexity, loss = data loss + weight × property loss, test energy and force MAE, worst
property deviation, formula). Then the same comparison at every --every seconds of the runs (from each run's last
generation finished by then: candidates scored, their ratio, and whether each front covers the other): a HOGA stop
can only save work once the front is good enough to stop candidates, so the ratio depends on how far the searches
have come.
"""

import argparse
import time

from symff.data.read import read_dataset
from symff.search import pool
from symff.search.archive import beats
from symff.search.config import SearchConfig
from symff.search.engine import run_search
from symff.search.results import front_models


def run(label, config, train, test):
    started = time.perf_counter()
    result = run_search(config, train)
    elapsed = time.perf_counter() - started
    models = front_models(result, train, test)
    tiers = result.history[-1].tiers if result.history else {}
    summary = {"label": label, "elapsed": elapsed, "generations": result.generations, "history": result.history,
               "candidates": result.stats["trees"], "fits": result.stats["fits"],
               "screened_out": result.stats["screened_out"], **tiers,
               "front": [(m.complexity, m.metadata["loss"], m.errors.get("test", m.errors["train"])["energy_mae_mev"],
                          m.errors.get("test", m.errors["train"])["force_mae"],
                          m.metadata.get("properties", {}).get("worst_deviation"), m.energy_string(4))
                         for m in models]}
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--test")
    parser.add_argument("--properties", required=True, metavar="TARGETS")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--every", type=float, default=600.0, metavar="SECONDS",
                        help="the comparison by time: at every SECONDS of the runs (default 600)")
    parser.add_argument("--no-decay-neighbours", dest="decay_neighbours", action="store_false",
                        help="both runs climb without the decay neighbours (symff search --no-decay-neighbours)")
    parser.add_argument("--screen-slack", type=float, default=SearchConfig.screen_slack,
                        help="screen_slack (the hierarchical run's): a screened form is fitted on all the data if its "
                             "screened loss is at most this times the archive's lowest at most as complex "
                             f"(default {SearchConfig.screen_slack})")
    parser.add_argument("--screen-above-complexity", type=int, default=SearchConfig.screen_above_complexity,
                        help="screen_above_complexity (the hierarchical run's): forms at most this complex skip the "
                             f"screen (default {SearchConfig.screen_above_complexity}; 0: every form is screened)")
    args = parser.parse_args()
    pool.single_thread()
    train = read_dataset(args.data)
    test = read_dataset(args.test) if args.test else None
    base = SearchConfig(grammar="eam", population=args.population, generations=10_000, time_limit=args.time_limit,
                        seed=args.seed, properties=args.properties, decay_neighbours=args.decay_neighbours,
                        screen_slack=args.screen_slack, screen_above_complexity=args.screen_above_complexity)
    # the exhaustive run screens nothing: the slack and screen_above_complexity are moot there
    runs = [run("hierarchical", base, train, test),
            run("exhaustive", SearchConfig(**(base.to_dict() | {"screen_fraction": 0.0, "hierarchical": False})),
                train, test)]
    keys = ("elapsed", "generations", "candidates", "fits", "screened_out", "properties_static", "properties_defects",
            "properties_relaxed")
    print(f"{'':22s}" + "".join(f"{r['label']:>16s}" for r in runs))
    for key in keys:
        print(f"{key:22s}" + "".join(f"{r.get(key, 0):16.6g}" for r in runs))
    ratio = runs[0]["candidates"] / max(runs[1]["candidates"], 1)
    print(f"candidates scored, hierarchical / exhaustive: {ratio:.2f}")
    for r in runs:
        print(f"\n{r['label']} front (complexity, loss, test E MAE meV/atom, test F MAE eV/Å, worst |deviation|, "
              "formula):")
        for complexity, loss, e, f, worst, formula in r["front"]:
            worst = worst if worst is not None else float("nan")
            print(f"  {complexity:4d} {loss:12.5g} {e:8.3f} {f:8.4f} {worst:8.3g}  {formula}")
    hierarchical, exhaustive = (r["front"] for r in runs)
    print(f"\nhierarchical: candidates {ratio:.2f}x the exhaustive run's; its front equal or better (every exhaustive "
          f"member matched or beaten at equal or lower complexity): {'yes' if covers(hierarchical, exhaustive) else 'no'}"
          f"; the exhaustive front equal or better: {'yes' if covers(exhaustive, hierarchical) else 'no'}")
    print_by_time(runs, args.every)


def print_by_time(runs, every):
    """Candidates and fronts of both runs at every `every` seconds, from the last generation each had finished."""
    print(f"\nby time (each run's last generation finished by then): seconds, candidates {runs[0]['label']} / "
          f"{runs[1]['label']}, ratio, {runs[0]['label']} front covers / is covered")
    limit = max(r["history"][-1].elapsed for r in runs if r["history"])
    at = every
    while at < limit + every:
        reports = [max((g for g in r["history"] if g.elapsed <= at), key=lambda g: g.elapsed, default=None)
                   for r in runs]
        if all(reports):
            first, second = reports
            print(f"  {at:6.0f} {first.trees:7d} {second.trees:7d} {first.trees / max(second.trees, 1):6.2f} "
                  f"{'yes' if covers(first.front, second.front) else 'no':>4s} "
                  f"{'yes' if covers(second.front, first.front) else 'no':>4s}")
        at += every


def covers(front, other):
    """Whether `front` weakly dominates `other`: each member of `other` has one in `front` at most as complex whose
    loss it does not beat by the margin the search's own front asks of progress (symff.search.archive.beats: the
    same form reached along two paths ends a few last bits apart)."""
    return all(any(c <= complexity and not beats(other_loss, loss) for c, loss, *_ in front)
               for complexity, other_loss, *_ in other)


if __name__ == "__main__":
    main()
