"""Time the same fixed island search of the eam grammar on mlearn Cu with 1 worker and with 2, and their ratio.

Usage: python benchmarks/scaling.py [--frames ::4] [--population 200] [--generations 4] [--islands 4]

Both runs are the same search, with symff search's defaults (population 200 in 4 islands), same seed and islands: by
construction they give the same front, which is checked. With 1 worker every job (canonical forms, fits) runs in this
process, generation by generation; with 2, the jobs go to a LocalCluster of 2 worker processes, each island handing
in its next generation's jobs as soon as its own are back (up to the next migration). The timed part is the search (generation 0 and every generation);
starting the cluster, scattering the data and building the stages (the evaluators of the data and of each island's
screening subset, and the compiled kernels loaded) are timed apart, as they happen once per run. Also printed: the measured
costs docs/scaling.md projects to 100 workers from (the driver's time per generation, the CPU time of every job, the
bytes of the data sent to each worker once and of a checkpoint), and that projection, made by scheduling the measured
jobs on W simulated workers as the pool does (costliest first, each to the first free worker).

Default data: every 4th structure of ../shared/datasets/mlearn/Cu/train.extxyz (66 structures), so that both runs take
minutes, not hours; --frames : uses all of it.
"""

import argparse
import heapq
import pickle
import time
from pathlib import Path

import numpy as np

from symff.cli.search import default_islands
from symff.data import read_dataset
from symff.neighbours import build_neighbours
from symff.search.config import SearchConfig
from symff.search.islands import IslandSearch, island_config
from symff.search.pool import InProcess, OnDask

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mlearn" / "Cu" / "train.extxyz"
TASK_OVERHEAD = 0.002  # s per job on a cluster (a Dask task's round trip: scheduler, worker, result), assumed


class Measured:
    """A pool wrapper that records every batch: its wall time, and the weight and CPU time of each of its jobs."""

    def __init__(self, pool):
        self.pool, self.batches = pool, []
        self.workers, self.stages = pool.workers, pool.stages

    def prepare(self, configs):
        self.pool.prepare(configs)

    def run(self, jobs):
        start = time.perf_counter()
        outcomes = self.pool.run(jobs)
        self.batches.append((time.perf_counter() - start, [(j.weight, o.seconds) for j, o in zip(jobs, outcomes)]))
        return outcomes

    def close(self):
        self.pool.close()


def timed_search(config, train, neighbours, pool, run):
    measured = Measured(pool)
    start = time.perf_counter()
    search = IslandSearch(config, train, neighbours=neighbours, executor=measured, run=run)
    result = search.run()
    return time.perf_counter() - start, result, measured, search.checkpoint_bytes


