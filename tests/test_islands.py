"""The island model, checkpoints and resumption: trees as text, exact restore, SIGKILL and Ctrl-C, a real LocalCluster."""

import importlib
import json
import logging
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import ase.io
import pytest
import threadpoolctl

from symff.checkpoint import CHECKPOINT_NAME, PREVIOUS_NAME, read_checkpoint, write_checkpoint
from symff.cli import main
from symff.data import Dataset
from symff.errors import ConfigError, SymffWarning
from symff.grammar.spec import builtin_grammars, load_grammar
from symff.grammar.text import tree_from_text, tree_to_text
from symff.grammar.trees import TreeGrammar
from symff.rediscover import LJ_EPSILON, LJ_SIGMA
from symff.search import pool as pool_module
from symff.search.config import SearchConfig
from symff.search.engine import run_search
from symff.search.islands import IslandSearch, island_seed, migration
from symff.search.pool import InProcess, OnDask, make_pool, start_worker_server, started_pool
from symff.search.state import IslandState, SearchState
from symff.synthetic.generate import make_lj_dataset

SEARCH = ["--grammar", "pair", "--population", "40", "--islands", "2", "--generations", "3", "--migration-interval",
          "2", "--seed", "3", "--quiet"]


@pytest.fixture(scope="module")
def lj_structures():
    return make_lj_dataset(seed=4, epsilon=LJ_EPSILON, sigma=LJ_SIGMA)[::2]


@pytest.fixture(scope="module")
def lj_data(lj_structures):
    return Dataset.from_atoms(lj_structures)


