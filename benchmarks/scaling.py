"""Time the same fixed island search of the eam grammar on mlearn Cu with 1 worker and with 2, and their ratio.

Usage: python benchmarks/scaling.py [--frames 0:262:4] [--population 32] [--generations 4] [--islands 2]

Both runs are the same search (same seed, same islands: by construction they give the same front, which is checked):
with 1 worker the islands evolve one after the other in this process; with 2 they evolve side by side as Dask actors
on a LocalCluster of 2 worker processes. The timed part is the search (island start-up, generation 0 and every
generation); starting the cluster and scattering the data are timed apart, as they happen once per run. Also printed:
the measured costs that docs/scaling.md projects to 100 workers from (seconds per island-generation, the bytes of the
data sent to each worker once, of the state each island returns per generation, and of a checkpoint).

Default data: every 4th structure of ../shared/datasets/mlearn/Cu/train.extxyz (66 structures), so that both runs take
minutes, not hours; --frames : uses all of it.
"""

import argparse
import pickle
import time
from pathlib import Path

import numpy as np

from symff.data import read_dataset
from symff.neighbours import build_neighbours
from symff.search.config import SearchConfig
from symff.search.islands import InProcess, IslandSearch, OnDask

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mlearn" / "Cu" / "train.extxyz"


class Measured:
    """An executor wrapper that adds up the bytes of the deltas the islands return."""

    def __init__(self, executor):
        self.executor, self.delta_bytes, self.steps = executor, 0, 0
        self.workers = executor.workers
        self.island_seconds = []  # per generation: each island's compute time (wall)
        self.island_cpu = []  # per generation: each island's CPU time (what a quiet machine would take)

    def open(self, config, records):
        deltas = self.executor.open(config, records)
        self.island_seconds.append([d["seconds"] for d in deltas])
        self.island_cpu.append([d["cpu"] for d in deltas])
        return deltas

    def step(self, immigrants, elapsed):
        deltas = self.executor.step(immigrants, elapsed)
        self.delta_bytes += sum(len(pickle.dumps(d)) for d in deltas)
        self.island_seconds.append([d["seconds"] for d in deltas])
        self.island_cpu.append([d["cpu"] for d in deltas])
        self.steps += 1
        return deltas

    def close(self):
        self.executor.close()


def timed_search(config, train, neighbours, executor, run):
    measured = Measured(executor)
    start = time.perf_counter()
    search = IslandSearch(config, train, neighbours=neighbours, executor=measured, run=run)
    result = search.run()
    return time.perf_counter() - start, result, measured, search.checkpoint_bytes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--frames", default="::4", help="ASE index of the structures to use (default ::4)")
    parser.add_argument("--population", type=int, default=32)
    parser.add_argument("--generations", type=int, default=4)
    parser.add_argument("--islands", type=int, default=2)
    parser.add_argument("--out", default="/tmp/symff-scaling", help="where the two runs write their checkpoints")
    args = parser.parse_args()

    train = read_dataset([args.data], index=args.frames)
    config = SearchConfig(grammar="eam", population=args.population, generations=args.generations, seed=0,
                          islands=args.islands, migration_interval=2)
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
        executor = InProcess(train, neighbours) if workers == 1 else OnDask(train, neighbours, workers=workers)
        setup = time.perf_counter() - start
        seconds, result, measured, checkpoint = timed_search(config, train, neighbours, executor, out)
        runs[workers] = result
        per_island_generation = seconds / ((result.generations + 1) * config.islands) * workers
        print(f"{workers} worker{'s' if workers > 1 else ' '}: {seconds:7.1f} s search "
              f"(+ {setup:.1f} s cluster start and data scatter); {result.generations} generations; "
              f"{per_island_generation:.2f} s per island-generation per worker; "
              f"{measured.delta_bytes / max(measured.steps, 1) / 1e3:.0f} kB of island state back per generation; "
              f"checkpoint {checkpoint / 1e6:.2f} MB")
        runs[workers] = (seconds, result, measured)
    (t1, r1, m1), (t2, r2, _) = runs[1], runs[2]
    same = [(c.key, c.loss) for c in r1.front] == [(c.key, c.loss) for c in r2.front]
    print(f"same front with 1 and 2 workers: {'yes' if same else 'NO'}")
    print(f"speed-up, 2 workers over 1: {t1 / t2:.2f}x  ({t1:.1f} s / {t2:.1f} s)")
    cpu = np.array(m1.island_cpu)  # generations x islands
    workers = [cpu[:, w::2].sum(axis=1) for w in range(2)]  # islands i, i + 2, ... share worker i % 2
    ideal = cpu.sum() / np.maximum(*workers).sum()
    print(f"from CPU times (contention removed): 1 worker {cpu.sum():.1f} s of island work (generations 0 to "
          f"{cpu.shape[0] - 1}), 2 workers {np.maximum(*workers).sum():.1f} s (the slower worker's, summed over "
          f"generations): {ideal:.2f}x from load balance alone (Dask calls add ms per generation)")
    project(cpu[1:])  # generation 0 (start-up, a whole population of new forms) is not a typical generation


def project(seconds):
    """Load balance from the island-generation CPU times of the 1-worker run (no contention between islands): a
    generation lasts as long as its slowest worker, so W workers with one island each run at mean / E[max of W]
    efficiency. E[max of W] is estimated by resampling the measured times."""
    flat = seconds.ravel()
    rng = np.random.default_rng(0)
    print(f"island-generation times: mean {flat.mean():.2f} s, median {np.median(flat):.2f} s, "
          f"max {flat.max():.2f} s over {flat.size}")
    for workers in (2, 10, 100):
        expected_max = rng.choice(flat, size=(2000, workers)).max(axis=1).mean()
        print(f"  {workers:3d} workers, one island each: per-generation wall {expected_max:.2f} s, "
              f"efficiency {flat.mean() / expected_max:.2f}, speed-up {workers * flat.mean() / expected_max:.1f}x")


if __name__ == "__main__":
    main()
