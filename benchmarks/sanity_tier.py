"""The cost of the sanity tier inside a search: CPU time of the checks per candidate against the jobs' CPU time.

    python benchmarks/sanity_tier.py /work/shared/datasets/mlearn/Cu/train.extxyz --population 40 --generations 2
    python benchmarks/sanity_tier.py …/nbmotaw/{Nb,Mo}_Elastic.extxyz …/nbmotaw/NbMo_SS.extxyz  # several elements

Runs a plain search (one process, one thread) with the sanity tier on, timing every call of the tier's check
(symff.sanity.first_failure) and every job (symff.search.batch.run_job). The last line is
`sanity tier: K checks, M ms per check (median), S s in all, P % of the jobs' CPU time, R rejected`.
"""

import argparse
import statistics
import time

from symff.data.read import read_dataset
from symff.search import batch, pool
from symff.search.config import SearchConfig
from symff.search.engine import run_search


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", nargs="+", help="training data: one file or several (of several elements)")
    parser.add_argument("--population", type=int, default=40)
    parser.add_argument("--generations", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pool.single_thread()
    checks, jobs = [], []
    check, run_job = batch.first_failure, pool.run_job

    def timed_check(model):
        start = time.thread_time()
        try:
            return check(model)
        finally:
            checks.append(time.thread_time() - start)

    def timed_job(stages, job):
        start = time.thread_time()
        try:
            return run_job(stages, job)
        finally:
            jobs.append(time.thread_time() - start)

    batch.first_failure, pool.run_job = timed_check, timed_job  # the names the search calls them by
    train = read_dataset(args.data)
    config = SearchConfig(population=args.population, generations=args.generations, seed=args.seed)
    result = run_search(config, train)
    rejected = sum(n for kind, n in result.stats["rejected"].items() if kind.startswith("sanity_"))
    print(f"{result.stats['trees']} trees, {result.stats['screen_fits']} screens, {result.stats['fits']} full fits, "
          f"{sum(jobs):.1f} s of jobs")
    print(f"sanity tier: {len(checks)} checks, {1e3 * statistics.median(checks):.1f} ms per check (median), "
          f"{sum(checks):.1f} s in all, "
          f"{100 * sum(checks) / sum(jobs):.2f} % of the jobs' CPU time, {rejected} rejected")


if __name__ == "__main__":
    main()
