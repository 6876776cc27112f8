"""The island model: the population is shared out among islands that evolve apart and exchange their best.

    islands <- N searches, island i with population/N trees and a generator seeded from (seed, i)
    repeat for each generation:
        every island runs one generation of symff.search.engine.Search (in parallel, one per worker)
        every `migration_interval` generations, each island's best `migration_size` distinct forms are sent
            along the topology (ring: i -> i + 1; all: every island to every other) and join the receiver's next
            selection pool
        the driver merges the islands' archives into the front, and writes a checkpoint
    until the generation count, the time limit or the target loss is reached, or Ctrl-C

The driver (this process) holds a mirror of every island's state, brought up to date by small deltas after each
generation (symff.checkpoint.SearchExporter): migration is decided from the mirror, the checkpoint is written from it,
and a Ctrl-C or a lost worker never loses more than the generation under way. Islands live where they evolve: in this
process (`InProcess`, one worker) or as Dask actors (`OnDask`, a LocalCluster of N worker processes or an existing
cluster). The data travel to each worker once (scattered with broadcast), never with a task.

Determinism: an island's result depends only on its seed, its data and the immigrants it receives, which the driver
chooses from the mirror in island order; so the same seed and island count give the same front on any number of
workers, and a run killed and resumed from its checkpoint gives the front of an uninterrupted one.
"""

import hashlib
import logging
import time
from dataclasses import replace

from ..checkpoint import SearchExporter, apply_delta, empty_record, restore_search, tree_from_text, write_checkpoint
from ..neighbours import build_neighbours
from .archive import ParetoArchive
from .config import SearchConfig
from .engine import GenerationReport, Search, SearchResult, stop_reason