@pytest.fixture(scope="module")
def train_file(lj_structures, tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.extxyz"
    weighted = [atoms.copy() for atoms in lj_structures]
    for k, (atoms, original) in enumerate(zip(weighted, lj_structures)):
        atoms.calc = original.calc
        atoms.info["weight"] = 1.0 + k % 2  # read only by the mode with --weight-key
    ase.io.write(path, weighted)
    return path


# Property targets for the LJ data (labelled Cu): a static, a defect and a relaxed-surface tier.
TARGETS = """format: symff-targets/1
elements:
  Cu:
    C11: {value: 400.0, tolerance: 10%}
    dE_bcc_fcc: {value: 10.0, tolerance: 5}
    E_vac: {value: 2.7, tolerance: 10%}
    gamma_111: {value: 1.0, tolerance: 10%}
"""
MODES = {"plain": SEARCH, "exportable": [*SEARCH, "--grammar", "eam", "--lammps-exportable"],
         # every fitted tree written back with its fitted constants (in checkpoints and migrants too)
         "exportable-inherit": [*SEARCH, "--grammar", "eam", "--lammps-exportable", "--inherit-constants"],
         # the angular modes with a smaller population (the last --population counts): their fits cost the most
         "angular-inherit": [*SEARCH, "--grammar", "angular", "--inherit-constants", "--population", "24"],
         "weighted": [*SEARCH, "--weight-key", "weight"],  # resumed with the weights of config.json
         "properties": [*SEARCH, "--grammar", "eam", "--properties", "{targets}"],
         # the climb without decays; with angular-inherit, the angular grammar's trees with drawn constants and with
         # fitted ones, its climb's shifted powers of c, with and without decays (a plain angular mode besides them
         # cost the suite a minute and covered nothing more)
         "no-decays": [*SEARCH, "--grammar", "angular", "--no-decay-neighbours", "--population", "24"]}


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("targets") / "Cu-test.yaml"
    path.write_text(TARGETS)
    return path


@pytest.fixture(scope="module")
def mode_arguments(targets_file):
    """The search options of a mode, the targets file's path filled in."""
    return lambda mode: [argument.format(targets=targets_file) for argument in MODES[mode]]


@pytest.fixture(scope="module")
def whole_runs(train_file, mode_arguments, tmp_path_factory):
    """The uninterrupted search of each mode, two islands in one process (made when first asked for)."""
    runs = {}

    def whole(mode):
        if mode not in runs:
            runs[mode] = tmp_path_factory.mktemp("runs") / f"whole-{mode}"
            finished(symff("search", str(train_file), *mode_arguments(mode), "--workers", "1", "--out",
                           str(runs[mode])))
        return runs[mode]

    return whole


@pytest.fixture(scope="module")
def whole_run(whole_runs):
    return whole_runs("plain")


def front_of(run):
    members = json.loads((Path(run) / "front.json").read_text())["members"]
    return [(m["complexity"], m["energy"], m["loss"]) for m in members]


def config(**kw):
    return SearchConfig(**({"grammar": "pair", "population": 40, "generations": 4, "seed": 3, "islands": 2,
                            "migration_interval": 2} | kw))


@pytest.mark.parametrize("exportable", [False, True], ids=["plain", "exportable"])
@pytest.mark.parametrize("grammar", sorted(builtin_grammars()))
def test_trees_survive_their_text_form(grammar, exportable):
    """Every shipped grammar in both modes: random trees and their children by every variation a search uses."""
    tg = TreeGrammar(load_grammar(grammar), exportable=exportable)
    rng = random.Random(0)
    variations = (tg.mutate_subtree, tg.mutate_point, tg.mutate_shrink, tg.mutate_add_term)
    pool = [tg.random_tree(rng) for _ in range(50)]
    for k in range(600):
        tree = rng.choice(variations)(rng, rng.choice(pool)) if k % 3 else tg.crossover(rng, *rng.sample(pool, 2))[0]
        pool[rng.randrange(len(pool))] = tree
        back = tree_from_text(tree_to_text(tree), tg)
        assert [(type(n), n.name, n.ret) for n in back] == [(type(n), n.name, n.ret) for n in tree]
        assert [getattr(n, "value", None) for n in back] == [getattr(n, "value", None) for n in tree]
        assert tree_to_text(back) == tree_to_text(tree)


def test_a_tree_text_of_the_wrong_types_is_refused():
    tg = TreeGrammar(load_grammar("eam"), exportable=True)
    plain = TreeGrammar(load_grammar("eam"))
    text = tree_to_text(tg.random_tree(random.Random(1)))
    with pytest.raises(ValueError, match="unknown token 'root_eam' where Atom is expected"):
        tree_from_text(text, plain)  # an exportable tree is no plain one
    with pytest.raises(ValueError, match="leaf rho where Pair is expected"):
        tree_from_text("root_eam atom_ns r eam_embed embed_pow_fixed rho 1/2 rho", tg)


def test_a_corrupted_checkpoint_is_detected_and_the_previous_one_used(tmp_path):
    write_checkpoint(tmp_path, {"generation": 1})
    write_checkpoint(tmp_path, {"generation": 2})
    assert read_checkpoint(tmp_path)["generation"] == 2
    newest = tmp_path / CHECKPOINT_NAME
    newest.write_bytes(newest.read_bytes()[:-7])  # truncated, as by a full disk
    with pytest.warns(SymffWarning, match="checksum mismatch.*resuming from the previous checkpoint"):
        assert read_checkpoint(tmp_path)["generation"] == 1
    (tmp_path / PREVIOUS_NAME).write_bytes(b"garbage")
    with pytest.raises(ConfigError, match="no good checkpoint to resume from"):
        read_checkpoint(tmp_path)
    with pytest.raises(ConfigError, match="no checkpoint to resume from"):
        read_checkpoint(tmp_path / "absent")


def test_the_newest_checkpoint_is_never_missing_while_the_next_is_written(tmp_path, monkeypatch):
    """A reader polling a live run finds checkpoint.pkl at every moment: when the new one is written the old one is
    still in place and checkpoint.prev.pkl already holds it; afterwards the two hold generations 3 and 2."""
    from symff import checkpoint

    write_checkpoint(tmp_path, {"generation": 1})
    write_checkpoint(tmp_path, {"generation": 2})
    real_write = checkpoint.atomic_write_bytes
    seen = []

    def write(path, data):
        seen.append((read_checkpoint(tmp_path)["generation"], checkpoint._load(tmp_path / PREVIOUS_NAME)["generation"]))
        return real_write(path, data)

    monkeypatch.setattr(checkpoint, "atomic_write_bytes", write)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback to the previous checkpoint with a warning
        write_checkpoint(tmp_path, {"generation": 3})
    assert seen == [(2, 2)]
    assert read_checkpoint(tmp_path)["generation"] == 3
    assert checkpoint._load(tmp_path / PREVIOUS_NAME)["generation"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [CHECKPOINT_NAME, PREVIOUS_NAME]


def test_one_island_is_the_plain_search(lj_data):
    plain = run_search(config(islands=1, generations=2), lj_data)
    island = IslandSearch(config(islands=1, generations=2), lj_data).run()
    assert [c.key for c in island.front] == [c.key for c in plain.front]
    # equal to rounding: islands solve with one BLAS thread, the plain search with however many there are
    assert [c.loss for c in island.front] == pytest.approx([c.loss for c in plain.front], rel=1e-9)
    assert island_seed(3, 0) == 3 and island_seed(3, 1) != island_seed(3, 2)


def test_resuming_from_a_checkpoint_gives_the_uninterrupted_front(lj_data, tmp_path):
    whole = IslandSearch(config(), lj_data).run()
    (tmp_path / "part").mkdir()
    IslandSearch(config(generations=3), lj_data, run=tmp_path / "part").run()  # migrates after generation 2
    state = read_checkpoint(tmp_path / "part")
    assert state["generation"] == 3 and len(state["islands"]) == 2
    resumed = IslandSearch(config(), lj_data, state=SearchState.from_checkpoint(state)).run()
    assert resumed.generations == whole.generations == 4
    assert [(c.key, c.loss, c.generation) for c in resumed.front] == [(c.key, c.loss, c.generation)
                                                                        for c in whole.front]
    assert resumed.stats == whole.stats


def test_time_limit_stops_at_a_generation_boundary(lj_data):
    result = IslandSearch(config(generations=10_000, time_limit=1.0), lj_data).run()
    assert result.stop_reason == "time limit" and result.generations < 10_000  # 0 on a very busy machine
    assert len(result.history) == result.generations + 1


def test_migration_follows_the_topology():
    def record(*losses):
        candidates = [SimpleNamespace(full=True, loss=loss, complexity=3, key=f"k{loss}") for loss in losses]
        return IslandState(candidates=candidates, population=[(f"t{loss}", k) for k, loss in enumerate(losses)])

    records = [record(3.0, 1.0, 2.0), record(5.0, 4.0), record(6.0, 7.0)]
    ring = migration(records, config(islands=3, migration_size=2))
    assert ring == [["t6.0", "t7.0"], ["t1.0", "t2.0"], ["t4.0", "t5.0"]]
    everyone = migration(records, config(islands=3, migration_size=1, topology="all"))
    assert everyone == [["t4.0", "t6.0"], ["t1.0", "t6.0"], ["t1.0", "t4.0"]]


def symff(*args, **kw):
    """`symff ARGS` in a process of its own, with a hash seed of its own: a front must not depend on either (it did
    while fits ran on scipy's MINPACK, whose steps depended on the process's memory: symff.fit.levenberg)."""
    return subprocess.Popen([sys.executable, "-c", "import sys; from symff.cli import main; sys.exit(main())", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def finished(process, code=0):
    output = process.communicate(timeout=600)[0]
    assert process.returncode == code, output
    return output


def wait_for_checkpoint(run, process, generation=1, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (run / CHECKPOINT_NAME).exists() and read_checkpoint(run)["generation"] >= generation:
            return
        assert process.poll() is None, process.communicate()[0]
        time.sleep(0.05)
    raise AssertionError("no checkpoint appeared")


@pytest.mark.parametrize("mode", MODES)
def test_killed_and_resumed_run_gives_the_uninterrupted_front(train_file, whole_runs, mode_arguments, mode, tmp_path):
    """Killed after its first generation, before the migration after generation 2, which the resumed run makes (with
    property targets too, whose relaxed tier runs at the end of each generation)."""
    run = tmp_path / "killed"
    process = symff("search", str(train_file), *mode_arguments(mode), "--workers", "1", "--out", str(run))
    wait_for_checkpoint(run, process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (run / "front.json").exists()  # it really died mid-run
    # resumed on a local cluster of two workers (forked from the preloaded server on Linux): the same front
    finished(symff("search", "--resume", str(run), "--quiet", "--workers", "2"))
    assert front_of(run) == front_of(whole_runs(mode))
    settings = [json.loads((folder / "config.json").read_text())["search"] for folder in (run, whole_runs(mode))]
    assert settings[0] == settings[1]  # the resumed run kept every setting (--no-decay-neighbours included)


@pytest.mark.parametrize("mode", ["exportable", "exportable-inherit"])
def test_an_exportable_search_with_islands_migrates_and_checkpoints_its_trees(whole_runs, mode):
    """The exportable trees' text (the embedded density `rho` included) goes through migration and checkpoints."""
    run = whole_runs(mode)
    state = read_checkpoint(run)
    assert state["generation"] == 3 and len(state["islands"]) == 2  # with the migration after generation 2
    texts = [text for island in state["islands"] for text, _ in island["population"]]
    assert all(text.startswith("root_eam ") for text in texts)
    assert any(" rho" in text for text in texts)
    grammar = TreeGrammar(load_grammar("eam"), exportable=True)
    assert all(tree_to_text(tree_from_text(text, grammar)) == text for text in texts)
    if mode == "exportable-inherit":  # fitted constants in full precision, not only the drawn 4-decimal ones
        assert any(re.search(r"\.\d{5,}", text) for text in texts)


def test_ctrl_c_on_a_local_cluster_checkpoints_and_resumes_to_the_same_front(train_file, whole_run, tmp_path):
    run = tmp_path / "interrupted"
    # SIGINT at its default, as a terminal's shell starts a command: a test run started in the background (`cmd &`
    # without job control) ignores SIGINT, its children inherit that, and Python then installs no Ctrl-C handler
    process = symff("search", str(train_file), *SEARCH, "--workers", "2", "--out", str(run), start_new_session=True,
                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    wait_for_checkpoint(run, process)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the workers get it too
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 130, output
    assert f"symff search --resume {run}" in output
    # and nothing of Dask's teardown: each worker's KeyboardInterrupt and each waiting gather's AllExit was a traceback
    assert "Traceback" not in output and "Task exception" not in output and "ERROR" not in output, output
    assert (run / "front.json").is_file() and read_checkpoint(run)["generation"] < 3
    # the same two islands, resumed on a real LocalCluster of 2 workers, end where one process alone ends
    finished(symff("search", "--resume", str(run), "--quiet"))
    assert front_of(run) == front_of(whole_run)
    assert json.loads((run / "config.json").read_text())["parallel"]["workers"] == 2


def test_islands_on_an_existing_cluster_get_the_data_once_and_the_same_front(lj_data):
    from distributed import LocalCluster

    alone = IslandSearch(config(generations=2), lj_data).run()
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        executor = OnDask(lj_data, None, scheduler=cluster.scheduler_address)
        assert executor.workers == 2
        who_has = executor.client.who_has([executor.data])
        assert len(next(iter(who_has.values()))) == 2  # scattered to both workers, before any task
        on_cluster = IslandSearch(config(generations=2), lj_data, executor=executor).run()
    assert [(c.key, c.loss) for c in on_cluster.front] == [(c.key, c.loss) for c in alone.front]


def test_search_without_data_or_checkpoint_is_a_one_line_error(tmp_path, capsys):
    assert main(["search", "--quiet"]) == 2
    assert main(["search", "--resume", str(tmp_path)]) == 2
    (tmp_path / "config.json").write_text(json.dumps({"format": "symff-run/1"}))
    assert main(["search", "--resume", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(e.startswith("symff search: error:") for e in errors)
    assert "DATA" in errors[0] and "config.json" in errors[1] and "checkpoint" in errors[2]


def test_a_scheduler_that_cannot_be_reached_is_a_one_line_error_and_leaves_no_run(train_file, tmp_path, capsys):
    import socket

    import dask

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        assert main(["search", str(train_file), "--scheduler", address, "--out", str(tmp_path / "run"),
                     "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"symff search: error: --scheduler {address}: cannot connect"), err
    assert not (tmp_path / "run").exists()


class ShuffledPool(InProcess):
    """Runs each batch's jobs in a random order (as workers finishing at different times would) and returns their
    outcomes in the jobs' order."""

    def __init__(self, train, seed):
        super().__init__(train, None)
        self.rng = random.Random(seed)

    def run(self, jobs):
        order = list(range(len(jobs)))
        self.rng.shuffle(order)
        outcomes = dict(zip(order, super().run([jobs[k] for k in order])))
        return [outcomes[k] for k in range(len(jobs))]


def test_the_front_does_not_depend_on_the_order_jobs_finish_in(lj_data):
    in_order = IslandSearch(config(generations=3), lj_data).run()
    for seed in (1, 2):
        shuffled = IslandSearch(config(generations=3), lj_data, executor=ShuffledPool(lj_data, seed)).run()
        assert [(c.key, c.loss, c.generation) for c in shuffled.front] == [(c.key, c.loss, c.generation)
                                                                           for c in in_order.front]
        assert shuffled.stats == in_order.stats


@pytest.mark.parametrize("forked", [True, False], ids=["forked", "spawned"])
def test_workers_come_with_the_kernels_loaded_take_the_data_later_and_close_on_an_error(lj_data, forked, monkeypatch):
    """Forked from the preloaded server (Linux), the cluster starts once the data are there; spawned (elsewhere), at
    once, and its workers warm up while the data are made. Either way a worker has the compiled kernels before any
    job, and the search gives the front of one process."""
    if forked and not start_worker_server():
        pytest.skip("this platform's workers are spawned")
    if not forked:
        monkeypatch.setattr(pool_module, "start_worker_server", lambda: False)
    with started_pool(workers=1) as none:
        assert none is None  # one worker: the search runs in this process
    config = SearchConfig(population=4, generations=1, seed=1)
    with started_pool(workers=2) as pool:
        assert (pool.client is None) == forked  # a forked cluster waits for the data; a spawned one is there
        assert make_pool(lj_data, None, workers=2, started=pool) is pool and pool.data is not None
        assert pool.workers == 2 and (pool._warming == []) == forked  # forked workers run no warm-up of their own
        loaded = pool.client.run(lambda: bool(sys.modules["symff.evaluate.kernels"]._forces_and_virials.signatures))
        assert list(loaded.values()) == [True, True]  # the compiled kernels are there before any job
        blas = pool.client.run(lambda: {library["num_threads"] for library in threadpoolctl.threadpool_info()})
        assert list(blas.values()) == [{1}, {1}]  # one BLAS thread each, as the fits want
        parents = pool.client.run(os.getppid)
        assert (os.getpid() not in parents.values()) == forked  # forks of the server, not children of this process
        # forked or spawned, a terminal's Ctrl-C is the driver's to handle: the workers, in its process group, ignore it
        ignored = pool.client.run(lambda: signal.getsignal(signal.SIGINT) is signal.SIG_IGN)
        assert list(ignored.values()) == [True, True]
        # and a heartbeat that meets the closing scheduler prints no traceback; other worker errors do
        shown = pool.client.run(lambda: [bool(logging.getLogger("distributed.worker").filter(
            logging.LogRecord("distributed.worker", logging.ERROR, "", 0, message, None, None))) for message in
            ("Failed to communicate with scheduler during heartbeat.", "Unexpected exception during heartbeat.")])
        assert list(shown.values()) == [[False, True]] * 2
        result = IslandSearch(config, lj_data, executor=pool).run()  # closes the pool when it ends
        assert pool.closed and pool.client.status == "closed"
    in_process = IslandSearch(config, lj_data, executor=InProcess(lj_data, None)).run()
    assert [(c.key, c.loss) for c in result.front] == [(c.key, c.loss) for c in in_process.front]
    with pytest.raises(ConfigError, match="unreadable"), started_pool(workers=2) as pool:
        raise ConfigError("the data are unreadable")  # as reading them might: the workers are not left running
    assert pool.closed and (pool.client is None if forked else pool.client.status == "closed")


def test_the_workers_server_outlives_a_failed_warm_up_and_ignores_a_ctrl_c(monkeypatch):
    def interrupted_and_broken():
        os.kill(os.getpid(), signal.SIGINT)  # a terminal's Ctrl-C, reaching the server while it preloads
        time.sleep(0.05)  # delivered by now
        raise RuntimeError("no kernels here")

    monkeypatch.setattr(pool_module, "warm_worker", interrupted_and_broken)
    caught = []  # in place of Python's handler, which would raise KeyboardInterrupt in the server's import

    def handler(signum, frame):
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, handler)
    sys.modules.pop("symff.search.preload", None)
    try:
        importlib.import_module("symff.search.preload")  # as the server imports it: neither ends the server
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # as the workers are forked with: ignored
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.modules.pop("symff.search.preload", None)
    assert caught == []  # ignored while it preloaded, and after


def test_nothing_dask_logs_while_the_cluster_closes_reaches_the_terminal():
    """Not even at CRITICAL: the scheduler's word to a client whose connection had closed came as seven tracebacks at
    the end of an hour's search that had ended well. The loggers are as they were afterwards."""
    import asyncio

    shown = []
    handler = logging.Handler()
    handler.emit = shown.append
    scheduler = logging.getLogger("distributed.scheduler")
    logging.getLogger("distributed").addHandler(handler)
    loop = asyncio.new_event_loop()
    try:
        with pool_module._quiet_teardown(SimpleNamespace(loop=SimpleNamespace(asyncio_loop=loop))):
            scheduler.critical("Closed comm <BatchedSend: closed> while trying to write {'op': 'key-in-memory'}")
            scheduler.error("Removing worker with lost data")
        scheduler.critical("after the close")
    finally:
        logging.getLogger("distributed").removeHandler(handler)
        loop.close()
    assert [record.getMessage() for record in shown] == ["after the close"]


def test_a_ctrl_c_while_the_cluster_starts_comes_once_it_has_started():
    from symff.search.pool import interrupt_deferred

    steps = []
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # Python's, whatever the test runner set
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupt_deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # delivered by now, and held
                steps.append("started")
            steps.append("not reached")
        assert steps == ["started"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with interrupt_deferred():  # none: nothing raised
            steps.append("again")
        assert steps == ["started", "again"]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_symff_local_cluster_workers_run_without_dask_malloc_trim_and_take_no_fixed_port(lj_data):
    taken = socket.socket()
    try:  # as a search already running on the machine holds it (if another process does, the same)
        taken.bind(("", 8787))
        taken.listen()
    except OSError:
        pass
    try:
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            pool = OnDask(lj_data, None, workers=2)
    finally:
        taken.close()
    assert not [w for w in shown if "8787" in str(w.message)]
    try:
        environments = pool.client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        assert len(environments) == 2 and set(environments.values()) == {None}
    finally:
        pool.close()
