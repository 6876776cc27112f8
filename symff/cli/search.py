"""`symff search DATA… [--test DATA…] [options] --out RUN`: search for potentials and write a run directory.

`symff search --resume RUN` continues a run from its checkpoint, with the settings and data of RUN/config.json."""

import os

from ..checkpoint import read_checkpoint
from ..cutoff import DEFAULT_INNER, DEFAULT_OUTER
from ..environment import changed_versions
from ..errors import ConfigError
from ..grammar.spec import load_grammar
from ..progress import SearchProgress, counted
from ..rundir import data_record, front_table, read_config, read_front, writing
from ..search.config import DEFAULT_VARIATION, TOPOLOGIES, SearchConfig
from ..search.pool import started_pool
from ..search.state import SearchState
from ..targets import PROPERTY_OBJECTIVES
from ..workflow import search_to_run
from .common import add_data_options, changed_data, command_line, read_saved_data, read_train_test, seed_value


def add_search_options(parser, population=200, generations=100):
    parser.add_argument("--grammar", default="eam", help="a shipped grammar (pair, eam) or a grammar file")
    parser.add_argument("--lammps-exportable", action="store_true",
                        help="search only forms `symff export --lammps` can write (pair-only or single-density EAM)")
    parser.add_argument("--cutoff", dest="r_out", type=float, default=DEFAULT_OUTER,
                        help=f"outer cutoff radius r_out in Å (default {DEFAULT_OUTER})")
    parser.add_argument("--cutoff-inner", dest="r_in", type=float, default=DEFAULT_INNER,
                        help=f"where the smooth cutoff starts, r_in in Å (default {DEFAULT_INNER})")
    parser.add_argument("--three-body-cutoff", type=float, nargs=2, metavar=("INNER", "OUTER"),
                        help="a shorter smooth cutoff for the three-body sums NS3 alone, from INNER to OUTER Å (OUTER "
                             "at most --cutoff): fewer triplets, cheaper in LAMMPS (default: the radial sums' cutoff)")
    parser.add_argument("--max-three-body-sums", type=int, metavar="N",
                        help="reject forms with more than N three-body sums NS3 before fitting them: each is a "
                             "meam/spline file of its own in LAMMPS, what an angular form costs (default: no bound)")
    parser.add_argument("--population", type=int, default=population)
    parser.add_argument("--generations", type=int, default=generations)
    parser.add_argument("--time-limit", type=float, metavar="S",
                        help="stop at the end of the generation during which this many seconds pass (a generation is "
                             "not cut short: the front stays that of whole generations)")
    parser.add_argument("--seed", type=seed_value, default=0)
    parser.add_argument("--energy-weight", type=float, default=1.0)
    parser.add_argument("--force-weight", type=float, default=1.0)
    parser.add_argument("--stress-weight", type=float, default=0.1)
    parser.add_argument("--start-forms", metavar="classical|PATH",
                        help="start the population with these forms, constants free: `classical` (Lennard-Jones, "
                             "Morse, Sutton-Chen, Gupta, GP1) or model files (a model JSON, a directory of them, or a "
                             "run directory); forms the grammar cannot express are skipped with a warning")
    parser.add_argument("--no-sanity", dest="sanity", action="store_false",
                        help="let candidates that fail the physical-sanity checks into the front")
    parser.add_argument("--no-inherit-forms", dest="inherit_forms", action="store_false",
                        help="keep each tree as variation made it, instead of the tree of the form its fit reached "
                             "(exponents climbed, constants snapped, terms dropped; fitted constants as start values)")
    parser.add_argument("--inherit-constants", action="store_true",
                        help="every fitted tree takes its fitted constants as start values, also where its fit stayed "
                             "at its form, so that offspring start from their parents' fits")
    parser.add_argument("--variation", nargs="+", metavar="OPERATOR=WEIGHT", default=[],
                        help="weights of the variation operators, the rest at their defaults ("
                             + ", ".join(f"{name} {weight:g}" for name, weight in DEFAULT_VARIATION.items())
                             + "); 0 turns one off")
    parser.add_argument("--no-decay-neighbours", dest="decay_neighbours", action="store_false",
                        help="climb without the decay neighbours (a power law of r times a new decay, r^p k^r): "
                             "cheaper generations, fewer forms reached")
    parser.add_argument("--no-log-bases", dest="log_bases", action="store_false",
                        help="fit each constant that is only the base of powers (a decay c**r) in c itself, not in "
                             "its logarithm (the fits before 2026-12-07)")
    parser.add_argument("--angle-splits", type=int, nargs="+", metavar="N", default=[],
                        help="the climb also splits a three-body sum of a constant angular function, NS3(f, k), into "
                             "an angle and a squared density, NS3(f, c^N) + a NS(f')^2, for each power N (for several "
                             "elements the only climb step; default: none)")
    parser.add_argument("--properties", metavar="TARGETS",
                        help="a property targets file: material properties become the last tiers of each candidate's "
                             "score (loss = data loss + --property-weight x property loss)")
    parser.add_argument("--property-weight", type=float, metavar="W",
                        help="weight of the property loss in a candidate's loss (default 10)")
    parser.add_argument("--property-objective", choices=sorted(PROPERTY_OBJECTIVES),
                        help="how a deviation from a target counts: weighted (squared, in tolerances; the default) or "
                             "tolerance (only the part beyond the tolerance)")
    parser.add_argument("--out", default="run", metavar="RUN", help="the run directory to write (default ./run)")
    parser.add_argument("--force", action="store_true",
                        help="write into an existing, non-empty run directory (an earlier run's checkpoint, front, "
                             "history and model files there are removed first)")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    parser.add_argument("--log-json", metavar="FILE", help="write one JSON line per generation to FILE")
    parser.add_argument("--no-report", dest="report", action="store_false",
                        help="skip the plots and RUN/report/index.html")


