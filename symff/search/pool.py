"""Where a search's fits run: in this process, or spread over the workers of a Dask cluster.

A pool runs batches of jobs (symff.search.batch.Job: one screening fit, or one fit on all the data with its snapping
and climbing) and returns their outcomes in the order of the jobs. `InProcess` runs them one after the other here;
`OnDask` hands them to the workers of a LocalCluster of N processes (or of an existing cluster) as they come free, the
costliest first, so that one slow fit does not hold the others back. The data set and its neighbour list go to every
worker once (scattered with broadcast); a worker builds its stages from them once (symff.search.stages) and keeps
them for every job after.

Each fit runs on one thread (one numba thread, one BLAS thread): the workers are the parallelism, and one BLAS thread
also makes the linear solves bit-identical wherever a fit runs, so the front does not depend on the number of workers.
"""

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading

import numpy as np

from ..errors import ConfigError
from .batch import run_job
from .stages import StageBuilder

_single_threaded = False


def single_thread():
    """One evaluation thread and one BLAS thread for the fits of this process (once per process)."""
    global _single_threaded
    if _single_threaded:
        return
    from threadpoolctl import threadpool_limits

    from ..evaluate import kernels

    threadpool_limits(limits=1)
    kernels.set_threads(1)
    _single_threaded = True


class InProcess:
    """Jobs run one after the other in this process: on one thread as one worker of many would (`single`, what the
    island search asks for, so that its front does not depend on the number of workers), or with the threads the
    evaluation kernels have (a plain search)."""

    workers = 1

    def __init__(self, train, neighbours, stages=None, *, single=True):
        self.stages = stages or StageBuilder(train, neighbours)
        self.single = single

    def prepare(self, configs):
        """Build the stages of these search settings now (what the first fits would otherwise wait for)."""
        prepare_stages(self.stages, configs)

    def run(self, jobs):
        if self.single:
            single_thread()
        return [run_job(self.stages, job) for job in jobs]

    def close(self):
        pass


def prepare_stages(stages, configs):
    """Build the stages of `configs` and run one pass on each, which loads the compiled kernels."""
    from ..expr.canonical import canonicalize
    from ..expr.program import PotentialProgram
    from ..expr.symbols import NS, R

    program = PotentialProgram(canonicalize(NS(R**-6), {}))
    for config in configs:
        for stage in (stages.full(config), stages.screen(config)):
            if stage is not None:
                stage.evaluator.basis(program, [])


# Settings of the LocalCluster symff starts (each measured on a 2-core search of mlearn Cu):
# - no statistical profiler, no memory monitor (memory_limit=0: symff checks a search's memory before it starts) and
#   a system monitor once a minute: each wakes the worker's event loop, which takes the GIL from the fits; without
#   them a fit takes the CPU time it takes in this process (5 % more with them);
# - the worker processes' environment without Dask's MALLOC_TRIM_THRESHOLD_: setting it fixes glibc's mmap threshold
#   at 128 kB, so every evaluation's arrays (MBs) are mapped, faulted in and unmapped afresh, and a fit took 1.7x the
#   CPU time it takes in this process (measured on mlearn Cu). One BLAS thread each, as Dask sets by default.
LOCAL_CLUSTER_SETTINGS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "60s",
    "distributed.nanny.pre-spawn-environ": {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1},
}

# Dask's nanny writes its pre-spawn environment into this process's os.environ for good, so a cluster started here
# before (by anyone, with Dask's defaults) would hand the variable on to ours.
TRIM_VARIABLE = "MALLOC_TRIM_THRESHOLD_"


@contextlib.contextmanager
def environment(without, **settings):
    """os.environ without the variable `without` and with `settings` inside the block (what the processes started
    there inherit)."""
    held = {key: os.environ.get(key) for key in (without, *settings)}
    os.environ.pop(without, None)
    os.environ.update({key: str(value) for key, value in settings.items()})
    try:
        yield
    finally:
        for key, value in held.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# Where a local cluster's workers come from. On Linux they are forked from a server process that multiprocessing
