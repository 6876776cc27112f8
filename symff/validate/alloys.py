"""What `symff validate` adds for a model of several elements (symff-model/2): formation energies.

The *formation energy* of a structure with N atoms, n_X of element X, is E/N − Σ_X (n_X/N) e_X (meV/atom), e_X the
energy per atom of element X's ground state (symff.validate.crystals).

- `E_f_B2_<A><B>`: the ordered B2 (CsCl) crystal of each pair of the model's elements, at its own optimised lattice
  constant, with the model's e_X at each ground state's optimised lattice constant (`material_properties`' a0).
- For data (`symff validate MODEL --data FILE…`: a binary's solid solutions, with the pure elements' structures
  beside them, such as NbMoTaW's `Nb_Elastic` and `Mo_Elastic`): the formation energy of every structure holding two
  or more elements, by the model (its e_X as above) and by DFT (e_X: the lowest energy per atom among the data's
  structures of pure X, the equilibrium cell of an elastic strain series). Their difference per structure is the
  error of the model's mixing energy; its mean absolute value is reported per file with both means.
"""

import numpy as np
from ase.build import bulk
from scipy.optimize import minimize_scalar

from ..errors import DataError
from .properties import energy_of

B2_GUESS = 3.2  # Å: the start of the B2 lattice-constant search (bcc transition metals)


def b2_formation_energy(calculator, a, b, e_ground, guess=B2_GUESS):
    """(lattice constant Å, formation energy meV/atom) of B2 AB, given e_ground {element: eV/atom}."""
    def energy(x):
        return energy_of(bulk(f"{a}{b}", "cesiumchloride", a=x), calculator) / 2

    result = minimize_scalar(energy, bounds=(0.8 * guess, 1.25 * guess), method="bounded", options={"xatol": 1e-6})
    return float(result.x), 1000 * (float(result.fun) - (e_ground[a] + e_ground[b]) / 2)


def alloy_properties(calculator, elements, e_ground):
    """{E_f_B2_AB: meV/atom, a0_B2_AB: Å} for every pair of `elements`."""
    values = {}
    for i, a in enumerate(elements):
        for b in elements[i + 1:]:
            values[f"a0_B2_{a}{b}"], values[f"E_f_B2_{a}{b}"] = b2_formation_energy(calculator, a, b, e_ground)
    return values


def data_formation_energies(calculator, files, e_ground):
    """Per file with structures of two or more elements: {"file", "structures", "model_mean", "dft_mean", "mae"}
    (meV/atom), the model's formation energies against DFT's; DFT's e_X from the pure structures of all `files`."""
    import ase.io

    frames = {path: ase.io.read(path, ":") for path in map(str, files)}
    dft_ground = {}
    for structures in frames.values():
        for atoms in structures:
            symbols = set(atoms.get_chemical_symbols())
            if len(symbols) == 1:
                [x] = symbols
                per_atom = atoms.get_potential_energy() / len(atoms)
                dft_ground[x] = min(dft_ground.get(x, np.inf), per_atom)
    rows = []
    for path, structures in frames.items():
        mixed = [atoms for atoms in structures if len(set(atoms.get_chemical_symbols())) > 1]
        if not mixed:
            continue
        needed = sorted({x for atoms in mixed for x in atoms.get_chemical_symbols()})
        missing = [x for x in needed if x not in dft_ground]
        if missing:
            raise DataError(f"{path}: no structure of pure {', '.join(missing)} in {', '.join(frames)} to take DFT's "
                            f"energy of the element from: add one (e.g. its elastic series)")
        unknown = [x for x in needed if x not in e_ground]
        if unknown:
            raise DataError(f"{path}: element {', '.join(unknown)} is not in the model")
        model, dft = [], []
        for atoms in mixed:
            symbols = atoms.get_chemical_symbols()
            n = len(atoms)
            model.append(1000 * (energy_of(atoms, calculator) / n - sum(e_ground[x] for x in symbols) / n))
            dft.append(1000 * (atoms.get_potential_energy() / n - sum(dft_ground[x] for x in symbols) / n))
        model, dft = np.array(model), np.array(dft)
        rows.append({"file": path, "structures": len(mixed), "model_mean": float(model.mean()),
                     "dft_mean": float(dft.mean()), "mae": float(np.abs(model - dft).mean())})
    return rows
