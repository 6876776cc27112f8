"""Rediscovery benchmark: for each seed, make the data, search, and check that the known potential comes back.

    python benchmarks/rediscover.py lj --seeds 10

Each seed runs `symff rediscover` in a fresh process (so the timing includes start-up, numba's cached kernels being
loaded, the workers' start and data generation, as a user sees it), on all cores as `symff search` runs; other
arguments go to `symff rediscover` (e.g. `--workers 1`). Each seed's line says how many generations its search ran;
`--runs DIR` keeps the run directories. The last line is `lj: K/10 recovered, median T s`.

    python benchmarks/rediscover.py lj --seeds 10 --baseline /path/to/older/checkout

runs each seed a second time with the symff of that checkout (on PYTHONPATH, ahead of this one) right after this
code's run, so both see the box at the same speed (it drifts by a fifth within minutes); it prints both times of each
seed, the baseline's summary and the median of the seeds' time differences before the last line. One untimed run of
each code comes first: a checkout's first run compiles the numba kernels into its cache (13 s for LJ).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symff.environment import describe
from symff.rediscover import REDISCOVERIES

REPO = Path(__file__).resolve().parents[1]


def environment_of(code):
    """The environment in which Python imports the symff of checkout `code` first. The runs start in their scratch
    folder: `python -m symff` puts the current folder before PYTHONPATH (from a checkout's root, its own symff)."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(code), os.environ.get("PYTHONPATH")))))


def symff_imported(code, workdir):
    where = [sys.executable, "-c", "import symff; print(symff.__file__)"]
    return Path(subprocess.run(where, check=True, capture_output=True, text=True, env=environment_of(code),
                               cwd=workdir).stdout.strip()).parent


def run_seed(potential, seed, workdir, extra, code=REPO, tag=""):
    """(recovered, seconds, summary) of one seed, run with the symff of checkout `code`; RUN is
    workdir/potential-seed`tag`."""
    out = Path(workdir).resolve() / f"{potential}-{seed}{tag}"
    command = [sys.executable, "-m", "symff", "rediscover", potential, "--seed", str(seed), "--out", str(out),
               "--quiet", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True, env=environment_of(code),
                          cwd=workdir)
    seconds = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    if done.returncode not in (0, 1) or not lines:
        print(done.stdout + done.stderr, file=sys.stderr)
        raise SystemExit(f"seed {seed}: symff rediscover failed with status {done.returncode}")
    recovered = lines[-1] == "recovered: yes"
    generations = lines[-3].split("; total")[0]  # "N front members after G generations (why it stopped)"
    return recovered, seconds, f"{generations}; {lines[-2]}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("potential", choices=sorted(REDISCOVERIES))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--runs", type=Path, metavar="DIR", help="keep each seed's run directory in DIR")
    parser.add_argument("--baseline", type=Path, metavar="CHECKOUT",
                        help="run each seed again right after with the symff of this checkout (paired timings)")
    args, extra = parser.parse_known_args()
    print(f"environment: {describe()}", flush=True)  # the figures below depend on it
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results, baseline = [], []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.runs or scratch
        Path(workdir).mkdir(parents=True, exist_ok=True)
        if args.baseline:
            args.baseline = args.baseline.resolve()
            codes = [symff_imported(code, workdir) for code in (REPO, args.baseline)]
            if codes != [REPO / "symff", args.baseline / "symff"]:
                raise SystemExit(f"--baseline {args.baseline}: the runs would import symff from {codes[0]} and "
                                 f"{codes[1]}; give a checkout of symff")
            for code in (REPO, args.baseline):  # untimed: a checkout's first run compiles numba's kernels
                run_seed(args.potential, args.first_seed, workdir, extra, code,
                         "-warm-up" if code == REPO else "-warm-up-baseline")
        for seed in seeds:
            recovered, seconds, summary = run_seed(args.potential, seed, workdir, extra)
            results.append((recovered, seconds))
            print(f"seed {seed}: {'recovered' if recovered else 'NOT recovered'} in {seconds:.1f} s; {summary}",
                  flush=True)
            if args.baseline:
                recovered, seconds, summary = run_seed(args.potential, seed, workdir, extra, args.baseline,
                                                      "-baseline")
                baseline.append((recovered, seconds))
                print(f"seed {seed}, baseline: {'recovered' if recovered else 'NOT recovered'} in {seconds:.1f} s; "
                      f"{summary}", flush=True)
    if baseline:
        differences = [s - b for (_, s), (_, b) in zip(results, baseline)]
        print(f"baseline {args.baseline}: {summarize(baseline)}; median difference per seed "
              f"{statistics.median(differences):+.1f} s")
    print(f"{args.potential}: {summarize(results)}")


def summarize(results):
    k = sum(r for r, _ in results)
    return f"{k}/{len(results)} recovered, median {statistics.median(s for _, s in results):.1f} s"


if __name__ == "__main__":
    main()
