"""`symff search DATA… [--test DATA…] [options] --out RUN`: search for potentials and write a run directory."""

from ..cutoff import DEFAULT_INNER, DEFAULT_OUTER
from ..progress import SearchProgress
from ..rundir import front_table, read_front
from ..search.config import SearchConfig
from ..workflow import search_to_run
from .common import add_data_options, command_line, read_train_test


def add_search_options(parser, population=200, generations=100):
    parser.add_argument("--grammar", default="eam", help="a shipped grammar (pair, eam) or a grammar file")
    parser.add_argument("--lammps-exportable", action="store_true",
                        help="search only forms `symff export --lammps` can write (pair-only or single-density EAM)")
    parser.add_argument("--cutoff", dest="r_out", type=float, default=DEFAULT_OUTER,
                        help=f"outer cutoff radius r_out in Å (default {DEFAULT_OUTER})")
    parser.add_argument("--cutoff-inner", dest="r_in", type=float, default=DEFAULT_INNER,
                        help=f"where the smooth cutoff starts, r_in in Å (default {DEFAULT_INNER})")
    parser.add_argument("--population", type=int, default=population)
    parser.add_argument("--generations", type=int, default=generations)
    parser.add_argument("--time-limit", type=float, metavar="S", help="stop after this many seconds")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--energy-weight", type=float, default=1.0)
    parser.add_argument("--force-weight", type=float, default=1.0)
    parser.add_argument("--stress-weight", type=float, default=0.1)
    parser.add_argument("--out", default="run", metavar="RUN", help="the run directory to write (default ./run)")
    parser.add_argument("--force", action="store_true", help="write into an existing, non-empty run directory")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--log-json", metavar="FILE", help="write one JSON line per generation to FILE")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help="skip the plots and RUN/report/index.html")


def config_from(args, **overrides):
    values = {"grammar": args.grammar, "r_in": args.r_in, "r_out": args.r_out, "population": args.population,
                  "generations": args.generations, "time_limit": args.time_limit, "seed": args.seed,
                  "energy_weight": args.energy_weight, "force_weight": args.force_weight, "stress_weight": args.stress_weight}
    values["lammps_exportable"] = getattr(args, "lammps_exportable", False)
    return SearchConfig(**(values | overrides))


def add_parser(sub):
    p = sub.add_parser("search", help="search for potentials that fit reference data",
                       description=__doc__)
    p.add_argument("data", nargs="+", metavar="DATA", help="training data: any file ASE reads")
    p.add_argument("--test", nargs="+", metavar="DATA", help="test data")
    p.add_argument("--test-fraction", type=float, help="hold out this fraction of DATA as the test set (seeded)")
    add_data_options(p)
    add_search_options(p)
    p.set_defaults(run=run)


def run(args):
    config = config_from(args)
    train, test = read_train_test(args)
    data = {"train": list(args.data), "test": list(args.test or []), "split_key": args.split_key,
            "test_fraction": args.test_fraction, "index": args.frames,
            "train_structures": train.n_structures, "test_structures": test.n_structures if test else 0}
    with SearchProgress(config, quiet=args.quiet, log_json=args.log_json) as progress:
        result, models = search_to_run(config, train, test, args.out, command=command_line(), data=data,
                                       force=args.force, progress=progress, report=args.report)
    print(f"{len(models)} front members after {result.generations} generations ({result.stop_reason}), "
          f"{result.elapsed:.1f} s; written to {args.out}")
    print(front_table(read_front(args.out)["members"]))
