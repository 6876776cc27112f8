"""Material properties straight from a model's program (`symff.sanity.ClusterEnergy`): no ASE calculator, no
neighbour-list rebuild per energy, milliseconds per model — fast enough to sit inside a fit's objective.

The properties and conventions are those of `symff.validate.properties` (same names, units, strains and
minimisations), computed by other means:

- *lattice energies*: in fcc, bcc, hcp and diamond, strained or not, every atom has the same surroundings (in
  diamond and hcp up to the inversion that swaps the two basis atoms), so the energy per atom is the site energy
  E_i of one atom, whose neighbour vectors are lattice translations (and, in hcp and diamond, the second basis atom)
  scaled by the lattice constant; the neighbour vectors are generated once and scaled per call; the
  cubic lattice constants are the bounded 1-D minimisation of E(a) of `properties`, polished by Newton steps;
- *stress* (for the elastic constants): (1/Ω) ∂E_i/∂ε by central differences of the site energy in a strain DELTA,
  so C11, C12, C44 follow from the same ± STRAIN differences of the stress as `symff validate`;
- *unrelaxed defects*: the vacancy supercell and the surface slabs at a0 hold atoms whose neighbour distances are
  those of the structure at a = 1 times a0 (a reduced neighbour list per structure, built once).

Relaxed defect energies (`relaxed_defects`) need forces: they relax with ASE's BFGS on `SymFFCalculator`, the costly
tier of a property objective.
"""

import numpy as np
from ase.build import bulk
from ase.neighborlist import neighbor_list
from ase.optimize import BFGS
from ase.units import GPa
from scipy.optimize import minimize, minimize_scalar

from ..expr.symbols import Rejected
from ..sanity import ClusterEnergy
from .crystals import ATOMS_PER_CUBIC_CELL
from .properties import FMAX, J_PER_M2, LOW_INDEX_FACETS, MAX_STEPS, STRAIN, facet_of, surface_slab

DELTA = 1e-5  # strain of the central differences that give the stress
STATIC = ("a0", "a0_bcc", "E_coh", "C11", "C12", "C44", "B", "dE_bcc_fcc", "dE_hcp_fcc")
NEWTON_STEPS, NEWTON_STEP = 2, 1e-4  # polish of a lattice constant (Å)
REACH_MARGIN = 0.8  # neighbour lists reach r_out at lattice constants down to this fraction of the first a0


def is_defect(name):
    """Whether property `name` is a defect energy (vacancy or surface), which relaxation changes."""
    return name == "E_vac" or facet_of(name) is not None


_LATTICES, _REDUCED = {}, {}


