"""Material properties of a potential, computed with ASE from any calculator.

Every property is a number with a unit; `material_properties(calculator, symbol)` returns them all as an ordered dict
{name: value}, computed on the element's *ground state* (`symff.validate.crystals`: fcc for Cu and Ni and any element
not in its table, bcc for Mo and Li, diamond for Si and Ge). Conventions:
- `a0` (Å): the ground state's lattice constant minimising the energy; `a0_bcc` (Å) the same for bcc, when bcc is the
  ground state or one of its other phases; `E_coh` (eV/atom): the energy of the lone atom minus the ground state's
  energy per atom at a0 (positive when it is bound).
- `C11`, `C12`, `C44`, `B` (GPa): from the stress of the cubic cell under ± small strains at a0 (central
  differences; fcc and bcc need no internal relaxation: every atom is a centre of inversion; in diamond the atoms
  are relaxed in each strained cell, and `C44_0` is the clamped-ion C44 without that relaxation); B = (C11 + 2 C12)/3.
- `E_vac` (eV): relaxed vacancy formation energy at fixed volume, E(N-1) - (N-1)/N E(N) in a cubic supercell.
- `gamma_100`, `gamma_110`, `gamma_111` (J/m²): relaxed surface energies of slabs at a0, (E_slab - N E_0)/(2A);
  any other facet `gamma_hkl` (one digit per index, e.g. `gamma_211`) is computed on request (`facets`).
- `dE_<phase>_<ground state>` (meV/atom): energy differences to the ground state's other phases (fcc: `dE_bcc_fcc`,
  `dE_hcp_fcc`; bcc: `dE_fcc_bcc`, `dE_hcp_bcc`; diamond: `dE_fcc_diamond`, `dE_bcc_diamond`, `dE_hcp_diamond`), each
  structure at its own optimised lattice constants (hcp: a and c/a).
"""

import numpy as np
from ase import Atoms
from ase.build import bulk, fcc100, fcc110, fcc111, surface
from ase.optimize import BFGS
from ase.units import GPa, J, m
from scipy.optimize import minimize, minimize_scalar

from .crystals import ATOMS_PER_CUBIC_CELL, OTHER_PHASES, fcc_equivalent_guess, ground_state, phase_differences

STRAIN = 0.005
FMAX = 0.005  # eV/Å, force tolerance of the relaxations
MAX_STEPS = 300
J_PER_M2 = J / m**2  # eV/Å² per J/m²
UNITS = {"a0": "Å", "a0_bcc": "Å", "E_coh": "eV", "C11": "GPa", "C12": "GPa", "C44": "GPa", "B": "GPa", "E_vac": "eV",
         "gamma_100": "J/m²", "gamma_110": "J/m²", "gamma_111": "J/m²", "dE_bcc_fcc": "meV/atom",
         "dE_hcp_fcc": "meV/atom", "C44_0": "GPa"}
UNITS |= {name: "meV/atom" for structure in OTHER_PHASES for name in phase_differences(structure)}
RELAX_FMAX = 1e-4  # eV/Å: internal relaxation of a strained diamond cell, tight enough for stress differences
LOW_INDEX_FACETS = ("100", "110", "111")
SLAB_THICKNESS = 14.0  # Å: the least thickness of a slab of a facet other than the low-index ones


def facet_of(name):
    """The Miller indices 'hkl' of a surface energy's name `gamma_hkl`, or None when `name` is not one."""
    facet = name.removeprefix("gamma_")
    return facet if name.startswith("gamma_") and len(facet) == 3 and facet.isdigit() and facet != "000" else None


def unit_of(name):
    """The unit of property `name` ('' for an unknown name)."""
    return "J/m²" if facet_of(name) else UNITS.get(name, "")


def energy_of(atoms, calculator):
    atoms = atoms.copy()
    atoms.calc = calculator
    return float(atoms.get_potential_energy())


