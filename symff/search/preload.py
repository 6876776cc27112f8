"""What the server that symff's local Dask workers are forked from imports as it starts (symff.search.pool.
start_worker_server): Dask's worker, the fits' modules and their compiled kernels, which a spawned worker would
import and load itself after it started. Every worker forked from the server has them."""

import logging
import signal

# The server and the workers forked from it ignore SIGINT. They share the terminal's process group, so a Ctrl-C meant
# for the search reaches them too: the driver handles it (it checkpoints and closes the cluster, which ends the
# workers), and a worker that took it as well printed a KeyboardInterrupt traceback each (the server forks its workers
# with the handlers it has once this preload is done).
signal.signal(signal.SIGINT, signal.SIG_IGN)

import distributed.nanny  # noqa: F401  (the worker process's own code)

from .pool import quiet_local_worker, warm_worker

quiet_local_worker()

try:
    warm_worker()
except Exception:
    # raised here, it would end the server and with it every local cluster of this process; a worker without the
    # kernels loads them on its first job, where whatever failed here fails again with its own message
    logging.getLogger(__name__).debug("the workers' server could not warm up", exc_info=True)
