"""Exported potentials in the real LAMMPS: the ASE calculator's cost and NVE energy conservation.

Usage: python benchmarks/export.py [--steps N] [--repeat N] [--skip-md] [--agreement]

1. Cost: one `SymFFCalculator` force call (energy, forces, stress; neighbour list included) on a 4,000-atom rattled
   fcc Cu crystal, against one step of LAMMPS MD with the exported eam/alloy file on the same crystal (the mean of
   a 100-step NVE run, neighbour-list rebuilds included). Both are best of --repeat; the issue asks ratio <= 20.
2. Drift: NVE in LAMMPS with the exported Sutton–Chen Cu eam/alloy file, 500 atoms (5x5x5 fcc at the model's
   equilibrium lattice constant), velocities at 300 K, 1 fs, 10 ps (--steps 10000); drift = slope of a linear fit of
   the total energy per atom, times 10 ps (issue: <= 1 meV/atom per 10 ps), and the largest excursion.
3. With --agreement (instead): every form of tests/test_export.py in its LAMMPS form (lepton, table, eam/alloy,
   hybrid/overlay) against symff on all 31 structures of mlearn Cu test, exact evaluation and the ASE calculator: the
   largest |LAMMPS - symff| of energy per atom, force component and stress component (targets 1e-6, 1e-5, 1e-5).
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ase.build import bulk
from timing import best

from symff.export import analyse_form, export_lammps
from symff.export.calculator import SymFFCalculator
from symff.export.lammps_run import nve_energy_drift, open_lammps
from symff.export.setfl import fcc_equilibrium
from symff.model import Model

SUTTON_CHEN_CU = "NS(0.5*0.012382*3.61**9*r**-9) - 0.012382*39.432*sqrt(NS(3.61**6*r**-6))"


def equilibrium_lattice(model):
    return fcc_equilibrium(analyse_form(model), 2.3, 2.8, 501) * np.sqrt(2)


def lammps_step_time(export, lattice, repeat, steps=100):
    lmp = open_lammps()
    lmp.commands_list([
        "units metal", "atom_style atomic", "boundary p p p", f"lattice fcc {lattice}",
        "region box block 0 10 0 10 0 10", "create_box 1 box", "create_atoms 1 box", "mass 1 63.546",
        "displace_atoms all random 0.05 0.05 0.05 7 units box", *export.commands(), "neighbor 1.0 bin",
        "velocity all create 300 4 mom yes rot yes", "fix nve all nve", "timestep 0.001", "thermo 1000", "run 0",
    ])
    n_atoms = lmp.get_natoms()
    seconds = best(lambda: lmp.command(f"run {steps} pre no post no"), repeat) / steps
    lmp.close()
    return seconds, n_atoms


def agreement():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import test_export as forms

    with tempfile.TemporaryDirectory() as folder:
        for name, style in forms.STYLES.items():
            model = forms.model_of(name)
            export = export_lammps(model, Path(folder) / name, style=style)
            for calculator in (False, True):
                worst = forms._compare_with_lammps(model, export, range(31), calculator)
                print(f"{name:<20} {style:<15} {'ase' if calculator else 'exact':<5} energy {worst[0]:.1e} eV/atom, "
                      f"force {worst[1]:.1e} eV/A, stress {worst[2]:.1e} eV/A^3", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10000, help="MD steps of 1 fs (default 10000 = 10 ps)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-md", action="store_true")
    parser.add_argument("--agreement", action="store_true", help="LAMMPS against symff on mlearn Cu test instead")
    args = parser.parse_args()
    if args.agreement:
        agreement()
        return

    model = Model.from_expression(SUTTON_CHEN_CU, ["Cu"], {"Cu": 0.0})
    lattice = equilibrium_lattice(model)
    with tempfile.TemporaryDirectory() as folder:
        export = export_lammps(model, Path(folder) / "sc")
        print(f"Sutton-Chen Cu x f_c(3, 5): eam/alloy, equilibrium a = {lattice:.4f} A, rho_max = {export.rho_max[0]:.4g}")

        atoms = bulk("Cu", "fcc", a=lattice, cubic=True).repeat(10)
        atoms.rattle(0.05, seed=7)
        calc = SymFFCalculator(model)

        def force_call():
            calc.reset()
            calc.calculate(atoms, ["energy", "forces", "stress"])

        force_call()  # loads (or compiles) the numba kernels
        symff_seconds = best(force_call, args.repeat)
        lammps_seconds, n_atoms = lammps_step_time(export, lattice, args.repeat)
        print(f"force call on {len(atoms)} atoms: SymFFCalculator {symff_seconds * 1e3:.1f} ms, "
              f"LAMMPS step ({n_atoms} atoms) {lammps_seconds * 1e3:.2f} ms, ratio {symff_seconds / lammps_seconds:.1f} "
              f"(issue: <= 20)")

        if not args.skip_md:
            start = time.perf_counter()
            times, energies, _ = nve_energy_drift(export, "Cu", lattice=lattice, repeat=5, steps=args.steps,
                                                  every=100, snapshots=0)
            slope = np.polyfit(times, energies, 1)[0]  # eV/atom per ps
            print(f"NVE 500 atoms, 300 K start, 1 fs, {times[-1]:.1f} ps ({time.perf_counter() - start:.0f} s): "
                  f"drift {abs(slope) * 10 * 1e3:.4f} meV/atom per 10 ps, largest excursion "
                  f"{np.ptp(energies) * 1e3:.4f} meV/atom, end - start {(energies[-1] - energies[0]) * 1e3:+.4f} "
                  f"meV/atom (issue: <= 1)")


if __name__ == "__main__":
    main()