def relaxed_energy(atoms, calculator, fmax=FMAX, steps=MAX_STEPS):
    atoms = atoms.copy()
    atoms.calc = calculator
    BFGS(atoms, logfile=None).run(fmax=fmax, steps=steps)
    return float(atoms.get_potential_energy())


def lattice_constant(calculator, symbol, structure="fcc", guess=3.6):
    """(a, energy per atom) of the cubic `structure` ('fcc', 'bcc' or 'diamond') at its energy minimum; `guess` is
    the lattice constant of fcc at the expected volume per atom."""
    def energy(a):
        return energy_of(bulk(symbol, structure, a=a), calculator) / (2 if structure == "diamond" else 1)

    scale = guess if structure == "fcc" else guess * (ATOMS_PER_CUBIC_CELL[structure] / 4) ** (1 / 3)
    result = minimize_scalar(energy, bounds=(0.8 * scale, 1.25 * scale), method="bounded", options={"xatol": 1e-6})
    return float(result.x), float(result.fun)


def hcp_minimum(calculator, symbol, a_fcc):
    """(a, c/a, energy per atom) of hcp at its energy minimum, starting from the ideal hcp of fcc's volume."""
    def energy(x):
        a, covera = x
        return energy_of(bulk(symbol, "hcp", a=a, c=a * covera), calculator) / 2

    start = np.array([a_fcc / np.sqrt(2), np.sqrt(8 / 3)])
    result = minimize(energy, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-8})
    return float(result.x[0]), float(result.x[1]), float(result.fun)


def elastic_constants(calculator, symbol, a0, structure="fcc", relax=False):
    """(C11, C12, C44) in GPa from stress-strain central differences on the cubic cell of `structure`; with `relax`
    the atoms are relaxed in each strained cell (the internal relaxation of diamond under shear)."""
    cell = bulk(symbol, structure, a=a0, cubic=True)

    def stress(strain):
        atoms = cell.copy()
        atoms.set_cell(cell.cell[:] @ (np.eye(3) + strain), scale_atoms=True)
        atoms.calc = calculator
        if relax:
            BFGS(atoms, logfile=None).run(fmax=RELAX_FMAX, steps=MAX_STEPS)
        return atoms.get_stress(voigt=True)  # ASE: (1/V) dE/dε, Voigt xx yy zz yz xz xy

    normal = np.zeros((3, 3))
    normal[0, 0] = STRAIN
    shear = np.zeros((3, 3))
    shear[1, 2] = shear[2, 1] = STRAIN / 2  # engineering shear strain γ_yz = STRAIN
    d_normal = (stress(normal) - stress(-normal)) / (2 * STRAIN)
    d_shear = (stress(shear) - stress(-shear)) / (2 * STRAIN)
    return d_normal[0] / GPa, d_normal[1] / GPa, d_shear[3] / GPa


def vacancy_cell(symbol, a0, repeat=3, structure="fcc"):
    """repeat³ cubic cells of `structure` at a0 with the first atom removed."""
    atoms = bulk(symbol, structure, a=a0, cubic=True).repeat(repeat)
    del atoms[0]
    return atoms


def vacancy_energy(calculator, symbol, a0, e_ground, repeat=3, structure="fcc"):
    defect = vacancy_cell(symbol, a0, repeat, structure)
    return relaxed_energy(defect, calculator) - len(defect) * e_ground


