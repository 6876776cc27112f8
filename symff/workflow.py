"""A search from data to run directory: the steps `symff search` and `symff rediscover` share."""

from .neighbours import build_neighbours
from .progress import HISTORY_FILE, write_history
from .rundir import prepare_run_directory, write_config, write_front
from .search.engine import run_search
from .search.results import front_models


def search_to_run(config, train, test, out, *, command, data, force=False, progress=None, report=True):
    """Search `train`, evaluate the front on train and test, and write RUN = `out`. Returns (result, models).

    The run directory is checked before the search starts, so a clash is reported before any work is lost.
    With `report`, RUN/report/ gets the plots and index.html (symff.report).
    """
    out = prepare_run_directory(out, force=force)
    write_config(out, config, data, command)
    train_neighbours = build_neighbours(train, config.r_out)
    result = run_search(config, train, neighbours=train_neighbours, progress=progress)
    models = front_models(result, train, test, train_neighbours=train_neighbours)
    summary = {"generations": result.generations, "elapsed_s": result.elapsed, "stop_reason": result.stop_reason,
               "stats": result.stats}
    write_front(out, models, summary)
    write_history(out / HISTORY_FILE, result.history, config)
    if report:
        from .report import write_report  # matplotlib is imported only when a report is written

        write_report(out, train=train, test=test, train_neighbours=train_neighbours)
    return result, models

