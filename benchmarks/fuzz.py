"""Fuzz the candidate pipeline: score many random candidates and count how each one ends. Zero crashes expected.

Usage: python benchmarks/fuzz.py [DATA ...] [--candidates N] [--every K] [--fit-every F] [--seed S]

What one run does, exactly:
1. Reads DATA (default ../shared/datasets/mlearn/Cu/train.extxyz) and keeps every K-th structure (--every, default 10:
   27 of the 262 structures, so that a pass over the data costs ~1 ms instead of ~11 ms on a 2-core machine; use
   --every 1 for all of them). Builds the neighbour list and a table Evaluator (4096-point grid) once.
2. Makes N trees (--candidates, default 100,000), alternating the shipped grammars, each plain and exportable
   (`--lammps-exportable`), and checks that each tree survives its checkpoint text (tree_to_text -> tree_from_text);
   each tree is a fresh random tree,
   or a child of two earlier trees by crossover, or a subtree, point, shrink or add-term mutation of one (as a search
   would make them), so the pathologies that variation piles up are met too.
3. Canonicalizes every tree (sympy); a Rejected is counted by kind. Trees with an already seen canonical key are
   counted as cache hits and not evaluated again (the search's own cache).
4. Screens each new canonical form cheaply: builds its PotentialProgram, evaluates the basis once at its initial
   constants, and solves the linear coefficients and reference energies in closed form (Targets.solve). Every F-th new
   form (--fit-every, default 50) instead gets a full Levenberg–Marquardt constant fit (fit_constants, at most 20
   passes) through the same code the search uses.
5. Every surviving candidate must have a finite loss below the penalty and finite constants; it is offered to a
   ParetoArchive, whose members are checked at the end. Any other exception, a non-finite survivor, or a numpy
   RuntimeWarning that escapes is a crash, printed with its tree.
Prints counts of every outcome and rejection kind, and the time per candidate.
"""

import argparse
import random
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

from symff.data import read_dataset
from symff.evaluate.evaluator import Evaluator
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.program import PotentialProgram
from symff.expr.symbols import Rejected
from symff.fit.constants import PENALTY, Fit, fit_constants
from symff.fit.loss import Targets
from symff.grammar.spec import builtin_grammars, load_grammar
from symff.grammar.text import tree_from_text, tree_to_text
from symff.grammar.trees import TreeGrammar
from symff.neighbours import build_neighbours
from symff.search.archive import ParetoArchive
from symff.search.scoring import Candidate

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mlearn" / "Cu" / "train.extxyz"
POOL = 200  # recent trees that variation picks parents from


def make_tree(grammar, pool, rng):
    if len(pool) < 2 or rng.random() < 0.3:
        return grammar.random_tree(rng)
    a, b = rng.sample(pool, 2)
    pick = rng.randrange(5)
    if pick == 0:
        return grammar.crossover(rng, a, b)[rng.randrange(2)]
    return (grammar.mutate_subtree, grammar.mutate_point, grammar.mutate_shrink, grammar.mutate_add_term)[pick - 1](
        rng, a)


