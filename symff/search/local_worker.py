"""What every worker of a local cluster that symff starts does before its first job, so that a search stopped by
Ctrl-C ends with symff's own message and no screen of Dask's tracebacks. Forked workers have it from the server they
are forked from (symff.search.preload); spawned ones (macOS, or no forkserver) run it as Dask's worker preload
(`dask_setup`, given by symff.search.pool.OnDask)."""

import logging
import signal


class HeartbeatToAClosedScheduler(logging.Filter):
    """Drops a local worker's "Failed to communicate with scheduler during heartbeat" (an ERROR with a traceback): the
    scheduler of a local cluster lives in the symff process, so its connection closes only as the cluster closes (a
    search stopped by Ctrl-C), and a heartbeat then in flight printed a screen of traceback."""

    def filter(self, record):
        return not record.getMessage().startswith("Failed to communicate with scheduler during heartbeat")


_HEARTBEAT_FILTER = HeartbeatToAClosedScheduler()  # one instance: a second quiet() adds nothing


def quiet():
    """Ignore SIGINT and keep the closing scheduler's heartbeat failures from the terminal (in the main thread). The
    workers share the terminal's process group, so a Ctrl-C meant for the search reaches them too: the driver handles
    it (it checkpoints and closes the cluster, which ends the workers), and a worker that took it as well printed a
    KeyboardInterrupt traceback each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.getLogger("distributed.worker").addFilter(_HEARTBEAT_FILTER)


def dask_setup(worker):
    """Dask's preload hook, run in the worker process's main thread as the worker starts."""
    quiet()
