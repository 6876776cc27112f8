"""`symff fit FORMULA DATA… [--test DATA…] [--out MODEL.json [--force]] [--starts N] [--seed N] [--start NAME=VALUE]
[--properties TARGETS [--time-budget S] [--trials N]]`: fit the constants of a given form and write a model file.

FORMULA is in the model-file syntax; its free symbols (every name but r) are fitted and its numbers stay fixed, e.g.
Sutton–Chen with a fixed a = 3.61 Å:  'eps*(NS(0.5*(3.61/r)**n) - c*sqrt(NS((3.61/r)**m)))'.
Several starts (the first at --start values, default 1) precede the local Levenberg–Marquardt fit; the reference
energies are fitted on the training data, and the errors on train and test go into the model file.

With --properties TARGETS (a targets file, e.g. symff/targets/Cu-PBE.yaml) the constants are fitted to the data and
the material properties together: optuna proposes the trade-off and starting constants, symff's least-squares fit
polishes them, and the trade-off between data loss and property loss is printed as a small front (also in the model
file under "properties"); see docs/fit-and-sanity.md."""

from pathlib import Path

from ..cutoff import DEFAULT_INNER, DEFAULT_OUTER, three_body_radii
from ..errors import ConfigError
from ..fit.given_form import DEFAULT_STARTS, fit_form
from ..fit.loss import LossWeights
from ..fit.properties import DEFAULT_TIME_BUDGET, fit_form_with_properties
from ..sanity import sanity_report
from ..targets import read_targets
from .common import add_data_options, command_line, read_train_test, seed_value


def add_parser(sub):
    p = sub.add_parser("fit", help="fit the constants of a given formula", description=__doc__)
    p.add_argument("formula", metavar="FORMULA", help="the per-atom energy with free symbols, e.g. 'NS(A*r**-12 + B*r**-6)'")
    p.add_argument("data", nargs="+", metavar="DATA", help="training data: any file ASE reads")
    p.add_argument("--test", nargs="+", metavar="DATA", help="test data")
    p.add_argument("--test-fraction", type=float,
                   help="hold out this fraction of DATA as the test set (seeded; at least 0, below 1)")
    add_data_options(p)
    p.add_argument("--out", default="fit.json", metavar="MODEL.json",
                   help="the model file to write (default fit.json; an existing file is refused without --force)")
    p.add_argument("--force", action="store_true", help="overwrite the model file --out names where it exists")
    p.add_argument("--starts", type=int, default=DEFAULT_STARTS, help=f"starts of the global stage (default {DEFAULT_STARTS})")
    p.add_argument("--start", action="append", default=[], metavar="NAME=VALUE",
                   help="starting value of a symbol (repeatable; default 1)")
    p.add_argument("--seed", type=seed_value, default=0, help="seed of the random starts")
    p.add_argument("--cutoff", dest="r_out", type=float, default=DEFAULT_OUTER, help=f"r_out in Å (default {DEFAULT_OUTER})")
    p.add_argument("--cutoff-inner", dest="r_in", type=float, default=DEFAULT_INNER,
                   help=f"r_in in Å (default {DEFAULT_INNER})")
    p.add_argument("--energy-weight", type=float, default=1.0)
    p.add_argument("--three-body-cutoff", type=float, nargs=2, metavar=("INNER", "OUTER"),
                   help="a shorter smooth cutoff of the three-body sums NS3 alone, from INNER to OUTER Å (OUTER at most "
                        "--cutoff; default: the radial sums' cutoff)")
    p.add_argument("--force-weight", type=float, default=1.0)
    p.add_argument("--stress-weight", type=float, default=0.1)
    p.add_argument("--properties", metavar="TARGETS", help="a property targets file: fit data and properties together")
    p.add_argument("--time-budget", type=float, metavar="S",
                   help=f"with --properties: seconds for the whole fit (default {DEFAULT_TIME_BUDGET:.0f})")
    p.add_argument("--trials", type=int, metavar="N", help="with --properties: at most N trials (default: until the "
                   "time budget)")
    p.set_defaults(run=run)


def start_values(items):
    values = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise ConfigError(f"--start takes NAME=VALUE with a number, got {item!r}") from None
    return values


