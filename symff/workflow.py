"""A search from data to run directory: the steps `symff search` and `symff rediscover` share."""

import sys

from .grammar.spec import load_grammar
from .memory import check_memory
from .neighbours import build_neighbours
from .rundir import prepare_run_directory, write_config, write_front
from .search.engine import run_search
from .search.results import front_models


def search_to_run(config, train, test, out, *, command, data, force=False, progress=None):
    """Search `train`, evaluate the front on train and test, and write RUN = `out`. Returns (result, models).

    The memory estimate and the run directory are checked before the search starts, so a data set that would not fit
    or a clash is reported before any work is lost.
    """
    load_grammar(config.grammar)  # a bad grammar is refused before the run directory is made
    check_memory(train, config.r_out)
    out = prepare_run_directory(out, force=force)
    write_config(out, config, data, command)
    train_neighbours = build_neighbours(train, config.r_out)
    result = run_search(config, train, neighbours=train_neighbours, progress=progress)
    models = front_models(result, train, test, train_neighbours=train_neighbours)
    summary = {"generations": result.generations, "elapsed_s": result.elapsed, "stop_reason": result.stop_reason,
               "stats": result.stats}
    write_front(out, models, summary)
    return result, models


def print_generation(report, stream=sys.stderr):
    """One progress line per generation: how far, how fast, and the best loss at each complexity so far."""
    front = " ".join(f"{c}:{loss:.3g}" for c, loss in report.front[:8])
    more = " …" if len(report.front) > 8 else ""
    print(f"gen {report.generation:4d}  {report.elapsed:7.1f} s  fits {report.fits:6d}  "
          f"best {report.best_loss:.4g}  front {front}{more}", file=stream, flush=True)
