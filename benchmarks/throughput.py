"""Fit throughput: fitted candidates per CPU-second, today's fitting procedure against the one before, in one run.

    python benchmarks/throughput.py            # 200 random eam forms + 5 classical ones, ~15 min on 2 cores
    python benchmarks/throughput.py --quick    # 30 random forms + the classical ones
    python benchmarks/throughput.py --grammar angular --data FILE... [--three-body-cutoff 3.5 4.2] \
        --before-option jacobian=difference   # forms with three-body sums, on data of one or several elements
    python benchmarks/throughput.py --forms-from RUN --data FILE... ...  # the forms of a search's archive instead
    python benchmarks/throughput.py --record A.json   # on one code; then, on another, --compare A.json says which
                                                      # forms it fits to other bits (a faster kernel should fit none)

What one run does, exactly:
1. Reads mlearn Cu train (262 structures; or the files of --data) and builds the stages a default search fits on
   (`SearchConfig()`: all the data, and the screening subset of 25 % of the structures; with --three-body-cutoff),
   with the kernels and BLAS on one thread each, as in a search worker (symff.search.pool). Data of several elements:
   each form is fitted as its species expansion, as a search fits it (symff.expr.species).
2. Makes the forms: random trees of grammars/eam.yaml (or --grammar's) from `random.Random(--seed)`, canonicalized,
   deduplicated by canonical key, keeping those with nonlinear constants (a form without any is fitted by one linear
   solve, the same in both procedures), and with --grammar angular only those with a three-body sum, until there
   are --forms of them; then, for the eam grammar, the classical forms LJ, Morse, Sutton–Chen, Gupta and POET's GP1,
   with their exponents and ranges free, from literature-like starting values. With --forms-from RUN: the forms of
   the run's archive (its best candidate of each complexity, every island; as for random forms, those with
   constants, and with --grammar angular those with a three-body sum), from the constants they hold.
3. Fits each form the way the search fits a candidate that passes its screen: `screen_form` on the subset from the
   form's initial constants, then `fit_form` on all the data from the screened constants — the full fit with the
   snapping of constants and the climb over exact exponents (symff.search.scoring.FormFitter). Once with the
   procedure before (`FitOptions.before()`, or with --before-option NAME=VALUE the default search's options with
   those settings in their place) and once with today's (the default search's,
   `symff.search.stages.fit_options(SearchConfig())`, with the settings given by --option NAME=VALUE in place of its
   own; one setting given to one procedure measures one lever alone;
   e.g. `--before-option solver=minpack` compares today's Levenberg–Marquardt with scipy's), in alternating
   order, one after the other for each form, so that the load of a shared machine falls on both alike. The work is
   shared out over --workers processes (default 2); each form's CPU time is its process's CPU time
   (`time.process_time`) over the two steps.
4. Prints one line per form and, last,
   `throughput: speedup X, passes_per_fit_before A, passes_per_fit_after B, median_loss_ratio R`
   over the forms both procedures fit: X = (fits per CPU-second after) / (fits per CPU-second before), A and B the
   mean passes over all the data per full fit (a joint pass of terms and derivative terms counts as one), R the
   median over forms of (loss after) / (loss before) on all the data.

Absolute times depend on the machine and its load; the ratio X, measured in one run with the two procedures
interleaved, is the figure that counts.
"""

import argparse
import dataclasses
import json
import multiprocessing
import random
import statistics
import time
from pathlib import Path

import numpy as np

from symff.environment import describe

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mlearn" / "Cu" / "train.extxyz"

# (name, form in the model-file syntax, starting values): exponents and ranges free; energy scales are linear
CLASSICAL = [
    ("LJ", "NS(A*(s/r)**n - B*(s/r)**m)", {"A": 1.0, "B": 1.0, "s": 2.3, "n": 12.0, "m": 6.0}),
    ("Morse", "NS(D*(exp(-2*a*(r - r0)) - 2*exp(-a*(r - r0))))", {"D": 0.34, "a": 1.36, "r0": 2.87}),
    ("Sutton-Chen", "NS(e*(3.61/r)**n) - c*sqrt(NS((3.61/r)**m))", {"e": 0.006, "c": 0.49, "n": 9.0, "m": 6.0}),
    ("Gupta", "NS(A*exp(-p*(r/2.556 - 1))) - sqrt(NS(x**2*exp(-2*q*(r/2.556 - 1))))",
     {"A": 0.086, "p": 10.96, "x": 1.224, "q": 2.278}),
    ("GP1", "NS(r**(a - b*r) - c**r) + d/NS(e**r)", {"a": 10.21, "b": 5.47, "c": 0.21, "d": 0.97, "e": 0.33}),
]


def archive_forms(run, grammar_name="eam"):
    """[(name, Formula)]: the forms with constants of the archive of the search in `run` (its checkpoint), every
    island's; with the angular grammar only those with a three-body sum."""
    from symff.checkpoint import read_checkpoint
    from symff.search.state import SearchState

    state = SearchState.from_checkpoint(read_checkpoint(run))
    angular = grammar_name == "angular"
    forms = {}
    for k, island in enumerate(state.islands):
        for complexity, number in sorted(island.archive.items()):
            formula = island.candidates[number].formula
            if formula.constants and (formula.angular or not angular):
                forms.setdefault(formula.key, (f"archive-{k}-{complexity}", formula))
    return list(forms.values())