def island_seed(seed, index):
    """Island 0 keeps the run's seed (one island is the plain search); the others get seeds derived from both."""
    if index == 0:
        return seed
    digest = hashlib.sha256(f"symff-island:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def island_config(config, index):
    share, extra = divmod(config.population, config.islands)
    return replace(config, population=share + (index < extra), seed=island_seed(config.seed, index), islands=1)


def single_thread():
    """One evaluation thread per island: the workers are the parallelism, and more threads would oversubscribe the
    cores. One BLAS thread also makes the linear solves bit-identical wherever an island runs (a Dask worker starts
    with one; this process may have several, whose sums round differently), so the front does not depend on the
    number of workers."""
    from threadpoolctl import threadpool_limits

    from ..evaluate import kernels

    threadpool_limits(limits=1)
    if hasattr(kernels, "set_threads"):  # numba kernels may have threads (issue 3)
        kernels.set_threads(1)


class Island:
    """One island where it evolves. Built from (train, neighbours) and a record to resume from, or None to start."""

    def __init__(self, index, config, data, record=None):
        single_thread()
        start, cpu = time.perf_counter(), time.thread_time()
        train, neighbours = data
        self.search = Search(island_config(config, index), train, neighbours=neighbours)
        self.exporter = SearchExporter(self.search)
        if record is None:
            self.search.start()
        else:
            restore_search(self.search, record)
            self.exporter.adopt(record)
        self.work = {"seconds": time.perf_counter() - start, "cpu": time.thread_time() - cpu}

    def delta(self):
        """The state since the last delta (all of it, first), with the work of generation 0, for benchmarks."""
        return self.exporter.delta() | self.work

    def step(self, immigrants, elapsed):
        """One generation with `immigrants` (trees as text) joining the selection pool; returns the state's delta."""
        single_thread()
        start, cpu = time.perf_counter(), time.thread_time()
        self.search.started = start - elapsed  # the driver's clock, so reports agree across islands
        self.search.step([tree_from_text(text, self.search.grammar) for text in immigrants])
        # the work (wall and this thread's CPU time), for benchmarks; apply_delta ignores it
        return self.exporter.delta() | {"seconds": time.perf_counter() - start, "cpu": time.thread_time() - cpu}


class InProcess:
    """Islands evolved one after the other in this process."""

    workers = 1

    def __init__(self, train, neighbours):
        self.data = (train, neighbours)

    def open(self, config, records):
        self.islands = [Island(i, config, self.data, r) for i, r in enumerate(records)]
        return [island.delta() for island in self.islands]

    def step(self, immigrants, elapsed):
        return [island.step(arrivals, elapsed) for island, arrivals in zip(self.islands, immigrants)]

    def close(self):
        self.islands = []


class OnDask:
    """Islands as Dask actors spread round-robin over the workers of a cluster: a LocalCluster of `workers` processes
    with one thread each, or the cluster whose scheduler is at `scheduler`."""

    def __init__(self, train, neighbours, *, workers=None, scheduler=None):
        import dask
        from distributed import Client, LocalCluster

        if scheduler:
            self.cluster = None
            self.client = Client(scheduler)
        else:
            # no statistical profiler: it samples the one busy thread of each worker every 10 ms, for nothing here
            with dask.config.set({"distributed.worker.profile.enabled": False}):
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        self.addresses = sorted(self.client.scheduler_info()["workers"])
        self.workers = len(self.addresses)
        # the data set and its neighbour list go to every worker once; actors receive them from worker memory
        [self.data] = self.client.scatter([(train, neighbours)], broadcast=True, hash=False)

    def open(self, config, records):
        futures = [self.client.submit(Island, i, config, self.data, r, actor=True, pure=False,
                                      workers=[self.addresses[i % self.workers]])
                   for i, r in enumerate(records)]
        self.islands = [f.result() for f in futures]
        return [f.result() for f in [island.delta() for island in self.islands]]

    def step(self, immigrants, elapsed):
        futures = [island.step(arrivals, elapsed) for island, arrivals in zip(self.islands, immigrants)]
        return [f.result() for f in futures]

    def close(self):
        self.islands = []
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        except (OSError, RuntimeError, TimeoutError) as exc:  # after a Ctrl-C the workers may be gone already; nothing is left to save
            logging.getLogger(__name__).debug("closing the Dask cluster: %s", exc)


def cluster_size(scheduler):
    """The number of workers of the Dask cluster at `scheduler`."""
    from distributed import Client

    with Client(scheduler, timeout=60) as client:
        return len(client.scheduler_info()["workers"])


def emigrants(record, size):
    """An island's best `size` distinct forms (fitted on all the data first, then by loss and complexity), as text."""
    candidates = record["candidates"]
    chosen, seen = [], set()
    ranked = sorted(((candidates[ref], text) for text, ref in record["population"] if isinstance(ref, int)),
                    key=lambda pair: (not pair[0].full, pair[0].loss, pair[0].complexity, pair[1]))
    for candidate, text in ranked:
        if candidate.key not in seen and len(chosen) < size:
            seen.add(candidate.key)
            chosen.append(text)
    return chosen


def migration(records, config):
    """The immigrants of each island (trees as text), from the senders along the topology, in island order."""
    n = len(records)
    out = [emigrants(r, config.migration_size) for r in records]
    if n == 1:
        return [[]]
    if config.topology == "ring":
        return [out[(i - 1) % n] for i in range(n)]
    return [[t for j in range(n) if j != i for t in out[j]] for i in range(n)]


class IslandSearch:
    """A search over `config.islands` islands on an executor (InProcess or OnDask), checkpointed into `run`."""

    def __init__(self, config: SearchConfig, train, *, neighbours=None, executor=None, run=None, progress=None,
                 state=None):
        self.config = config
        self.neighbours = neighbours or build_neighbours(train, config.r_out)
        self.executor = executor or InProcess(train, self.neighbours)
        self.run_dir, self.progress, self.state = run, progress, state
        self.checkpoint_bytes = 0

    def run(self) -> SearchResult:
        config, state = self.config, self.state
        elapsed = state["elapsed"] if state else 0.0
        self.started = time.perf_counter() - elapsed
        self.history = list(state["history"]) if state else []
        self.generation = state["generation"] if state else 0
        self.records = state["islands"] if state else None
        reason = "interrupted"
        try:
            deltas = self.executor.open(config, self.records or [None] * config.islands)
            if state is None:
                self._generation_done([apply_delta(empty_record(), d) for d in deltas], 0)
            while not (reason := stop_reason(config, self.generation, self._elapsed(), self.history)):
                due = self.generation > 0 and self.generation % config.migration_interval == 0
                immigrants = migration(self.records, config) if due else [[] for _ in self.records]
                deltas = self.executor.step(immigrants, self._elapsed())
                self._generation_done([apply_delta(r, d) for r, d in zip(self.records, deltas)], self.generation + 1)
        except KeyboardInterrupt:
            reason = "interrupted"
            if self.records is not None:
                self._checkpoint(self.records)  # the last complete generation (already on disk: written again)
        finally:
            self.executor.close()
        return self._result(self.records, reason)

    def _elapsed(self):
        return time.perf_counter() - self.started

    def _generation_done(self, records, generation):
        """Take the islands' new state; the driver's state changes in one statement, so that a Ctrl-C at any moment
        leaves it whole, at the previous generation or at this one."""
        archive = merged_archive(records)
        lasts = [r["history"][-1] for r in records]
        rejected = {}
        for last in lasts:
            for kind, count in last.rejected.items():
                rejected[kind] = rejected.get(kind, 0) + count
        report = GenerationReport(
            generation=generation, elapsed=self._elapsed(),
            trees=sum(x.trees for x in lasts), cache_hits=sum(x.cache_hits for x in lasts),
            fits=sum(x.fits for x in lasts), evaluations=sum(x.evaluations for x in lasts), rejected=rejected,
            front=[(c.complexity, c.loss) for c in archive.front()], best_loss=archive.best_loss())
        self.records, self.generation, self.history = records, generation, self.history + [report]
        self._checkpoint(records)
        if self.progress:
            self.progress(report)

    def _checkpoint(self, records):
        if self.run_dir is None:
            return
        self.checkpoint_bytes = write_checkpoint(self.run_dir, {
            "config": self.config.to_dict(), "generation": self.generation, "elapsed": self._elapsed(),
            "history": self.history, "islands": records})

    def _result(self, records, reason):
        stats = {}
        for r in records or []:
            for name, value in r["stats"].items():
                if isinstance(value, dict):
                    merged = stats.setdefault(name, {})
                    for kind, count in value.items():
                        merged[kind] = merged.get(kind, 0) + count
                else:
                    stats[name] = stats.get(name, 0) + value
        stats["distinct_forms"] = sum(len(r["cache"]) for r in records or [])
        return SearchResult(config=self.config, front=merged_archive(records or []).front(),
                            generations=self.generation, elapsed=self._elapsed(), stats=stats, history=self.history,
                            stop_reason=reason)


def merged_archive(records):
    """The archive of all islands: the best candidate at each complexity, the first island's on a tie."""
    archive = ParetoArchive()
    for r in records:
        candidates = r["candidates"]
        archive.update(candidates[ref] for _, ref in sorted(r["archive"].items()))
    return archive


def make_executor(train, neighbours, *, workers=1, scheduler=None):
    """In this process for one worker and no scheduler; otherwise on Dask."""
    if scheduler is None and workers <= 1:
        return InProcess(train, neighbours)
    return OnDask(train, neighbours, workers=workers, scheduler=scheduler)