def config_from(args, **overrides):
    values = {"grammar": args.grammar, "r_in": args.r_in, "r_out": args.r_out, "population": args.population,
                  "generations": args.generations, "time_limit": args.time_limit, "seed": args.seed,
                  "energy_weight": args.energy_weight, "force_weight": args.force_weight, "stress_weight": args.stress_weight}
    values["lammps_exportable"] = getattr(args, "lammps_exportable", False)
    values["three_body_cutoff"] = getattr(args, "three_body_cutoff", None)
    values["max_three_body_sums"] = getattr(args, "max_three_body_sums", None)
    values["start_forms"] = getattr(args, "start_forms", None)
    values["sanity"] = getattr(args, "sanity", True)
    values["inherit_forms"] = getattr(args, "inherit_forms", True)
    values["inherit_constants"] = getattr(args, "inherit_constants", False)
    values["decay_neighbours"] = getattr(args, "decay_neighbours", True)
    values["log_bases"] = getattr(args, "log_bases", True)
    values["angle_splits"] = getattr(args, "angle_splits", None) or []
    values["variation"] = DEFAULT_VARIATION | variation_weights(getattr(args, "variation", None) or [])
    values["properties"] = getattr(args, "properties", None) or []
    for name in ("property_weight", "property_objective"):  # None: not given, SearchConfig's default
        if getattr(args, name, None) is not None:
            if not values["properties"]:
                raise ConfigError(f"--{name.replace('_', '-')} is for a search with --properties")
            values[name] = getattr(args, name)
    return SearchConfig(**(values | overrides))


def variation_weights(items):
    """{operator: weight} of `--variation` items OPERATOR=WEIGHT."""
    weights = {}
    for item in items:
        name, _, weight = item.partition("=")
        try:
            weights[name] = float(weight)  # no "=" leaves weight empty: refused here too
        except ValueError:
            raise ConfigError(f"--variation: expected OPERATOR=WEIGHT, got {item!r}") from None
    return weights


def add_parser(sub):
    p = sub.add_parser("search", help="search for potentials that fit reference data",
                       description=__doc__)
    p.add_argument("data", nargs="*", metavar="DATA", help="training data: any file ASE reads")
    p.add_argument("--test", nargs="+", metavar="DATA", help="test data")
    p.add_argument("--test-fraction", type=float,
                   help="hold out this fraction of DATA as the test set (seeded; at least 0, below 1)")
    add_data_options(p)
    add_search_options(p)
    add_parallel_options(p)
    p.set_defaults(run=run, parser=p)


def add_workers_option(parser):
    parser.add_argument("--workers", type=int, metavar="N",
                        help=f"worker processes of a local Dask cluster (default: all cores, here {os.cpu_count()}; "
                             "1: no cluster)")


def workers_from(args):
    """The worker processes `--workers` asks for: all cores by default."""
    workers = (os.cpu_count() or 1) if args.workers is None else args.workers
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    return workers


def add_scheduler_option(parser):
    parser.add_argument("--scheduler", metavar="ADDRESS", help="join the Dask cluster of this scheduler instead")


def add_parallel_options(parser):
    add_workers_option(parser)
    add_scheduler_option(parser)
    parser.add_argument("--islands", type=int, metavar="N",
                        help="islands the population is shared among (default: one per 50 individuals, 1 to 4; "
                             "not tied to the workers, so the same seed gives the same front on any number of them)")
    parser.add_argument("--migration-interval", type=int, metavar="K",
                        help="generations between migrations (default 5)")
    parser.add_argument("--migration-size", type=int, metavar="M",
                        help="best distinct forms each island sends (default 2)")
    parser.add_argument("--topology", choices=TOPOLOGIES,
                        help="ring: island i sends to i+1; all: to every other (default ring)")
    parser.add_argument("--resume", metavar="RUN", help="continue the run in RUN from its checkpoint")


