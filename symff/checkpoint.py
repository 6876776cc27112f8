"""Checkpoints: the complete state of a search, written after every generation, from which it resumes exactly.

A search's state is its population (trees as text), its random generator's state, its scorer's cache (canonical key ->
candidate or kind of rejection: what was screened out, fitted or rejected decides later behaviour, so the cache is part
of the state), its archive, its history and its generation. `SearchExporter` turns a live `Search` into a *record* of
plain data in deltas (each call sends only the candidates and cache entries that are new), so that the process that
drives the search (which may not be the one that evolves it: see symff.search.islands) mirrors every island's state
without moving whole caches every generation. `restore_search` makes a fresh `Search` take a record's state.

Candidates (canonical sympy formulas with their fits) are kept as Python objects, so the checkpoint file is a pickle:
read it only from run directories you trust, as any pickle. It is written atomically (temporary file, fsync, rename),
so a kill at any moment leaves the last complete checkpoint in place. Its first line holds a sha256 checksum of the
rest, so a truncated or corrupted file is detected before it is unpickled; the previous checkpoint is kept beside it
(checkpoint.prev.pkl) and is used, with a warning, when the newest one is bad.
"""

import ast
import hashlib
import os
import pickle
import time
import warnings
from fractions import Fraction
from pathlib import Path

from deap import gp

from .errors import ConfigError, SymffWarning
from .grammar.operators import Embedded, FixedExponent, IntExponent, Pair
from .grammar.trees import leaf_kind
from .integrity import atomic_write_bytes
from .search.engine import Individual, fitness_values
from .search.scoring import Candidate, ScoreStats

CHECKPOINT_FORMAT = "symff-checkpoint/1"
CHECKPOINT_NAME = "checkpoint.pkl"
PREVIOUS_NAME = "checkpoint.prev.pkl"
# The leaves written by name in a tree's text, and their types: the distance, and the embedded density of an
# exportable tree.
NAMED_LEAVES = {"r": Pair, "rho": Embedded}


# --- trees as text --------------------------------------------------------------------------------------------------
def tree_to_text(tree) -> str:
    """A tree as prefix tokens: primitive names, the named leaves (`r`, `rho`) and leaf values (`1/2` for a fixed
    exponent)."""
    tokens = []
    for node in tree:
        if isinstance(node, gp.Primitive):
            tokens.append(node.name)
        elif node.ret is FixedExponent:
            tokens.append(f"{node.value.numerator}/{node.value.denominator}")
        elif leaf_kind(node) in NAMED_LEAVES:
            tokens.append(node.value)
        else:
            tokens.append(repr(node.value))
    return " ".join(tokens)


def tree_from_text(text, grammar) -> list:
    """The nodes of a tree written by `tree_to_text`, over the primitive set of `grammar` (a TreeGrammar, plain or
    exportable: the tree starts at its root type). Every node is checked against the type its parent expects."""
    nodes, expected = [], [grammar.root]
    for token in text.split():
        if not expected:
            raise ValueError(f"tokens after a complete tree: {text!r}")
        ret = expected.pop()
        if token in grammar.pset.mapping:
            prim = grammar.pset.mapping[token]
            if prim.ret is not ret:
                raise ValueError(f"{token} returns {prim.ret.__name__} where {ret.__name__} is expected: {text!r}")
            nodes.append(prim)
            expected.extend(reversed(prim.args))
        elif token in NAMED_LEAVES:
            if NAMED_LEAVES[token] is not ret:
                raise ValueError(f"leaf {token} where {ret.__name__} is expected: {text!r}")
            nodes.append(gp.Terminal(token, True, ret))
        elif ret is FixedExponent:
            nodes.append(gp.Terminal(Fraction(token), False, FixedExponent))
        else:
            try:
                value = ast.literal_eval(token)
            except (ValueError, SyntaxError):
                raise ValueError(f"unknown token {token!r} where {ret.__name__} is expected: {text!r}") from None
            if not isinstance(value, (int, float)) or (ret is IntExponent and not isinstance(value, int)):
                raise ValueError(f"bad leaf {token!r} for {ret.__name__}")
            nodes.append(gp.Terminal(value, False, ret))
    if expected:
        raise ValueError(f"incomplete tree: {text!r}")
    return nodes


# --- a search's state as plain data ---------------------------------------------------------------------------------
def empty_record():
    return {"generation": 0, "elapsed": 0.0, "candidates": [], "cache": [], "population": [], "archive": {},
            "rng": None, "stats": {}, "history": []}


