"""The `meam/spline` export against symff, in the real LAMMPS, as a function of the number of radial knots.

Usage: python benchmarks/meam_spline.py [--elements Si Mo] [--knots 1000 3000 10000 30000]

For the two angular forms of `symff.synthetic.angular_forms` (Stillinger–Weber-like, U(n) = n; MEAM-like, nonlinear U)
with the smooth cutoff (3, 5 Å), on every structure of ../shared/datasets/mlearn/EL/test.extxyz: the worst energy
(eV/atom, after LAMMPS's U(0) shift is added back), force (eV/Å) and stress (eV/Å³) difference between LAMMPS
`pair_style meam/spline` and symff's tabulated kernel, per radial knot count (U and g keep their defaults), with the
file size and the time LAMMPS takes for the whole set (set-up, file reading and `run 0`, one structure at a time).
The last line is the default knot count's worst case over everything.
"""

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from symff.data import read_dataset
from symff.evaluate.angular import AngularEvaluator
from symff.export.meam_spline import DEFAULT_RADIAL_KNOTS, lammps_agreement, write_meam_spline
from symff.neighbours import build_neighbours
from symff.synthetic.angular_forms import FORMS

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
R_IN, R_OUT, R_MIN = 3.0, 5.0, 1.5


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", nargs="+", default=["Si", "Mo"])
    parser.add_argument("--knots", nargs="+", type=int, default=[1000, 3000, DEFAULT_RADIAL_KNOTS, 30000])
    args = parser.parse_args()
    worst_default = np.zeros(3)
    print(f"{'set':4s} {'form':18s} {'knots':>6s} {'max dE eV/atom':>15s} {'max dF eV/A':>12s} {'max dS eV/A^3':>14s} "
          f"{'file MB':>8s} {'LAMMPS s':>9s}")
    for element in args.elements:
        data = read_dataset([str(DATASETS / "mlearn" / element / "test.extxyz")])
        evaluator = AngularEvaluator(data, build_neighbours(data, R_OUT), r_in=R_IN, r_out=R_OUT)
        for name, form in FORMS.items():
            prediction = evaluator.predict(form)
            density = evaluator.densities(form)
            margin = 0.2 * np.ptp(density)
            for knots in args.knots:
                with tempfile.TemporaryDirectory() as tmp:
                    export = write_meam_spline(Path(tmp) / f"{element}.meam.spline", form, element, r_in=R_IN,
                                               r_out=R_OUT, r_min=R_MIN, radial_knots=knots,
                                               density_range=(density.min() - margin, density.max() + margin))
                    start = time.perf_counter()
                    worst = lammps_agreement(export, data, prediction)
                    seconds = time.perf_counter() - start
                    size = export.path.stat().st_size / 1e6
                if knots == DEFAULT_RADIAL_KNOTS:
                    worst_default = np.maximum(worst_default, worst)
                print(f"{element:4s} {name:18s} {knots:6d} {worst[0]:15.1e} {worst[1]:12.1e} {worst[2]:14.1e} "
                      f"{size:8.2f} {seconds:9.2f}")
    print(f"\nmeam_spline: default knots {DEFAULT_RADIAL_KNOTS}, max dE {worst_default[0]:.1e} eV/atom, "
          f"max dF {worst_default[1]:.1e} eV/A, max dS {worst_default[2]:.1e} eV/A^3")


if __name__ == "__main__":
    main()
