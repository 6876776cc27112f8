"""What the server that symff's local Dask workers are forked from imports as it starts (symff.search.pool.
start_worker_server): Dask's worker, the fits' modules and their compiled kernels, which a spawned worker would
import and load itself after it started. Every worker forked from the server has them."""

import logging
import signal

# The server ignores SIGINT only once its preload is done, and it shares the terminal's process group: a Ctrl-C meant
# for the search, arriving while it imports, would end it with a traceback of its own. The driver handles the Ctrl-C;
# the handler the server had comes back afterwards, and with it the workers' (the server forks them with the handlers
# it found when the preload was done).
_handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
try:
    import distributed.nanny  # noqa: F401  (the worker process's own code)

    from .pool import warm_worker

    try:
        warm_worker()
    except Exception:
        # raised here, it would end the server and with it every local cluster of this process; a worker without the
        # kernels loads them on its first job, where whatever failed here fails again with its own message
        logging.getLogger(__name__).debug("the workers' server could not warm up", exc_info=True)
finally:
    signal.signal(signal.SIGINT, _handler)
