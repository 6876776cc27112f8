"""Rediscovery benchmark: for each seed, make the data, search, and check that the known potential comes back.

    python benchmarks/rediscover.py lj --seeds 10

Each seed runs `symff rediscover` in a fresh process (so the timing includes start-up, numba's cached kernels being
loaded, the workers' start and data generation, as a user sees it), on all cores as `symff search` runs; other
arguments go to `symff rediscover` (e.g. `--workers 1`). Each seed's line says how many generations its search ran;
`--runs DIR` keeps the run directories. The last line is `lj: K/10 recovered, median T s`.
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from symff.environment import describe
from symff.rediscover import REDISCOVERIES


def run_seed(potential, seed, workdir, extra):
    out = Path(workdir) / f"{potential}-{seed}"
    command = [sys.executable, "-m", "symff", "rediscover", potential, "--seed", str(seed), "--out", str(out),
               "--quiet", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
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
    args, extra = parser.parse_known_args()
    print(f"environment: {describe()}", flush=True)  # the figures below depend on it
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.runs or scratch
        for seed in seeds:
            recovered, seconds, summary = run_seed(args.potential, seed, workdir, extra)
            results.append((recovered, seconds))
            print(f"seed {seed}: {'recovered' if recovered else 'NOT recovered'} in {seconds:.1f} s; {summary}",
                  flush=True)
    k = sum(r for r, _ in results)
    median = statistics.median(s for _, s in results)
    print(f"{args.potential}: {k}/{len(results)} recovered, median {median:.1f} s")


if __name__ == "__main__":
    main()
