"""The island model: the population is shared out among islands that evolve apart and exchange their best.

    islands <- N searches, island i with population/N trees and a generator seeded from (seed, i)
    repeat for each generation:
        every island breeds its newcomers (this process)
        the newcomers are scored as jobs spread over the workers (symff.search.batch, symff.search.pool), the
            costliest first, each worker taking the next job as it comes free
        every island selects its next population; every `migration_interval` generations, each island's best
            `migration_size` distinct forms are sent along the topology (ring: i -> i + 1; all: every island to every
            other) and join the receiver's next selection pool
        the islands' archives are merged into the front, and a checkpoint is written
    until the generation count, the time limit or the target loss is reached, or Ctrl-C

The islands live in this process, which is cheap (breeding and selection take milliseconds); what costs, the fits, is
what the workers share. With one worker the islands go generation by generation, the jobs of all islands in one
batch. With several, islands are independent between migrations, so each runs in a thread of its own and hands in its
next generation's jobs as soon as its own are back (`_epoch`): uneven islands do not leave workers idle. Either way a
generation is committed when every island has finished it: the driver brings a record of every island's state up to
date with a small delta (symff.search.state.StateExporter), decides migration from the records, writes the checkpoint
from them and checks whether to stop, so a Ctrl-C or a lost worker never loses more than the generations under way.

Determinism: an island's result depends only on its seed, its data and the immigrants it receives, which the driver
chooses from the records in island order, and a fit's outcome only on its form and its data; so the same seed and
island count give the same front on any number of workers, and a run killed and resumed from its checkpoint gives the
front of an uninterrupted one.
"""

import hashlib
import queue
import threading
import time
from dataclasses import replace

from ..checkpoint import write_checkpoint
from ..grammar.text import tree_from_text
from ..neighbours import build_neighbours
from .archive import ParetoArchive
from .batch import score_plans
from .config import SearchConfig
from .engine import GenerationReport, Search, SearchResult, stop_reason
from .pool import InProcess
from .state import IslandState, SearchState, StateExporter, restore_search