# starts once per symff process and that imports the fits' modules and loads their compiled kernels as it starts
# (symff.search.preload): a spawned worker imports them itself after it started, ~1.5 CPU-s each, so on two cores two
# workers took the CPU the data were being made or read with. The server starts at once and preloads in the
# background, the cluster only once the data are there (its workers are forks: they start in a fraction of a second),
# and a later cluster in the same process (each iteration of `symff learn`) forks from the same server. Elsewhere the
# workers are spawned (forks of a process that loaded numpy's BLAS are not safe on macOS), at once, and warm up.
WORKER_SERVER_PRELOAD = ["symff.search.preload"]
LOCAL_WORKER_PRELOAD = ["symff.search.local_worker"]  # what forked workers have from the server, spawned ones too
DASK_WORKER_HASH_SEED = 6640  # distributed.nanny sets it for the workers it spawns


def start_worker_server():
    """Start the server local clusters fork their workers from, where this platform has one (once per process: it
    preloads in the background); whether it does."""
    if sys.platform != "linux" or "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    from multiprocessing import forkserver  # not on every platform

    multiprocessing.get_context("forkserver").set_forkserver_preload(WORKER_SERVER_PRELOAD)
    # the server's environment is its workers': one BLAS thread (read as numpy loads, in the server), no malloc trim,
    # and the hash seed Dask gives the workers it spawns
    spawn_environment = LOCAL_CLUSTER_SETTINGS["distributed.nanny.pre-spawn-environ"]
    with environment(TRIM_VARIABLE, PYTHONHASHSEED=DASK_WORKER_HASH_SEED, **spawn_environment):
        forkserver.ensure_running()
    return True


# The stages a worker process built from the data it was sent: (that data, its StageBuilder).
_worker_stages = None


def worker_stages(data):
    """The StageBuilder of `data` (train, neighbours) in this worker process, made once."""
    global _worker_stages
    single_thread()
    if _worker_stages is None or _worker_stages[0] is not data:
        _worker_stages = (data, StageBuilder(*data))
    return _worker_stages[1]


def run_on_worker(data, job):
    return run_job(worker_stages(data), job)


def prepare_worker(data, configs):
    prepare_stages(worker_stages(data), configs)


class OnDask:
    """Jobs on the workers of a Dask cluster: a LocalCluster of `workers` processes with one thread each, or the
    cluster whose scheduler is at `scheduler`. The data go to the workers with `load` (at once where `train` is
    given). A LocalCluster whose workers are forked from the preloaded server (`start_worker_server`) is started
    there, when the data come; otherwise the workers start at once and warm up (`warm_worker`) as soon as they are
    there, as a scheduler's workers do."""

    def __init__(self, train=None, neighbours=None, *, workers=None, scheduler=None):
        self.cluster = self.client = None
        self.closed = False
        self.data = self.stages = None
        self._warming = []
        if scheduler:
            from distributed import Client

            try:
                self.client = Client(scheduler)
            except OSError as exc:  # no scheduler there, or it did not answer in Dask's connect timeout
                raise ConfigError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
            self._connected(warm=True)
        else:
            self._local_workers = workers
            self._forked = start_worker_server()
            if not self._forked:  # spawned workers: at once, so that they warm up while the data are made or read
                self._start_local_cluster()
        if train is not None:
            self.load(train, neighbours)

    def _start_local_cluster(self):
        import dask
        from distributed import Client, LocalCluster

        settings = LOCAL_CLUSTER_SETTINGS | {"distributed.worker.multiprocessing-method":
                                             "forkserver" if self._forked else "spawn"}
        # the scheduler's HTTP server on a free port: with None it still takes 8787, and a second search on the
        # machine printed Dask's "Port 8787 is already in use" warning
        # a Ctrl-C while the cluster starts comes after it: one cut short left no cluster to close here, and Dask's
        # own close at exit failed with a traceback on its workers still starting
        with interrupt_deferred(), dask.config.set(settings), environment(TRIM_VARIABLE):
            self.cluster = LocalCluster(n_workers=self._local_workers, threads_per_worker=1, processes=True,
                                        memory_limit=0, dashboard_address=":0", silence_logs=logging.ERROR,
                                        preload=LOCAL_WORKER_PRELOAD)
            self.client = Client(self.cluster)
        self._connected(warm=not self._forked)  # forked workers come with what warm_worker loads

    def _connected(self, warm):
        addresses = sorted(self.client.scheduler_info()["workers"])
        self.workers = len(addresses)
        if warm:
            self._warming = [self.client.submit(warm_worker, pure=False, workers=[address], allow_other_workers=False)
                             for address in addresses]

    def load(self, train, neighbours):
        """Send the data set and its neighbour list to every worker once; jobs find them in worker memory."""
        if self.client is None:
            self._start_local_cluster()
        self.client.gather(self._warming)  # done by now, where the data took longer; a failure shows here
        [self.data] = self.client.scatter([(train, neighbours)], broadcast=True, hash=False)
        self.stages = StageBuilder(train, neighbours)  # here, only to decide what to screen: it builds nothing

    def prepare(self, configs):
        """Build the stages of these search settings on every worker now (each worker once)."""
        addresses = sorted(self.client.scheduler_info()["workers"])
        self.client.gather([self.client.submit(prepare_worker, self.data, configs, pure=False, workers=[address],
                                               allow_other_workers=False) for address in addresses])

    def run(self, jobs):
        # the costliest first (higher priority runs earlier): the batch ends when its last job does
        futures = [self.client.submit(run_on_worker, self.data, job, pure=False, priority=job.weight)
                   for job in jobs]
        return self.client.gather(futures)

    def close(self):
        if self.closed:
            return
        self.closed = True
        if self.client is None:  # closed before the data came: no cluster was started
            return
        with _quiet_teardown(self.client):
            try:
                self.client.close()
                if self.cluster is not None:
                    self.cluster.close()
            # after a Ctrl-C the workers may be gone, or still starting (Dask's close asserts a worker's status);
            # the run is saved by then, and nothing is left to save
            except (OSError, RuntimeError, TimeoutError, AssertionError) as exc:
                logging.getLogger(__name__).debug("closing the Dask cluster: %r", exc)


