"""`symff report RUN [--index K] [--ensemble K] [--seed N]`: write RUN/report/ again (plots and index.html) from the
run directory and its data; --ensemble adds the calibration plot of K bootstrap refits of the model.

The data is read again from the paths in RUN/config.json (or made again, for a rediscovery); without it, the report
has the front and the convergence plots only.
"""

import warnings

from ..data import Dataset
from ..errors import ConfigError, SymffWarning
from ..rediscover import REDISCOVERIES
from ..report import write_report
from ..rundir import optional_config, read_front
from .common import changed_data, read_saved_data, seed_value


def add_parser(sub):
    p = sub.add_parser("report", help="write the plots and HTML report of a run again", description=__doc__)
    p.add_argument("run_dir", metavar="RUN", help="a run directory")
    p.add_argument("--index", type=int, metavar="K", help="front member to plot (default: the most accurate)")
    p.add_argument("--no-data", dest="data", action="store_false", help="do not read the data again")
    p.add_argument("--ensemble", type=int, metavar="K",
                   help="add a calibration plot: K bootstrap refits of the model, spread against test error")
    p.add_argument("--seed", type=seed_value, default=0, help="seed of the bootstrap resamples (default 0)")
    p.set_defaults(run=run)


def run_data(run):
    """(train, test) of a run, read or made again as RUN/config.json says; (None, None) when that cannot be done."""
    config, problem = optional_config(run)
    if problem:
        warnings.warn(f"{problem}: the report has no plots of the data", SymffWarning, stacklevel=2)
        return None, None
    data, search = config.get("data", {}), config.get("search", {})
    if data.get("rediscover") in REDISCOVERIES:
        return Dataset.from_atoms(REDISCOVERIES[data["rediscover"]].make_data(data.get("seed", 0))), None
    if not data.get("train"):
        warnings.warn(f"{run}: its config.json names no data files (SymFF.fit given data as objects): the report has "
                      "no plots of the data", SymffWarning, stacklevel=2)
        return None, None
    train, test = read_saved_data(data, search.get("seed", 0))
    changed = changed_data(data, train, test, run)
    if changed:
        warnings.warn(f"{changed}: the report's errors are those of the data as they are now", SymffWarning,
                      stacklevel=2)
    return train, test


def run(args):
    read_front(args.run_dir)  # a one-line error for what is not a run directory
    train, test = run_data(args.run_dir) if args.data else (None, None)
    if args.ensemble is not None and args.ensemble < 2:
        raise ConfigError(f"--ensemble must be at least 2, got {args.ensemble}")
    page = write_report(args.run_dir, train=train, test=test, index=args.index, ensemble=args.ensemble,
                        seed=args.seed)
    print(page)