def island_seed(seed, index):
    """Island 0 keeps the run's seed (one island is the plain search); the others get seeds derived from both."""
    if index == 0:
        return seed
    digest = hashlib.sha256(f"symff-island:{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def island_config(config, index):
    """Island `index`'s settings: its share of the population, its seed and its share of the start forms (dealt
    round the islands in turn: migration spreads the good ones)."""
    share, extra = divmod(config.population, config.islands)
    return replace(config, population=share + (index < extra), seed=island_seed(config.seed, index), islands=1,
                   start_forms=config.start_forms[index::config.islands])


class Island:
    """One island: its search, and the exporter of its state. Built from an IslandState to resume from, or None to
    start."""

    def __init__(self, index, config, train, neighbours, pool, state=None):
        self.search = Search(island_config(config, index), train, neighbours=neighbours, stages=pool.stages,
                             pool=pool)
        self.exporter = StateExporter(self.search)
        if state is not None:
            restore_search(self.search, state)
            self.exporter.adopt(state)

    def delta(self):
        """The state since the last delta (all of it, first)."""
        return self.exporter.delta()


def emigrants(record, size):
    """An island's best `size` distinct forms (fitted on all the data first, then by loss and complexity), as text;
    `record` is its IslandState."""
    candidates = record.candidates
    chosen, seen = [], set()
    ranked = sorted(((candidates[ref], text) for text, ref in record.population if isinstance(ref, int)),
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
    """A search over `config.islands` islands whose fits run on `executor` (a pool: InProcess or OnDask, from
    symff.search.pool), checkpointed into `run`; `state` (a SearchState) resumes one."""

    def __init__(self, config: SearchConfig, train, *, neighbours=None, executor=None, run=None, progress=None,
                 state=None):
        self.config = config
        self.train = train
        self.neighbours = neighbours or build_neighbours(train, config.r_out)
        self.executor = executor or InProcess(train, self.neighbours)
        self.run_dir, self.progress, self.state = run, progress, state
        self.checkpoint_bytes = 0
        self._halt = threading.Event()  # set when the search stops: island threads (see _epoch) start nothing more

    def run(self) -> SearchResult:
        config, state = self.config, self.state
        elapsed = state.elapsed if state else 0.0
        self.started = time.perf_counter() - elapsed
        self.history = list(state.history) if state else []
        self.generation = state.generation if state else 0
        self.records = state.islands if state else None
        self._halt.clear()
        reason = "interrupted"
        try:
            records = self.records or [None] * config.islands
            self.islands = [Island(i, config, self.train, self.neighbours, self.executor, r)
                            for i, r in enumerate(records)]
            self.executor.prepare([island.search.config for island in self.islands])
            if state is None:
                newcomers = [island.search.first_population() for island in self.islands]
                self._generation([IslandState().applied(d) for d in self._score(newcomers, 0)], 0)
            while not (reason := stop_reason(config, self.generation, self._elapsed(), self.history)):
                due = self.generation > 0 and self.generation % config.migration_interval == 0
                immigrants = migration(self.records, config) if due else [[] for _ in self.records]
                if self.executor.workers > 1 and len(self.islands) > 1:
                    reason = self._epoch(immigrants)
                    if reason:
                        break
                    continue
                newcomers = [island.search.newcomers(self._trees(island, arrivals))
                             for island, arrivals in zip(self.islands, immigrants)]
                deltas = self._score(newcomers, self.generation + 1)
                self._generation([r.applied(d) for r, d in zip(self.records, deltas)], self.generation + 1)
        except KeyboardInterrupt:
            reason = "interrupted"
            if self.records is not None:
                self._checkpoint(self.records)  # the last complete generation (already on disk: written again)
        finally:
            self._halt.set()
            self.executor.close()
        return self._result(self.records, reason)

    @staticmethod
    def _trees(island, texts):
        return [tree_from_text(text, island.search.grammar) for text in texts]

    def _epoch(self, immigrants):
        """The generations up to the next migration, on several workers: islands are independent until then, so each
        island goes on to its next generation as soon as its own jobs are back (a thread per island, each handing
        its batches to the pool), instead of waiting for the slowest island at every generation. A generation is
        committed (checkpoint, report, stop check) once every island has finished it, in order; the islands' results
        are those of the generation-by-generation loop. Returns the stop reason, or "" at the migration."""
        start, interval = self.generation, self.config.migration_interval
        end = min((start // interval + 1) * interval, self.config.generations)
        finished = queue.Queue()

        def evolve(index, island, arrivals):
            try:
                for generation in range(start + 1, end + 1):
                    if self._halt.is_set():
                        return
                    newcomers = island.search.newcomers(self._trees(island, arrivals if generation == start + 1
                                                                    else []))
                    plan = island.search.plan(newcomers, generation)
                    [candidates] = score_plans([plan], self.executor.run)
                    self._settle(island.search, newcomers, candidates, plan.keys, generation)
                    finished.put((index, generation, island.delta()))
            except Exception as exc:  # noqa: BLE001 (handed to the driver, which raises it, unless it is stopping)
                finished.put((index, None, exc))

        threads = [threading.Thread(target=evolve, args=(i, island, arrivals), daemon=True)
                   for i, (island, arrivals) in enumerate(zip(self.islands, immigrants))]
        for thread in threads:
            thread.start()
        done = {}  # generation -> {island: delta}
        for generation in range(start + 1, end + 1):
            while len(done.get(generation, {})) < len(self.islands):
                index, reached, delta = finished.get()
                if reached is None:
                    raise delta
                done.setdefault(reached, {})[index] = delta
            deltas = done.pop(generation)
            self._generation([r.applied(deltas[i]) for i, r in enumerate(self.records)], generation)
            reason = stop_reason(self.config, self.generation, self._elapsed(), self.history)
            if reason:
                self._halt.set()  # islands ahead of the committed generation stop; their extra work is dropped
                return reason
        for thread in threads:
            thread.join()
        return ""

    def _score(self, newcomers, generation):
        """Score the newcomers of every island in one batch, settle each island, and return their deltas."""
        searches = [island.search for island in self.islands]
        plans = [search.plan(individuals, generation) for search, individuals in zip(searches, newcomers)]
        for search, plan, individuals, candidates in zip(searches, plans, newcomers,
                                                         score_plans(plans, self.executor.run)):
            self._settle(search, individuals, candidates, plan.keys, generation)
        return [island.delta() for island in self.islands]

    def _settle(self, search, newcomers, candidates, forms, generation):
        search.started = self.started  # the driver's clock, so that the reports agree across islands
        search.settle(newcomers, candidates, forms, generation)

    def _elapsed(self):
        return time.perf_counter() - self.started

    def _generation(self, records, generation):
        """Take the islands' new state; the driver's state changes in one statement, so that a Ctrl-C at any moment
        leaves it whole, at the previous generation or at this one."""
        archive = merged_archive(records)
        lasts = [r.history[-1] for r in records]
        rejected = {}
        for last in lasts:
            for kind, count in last.rejected.items():
                rejected[kind] = rejected.get(kind, 0) + count
        report = GenerationReport(
            generation=generation, elapsed=self._elapsed(),
            trees=sum(x.trees for x in lasts), cache_hits=sum(x.cache_hits for x in lasts),
            fits=sum(x.fits for x in lasts), evaluations=sum(x.evaluations for x in lasts), rejected=rejected,
            front=[(c.complexity, c.loss) for c in archive.front()], best_loss=archive.best_loss(),
            tiers={name: sum(getattr(x, "tiers", {}).get(name, 0) for x in lasts) for name in lasts[0].tiers}
            if getattr(lasts[0], "tiers", None) else {})
        self.records, self.generation, self.history = records, generation, self.history + [report]
        self._checkpoint(records)
        if self.progress:
            self.progress(report)

    def _checkpoint(self, records):
        if self.run_dir is None:
            return
        state = SearchState(config=self.config.to_dict(), generation=self.generation, elapsed=self._elapsed(),
                            history=self.history, islands=records)
        self.checkpoint_bytes = write_checkpoint(self.run_dir, state.to_checkpoint())

    def _result(self, records, reason):
        stats = {}
        for r in records or []:
            for name, value in r.stats.items():
                if isinstance(value, dict):
                    merged = stats.setdefault(name, {})
                    for kind, count in value.items():
                        merged[kind] = merged.get(kind, 0) + count
                else:
                    stats[name] = stats.get(name, 0) + value
        stats["distinct_forms"] = sum(len(r.cache) for r in records or [])
        return SearchResult(config=self.config, front=merged_archive(records or []).front(),
                            generations=self.generation, elapsed=self._elapsed(), stats=stats, history=self.history,
                            stop_reason=reason)


def merged_archive(records):
    """The archive of all islands: the best candidate at each complexity, the first island's on a tie."""
    archive = ParetoArchive()
    for r in records:
        candidates = r.candidates
        archive.update(candidates[ref] for _, ref in sorted(r.archive.items()))
    return archive