@contextlib.contextmanager
def interrupt_deferred():
    """A Ctrl-C that comes while the block runs handled as the block ends, as it would have been (in the main thread;
    elsewhere Python delivers no signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, caught[0])


@contextlib.contextmanager
def _quiet_teardown(client):
    """Dask's messages while the cluster closes kept from the terminal. With jobs still out (a search stopped by
    Ctrl-C) its scheduler logs the workers' lost data at ERROR, and each gather that was waiting ends with AllExit,
    which its event loop logs as "Task exception was never retrieved" when the task is collected, maybe only as Python
    exits; and the scheduler's word to the client about keys (in memory, lost, cancelled) that comes after the
    client's connection closed is logged at CRITICAL with a traceback each ("Closed comm … while trying to write"):
    seven of them once, at the end of an hour's search that had ended well. Nothing of the closing is for the user:
    the run is written by then. Other messages of the loop pass as before."""
    from distributed.client import AllExit

    loop = client.loop.asyncio_loop

    def handler(loop, context):
        if not isinstance(context.get("exception"), AllExit):
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)
    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)  # nothing at all
    try:
        yield
    finally:
        logger.setLevel(level)


def warm_worker():
    """What a worker's first data and jobs would wait for, done as soon as it is there (while the data are still read
    or made): the imports of the fits and the compiled kernels, loaded from numba's cache by a pass over two atoms."""
    from ase import Atoms
    from ase.calculators.singlepoint import SinglePointCalculator

    from ..data import Dataset
    from ..neighbours import build_neighbours
    from .config import SearchConfig

    atoms = Atoms("Cu2", positions=[[0.0, 0, 0], [1.2, 1.3, 1.4]], cell=[3.0, 3.1, 3.2], pbc=True)
    atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((2, 3)), stress=np.zeros(6))
    data = Dataset.from_atoms([atoms], min_distance=None)
    config = SearchConfig()
    single_thread()
    prepare_stages(StageBuilder(data, build_neighbours(data, config.r_out)), [config])


@contextlib.contextmanager
def started_pool(*, workers=1, scheduler=None):
    """The workers of a search on Dask, set going before its data are there — the server they will be forked from
    preloads meanwhile, or spawned workers warm up (`OnDask`) — and closed on leaving the block (a search closes them
    when it ends); None where the search runs in this process. `make_pool(..., started=...)` hands them the data."""
    pool = None if scheduler is None and workers <= 1 else OnDask(workers=workers, scheduler=scheduler)
    try:
        yield pool
    finally:
        if pool is not None:
            pool.close()


def make_pool(train, neighbours, *, workers=1, scheduler=None, started=None):
    """In this process for one worker and no scheduler; otherwise on Dask (the workers `started` before, if any)."""
    if started is not None:
        started.load(train, neighbours)
        return started
    if scheduler is None and workers <= 1:
        return InProcess(train, neighbours)
    return OnDask(train, neighbours, workers=workers, scheduler=scheduler)