def run(args):
    if args.resume:
        return resume(args)
    if not args.data:
        raise ConfigError("give the training data (DATA…), or --resume RUN")
    workers = workers_from(args)
    islands = default_islands(args.population) if args.islands is None else args.islands
    migration = {name: getattr(args, name) for name in ("migration_interval", "migration_size", "topology")
                 if getattr(args, name) is not None}  # None: not given, SearchConfig's default
    if migration and islands == 1:
        raise ConfigError(f"--{next(iter(migration)).replace('_', '-')} acts between islands, and this search has one "
                          f"(--islands N with N > 1, or a population of 100 or more)")
    config = config_from(args, islands=islands, **migration)
    _check_three_body_options(config)
    with started_pool(workers=workers, scheduler=args.scheduler) as started:  # they warm up while the data are read
        train, test = read_train_test(args)
        if config.properties:
            from ..targets import read_targets

            read_targets(args.properties).check_elements(train.elements, ", ".join(args.data))
        data = data_record(args, train, test)
        with SearchProgress(config, quiet=args.quiet, log_json=args.log_json) as progress:
            outcome = search_to_run(config, train, test, args.out, command=command_line(), data=data,
                                    force=args.force, progress=progress, report=args.report, workers=workers,
                                    scheduler=args.scheduler, started=started)
    return finish(args.out, *outcome)


def _check_three_body_options(config):
    """The three-body options act on NS3 sums: refused where neither the grammar nor a start form has them (ignored,
    they would look like settings the search used)."""
    given = [option for option, value in (("--angle-splits", config.angle_splits),
                                          ("--three-body-cutoff", config.three_body_cutoff is not None),
                                          ("--max-three-body-sums", config.max_three_body_sums is not None)) if value]
    if given and "ns3" not in load_grammar(config.grammar).atom_operators \
            and not any("NS3(" in energy for _, energy in config.start_forms):
        raise ConfigError(f"{given[0]} acts on three-body sums (NS3), which neither the grammar {config.grammar!r} nor "
                          "a start form has: search with --grammar angular, or a grammar file with ns3")


def default_islands(population):
    """One island per 50 individuals, 1 to 4."""
    return max(1, min(4, population // 50))


# what --resume takes from the command line: where and how the work runs and is shown, never what is searched
RESUME_OPTIONS = {"resume", "workers", "scheduler", "quiet", "log_json", "report", "debug", "command", "run", "parser"}


def resume(args):
    """Continue RUN: its settings and data from RUN/config.json, its state from RUN/checkpoint.pkl. A setting given
    beside --resume would be ignored, so it is refused."""
    defaults = vars(args.parser.parse_args(["--resume", args.resume]))
    changed = [action for action in args.parser._actions if action.dest not in RESUME_OPTIONS
               and getattr(args, action.dest, None) != defaults.get(action.dest)]
    if changed:
        names = ", ".join(a.option_strings[0] if a.option_strings else a.metavar for a in changed)
        raise ConfigError(f"--resume {args.resume} goes on with the data and settings of its config.json: {names} "
                          "cannot be changed there; start a new run (--out) for other settings")
    saved = read_config(args.resume)
    with writing(args.resume):  # refused now, before workers start and data are read, where another process writes RUN
        pass
    state = SearchState.from_checkpoint(read_checkpoint(args.resume))
    config = SearchConfig.saved(saved["search"])
    data = saved["data"]
    if not data.get("train"):
        raise ConfigError(f"{args.resume}: cannot be resumed: its config.json names no data files (a rediscovery, or "
                          "SymFF.fit given data as objects)")
    parallel = saved.get("parallel", {})
    workers = workers_from(args) if args.workers is not None else parallel.get("workers") or 1
    scheduler = args.scheduler or (parallel.get("scheduler") if not args.workers else None)
    with started_pool(workers=workers, scheduler=scheduler) as started:  # they warm up while the data are read
        train, test = read_saved_data(data, config.seed)
        changed = changed_data(data, train, test, args.resume)
        if changed:
            raise ConfigError(f"{changed}: restore them, or start a new run")
        print(f"resuming {args.resume} after generation {state.generation} ({state.elapsed:.1f} s so far)")
        moved = changed_versions(saved.get("environment"))
        if moved:  # the same seed then need not give the generations an uninterrupted run would have
            print(f"note: {args.resume} was started with other versions ({', '.join(moved)}); the search goes on, "
                  "but its fits may not repeat those of an uninterrupted run")
        with SearchProgress(config, quiet=args.quiet, log_json=args.log_json, append=True) as progress:
            outcome = search_to_run(config, train, test, args.resume, command=command_line(), data=data,
                                    workers=workers, scheduler=scheduler, progress=progress, report=args.report,
                                    resume=state, started=started)
    return finish(args.resume, *outcome)


def finish(out, result, models):
    print(f"{counted(len(models), 'front member')} after {counted(result.generations, 'generation')} "
          f"({result.stop_reason}), "
          f"{result.elapsed:.1f} s; written to {out}")
    print(front_table(read_front(out)["members"]))
    if result.stop_reason == "interrupted":
        print(f"interrupted: the checkpoint and the front so far are in {out}; "
              f"continue with: symff search --resume {out}")
        return 130
    return 0