def make_forms(n_forms, seed, grammar_name="eam"):
    """[(name, Formula)]: `n_forms` distinct random forms of the grammar with constants (of the angular grammar: with
    a three-body sum), then, for the eam grammar, the classical forms."""
    from symff.expr.build import tree_to_sympy
    from symff.expr.canonical import canonicalize
    from symff.expr.symbols import Rejected
    from symff.grammar.spec import load_grammar
    from symff.grammar.trees import TreeGrammar
    from symff.model import parse_form

    grammar = TreeGrammar(load_grammar(grammar_name))
    angular = grammar_name == "angular"
    rng = random.Random(seed)
    forms = {}
    while len(forms) < n_forms:
        try:
            formula = canonicalize(*tree_to_sympy(grammar.random_tree(rng)))
        except Rejected:
            continue
        if formula.constants and formula.key not in forms and (formula.angular or not angular):
            forms[formula.key] = (f"random-{len(forms)}", formula)
    classical = []
    for name, text, values in CLASSICAL:
        expr, symbols = parse_form(text)
        classical.append((name, canonicalize(expr, {s: values[s.name] for s in symbols})))
    return list(forms.values()) + (classical if grammar_name == "eam" else [])


_STAGES = {}


def _init(data, three_body_cutoff=None):
    from threadpoolctl import threadpool_limits

    from symff.data import read_dataset
    from symff.evaluate import kernels
    from symff.expr.program import PotentialProgram
    from symff.model import parse_formula
    from symff.search.config import SearchConfig
    from symff.search.stages import StageBuilder

    threadpool_limits(limits=1)  # one thread for BLAS and for the kernels, as in a search worker
    kernels.set_threads(1)
    builder = StageBuilder(read_dataset(data))
    config = SearchConfig(three_body_cutoff=three_body_cutoff)
    _STAGES["full"], _STAGES["screen"] = builder.full(config), builder.screen(config)
    formula, _ = parse_formula("NS(r**-9) + sqrt(NS(r**-6))")  # loads the compiled kernels before any timing
    _STAGES["screen"].evaluator.basis(PotentialProgram(formula), formula.initial)


PROCEDURES = ("before", "after")  # FitOptions.before(), or the default search's options with the --before-option
# settings in their place; and the default search's options with the --option settings in their place


def _options(procedure, settings):
    """The FitOptions of a procedure: the default search's (its stages') with `settings` in place of its own
    (--option, --before-option), so that one setting given to one procedure measures that lever alone; before,
    without --before-option, `FitOptions.before()`."""
    from symff.fit.constants import FitOptions

    if procedure == "before" and settings is None:
        return FitOptions.before()
    return dataclasses.replace(_STAGES["full"].options, **settings)


def _fit(formula, options):
    """(CPU seconds, passes over all the data, loss on all the data, passes over the subset, the fitted constants
    and linear coefficients) of one candidate's screen and full fit with `options`, or None when the form is
    rejected."""
    from symff.search.scoring import Candidate, fit_form, screen_form

    screen = dataclasses.replace(_STAGES["screen"], options=options)
    full = dataclasses.replace(_STAGES["full"], options=options)
    start = time.process_time()
    screened = screen_form(formula, screen, "", 0)
    if not isinstance(screened.result, Candidate):
        return None
    fitted = fit_form(formula, full, "", 0, screened.result.fit.constants)
    seconds = time.process_time() - start
    if not isinstance(fitted.result, Candidate):
        return None
    fit = fitted.result.fit
    return (seconds, fitted.stats.evaluations, fitted.result.loss, screened.stats.screen_evaluations,
            [float(c) for c in fit.constants] + [float(a) for a in fit.linear])


def fit_both(task):
    """Both procedures on one form, in an order that alternates from form to form."""
    index, name, formula, settings = task
    order = PROCEDURES if index % 2 == 0 else PROCEDURES[::-1]
    results = {procedure: _fit(formula, _options(procedure, settings[procedure])) for procedure in order}
    return index, name, str(formula), results