def run(args):
    if args.starts < 1:
        raise ConfigError(f"--starts must be at least 1, got {args.starts}")
    if not 0 < args.r_in < args.r_out:
        raise ConfigError(f"the cutoff needs 0 < r_in < r_out, got {args.r_in}, {args.r_out}")
    try:
        three_body_radii(args.r_in, args.r_out, args.three_body_cutoff)
    except ValueError as exc:
        raise ConfigError(f"--three-body-cutoff: {exc}") from None
    cutoffs = {"r_in": args.r_in, "r_out": args.r_out, "three_body_cutoff": args.three_body_cutoff}
    try:
        weights = LossWeights(args.energy_weight, args.force_weight, args.stress_weight)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    for given, option in ((args.time_budget, "--time-budget"), (args.trials, "--trials")):
        if given is not None and not args.properties:
            raise ConfigError(f"{option} is for a fit with --properties; without it the fit runs to convergence")
    if args.trials is not None and args.trials < 1:
        raise ConfigError(f"--trials must be at least 1, got {args.trials}")
    time_budget = DEFAULT_TIME_BUDGET if args.time_budget is None else args.time_budget
    if not time_budget > 0:
        raise ConfigError(f"--time-budget must be positive, got {time_budget}")
    if Path(args.out).exists() and not args.force:  # checked before the fit, which may take many minutes
        raise ConfigError(f"{args.out} exists: name another file with --out, or overwrite it with --force")
    starts = start_values(args.start)
    target_set = read_targets(args.properties) if args.properties else None
    train, test = read_train_test(args)
    if target_set is not None:
        target_set.check_elements(train.elements, ", ".join(args.data))
        fitted = fit_form_with_properties(args.formula, train, target_set, test=test, seed=args.seed,
                                          time_budget=time_budget, trials=args.trials, **cutoffs,
                                          weights=weights, starts=args.starts, start_values=starts,
                                          source="FORMULA", progress=lambda line: print(line, flush=True))
        _print_front(fitted)
        model = fitted.model
        model.metadata |= {"command": command_line(), "data": {"train": list(args.data),
                                                               "test": list(args.test or [])},
                           "sanity": sanity_report(model)}
        model.save(args.out)
        print(model.energy_string(6))
        _print_errors(model)
        print(f"written to {args.out}")
        return
    result = fit_form(args.formula, train, test=test, starts=args.starts, seed=args.seed, start_values=starts,
                      **cutoffs, weights=weights, source="FORMULA")
    model = result.model
    model.metadata |= {"command": command_line(), "data": {"train": list(args.data), "test": list(args.test or [])},
                       "sanity": sanity_report(model)}
    model.save(args.out)
    print(model.energy_string(6))
    if result.parameters:
        note = "" if result.determined else "  (not all determined by the data: one solution of a family)"
        print("parameters: " + ", ".join(f"{k} = {v:.8g}" for k, v in result.parameters.items()) + note)
    else:
        print("canonical constants: " + ", ".join(f"{k} = {v:.8g}" for k, v in result.canonical.items())
              + ("" if result.determined else
                 "  (a term coefficient the formula fixes was fitted too: no values of its symbols give this fit)"))
    _print_errors(model)
    print(f"written to {args.out}")


def _print_errors(model):
    for part, errors in model.errors.items():
        print(f"{part:5s}  energy MAE {errors['energy_mae_mev']:.4g} meV/atom  "
              f"force MAE {errors['force_mae']:.4g} eV/Å  ({errors['n_structures']} structures)")
    sanity = model.metadata["sanity"]
    print("sanity: " + ("passed" if sanity["sane"] else "FAILED " + ", ".join(sanity["flags"])))


def _print_front(fitted):
    print(f"trade-off front ({len(fitted.trials)} trials; {fitted.counts['relaxed']} evaluated on every tier, "
          f"{fitted.counts['static'] - fitted.counts['relaxed']} stopped after the static tier):")
    print(f"  {'trial':>5} {'λ':>8} {'data loss':>10} {'prop loss':>10} {'worst dev':>9} {'E MAE':>7} "
          f"{'F MAE':>7}  met")
    for t in fitted.front:
        mark = " <- written" if t is fitted.chosen else ""
        print(f"  {t.number:5d} {t.trade_off:8.3g} {t.data_loss:10.4g} {t.property_loss:10.4g} {t.worst:9.3g} "
              f"{t.energy_mae_mev:7.3g} {t.force_mae:7.3g}  {'yes' if t.met else 'no '}{mark}")
    print("properties of the written model (deviation = (value - target)/tolerance):")
    element = fitted.model.metadata["properties"]["element"]
    for row in fitted.model.metadata["properties"]["table"]:
        value = f"{row['value']:10.4g}" if row["value"] is not None else f"{'-':>10}"
        print(f"  {element} {row['property']:11s} {value} {row['target']:10.4g} ±{row['tolerance']:<8.3g} "
              f"{row['unit']:9s} {row['deviation']:+7.2f}{'' if row['met'] else '  outside'}")
