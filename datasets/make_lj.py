"""Write the Lennard-Jones × f_c synthetic data set (see README.md) as extended XYZ.

python datasets/make_lj.py --seed 1 --out lj.extxyz
"""

import argparse
import time

import ase.io

from symff.synthetic import make_lj_dataset


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="lj.extxyz")
    parser.add_argument("--epsilon", type=float, default=0.4093, help="eV")
    parser.add_argument("--sigma", type=float, default=2.338, help="Å")
    parser.add_argument("--r-in", type=float, default=3.0, help="inner cutoff radius, Å")
    parser.add_argument("--r-out", type=float, default=5.0, help="outer cutoff radius, Å")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    structures = make_lj_dataset(args.seed, epsilon=args.epsilon, sigma=args.sigma, r_in=args.r_in, r_out=args.r_out)
    ase.io.write(args.out, structures, format="extxyz")
    print(f"{len(structures)} structures -> {args.out} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
