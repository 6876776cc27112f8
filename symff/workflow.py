"""A search from data to run directory: the steps `symff search` and `symff rediscover` share."""

from pathlib import Path

from .data.read import warn_unseen_pairs
from .grammar.spec import load_grammar
from .memory import check_memory
from .neighbours import build_neighbours
from .progress import write_history
from .rundir import HISTORY_FILE, check_run_directory, prepare_run_directory, write_config, write_front, writing
from .search.islands import IslandSearch
from .search.pool import make_pool
from .search.results import front_models


def search_to_run(config, train, test, out, *, command, data, force=False, progress=None, report=True, workers=1,
                  scheduler=None, resume=None, started=None):
    """Search `train`, evaluate the front on train and test, and write RUN = `out`. Returns (result, models).

    The memory estimate and the run directory are checked before the search starts, so a data set that would not fit
    or a clash is reported before any work is lost; RUN is written once the workers are there. The search runs on
    `workers` processes (or the Dask cluster at `scheduler`) and writes a checkpoint into RUN after every
    generation (`started`: those workers, started before the data were read: symff.search.pool.started_pool);
    `resume`, a checkpoint's state (a symff.search.state.SearchState), continues from it in RUN. With
    `report`, RUN/report/ gets the plots and index.html (symff.report).
    """
    load_grammar(config.grammar)  # a bad grammar is refused before the run directory is made
    check_memory(train, config.r_out)
    if resume is None:
        check_run_directory(out, force=force)
    train_neighbours = build_neighbours(train, config.r_out)
    warn_unseen_pairs(train, train_neighbours, config.r_out, ", ".join(map(str, (data or {}).get("train", ())))
                      or "the training data")
    # the workers before RUN is written: a scheduler that cannot be reached leaves no half-made run behind
    executor = make_pool(train, train_neighbours, workers=workers, scheduler=scheduler, started=started)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    try:
        with writing(out):  # before an earlier run's files are removed (--force): it may be still going
            if resume is None:
                prepare_run_directory(out, force=force)
                write_config(out, config, data, command, parallel={"workers": workers, "scheduler": scheduler})
            result = IslandSearch(config, train, neighbours=train_neighbours, executor=executor, run=out,
                                  progress=progress, state=resume).run()
            models = front_models(result, train, test, train_neighbours=train_neighbours)
            summary = {"generations": result.generations, "elapsed_s": result.elapsed,
                       "stop_reason": result.stop_reason, "stats": result.stats}
            write_front(out, models, summary)
            write_history(out / HISTORY_FILE, result.history, config)
            if report:
                from .report import write_report  # matplotlib is imported only when a report is written

                write_report(out, train=train, test=test, train_neighbours=train_neighbours)
    finally:
        executor.close()  # the search closes it as it ends; this, where the run was refused before it started
    return result, models