def _number(text):
    """An --option value: an int, else a float, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _settings(options):
    """FitOptions settings from NAME=VALUE texts."""
    settings = {}
    for setting in options:
        name, _, value = setting.partition("=")
        settings[name] = _number(value)
    return settings


def _fits(results):
    """What a code change that should change no fit must leave the same: per form and procedure the loss, the passes
    and the fitted numbers (JSON keeps floats to the bit)."""
    return {name: {p: None if r is None else {"loss": float(r[2]), "passes": r[1], "screen_passes": r[3],
                                              "fitted": r[4]} for p, r in procedures.items()}
            for name, procedures in results.items()}


def _compare(fits, path):
    """A line on how many forms' fits equal those recorded in `path` (--record of another code) to the bit."""
    recorded = json.loads(Path(path).read_text())
    same = [name for name in fits if recorded.get(name) == fits[name]]
    differ = sorted(set(fits) - set(same))
    print(f"against {path}: {len(same)} of {len(fits)} forms fitted to the same bits by both procedures "
          f"(loss, passes, constants, coefficients){'' if not differ else '; differ: ' + ', '.join(differ)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(DEFAULT_DATA)], metavar="FILE")
    parser.add_argument("--forms-from", metavar="RUN", help="fit the forms of this search's archive instead")
    parser.add_argument("--grammar", default="eam", help="the grammar of the random forms (angular: three-body sums)")
    parser.add_argument("--three-body-cutoff", type=float, nargs=2, metavar=("INNER", "OUTER"),
                        help="the stages' three-body cutoff (SearchConfig.three_body_cutoff)")
    parser.add_argument("--forms", type=int, default=200, help="random eam forms (the classical ones come on top)")
    parser.add_argument("--quick", action="store_true", help="30 random forms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="a FitOptions setting of the procedure after (the default search's), e.g. "
                             "climb_evaluations=3 (to measure one lever at a time)")
    parser.add_argument("--before-option", action="append", default=[], metavar="NAME=VALUE",
                        help="a FitOptions setting of the procedure before, which is then the default search's "
                             "with it in place (not FitOptions.before()), e.g. reuse_fixed_terms=0")
    parser.add_argument("--record", metavar="FILE", help="write every form's fits (loss, passes, constants) to FILE")
    parser.add_argument("--compare", metavar="FILE",
                        help="say which forms' fits differ from those --record wrote, by another code: a change "
                             "meant to be faster with the same fits must leave every one the same")
    args = parser.parse_args()
    print(f"environment: {describe()}", flush=True)  # the figures below depend on it
    settings = {"before": _settings(args.before_option) if args.before_option else None,
                "after": _settings(args.option)}
    for path in args.data:
        if not Path(path).is_file():  # a worker that cannot start would be restarted forever
            raise SystemExit(f"{path}: no such file (give the data with --data)")
    if args.compare and not Path(args.compare).is_file():
        raise SystemExit(f"{args.compare}: no such file (write it with --record)")
    n_forms = 30 if args.quick else args.forms
    forms = archive_forms(args.forms_from, args.grammar) if args.forms_from else make_forms(n_forms, args.seed, args.grammar)
    tasks = [(k, name, formula, settings) for k, (name, formula) in enumerate(forms)]
    rows, everything = [], {}
    wall = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers, initializer=_init,
                                                     initargs=(args.data, args.three_body_cutoff)) as pool:
        for index, name, text, results in pool.imap_unordered(fit_both, tasks):
            before, after = results["before"], results["after"]
            everything[name] = results
            if before is None or after is None:
                print(f"{name}: rejected by {'both' if before is None and after is None else 'one'} procedure(s) "
                      f"(before {'ok' if before else 'rejected'}, after {'ok' if after else 'rejected'}): {text}",
                      flush=True)
                continue
            rows.append((name, before, after))
            print(f"{name}: before {before[0]:.2f} s {before[1]} passes loss {before[2]:.6g} | after {after[0]:.2f} s "
                  f"{after[1]} passes loss {after[2]:.6g} | ratio {after[2] / before[2]:.9f} | {text}", flush=True)
    cpu = {p: sum(r[1 + k][0] for r in rows) for k, p in enumerate(PROCEDURES)}
    passes = {p: np.mean([r[1 + k][1] for r in rows]) for k, p in enumerate(PROCEDURES)}
    screen = {p: np.mean([r[1 + k][3] for r in rows]) for k, p in enumerate(PROCEDURES)}
    ratios = [r[2][2] / r[1][2] for r in rows]
    for name, before, after in rows:
        if name[:7] != "random-":
            print(f"classical {name}: loss before {before[2]:.6g}, after {after[2]:.6g}")
    print(f"{len(rows)} forms fitted by both ({len(forms) - len(rows)} rejected); CPU before {cpu['before']:.1f} s, "
          f"after {cpu['after']:.1f} s; wall {time.perf_counter() - wall:.0f} s with {args.workers} workers; "
          f"screen passes (subset) per fit before {screen['before']:.1f}, after {screen['after']:.1f}; "
          f"loss ratio quartiles {np.percentile(ratios, 25):.6f} {np.percentile(ratios, 75):.6f}, "
          f"better {sum(x < 1 for x in ratios)}, worse {sum(x > 1 for x in ratios)}")
    fits = _fits(everything)
    if args.record:
        Path(args.record).write_text(json.dumps(fits, indent=1))
    if args.compare:
        _compare(fits, args.compare)
    speedup = cpu["before"] / cpu["after"]  # same number of fits: the ratio of fits per CPU-second
    print(f"throughput: speedup {speedup:.2f}, passes_per_fit_before {passes['before']:.1f}, "
          f"passes_per_fit_after {passes['after']:.1f}, median_loss_ratio {statistics.median(ratios):.9f}")


if __name__ == "__main__":
    main()