class FastProperties:
    """The properties of one model and element; `static()`, then `defects(names, a0, e_fcc)` (unrelaxed)."""

    def __init__(self, model, symbol, vacancy_repeat=3):
        self.model, self.symbol, self.vacancy_repeat = model, symbol, vacancy_repeat
        self.energy = ClusterEnergy(model)
        # geometry depends on the element and r_out only: shared by every model (a search evaluates thousands)
        self._lattices = _LATTICES.setdefault((symbol, model.r_out), {})  # (structure, c/a) -> vectors at a = 1
        self._reduced = _REDUCED.setdefault((symbol, model.r_out, vacancy_repeat), {})  # defect -> reduced list

    # --- lattices -----------------------------------------------------------------------------------------------
    def site_energy(self, vectors):
        """E_i of an atom with neighbours at `vectors` (n, 3); reference energy excluded."""
        r = np.linalg.norm(vectors, axis=1)
        r = r[r < self.model.r_out]
        with np.errstate(all="ignore"):
            return float(self.energy.atom_energies(r[None] if r.size else np.full((1, 1), np.inf))[0][0])

    def _vectors(self, structure, covera=None):
        """Neighbour vectors at lattice constant 1 reaching r_out at REACH_MARGIN of a guess of a."""
        key = (structure, covera)
        if key not in self._lattices:
            if structure == "hcp":
                atoms = bulk(self.symbol, "hcp", a=1.0, c=covera)
            else:
                atoms = bulk(self.symbol, structure, a=1.0)
            scale = 2.5 if structure == "bcc" else 3.6 / np.sqrt(2) if structure == "hcp" else 3.6
            reach = self.model.r_out / (REACH_MARGIN * scale * 0.8)
            i, _, D = neighbor_list("ijD", atoms, reach)
            self._lattices[key] = D[i == 0]
        return self._lattices[key]

    def lattice_energy(self, structure, a, deformation=None, covera=None):
        """Energy per atom of `structure` at lattice constant a, its vectors multiplied by `deformation` (rows)."""
        vectors = self._vectors(structure, covera) * a
        if deformation is not None:
            vectors = vectors @ deformation
        return self.site_energy(vectors)

    def lattice_constant(self, structure="fcc", guess=3.6):
        """(a, energy per atom) at the energy minimum: the bounded search of `properties.lattice_constant`."""
        scale = guess * (ATOMS_PER_CUBIC_CELL[structure] / 4) ** (1 / 3)  # same volume per atom as fcc at `guess`
        energy = lambda a: self.lattice_energy(structure, a)
        result = minimize_scalar(energy, bounds=(0.8 * scale, 1.25 * scale), method="bounded",
                                 options={"xatol": 1e-6})
        a = float(result.x)
        # Newton steps on central differences: a0 then varies smoothly with the constants (a fit differentiates it)
        for _ in range(NEWTON_STEPS):
            e_minus, e0, e_plus = energy(a - NEWTON_STEP), energy(a), energy(a + NEWTON_STEP)
            curvature = (e_plus - 2 * e0 + e_minus) / NEWTON_STEP**2
            if not (np.isfinite(curvature) and curvature > 0):
                break
            step = (e_plus - e_minus) / (2 * NEWTON_STEP) / curvature
            if not abs(step) < 1e-3 * a:
                break
            a -= step
        return a, energy(a)

    def hcp_minimum(self, a_fcc):
        """(a, c/a, energy per atom) of hcp: the Nelder–Mead search of `properties.hcp_minimum`."""
        ideal = np.sqrt(8 / 3)
        vectors = self._vectors("hcp", ideal) / np.array([1.0, 1.0, ideal])  # z in units of c, x and y of a

        def energy(x):
            a, covera = x
            return self.site_energy(vectors * np.array([a, a, a * covera]))

        start = np.array([a_fcc / np.sqrt(2), ideal])
        result = minimize(energy, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-8})
        return float(result.x[0]), float(result.x[1]), float(result.fun)

    def stress(self, a0, strain, components):
        """Stress components (Voigt indices) of fcc at a0 under `strain` (3×3, applied as in `properties`)."""
        base = np.eye(3) + strain
        volume = a0**3 / 4 * np.linalg.det(base)
        out = []
        for k in components:
            p, q = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))[k]
            d = np.zeros((3, 3))
            d[p, q] += DELTA / 2
            d[q, p] += DELTA / 2
            plus = self.lattice_energy("fcc", a0, base @ (np.eye(3) + d))
            minus = self.lattice_energy("fcc", a0, base @ (np.eye(3) - d))
            out.append((plus - minus) / (2 * DELTA) / volume)
        return np.array(out)

    def elastic_constants(self, a0):
        normal = np.zeros((3, 3))
        normal[0, 0] = STRAIN
        shear = np.zeros((3, 3))
        shear[1, 2] = shear[2, 1] = STRAIN / 2
        d_normal = (self.stress(a0, normal, (0, 1)) - self.stress(a0, -normal, (0, 1))) / (2 * STRAIN)
        d_shear = (self.stress(a0, shear, (3,)) - self.stress(a0, -shear, (3,))) / (2 * STRAIN)
        return d_normal[0] / GPa, d_normal[1] / GPa, d_shear[0] / GPa

    def static(self, guess=3.6, names=STATIC):
        """{name: value} of the static properties among `names` (a0 and C11, C12, C44 always) and the fcc energy per
        atom as `_e_fcc`; bcc and hcp are minimised only when asked for."""
        a0, e_fcc = self.lattice_constant("fcc", guess)
        c11, c12, c44 = self.elastic_constants(a0)
        values = {"a0": a0, "C11": c11, "C12": c12, "C44": c44, "B": (c11 + 2 * c12) / 3, "_e_fcc": e_fcc}
        if "E_coh" in names:
            values["E_coh"] = self.site_energy(np.zeros((0, 3))) - e_fcc
        if {"a0_bcc", "dE_bcc_fcc"} & set(names):
            a0_bcc, e_bcc = self.lattice_constant("bcc", a0)
            values |= {"a0_bcc": a0_bcc, "dE_bcc_fcc": 1000 * (e_bcc - e_fcc)}
        if "dE_hcp_fcc" in names:
            values["dE_hcp_fcc"] = 1000 * (self.hcp_minimum(a0)[2] - e_fcc)
        return values

    # --- defects ------------------------------------------------------------------------------------------------
    def defect_structure(self, name, a0):
        """(atoms, area or None) of defect `name` at lattice constant a0: the structures of `properties`."""
        if name == "E_vac":
            atoms = bulk(self.symbol, "fcc", a=a0, cubic=True).repeat(self.vacancy_repeat)
            del atoms[0]
            return atoms, None
        return surface_slab(self.symbol, a0, facet_of(name))

    def _reduced_distances(self, name, a0):
        cached = self._reduced.get(name)
        if cached is None or cached[2] * a0 < self.model.r_out:
            atoms, area = self.defect_structure(name, 1.0)
            reach = self.model.r_out / (REACH_MARGIN * a0)
            i, d = neighbor_list("id", atoms, reach)
            counts = np.bincount(i, minlength=len(atoms))
            padded = np.full((len(atoms), max(int(counts.max()), 1)), np.inf)
            order = np.argsort(i, kind="stable")
            slot = np.arange(i.size) - np.repeat(np.cumsum(counts) - counts, counts)
            padded[i[order], slot] = d[order]
            cached = self._reduced[name] = (len(atoms), padded, reach, area)
        return cached

    def unrelaxed_defect(self, name, a0, e_fcc):
        n, padded, _, area = self._reduced_distances(name, a0)
        with np.errstate(all="ignore"):
            energy = float(self.energy.atom_energies(padded * a0)[0].sum())
        if name == "E_vac":
            return energy - n * e_fcc
        return (energy - n * e_fcc) / (2 * area * a0**2) / J_PER_M2

    def defects(self, names, a0, e_fcc):
        """{name: unrelaxed value} of the defect properties among `names`."""
        return {name: self.unrelaxed_defect(name, a0, e_fcc) for name in names if is_defect(name)}


