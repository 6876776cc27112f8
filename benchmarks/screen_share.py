"""Where a hierarchical search's time goes by the screen's verdict: the full fits of forms the screen passed only
thanks to its slack, their CPU, and how many of them reached the front.

    python benchmarks/screen_share.py ../shared/datasets/mlearn/Cu/train.extxyz \
        --properties symff/targets/Cu-PBE.yaml --time-limit 900

Runs the hierarchical search of benchmarks/hierarchical.py (same settings: eam grammar, population 100, seed 1, one
worker) and records every screened job (symff.search.batch.run_job, kind "screened": the screen on the subset, then
the fit on all the data if the screened loss is at most `screen_slack` x the archive's lowest loss at most as
complex): its screened loss (with property targets, the screen's estimate, as the search compares it), the loss it
had to reach to enter the front (the job's `front_limit`), whether it was fitted on all the data, the loss it ended
with and its CPU seconds. Printed, for each slack s below the search's: the fits a slack of s would have stopped
(screened loss above s x front_limit), their CPU, and how many of them ended at or below front_limit (they entered
the front). The run is instrumented by wrapping those functions here; the search itself is unchanged, and a stop
that the search did not make is counted, not replayed (later generations would differ).
"""

import argparse
import math
import time
from typing import NamedTuple

from symff.data.read import read_dataset
from symff.search import batch, pool
from symff.search.config import SearchConfig
from symff.search.engine import run_search

SLACKS = (1.0, 1.1, 1.2, 1.3, 1.5, 1.7)


class ScreenedJob(NamedTuple):
    screened: float  # the screened loss the search compared
    front_limit: float  # the loss it had to reach to enter the front (inf in the first generation)
    fitted: bool  # fitted on all the data
    final: float | None  # the loss it ended with; None where rejected
    seconds: float  # CPU

    @property
    def entered(self):
        return self.final is not None and self.final <= self.front_limit


def instrument():
    """Wrap the job runner and the screen's estimate; returns the list the screened jobs are recorded in
    (`ScreenedJob`s)."""
    jobs, screened = [], {}
    run_job, estimate = pool.run_job, batch.screened_estimate

    def recording_estimate(outcome, config):
        outcome = estimate(outcome, config)
        screened["loss"] = outcome.result.loss if isinstance(outcome.result, batch.Candidate) else None
        return outcome

    def recording_run_job(stages, job):
        screened.clear()
        started = time.thread_time()
        outcome = run_job(stages, job)
        if job.kind == "screened" and screened.get("loss") is not None:
            final = outcome.result.loss if isinstance(outcome.result, batch.Candidate) else None
            jobs.append(ScreenedJob(screened["loss"], job.front_limit, bool(outcome.stats.fits), final,
                                    time.thread_time() - started))
        return outcome

    pool.run_job, batch.screened_estimate = recording_run_job, recording_estimate
    return jobs


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data")
    parser.add_argument("--properties", metavar="TARGETS", required=True,
                        help="property targets: the screen's estimate is what this instruments")
    parser.add_argument("--time-limit", type=float, default=900.0)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    pool.single_thread()
    train = read_dataset(args.data)
    jobs = instrument()
    config = SearchConfig(grammar="eam", population=args.population, generations=10_000, time_limit=args.time_limit,
                          seed=args.seed, properties=args.properties)
    started = time.perf_counter()
    result = run_search(config, train)
    wall = time.perf_counter() - started
    fitted = [job for job in jobs if job.fitted and math.isfinite(job.front_limit)]
    print(f"search: {wall:.1f} s, {result.generations} generations, {result.stats['trees']} candidates, "
          f"{result.stats['fits']} full fits, screen_slack {config.screen_slack}")
    print(f"screened jobs: {len(jobs)}, {sum(job.seconds for job in jobs):.1f} CPU s; fitted on all the data after a "
          f"generation with a front: {len(fitted)}, {sum(job.seconds for job in fitted):.1f} CPU s, "
          f"{sum(job.entered for job in fitted)} entered the front")
    for slack in (s for s in SLACKS if s < config.screen_slack):
        stopped = [job for job in fitted if job.screened > slack * job.front_limit]
        print(f"  slack {slack}: would stop {len(stopped)} fits, {sum(job.seconds for job in stopped):.1f} CPU s, "
              f"of which {sum(job.entered for job in stopped)} entered the front")


if __name__ == "__main__":
    main()