class SearchExporter:
    """Exports a `Search`'s state in deltas. Candidates are numbered in order of first export, and the record refers
    to them by number, so that one candidate shared by the cache, the population and the archive stays one object."""

    def __init__(self, search):
        self.search = search
        self.serial = {}  # id(candidate) -> number
        self.kept = []  # number -> candidate (holding them keeps their ids unique)
        self.cache_sent = 0
        self.history_sent = 0

    def adopt(self, record):
        """Continue from a record this search was restored from."""
        self.kept = list(record["candidates"])
        self.serial = {id(c): k for k, c in enumerate(self.kept)}
        self.cache_sent = len(record["cache"])
        self.history_sent = len(record["history"])

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


def apply_delta(record, delta):
    """The record brought up to date with a delta from its search's exporter (a new record: an interrupt while
    the driver applies the deltas of a generation leaves the previous records whole)."""
    if delta["first"] != len(record["candidates"]):
        raise ValueError("a delta out of order")
    updated = {name: record[name] + delta[name] for name in ("candidates", "cache", "history")}
    return updated | {name: delta[name] for name in ("generation", "elapsed", "population", "archive", "rng", "stats")}


def restore_search(search, record):
    """Make a fresh `Search` (same configuration and data) take the state of `record`."""
    candidates = record["candidates"]

    def candidate(ref):
        return candidates[ref] if isinstance(ref, int) else None

    search.scorer.cache = {key: candidates[ref] if isinstance(ref, int) else ref for key, ref in record["cache"]}
    search.scorer.stats = ScoreStats(**(record["stats"] | {"rejected": dict(record["stats"]["rejected"])}))
    search.archive.best = {complexity: candidates[ref] for complexity, ref in record["archive"].items()}
    population = []
    for text, ref in record["population"]:
        ind = Individual(tree_from_text(text, search.grammar))
        ind.candidate = candidate(ref)
        ind.fitness.values = fitness_values(ind.candidate)
        population.append(ind)
    search.population = population
    search.rng.setstate(record["rng"])
    search.history = list(record["history"])
    search.generation = record["generation"]
    search.started = time.perf_counter() - record["elapsed"]
    return search


# --- the checkpoint file ------------------------------------------------------------------------------------------
def write_checkpoint(run, state):
    """Write RUN/checkpoint.pkl atomically, keeping the one before as RUN/checkpoint.prev.pkl. `state`: config (dict),
    generation, elapsed, history, islands (records). Returns the size in bytes."""
    data = pickle.dumps({"format": CHECKPOINT_FORMAT} | state, protocol=pickle.HIGHEST_PROTOCOL)
    header = f"{CHECKPOINT_FORMAT} sha256:{hashlib.sha256(data).hexdigest()}\n".encode()
    run = Path(run)
    if (run / CHECKPOINT_NAME).exists():
        # a crash right after this rename leaves only the previous checkpoint, which read_checkpoint falls back to
        os.replace(run / CHECKPOINT_NAME, run / PREVIOUS_NAME)
    atomic_write_bytes(run / CHECKPOINT_NAME, header + data)
    return len(header) + len(data)


def read_checkpoint(run):
    """The newest good checkpoint of RUN: checkpoint.pkl, or checkpoint.prev.pkl (with a warning) if that is bad."""
    run = Path(run)
    problems = []
    for name in (CHECKPOINT_NAME, PREVIOUS_NAME):
        try:
            state = _load(run / name)
        except ConfigError as problem:
            problems.append(str(problem))
            continue
        if problems:
            warnings.warn(f"{problems[0]}; resuming from the previous checkpoint {run / name} instead", SymffWarning,
                          stacklevel=2)
        return state
    if all("is missing" in p for p in problems):
        raise ConfigError(f"{run}: no checkpoint to resume from ({CHECKPOINT_NAME} is missing)")
    raise ConfigError(" and ".join(p for p in problems if "is missing" not in p) + ": no good checkpoint to resume from")


def _load(path):
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: is missing") from None
    except OSError as exc:
        raise ConfigError(f"{path}: unreadable checkpoint: {exc}") from None
    header, _, data = content.partition(b"\n")
    parts = header.decode("ascii", "replace").split(" sha256:")
    if len(parts) != 2 or parts[0] != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path}: not a symff checkpoint (expected format {CHECKPOINT_FORMAT})")
    if hashlib.sha256(data).hexdigest() != parts[1]:
        raise ConfigError(f"{path}: checksum mismatch: the checkpoint is truncated or corrupted")
    try:
        state = pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable checkpoint: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path}: not a symff checkpoint (expected format {CHECKPOINT_FORMAT})")
    return state
