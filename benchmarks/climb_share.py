"""Where a hierarchical search's time goes: the share of the climb over exponents and decays, and how far from the
front the climbing candidates stood.

    python benchmarks/climb_share.py ../shared/datasets/mlearn/Cu/train.extxyz \
        --properties symff/targets/Cu-PBE.yaml --time-limit 600

Runs the hierarchical search of benchmarks/hierarchical.py (same settings: eam grammar, population 100, seed 1, one
worker) and times every climb (symff.search.scoring.FormFitter._climbed, the step after a candidate's fit on all the
data and its snapping) in CPU seconds. Each climb is put beside the loss a candidate must reach to enter the front
(the job's `front_limit`: the archive's lowest loss at most as complex, as the generation began; none in the first
generation). Printed: the run's wall time, the climbs' CPU, and for each threshold t the climbs that started above
t x front_limit, their CPU and how many of them ended at or below it. It answers whether the HOGA rule applied to
the climb (climb only a candidate that can reach the front) would save much: the CPU above t = 1 is the most it
could. The run is instrumented by wrapping those two functions here; the search itself is unchanged.
"""

import argparse
import math
import time

from symff.data.read import read_dataset
from symff.search import pool, scoring
from symff.search.config import SearchConfig
from symff.search.engine import run_search

THRESHOLDS = (0.5, 0.8, 1.0, 1.5, 2.0, 3.0)


def instrument():
    """Wrap the job runner and the climb; returns the list the climbs are recorded in:
    (front limit, loss before, loss after, CPU seconds)."""
    climbs, current = [], {}
    run_job = pool.run_job

    def recording_run_job(stages, job):
        current["front_limit"] = getattr(job, "front_limit", math.inf)
        return run_job(stages, job)

    climbed = scoring.FormFitter._climbed

    def recording_climbed(self, candidate):
        started = time.thread_time()
        result = climbed(self, candidate)
        climbs.append((current.get("front_limit", math.inf), candidate.loss, result.loss,
                       time.thread_time() - started))
        return result

    pool.run_job = recording_run_job
    scoring.FormFitter._climbed = recording_climbed
    return climbs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--properties", metavar="TARGETS")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pool.single_thread()
    train = read_dataset(args.data)
    climbs = instrument()
    config = SearchConfig(grammar="eam", population=args.population, generations=10_000, time_limit=args.time_limit,
                          seed=args.seed, properties=args.properties or [])
    started = time.perf_counter()
    result = run_search(config, train)
    wall = time.perf_counter() - started
    total = sum(seconds for *_, seconds in climbs)
    print(f"search: {wall:.1f} s, {result.generations} generations, {result.stats['trees']} candidates, "
          f"{result.stats['fits']} full fits")
    print(f"climbs: {len(climbs)}, {total:.1f} CPU s; lowering the loss by 1 % or more: "
          f"{sum(after < 0.99 * before for _, before, after, _ in climbs)}, "
          f"{sum(s for _, before, after, s in climbs if after < 0.99 * before):.1f} CPU s")
    first = [c for c in climbs if not math.isfinite(c[0])]
    print(f"  with no front to compare with (first generation): {len(first)}, "
          f"{sum(c[3] for c in first):.1f} CPU s")
    for threshold in THRESHOLDS:
        above = [c for c in climbs if math.isfinite(c[0]) and c[1] > threshold * c[0]]
        reached = sum(after <= limit for limit, _, after, _ in above)
        print(f"  starting above {threshold:g} x front limit: {len(above)}, {sum(c[3] for c in above):.1f} CPU s "
              f"({100 * sum(c[3] for c in above) / max(total, 1e-9):.0f} %); ending at or below it: {reached}")


if __name__ == "__main__":
    main()