def surface_slab(symbol, a0, facet, layers=8, vacuum=8.0, structure="fcc"):
    """The periodic slab of `symbol` in `structure` for the facet 'hkl' (vacuum along z) and its area A per face
    (Å²): the low-index facets of fcc as `layers` atomic layers, the others (and every facet of bcc and diamond) as
    enough periods of ase.build.surface to be SLAB_THICKNESS thick."""
    if structure == "fcc" and facet in LOW_INDEX_FACETS:
        build = {"100": fcc100, "110": fcc110, "111": fcc111}[facet]
        slab = build(symbol, size=(1, 1, layers), a=a0, vacuum=vacuum, periodic=True)
    else:
        indices = tuple(int(c) for c in facet)
        cell = bulk(symbol, structure, a=a0, cubic=True)
        periods = int(np.ceil(SLAB_THICKNESS / surface(cell, indices, 1, periodic=True).cell[2, 2]))
        slab = surface(cell, indices, periods, periodic=True)  # bulk-like along z: the vacuum comes after the wrap
        # ase's surface(vacuum=...) centres the atoms as its rounding left them, and at some a0 that put an atom of
        # the bottom layer a period higher, 1.02 Å from another (Cu (331) at a0 = 3.6353877 Å, where 2e-7 Å more is
        # right; Cu (320) at 38 of 200 lattice constants in 3.5–3.7 Å). Wrapped first, an atom on the cell's
        # boundary belongs to the bottom layer, at every a0.
        slab.wrap(eps=1e-6)
        slab.center(vacuum=vacuum, axis=2)
    area = np.linalg.norm(np.cross(slab.cell[0], slab.cell[1]))
    return slab, float(area)


def defect_structure(symbol, name, a0, structure="fcc", vacancy_repeat=3):
    """(atoms, area per face or None), unrelaxed, of the defect property `name` (E_vac or gamma_hkl) at a0."""
    if name == "E_vac":
        return vacancy_cell(symbol, a0, vacancy_repeat, structure), None
    return surface_slab(symbol, a0, facet_of(name), structure=structure)


def surface_energy(calculator, symbol, a0, e_ground, facet, structure="fcc"):
    slab, area = surface_slab(symbol, a0, facet, structure=structure)
    return (relaxed_energy(slab, calculator) - len(slab) * e_ground) / (2 * area) / J_PER_M2


def isolated_atom_energy(calculator, symbol, box=20.0):
    """The lone atom, in a periodic box wider than any cutoff here (LAMMPS needs a box)."""
    return energy_of(Atoms(symbol, cell=[box, box, box], pbc=True), calculator)


def material_properties(calculator, symbol="Cu", guess=None, vacancy_repeat=3, facets=LOW_INDEX_FACETS):
    """All properties of the module docstring, {name: value} in the units of `UNITS` (surface energies of `facets`),
    on the ground state of `symbol`; `guess`: the fcc-equivalent lattice constant where the search starts (default:
    from the element's typical ground-state lattice constant)."""
    structure = ground_state(symbol)
    guess = fcc_equivalent_guess(symbol) if guess is None else guess
    a0, e0 = lattice_constant(calculator, symbol, structure, guess)
    guess = a0 * (4 / ATOMS_PER_CUBIC_CELL[structure]) ** (1 / 3)  # the other phases start at the ground's volume
    lattices, energies = {structure: a0}, {structure: e0}
    for phase in OTHER_PHASES[structure]:
        if phase != "hcp":
            lattices[phase], energies[phase] = lattice_constant(calculator, symbol, phase, guess)
    if "hcp" in OTHER_PHASES[structure]:
        *_, energies["hcp"] = hcp_minimum(calculator, symbol, lattices["fcc"])
    c11, c12, c44 = elastic_constants(calculator, symbol, a0, structure, relax=structure == "diamond")
    properties = {"a0": a0, **({"a0_bcc": lattices["bcc"]} if "bcc" in lattices else {}),
                  "E_coh": isolated_atom_energy(calculator, symbol) - e0,
                  "C11": c11, "C12": c12, "C44": c44, "B": (c11 + 2 * c12) / 3}
    if structure == "diamond":
        properties["C44_0"] = elastic_constants(calculator, symbol, a0, structure)[2]
    properties["E_vac"] = vacancy_energy(calculator, symbol, a0, e0, vacancy_repeat, structure)
    for facet in facets:
        properties[f"gamma_{facet}"] = surface_energy(calculator, symbol, a0, e0, facet, structure)
    for phase, name in zip(OTHER_PHASES[structure], phase_differences(structure)):
        properties[name] = 1000 * (energies[phase] - e0)
    return properties
