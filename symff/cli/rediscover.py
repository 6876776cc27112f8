"""`symff rediscover {lj,stillinger-weber,sutton-chen} [--seed N] [--out RUN] [--workers N]`: make data with a known
potential, search, and check that the known formula comes back. The search runs as `symff search` does, on all cores
by default (`--workers`). The last line printed is `recovered: yes` or `recovered: no`."""

import time

from ..data import Dataset
from ..progress import SearchProgress, counted
from ..rediscover import REDISCOVERIES
from ..search.pool import started_pool
from ..workflow import search_to_run
from .common import command_line
from .search import add_search_options, add_workers_option, config_from, workers_from


def add_parser(sub):
    p = sub.add_parser("rediscover", help="rediscover a known potential from data it generates",
                       description=__doc__)
    p.add_argument("potential", choices=sorted(REDISCOVERIES))
    add_search_options(p, population=None, generations=None)  # None: the case's own
    add_workers_option(p)
    p.set_defaults(run=run, out=None, grammar=None)


def run(args):
    case = REDISCOVERIES[args.potential]
    workers = workers_from(args)
    # the case's settings, but what the command line names wins (--time-limit too: the cases set their own); checked
    # before the data are made
    overrides = case.search_settings | {k: v for k, v in
                                        (("population", args.population), ("generations", args.generations),
                                         ("grammar", args.grammar), ("time_limit", args.time_limit))
                                        if v is not None}
    config = config_from(args, **overrides)
    start = time.perf_counter()
    with started_pool(workers=workers) as started:  # the workers warm up while the data are made
        print(f"making {case.description} data (seed {args.seed}) ...", flush=True)
        train = Dataset.from_atoms(case.make_data(args.seed))
        print(f"{train.n_structures} structures, {train.n_atoms} atoms in {time.perf_counter() - start:.1f} s",
              flush=True)
        out = args.out or f"rediscover-{args.potential}-seed{args.seed}"
        data = {"generated": case.description, "rediscover": args.potential, "seed": args.seed,
                "train_structures": train.n_structures}
        with SearchProgress(config, quiet=args.quiet, log_json=args.log_json) as progress:
            result, models = search_to_run(config, train, None, out, command=command_line(), data=data,
                                           force=args.force, progress=progress, report=args.report, workers=workers,
                                           started=started)
    recovery = case.check(models)
    print(f"{counted(len(models), 'front member')} after {counted(result.generations, 'generation')} "
          f"({result.stop_reason}); "
          f"total {time.perf_counter() - start:.1f} s; written to {out}")
    print(recovery.summary())
    print(f"recovered: {'yes' if recovery.recovered else 'no'}")
    if result.stop_reason == "interrupted":  # by Ctrl-C: the front so far is written, and judged above
        return 130
    return 0 if recovery.recovered else 1
