"""A search's state as one typed object, from which it resumes exactly.

Vocabulary.
- `IslandState`: one island's state as plain data: its population (trees as text, symff.grammar.text, each with the
  number of its candidate), its random generator's state, its scorer's cache (canonical key -> candidate number or
  the kind of rejection: what was screened out, fitted or rejected decides later behaviour, so the cache is part of
  the state), its archive (complexity -> candidate number), its counts, its history, its generation and elapsed time.
  Candidates are numbered in order of first export and stored once, in `candidates`, so that one candidate shared by
  the cache, the population and the archive stays one object.
- A *delta*: what an island's `StateExporter` sends after a generation, only the candidates, cache entries and history
  that are new, so that the process that drives the search (which may not be the one that evolves it: see
  symff.search.islands) mirrors every island's state without moving whole caches every generation.
  `IslandState.applied(delta)` is the state brought up to date.
- `SearchState`: the driver's state: the configuration (as a dict), generation, elapsed time, history and every
  island's `IslandState`. `to_checkpoint()` / `from_checkpoint()` convert it to and from the plain data that
  symff.checkpoint writes to the file.

`restore_search` makes a fresh `Search` take an `IslandState`.
"""

import time
from dataclasses import dataclass, field, fields, replace

from ..grammar.text import tree_from_text, tree_to_text
from .engine import Individual, fitness_values
from .scoring import Candidate, ScoreStats


@dataclass(frozen=True)
class IslandState:
    generation: int = 0
    elapsed: float = 0.0
    candidates: list = field(default_factory=list)  # number -> Candidate
    cache: list = field(default_factory=list)  # [(key, candidate number or kind of rejection)], in insertion order
    population: list = field(default_factory=list)  # [(tree text, candidate number or None)]
    archive: dict = field(default_factory=dict)  # complexity -> candidate number
    rng: object = None  # random.Random state
    stats: dict = field(default_factory=dict)  # ScoreStats as a dict
    history: list = field(default_factory=list)  # GenerationReports

    def applied(self, delta):
        """This state brought up to date with a delta from its search's exporter (a new state: an interrupt while the
        driver applies the deltas of a generation leaves the previous states whole)."""
        if delta["first"] != len(self.candidates):
            raise ValueError("a delta out of order")
        grown = {name: getattr(self, name) + delta[name] for name in ("candidates", "cache", "history")}
        return replace(self, **grown, **{name: delta[name] for name in ("generation", "elapsed", "population",
                                                                         "archive", "rng", "stats")})

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class SearchState:
    config: dict
    generation: int
    elapsed: float
    history: list
    islands: list  # IslandStates

    def to_checkpoint(self) -> dict:
        """Plain data for symff.checkpoint.write_checkpoint."""
        return {"config": self.config, "generation": self.generation, "elapsed": self.elapsed,
                "history": self.history, "islands": [island.to_dict() for island in self.islands]}

    @classmethod
    def from_checkpoint(cls, data: dict):
        """The state in plain data read by symff.checkpoint.read_checkpoint."""
        islands = [island if isinstance(island, IslandState) else IslandState(**island) for island in data["islands"]]
        return cls(config=data["config"], generation=data["generation"], elapsed=data["elapsed"],
                   history=list(data["history"]), islands=islands)


class StateExporter:
    """Exports a `Search`'s state in deltas (see the module docstring)."""

    def __init__(self, search):
        self.search = search
        self.serial = {}  # id(candidate) -> number
        self.kept = []  # number -> candidate (holding them keeps their ids unique)
        self.cache_sent = 0
        self.history_sent = 0

    def adopt(self, state: IslandState):
        """Continue from a state this search was restored from."""
        self.kept = list(state.candidates)
        self.serial = {id(c): k for k, c in enumerate(self.kept)}
        self.cache_sent = len(state.cache)
        self.history_sent = len(state.history)

    def _number(self, candidate, new):
        if not isinstance(candidate, Candidate):
            return candidate  # None, or the kind of a rejection
        number = self.serial.get(id(candidate))
        if number is None:
            number = self.serial[id(candidate)] = len(self.kept)
            self.kept.append(candidate)
            new.append(candidate)
        return number

    def delta(self):
        search, new = self.search, []
        first = len(self.kept)
        # the cache only grows (a key is written once, on its first miss), in insertion order
        items = list(search.scorer.cache.items())[self.cache_sent:]
        cache = [(key, self._number(value, new)) for key, value in items]
        population = [(tree_to_text(ind), self._number(ind.candidate, new)) for ind in search.population]
        archive = {complexity: self._number(c, new) for complexity, c in search.archive.best.items()}
        history = search.history[self.history_sent:]
        self.cache_sent += len(items)
        self.history_sent += len(history)
        stats = vars(search.scorer.stats)
        return {"generation": search.generation, "elapsed": time.perf_counter() - search.started, "first": first,
                "candidates": new, "cache": cache, "population": population, "archive": archive,
                "rng": search.rng.getstate(), "stats": stats | {"rejected": dict(stats["rejected"])},
                "history": list(history)}


def restore_search(search, state: IslandState):
    """Make a fresh `Search` (same configuration and data) take the island state `state`."""
    candidates = state.candidates

    def candidate(ref):
        return candidates[ref] if isinstance(ref, int) else None

    search.scorer.cache = {key: candidates[ref] if isinstance(ref, int) else ref for key, ref in state.cache}
    search.scorer.stats = ScoreStats(**(state.stats | {"rejected": dict(state.stats["rejected"])}))
    search.archive.best = {complexity: candidates[ref] for complexity, ref in state.archive.items()}
    population = []
    for text, ref in state.population:
        ind = Individual(tree_from_text(text, search.grammar))
        ind.candidate = candidate(ref)
        ind.fitness.values = fitness_values(ind.candidate)
        population.append(ind)
    search.population = population
    search.rng.setstate(state.rng)
    search.history = list(state.history)
    search.generation = state.generation
    search.started = time.perf_counter() - state.elapsed
    return search
