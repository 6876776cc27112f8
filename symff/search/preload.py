"""What the server that symff's local Dask workers are forked from imports as it starts (symff.search.pool.
start_worker_server): Dask's worker, the fits' modules and their compiled kernels, which a spawned worker would
import and load itself after it started. Every worker forked from the server has them."""

import logging

from .local_worker import quiet

# The server and the workers forked from it ignore SIGINT and the closing scheduler's heartbeat failures (the server
# forks its workers with the handlers it has once this preload is done), from before the imports below on: a Ctrl-C
# while the server preloads would end it, and with it every local cluster of this process.
quiet()

import distributed.nanny  # noqa: F401  (the worker process's own code)

from .pool import warm_worker

try:
    warm_worker()
except Exception:
    # raised here, it would end the server and with it every local cluster of this process; a worker without the
    # kernels loads them on its first job, where whatever failed here fails again with its own message
    logging.getLogger(__name__).debug("the workers' server could not warm up", exc_info=True)
