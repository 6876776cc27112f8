"""Time symff's half neighbour list on a data set against ASE's and matscipy's full lists.

Usage: python benchmarks/neighbours.py [DATA ...] [--repeat N]
(default data: ../shared/datasets/mlearn/Cu/train.extxyz: 262 structures, 27,416 atoms). The first symff call includes
loading (or, on a fresh checkout, compiling) the numba kernels; the timed calls are the best of --repeat.
"""

import argparse
import time
from pathlib import Path

import numpy as np
from ase.neighborlist import neighbor_list

from symff.data import read_dataset
from symff.neighbours import build_neighbours

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "mlearn" / "Cu" / "train.extxyz"


def best_time(function, repeat: int):
    """(smallest wall time in s, last result) over ``repeat`` calls."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def full_list_pairs(frames, cutoff, backend) -> int:
    return sum(len(backend("i", atoms, cutoff)) for atoms in frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="*", default=[DEFAULT_DATA])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    data = read_dataset(args.data)
    frames = [data.to_atoms(s) for s in range(data.n_structures)]
    print(f"{data.n_structures} structures, {data.n_atoms} atoms")

    start = time.perf_counter()
    build_neighbours(data, 5.0)
    print(f"symff first call (kernel load or compile) at 5 Å: {time.perf_counter() - start:.2f} s")
    for cutoff in (5.0, 6.0):
        seconds, pairs = best_time(lambda c=cutoff: build_neighbours(data, c), args.repeat)
        print(
            f"symff half list at {cutoff:g} Å: {seconds:.3f} s, {pairs.n_pairs:,} pairs "
            f"({2 * pairs.n_pairs:,} directed), {pairs.nbytes / 1e6:.0f} MB"
        )

    try:
        from matscipy.neighbours import neighbour_list as matscipy_list
    except ImportError:
        matscipy_list = None
    if matscipy_list is not None:
        for cutoff in (5.0, 6.0):
            seconds, n = best_time(lambda c=cutoff: full_list_pairs(frames, c, matscipy_list), 1)
            print(f"matscipy full list ('i') at {cutoff:g} Å: {seconds:.3f} s, {n:,} directed pairs")

    seconds, n = best_time(lambda: full_list_pairs(frames, 5.0, neighbor_list), 1)
    print(f"ASE full list ('i') at 5 Å: {seconds:.3f} s, {n:,} directed pairs")
    np.testing.assert_equal(n, 2 * build_neighbours(data, 5.0).n_pairs)


if __name__ == "__main__":
    main()