def makespan(jobs, workers):
    """Wall time of a batch of (weight, seconds) jobs on `workers`: costliest weight first, each to the first free
    worker, TASK_OVERHEAD per job."""
    free = [0.0] * workers
    for _, seconds in sorted(jobs, key=lambda job: -job[0]):
        heapq.heappush(free, heapq.heappop(free) + seconds + TASK_OVERHEAD)
    return max(free)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--frames", default="::4", help="ASE index of the structures to use (default ::4)")
    parser.add_argument("--population", type=int, default=200, help="default: symff search's")
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--islands", type=int, help="default: symff search's for the population")
    parser.add_argument("--out", default="/tmp/symff-scaling", help="where the two runs write their checkpoints")
    args = parser.parse_args()

    train = read_dataset([args.data], index=args.frames)
    config = SearchConfig(grammar="eam", population=args.population, generations=args.generations, seed=0,
                          islands=args.islands or default_islands(args.population), migration_interval=2)
    neighbours = build_neighbours(train, config.r_out)
    payload = len(pickle.dumps((train, neighbours)))
    print(f"data: {train.n_structures} structures, {train.n_atoms} atoms, {neighbours.i.size} pairs "
          f"({payload / 1e6:.1f} MB pickled, sent to each worker once)")
    print(f"search: eam grammar, population {config.population} in {config.islands} islands, "
          f"{config.generations} generations, migration every {config.migration_interval}")

    runs = {}
    for workers in (1, 2):
        out = Path(args.out) / f"workers{workers}"
        out.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        pool = InProcess(train, neighbours) if workers == 1 else OnDask(train, neighbours, workers=workers)
        pool.prepare([island_config(config, i) for i in range(config.islands)])  # the search would do it first
        setup = time.perf_counter() - start
        seconds, result, measured, checkpoint = timed_search(config, train, neighbours, pool, out)
        jobs = sum(len(batch) for _, batch in measured.batches)
        # with 1 worker the batches run one after the other, and the rest is the driver's; with more, the islands'
        # batches overlap between migrations (symff.search.islands: each island goes on once its own jobs are back)
        alone = (f"the driver alone {seconds - sum(wall for wall, _ in measured.batches):.1f} s"
                 if workers == 1 else "islands' batches overlapping between migrations")
        print(f"{workers} worker{'s' if workers > 1 else ' '}: {seconds:7.1f} s search "
              f"(+ {setup:.1f} s cluster start, data scatter and stages built); {result.generations} generations, "
              f"{jobs} jobs in {len(measured.batches)} batches; {alone}; checkpoint {checkpoint / 1e6:.2f} MB")
        runs[workers] = (seconds, result, measured)
    (t1, r1, m1), (t2, r2, _) = runs[1], runs[2]
    same = [(c.key, c.loss) for c in r1.front] == [(c.key, c.loss) for c in r2.front]
    print(f"same front with 1 and 2 workers: {'yes' if same else 'NO'}")
    print(f"speed-up, 2 workers over 1: {t1 / t2:.2f}x  ({t1:.1f} s / {t2:.1f} s)")
    cpu1, cpu2 = (sum(seconds for _, batch in m.batches for _, seconds in batch) for m in (m1, runs[2][2]))
    print(f"the jobs' CPU time: {cpu1:.1f} s in one process, {cpu2:.1f} s on 2 workers ({cpu2 / cpu1 - 1:+.0%}: what "
          "running side by side costs on this machine, shared caches and memory bandwidth; Dask's own work is apart)")
    project(m1, t1, r1.generations + 1, config.population)


def project(measured, total, generations, population):
    """Per-generation wall time on W workers, from the 1-worker run: the driver's time, plus each batch's makespan
    with its measured fits scheduled on W workers. A cluster of W workers needs a population that gives them work:
    the projection scales the population (and the jobs per batch, resampled from the measured ones) with W / 2."""
    cpu = [seconds for _, batch in measured.batches for _, seconds in batch]
    driver = (total - sum(wall for wall, _ in measured.batches)) / generations
    print(f"measured: {len(cpu)} jobs (canonical forms of 25 trees, or one form's fits), CPU time per job mean "
          f"{np.mean(cpu):.3f} s, median {np.median(cpu):.3f} s, max {np.max(cpu):.2f} s; the driver "
          f"{driver:.2f} s per generation ({population} trees)")
    rng = np.random.default_rng(0)
    for workers in (2, 10, 100):
        scale = max(1, workers // 2)
        serial = parallel = 0.0
        for _ in range(20):  # resamplings
            for _, batch in measured.batches:
                jobs = [batch[k] for k in rng.integers(len(batch), size=len(batch) * scale)] if scale > 1 else batch
                serial += sum(seconds for _, seconds in jobs)
                parallel += makespan(jobs, workers)
        serial, parallel = serial / 20, parallel / 20
        drive = driver * generations * scale  # breeding, canonical forms and selection grow with the population
        print(f"  {workers:3d} workers, population {population * scale}: {serial + drive:8.1f} s on 1 worker, "
              f"{parallel + drive:7.1f} s on {workers}: speed-up {(serial + drive) / (parallel + drive):5.1f}x "
              f"(jobs alone {serial / parallel:5.1f}x)")


if __name__ == "__main__":
    main()