def relaxed_defects(calculator, symbol, names, a0, vacancy_repeat=3, steps=MAX_STEPS):
    """{name: relaxed value} of the defect properties among `names`, by BFGS on `calculator` (as `properties`),
    against the fcc energy per atom at `a0` on the same calculator (so its reference energy cancels).
    A structure that does not relax (no convergence to FMAX in `steps`), or whose evaluation fails or ends
    non-finite, gives NaN for that property: the candidate fails that target, nothing is raised."""
    helper = FastProperties.__new__(FastProperties)
    helper.symbol, helper.vacancy_repeat = symbol, vacancy_repeat
    names = [name for name in names if is_defect(name)]
    if not names:
        return {}
    crystal = bulk(symbol, "fcc", a=a0)
    crystal.calc = calculator
    e_fcc = float(crystal.get_potential_energy())
    values = {}
    for name in names:
        atoms, area = helper.defect_structure(name, a0)
        n = len(atoms)
        atoms.calc = calculator
        try:
            with np.errstate(all="ignore"):
                converged = BFGS(atoms, logfile=None).run(fmax=FMAX, steps=steps)
                energy = float(atoms.get_potential_energy()) if converged else np.nan
        except (Rejected, ArithmeticError, ValueError, np.linalg.LinAlgError):
            energy = np.nan
        values[name] = energy - n * e_fcc if area is None else (energy - n * e_fcc) / (2 * area) / J_PER_M2
    return values


__all__ = ["LOW_INDEX_FACETS", "STATIC", "FastProperties", "is_defect", "relaxed_defects"]
