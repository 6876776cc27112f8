"""`symff learn CONFIG [--out RUN]`: active learning. Fit the form of CONFIG on the labelled start structures, run MD
with it, label the frames where its bootstrap committee disagrees most (or, `strategy: variance_reduction`, those
that most lower its variance over all the MD frames) with the oracle (any ASE calculator), refit, and repeat until
the disagreement falls under the threshold or the label budget is spent (with `search` in CONFIG, each iteration
searches anew from the last iteration's front instead of refitting, on --workers processes or the Dask cluster of
--scheduler). Each iteration's data, model and selection stay in RUN as extxyz and model files; run the same command
again to resume a stopped run (nothing is labelled twice). CONFIG is YAML: see docs/active-learning.md.
"""

from ..learn import load_config, run_learning
from .search import add_scheduler_option, add_workers_option, workers_from


def add_parser(sub):
    p = sub.add_parser("learn", help="active learning with an oracle (any ASE calculator)", description=__doc__)
    p.add_argument("config", metavar="CONFIG", help="the YAML configuration")
    p.add_argument("--out", default="learn-run", metavar="RUN", help="the run directory (default learn-run)")
    add_workers_option(p)
    add_scheduler_option(p)
    p.set_defaults(run=run)


def run(args):
    config = load_config(args.config)
    # all cores by default where the loop searches; a loop that refits has no use for them
    workers = workers_from(args) if config.search is not None or args.workers is not None else 1
    try:
        run_learning(config, args.out, progress=True, workers=workers, scheduler=args.scheduler)
    except KeyboardInterrupt:
        # every finished step is in RUN (a search's checkpoint too): the same command goes on from there
        print(f"interrupted: continue with: symff learn {args.config} --out {args.out}")
        return 130