def screen(formula, evaluator, targets, full_fit):
    """A Fit for the formula: one evaluation at its initial constants with the linear solve, or a full fit."""
    program = PotentialProgram(formula)
    if full_fit:
        return fit_constants(program, evaluator, targets, formula.initial, max_evaluations=20)
    basis = evaluator.basis(program, formula.initial)
    linear, reference, residual = targets.solve(basis)
    loss = float(residual @ residual)
    if not np.isfinite(loss) or loss >= PENALTY:
        raise Rejected("non_finite", "the loss is not finite")
    return Fit(np.asarray(formula.initial, dtype=float), linear, reference, loss, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", default=[DEFAULT_DATA])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10, help="keep every K-th structure (1: all)")
    parser.add_argument("--fit-every", type=int, default=50, help="full constant fit for every F-th new form")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    data = read_dataset(args.data)
    data = data.subset(np.arange(0, data.n_structures, args.every))
    neighbours = build_neighbours(data, 5.0)
    evaluator = Evaluator(data, neighbours, r_in=3.0, r_out=5.0)
    targets = Targets(data)
    print(f"data: {data.n_structures} structures, {data.n_atoms} atoms, {evaluator.n_pairs} pairs "
          f"(every {args.every}-th structure of {', '.join(map(str, args.data))})")

    grammars = [TreeGrammar(load_grammar(name), exportable=exportable)
                for name in sorted(builtin_grammars()) for exportable in (False, True)]
    pools = [[] for _ in grammars]
    rng = random.Random(args.seed)
    outcomes, rejected, crashes = Counter(), Counter(), []
    seen = {}
    archive = ParetoArchive()
    new_forms = 0
    times = Counter()
    start = time.perf_counter()
    for n in range(args.candidates):
        g = n % len(grammars)
        tree = make_tree(grammars[g], pools[g], rng)
        pools[g].append(tree)
        del pools[g][:-POOL]
        stage = "text"
        try:
            if tree_from_text(tree_to_text(tree), grammars[g]) != list(tree):
                raise AssertionError("the tree does not survive its checkpoint text")
            stage = "canonicalize"
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                t0 = time.perf_counter()
                try:
                    formula = canonicalize(*tree_to_sympy(tree))
                except Rejected as exc:
                    rejected[f"canonical:{exc.kind}"] += 1
                    outcomes["rejected"] += 1
                    continue
                finally:
                    times["canonicalize"] += time.perf_counter() - t0
                if formula.key in seen:
                    outcomes["cache hit"] += 1
                    continue
                seen[formula.key] = True
                new_forms += 1
                full_fit = new_forms % args.fit_every == 0
                stage = "fit" if full_fit else "screen"
                t0 = time.perf_counter()
                try:
                    fit = screen(formula, evaluator, targets, full_fit)
                except Rejected as exc:
                    rejected[f"{stage}:{exc.kind}"] += 1
                    outcomes["rejected"] += 1
                    continue
                finally:
                    times[stage] += time.perf_counter() - t0
                if not (np.isfinite(fit.loss) and fit.loss < PENALTY and np.isfinite(fit.constants).all()
                        and np.isfinite(fit.linear).all()):
                    raise AssertionError(f"a non-finite candidate survived: loss {fit.loss}")
                outcomes["fitted" if full_fit else "screened"] += 1
                archive.update([Candidate(formula, fit, str(tree))])
        except Exception:  # noqa: BLE001 -- a crash: anything but Rejected, including an escaped RuntimeWarning
            crashes.append((stage, str(tree), traceback.format_exc(limit=4)))
            outcomes["CRASH"] += 1
    elapsed = time.perf_counter() - start
    bad_members = [c for c in archive.best.values() if not (np.isfinite(c.loss) and c.loss < PENALTY)]

    print(f"\n{args.candidates} candidates in {elapsed:.1f} s ({1e3 * elapsed / args.candidates:.2f} ms each); "
          f"{new_forms} distinct canonical forms")
    for key, value in sorted(outcomes.items()):
        print(f"  {key:<12s} {value:8d}")
    print("rejections by stage:kind")
    for key, value in sorted(rejected.items(), key=lambda kv: -kv[1]):
        print(f"  {key:<28s} {value:8d}")
    print("time by stage (s): " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(times.items())))
    print(f"archive: {len(archive.best)} complexities, {len(archive.front())} on the front, "
          f"{len(bad_members)} non-finite members")
    print(f"crashes: {len(crashes)}")
    for stage, tree, trace in crashes[:5]:
        print(f"--- crash in {stage}: {tree}\n{trace}")
    return 1 if crashes or bad_members else 0


if __name__ == "__main__":
    raise SystemExit(main())
