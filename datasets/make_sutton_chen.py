"""Write the Sutton-Chen × f_c synthetic data set (see README.md) as extended XYZ.

python datasets/make_sutton_chen.py --seed 1 --out sutton_chen.extxyz
"""

import argparse
import time

import ase.io

from symff.synthetic import make_sutton_chen_dataset


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="sutton_chen.extxyz")
    parser.add_argument("--r-in", type=float, default=3.0, help="inner cutoff radius, Å")
    parser.add_argument("--r-out", type=float, default=5.0, help="outer cutoff radius, Å")
    parser.add_argument("--temperatures", type=float, nargs="+", default=[300, 1600, 3800], help="K")
    parser.add_argument("--snapshots", type=int, default=30, help="snapshots per temperature")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    structures = make_sutton_chen_dataset(
        args.seed,
        r_in=args.r_in,
        r_out=args.r_out,
        temperatures=tuple(args.temperatures),
        snapshots_per_temperature=args.snapshots,
    )
    ase.io.write(args.out, structures, format="extxyz")
    print(f"{len(structures)} structures -> {args.out} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
