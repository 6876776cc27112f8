"""MD speed: one ASE MD step with `SymFFCalculator` against one LAMMPS step of the same model, exported.

Usage: python benchmarks/md_speed.py [MODEL] [--repeat N] [--steps N] [--cells N]

fcc Cu, N³ cubic cells (default 8: 2,048 atoms) at the lattice constant 3.615 Å, rattled by 0.05 Å, velocities at
300 K. ASE: velocity Verlet (1 fs) with the calculator (its neighbour list with a 1 Å skin, as LAMMPS'
`neighbor 1.0 bin`); LAMMPS: `fix nve` with the model exported by `symff.export` (eam/alloy or table). Each side runs
--steps steps, best of --repeat, and prints the time per step; the last line is the ratio ASE / LAMMPS (goal <= 3).
Both run on this machine's CPUs at once with whatever else runs there: the ratio is what counts.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
from ase import units
from ase.build import bulk
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from timing import best

from symff.environment import describe
from symff.export import export_lammps
from symff.export.calculator import SymFFCalculator
from symff.export.lammps_run import open_lammps
from symff.model import Model

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "symff" / "potentials" / "Cu-mlearn-GP1-refit.json"
LATTICE = 3.615


def crystal(cells):
    atoms = bulk("Cu", "fcc", a=LATTICE, cubic=True).repeat(cells)
    atoms.rattle(0.05, seed=7)
    thermalize_momenta(atoms, 300, rng=np.random.default_rng(3))
    Stationary(atoms)
    return atoms


def ase_step_time(model, cells, steps, repeat):
    atoms = crystal(cells)
    atoms.calc = SymFFCalculator(model)
    md = VelocityVerlet(atoms, timestep=1.0 * units.fs)
    md.run(2)  # loads (or compiles) the kernels
    return best(lambda: md.run(steps), repeat) / steps, len(atoms)


def lammps_step_time(export, cells, steps, repeat):
    lmp = open_lammps()
    coeff = export.pair_coeff.replace(f" {export.potential.name}", f" {export.potential.resolve()}")
    lmp.commands_list([
        "units metal", "atom_style atomic", "boundary p p p", f"lattice fcc {LATTICE}",
        f"region box block 0 {cells} 0 {cells} 0 {cells}", "create_box 1 box", "create_atoms 1 box",
        "mass 1 63.546", "displace_atoms all random 0.05 0.05 0.05 7 units box", export.pair_style, coeff,
        "neighbor 1.0 bin", "velocity all create 300 4 mom yes rot yes", "fix nve all nve", "timestep 0.001",
        "thermo 100000", "run 0",
    ])
    n_atoms = lmp.get_natoms()
    seconds = best(lambda: lmp.command(f"run {steps} pre no post no"), repeat) / steps
    lmp.close()
    return seconds, n_atoms


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=str(DEFAULT_MODEL))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--cells", type=int, default=8)
    args = parser.parse_args()
    print(f"environment: {describe()}", flush=True)  # the figures below depend on it

    model = Model.load(args.model)
    print(f"model {args.model}: {model.energy_string(6)}")
    with tempfile.TemporaryDirectory() as folder:
        export = export_lammps(model, Path(folder) / "lammps")
        lammps_seconds, lammps_atoms = lammps_step_time(export, args.cells, args.steps, args.repeat)
    ase_seconds, ase_atoms = ase_step_time(model, args.cells, args.steps, args.repeat)
    print(f"ASE VelocityVerlet + SymFFCalculator: {ase_atoms} atoms, {ase_seconds * 1e3:.2f} ms/step")
    print(f"LAMMPS fix nve, {export.pair_style}: {lammps_atoms} atoms, {lammps_seconds * 1e3:.2f} ms/step")
    print(f"md_speed: ase/lammps ratio {ase_seconds / lammps_seconds:.2f} (goal <= 3)")


if __name__ == "__main__":
    main()
