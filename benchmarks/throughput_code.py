"""Fitted candidates per CPU-second of this code's search against another checkout's, on the same forms.

    git worktree add /tmp/filed d5bd6b0          # e.g. the code on which issue 13 was filed
    python benchmarks/throughput_code.py --code /tmp/filed [--quick] [--data PATH]

`benchmarks/throughput.py` compares two fitting procedures of this code in one run, so whatever both share (the
kernels, the solves, the rules of the climb and of the snapping) cancels in its ratio. This script measures the whole
difference between two codes instead:
1. Makes the forms of throughput.py (its 200 random eam forms of seed 1 and the classical ones; 30 with --quick) and
   writes each as text with its starting values.
2. Runs, one after the other, the checkout at --code and this one, each in its own processes (`PYTHONPATH`): each
   reads the forms with its own parser and canonicalizer and fits each one as its search fits a candidate that
   passes its screen (`screen_form` on the screening subset, then `fit_form` on all the data, with the snapping and
   the climb; its default search settings), in two worker processes of one thread each. A form's CPU time is its
   worker's (`time.process_time`).
3. Prints per code the forms fitted, the CPU seconds of the forms both codes fitted and their mean passes over all the
   data per full fit, and last
   `throughput_code: speedup X, median_loss_ratio R, same_forms N/M`
   X = CPU of the other code / CPU of this one over the forms both fitted; R the median over those forms of this
   code's loss / the other's; N of the M forms printed the same by both canonicalizers.

The two codes run one after the other, not interleaved as in throughput.py, so a drift of the machine between the two
runs is in X: run it alone. The other code needs `symff.search.stages.StageBuilder`, `symff.search.scoring.
screen_form` / `fit_form` and `symff.model.parse_form` as they are from d5bd6b0 (2026-11-24) on.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "datasets" / "mlearn" / "Cu" / "train.extxyz"
_STAGES = {}


def write_forms(path, n_forms):
    """throughput.py's forms as [{name, text, values}]: the energy with its linear coefficients at their starting
    values, and the constants' starting values by name."""
    import sympy as sp
    from throughput import make_forms  # this script's directory is first on sys.path

    forms = []
    for name, formula in make_forms(n_forms, 1):
        linear = {a: sp.Integer(int(v)) if v == int(v) else sp.Float(v)
                  for a, v in zip(formula.linear, formula.linear_initial)}
        forms.append({"name": name, "text": str(formula.energy.xreplace(linear)),
                      "values": {c.name: float(v) for c, v in zip(formula.constants, formula.initial)}})
    Path(path).write_text(json.dumps(forms))


def _init(data):
    # throughput.py's `_init`, written again: a worker imports the other code, which may predate what throughput.py
    # imports (symff.environment, 2026-12-06), so the workers must not import throughput.py
    from threadpoolctl import threadpool_limits

    from symff.data import read_dataset
    from symff.evaluate import kernels
    from symff.expr.program import PotentialProgram
    from symff.model import parse_formula
    from symff.search.config import SearchConfig
    from symff.search.stages import StageBuilder

    threadpool_limits(limits=1)  # one thread for BLAS and for the kernels, as in a search worker
    kernels.set_threads(1)
    builder = StageBuilder(read_dataset([data]))
    config = SearchConfig()
    _STAGES["full"], _STAGES["screen"] = builder.full(config), builder.screen(config)
    formula, _ = parse_formula("NS(r**-9) + sqrt(NS(r**-6))")  # loads the compiled kernels before any timing
    _STAGES["screen"].evaluator.basis(PotentialProgram(formula), formula.initial)


def _fit(form):
    """(name, printed form, CPU seconds, loss or None, passes over all the data) of one form's screen and full fit."""
    from symff.expr.canonical import canonicalize
    from symff.expr.symbols import Rejected
    from symff.model import parse_form
    from symff.search.scoring import Candidate, fit_form, screen_form

    try:
        expr, symbols = parse_form(form["text"])
        formula = canonicalize(expr, {s: form["values"][s.name] for s in symbols})
    except Rejected:
        return form["name"], None, 0.0, None, 0
    start = time.process_time()
    screened = screen_form(formula, _STAGES["screen"], "", 0)
    loss, passes = None, 0
    if isinstance(screened.result, Candidate):
        fitted = fit_form(formula, _STAGES["full"], "", 0, screened.result.fit.constants)
        if isinstance(fitted.result, Candidate):
            loss, passes = fitted.result.loss, fitted.stats.evaluations
    return form["name"], str(formula), time.process_time() - start, loss, passes


def worker(forms_path, out_path, data):
    """Fit every form with the code this process imports, in two processes; write the results."""
    forms = json.loads(Path(forms_path).read_text())
    with multiprocessing.Pool(2, initializer=_init, initargs=(data,)) as pool:
        results = pool.map(_fit, forms, chunksize=1)
    Path(out_path).write_text(json.dumps(results))


def run_code(label, code, forms_path, data, directory):
    """The results of the code at `code` (a checkout's root), from a process that imports it."""
    out = Path(directory) / f"{label}.json"
    env = dict(os.environ, PYTHONPATH=str(code))
    subprocess.run([sys.executable, __file__, "--worker", str(forms_path), str(out), "--data", str(data)], env=env,
                   check=True)
    return {name: (printed, cpu, loss, passes) for name, printed, cpu, loss, passes in json.loads(out.read_text())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--code", type=Path, help="the root of the other checkout")
    parser.add_argument("--quick", action="store_true", help="30 random forms instead of 200")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.data)
        return
    if args.code is None or not (args.code / "symff" / "__init__.py").is_file():
        parser.error(f"--code must be the root of a symff checkout, got {args.code}")
    with tempfile.TemporaryDirectory() as directory:
        forms_path = Path(directory) / "forms.json"
        write_forms(forms_path, 30 if args.quick else 200)
        results = {}
        for label, code in (("other", args.code.resolve()), ("this", ROOT)):
            start = time.time()
            results[label] = run_code(label, code, forms_path, args.data, directory)
            fitted = sum(loss is not None for _, _, loss, _ in results[label].values())
            print(f"{label} code ({code}): {fitted} of {len(results[label])} forms fitted, "
                  f"{time.time() - start:.0f} s wall", flush=True)
    other, this = results["other"], results["this"]
    both = [n for n in other if other[n][2] is not None and this[n][2] is not None]
    cpu = {label: sum(results[label][n][1] for n in both) for label in results}
    passes = {label: statistics.mean(results[label][n][3] for n in both) for label in results}
    ratios = [this[n][2] / other[n][2] for n in both]
    same = sum(other[n][0] == this[n][0] for n in other)
    print(f"{len(both)} forms fitted by both; CPU other {cpu['other']:.1f} s, this {cpu['this']:.1f} s; passes per "
          f"full fit other {passes['other']:.1f}, this {passes['this']:.1f}; this code's loss lower on "
          f"{sum(r < 1 for r in ratios)}, higher on {sum(r > 1 for r in ratios)}")
    print(f"throughput_code: speedup {cpu['other'] / cpu['this']:.2f}, median_loss_ratio "
          f"{statistics.median(ratios):.9f}, same_forms {same}/{len(other)}")


if __name__ == "__main__":
    main()
