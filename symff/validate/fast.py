"""Material properties straight from a model's program (`symff.sanity.ClusterEnergy`): no ASE calculator, no
neighbour-list rebuild per energy, milliseconds per model — fast enough to sit inside a fit's objective.

The properties and conventions are those of `symff.validate.properties` (same names, units, strains and
minimisations, on the element's ground state: fcc, bcc or diamond), computed by other means:

- *lattice energies*: in fcc, bcc, hcp and diamond, strained or not, every atom has the same surroundings (in
  diamond and hcp up to the inversion that swaps the two basis atoms), so the energy per atom is the site energy
  E_i of one atom, whose neighbour vectors are lattice translations (and, in hcp and diamond, the second basis atom)
  scaled by the lattice constant; the neighbour vectors are generated once and scaled per call; the
  cubic lattice constants are the bounded 1-D minimisation of E(a) of `properties`, polished by Newton steps;
- *stress* (for the elastic constants): (1/Ω) ∂E_i/∂ε by central differences of the site energy in a strain DELTA,
  so C11, C12, C44 follow from the same ± STRAIN differences of the stress as `symff validate` (every atom of fcc and
  bcc is a centre of inversion, so a homogeneous strain moves no atom off its lattice site; in diamond a shear moves
  the two sublattices against each other, and that shift is minimised in each strained cell, as `symff validate`
  relaxes the atoms there: C44 relaxed, C44_0 clamped);
- *unrelaxed defects*: the vacancy supercell and the surface slabs at a0 hold atoms whose neighbour distances are
  those of the structure at a = 1 times a0 (a reduced neighbour list per structure, built once).

Relaxed defect energies (`relaxed_defects`) need forces: they relax with ASE's BFGS on `SymFFCalculator`, the costly
tier of a property objective.
"""

from functools import partial

import numpy as np
from ase.build import bulk
from ase.neighborlist import neighbor_list
from ase.optimize import BFGS
from ase.units import GPa
from scipy.optimize import minimize, minimize_scalar

from ..expr.symbols import Rejected
from ..sanity import ClusterEnergy
from .crystals import ATOMS_PER_CUBIC_CELL, OTHER_PHASES, fcc_equivalent_guess, ground_state, phase_differences
from .properties import FMAX, J_PER_M2, LOW_INDEX_FACETS, MAX_STEPS, STRAIN, defect_structure, facet_of

DELTA = 1e-5  # strain of the central differences that give the stress
STATIC = ("a0", "a0_bcc", "E_coh", "C11", "C12", "C44", "B", "C44_0",
          *(name for s in OTHER_PHASES for name in phase_differences(s)))
NEWTON_STEPS, NEWTON_STEP = 2, 1e-4  # polish of a lattice constant (Å)
INTERNAL_NEWTON_STEPS, INTERNAL_STEP = 2, 1e-4  # diamond's sublattice shift under strain (Å)
REACH_MARGIN = 0.8  # neighbour lists reach r_out at lattice constants down to this fraction of the first a0


def is_defect(name):
    """Whether property `name` is a defect energy (vacancy or surface), which relaxation changes."""
    return name == "E_vac" or facet_of(name) is not None


_LATTICES, _REDUCED = {}, {}


class FastProperties:
    """The properties of one model and element on the element's ground state; `static()`, then `defects(names, a0,
    e_ground)` (unrelaxed)."""

    def __init__(self, model, symbol, vacancy_repeat=3):
        self.model, self.symbol, self.vacancy_repeat = model, symbol, vacancy_repeat
        self.structure = ground_state(symbol)
        self.energy = ClusterEnergy(model)
        # geometry depends on the element and r_out only: shared by every model (a search evaluates thousands)
        self._lattices = _LATTICES.setdefault((symbol, model.r_out), {})  # (structure, c/a) -> vectors at a = 1
        self._reduced = _REDUCED.setdefault((symbol, model.r_out, vacancy_repeat), {})  # defect -> reduced list

    # --- lattices -----------------------------------------------------------------------------------------------
    def site_energy(self, vectors):
        """E_i of an atom with neighbours at `vectors` (n, 3); reference energy excluded."""
        r = np.linalg.norm(vectors, axis=1)
        inside = r < self.model.r_out
        r, cosines = r[inside], None
        if self.model.formula.angular and r.size:  # three-body sums: the angles between the neighbours too
            unit = vectors[inside] / r[:, None]
            cosines = (unit @ unit.T)[None]
        with np.errstate(all="ignore"):
            return float(self.energy.atom_energies(r[None] if r.size else np.full((1, 1), np.inf),
                                                   cosines=cosines)[0][0])

    def _neighbours(self, structure, covera=None):
        """(vectors, other): the neighbour vectors of the first atom at lattice constant 1, reaching r_out at
        REACH_MARGIN of a guess of a, and which of them end on the second atom of the primitive cell (hcp, diamond)."""
        key = (structure, covera)
        if key not in self._lattices:
            if structure == "hcp":
                atoms = bulk(self.symbol, "hcp", a=1.0, c=covera)
            else:
                atoms = bulk(self.symbol, structure, a=1.0)
            scale = 2.5 if structure == "bcc" else 3.6 / np.sqrt(2) if structure == "hcp" else 3.6
            reach = self.model.r_out / (REACH_MARGIN * scale * 0.8)
            i, j, D = neighbor_list("ijD", atoms, reach)
            self._lattices[key] = (D[i == 0], j[i == 0] == 1)
        return self._lattices[key]

    def lattice_energy(self, structure, a, deformation=None, covera=None, shift=None):
        """Energy per atom of `structure` at lattice constant a, its vectors multiplied by `deformation` (rows) and
        the second atom of the primitive cell moved by `shift` (Å) against the first."""
        vectors, other = self._neighbours(structure, covera)
        vectors = vectors * a
        if deformation is not None:
            vectors = vectors @ deformation
        if shift is not None:
            vectors = vectors + np.where(other[:, None], shift, 0.0)
        return self.site_energy(vectors)

    def relaxed_lattice_energy(self, a, deformation):
        """Energy per atom of the ground state at a under `deformation`, with diamond's internal relaxation: its two
        sublattices shift against each other to the energy minimum (Newton steps on central differences; inversion
        through the bond centre keeps both atoms' energies equal). NaN where that minimum does not exist."""
        if self.structure != "diamond":
            return self.lattice_energy(self.structure, a, deformation)
        energy = lambda u: self.lattice_energy("diamond", a, deformation, shift=u)
        h, eye, u = INTERNAL_STEP, np.eye(3), np.zeros(3)
        for _ in range(INTERNAL_NEWTON_STEPS):
            e0 = energy(u)
            plus = np.array([energy(u + h * eye[k]) for k in range(3)])
            minus = np.array([energy(u - h * eye[k]) for k in range(3)])
            hessian = np.diag((plus - 2 * e0 + minus) / h**2)
            for k in range(3):
                for m in range(k + 1, 3):
                    hessian[k, m] = hessian[m, k] = (
                        energy(u + h * (eye[k] + eye[m])) - energy(u + h * (eye[k] - eye[m]))
                        - energy(u - h * (eye[k] - eye[m])) + energy(u - h * (eye[k] + eye[m]))) / (4 * h**2)
            if not (np.isfinite(hessian).all() and np.all(np.linalg.eigvalsh(hessian) > 0)):
                return np.nan  # no minimum: the crystal is unstable against the shift
            u = u - np.linalg.solve(hessian, (plus - minus) / (2 * h))
        return energy(u)

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
        vectors = self._neighbours("hcp", ideal)[0] / np.array([1.0, 1.0, ideal])  # z in units of c, x and y of a

        def energy(x):
            a, covera = x
            return self.site_energy(vectors * np.array([a, a, a * covera]))

        start = np.array([a_fcc / np.sqrt(2), ideal])
        result = minimize(energy, start, method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-8})
        return float(result.x[0]), float(result.x[1]), float(result.fun)

    def stress(self, a0, strain, components, relax=True):
        """Stress components (Voigt indices) of the ground state at a0 under `strain` (3×3, applied as in
        `properties`); `relax`: with diamond's internal relaxation (False: clamped ions)."""
        energy = self.relaxed_lattice_energy if relax else partial(self.lattice_energy, self.structure)
        base = np.eye(3) + strain
        volume = a0**3 / ATOMS_PER_CUBIC_CELL[self.structure] * np.linalg.det(base)
        out = []
        for k in components:
            p, q = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))[k]
            d = np.zeros((3, 3))
            d[p, q] += DELTA / 2
            d[q, p] += DELTA / 2
            plus = energy(a0, base @ (np.eye(3) + d))
            minus = energy(a0, base @ (np.eye(3) - d))
            out.append((plus - minus) / (2 * DELTA) / volume)
        return np.array(out)

    def elastic_constants(self, a0, relax=True):
        """(C11, C12, C44) in GPa; `relax=False`: clamped ions (diamond's C44_0)."""
        normal = np.zeros((3, 3))
        normal[0, 0] = STRAIN
        shear = np.zeros((3, 3))
        shear[1, 2] = shear[2, 1] = STRAIN / 2
        # a normal strain moves no diamond atom off its site (only shears couple to the sublattice shift)
        d_normal = (self.stress(a0, normal, (0, 1), False) - self.stress(a0, -normal, (0, 1), False)) / (2 * STRAIN)
        d_shear = (self.stress(a0, shear, (3,), relax) - self.stress(a0, -shear, (3,), relax)) / (2 * STRAIN)
        return d_normal[0] / GPa, d_normal[1] / GPa, d_shear[0] / GPa

    def static(self, guess=None, names=STATIC):
        """{name: value} of the static properties among `names` (a0 and C11, C12, C44 always) and the ground state's
        energy per atom as `_e_ground`; the other phases are minimised only when asked for. `guess`: the ground
        state's lattice constant where the search starts (default: the element's typical one,
        symff.validate.crystals)."""
        structure = self.structure
        to_fcc = (4 / ATOMS_PER_CUBIC_CELL[structure]) ** (1 / 3)  # fcc's lattice constant at the same volume per atom
        a0, e_ground = self.lattice_constant(structure, fcc_equivalent_guess(self.symbol) if guess is None
                                             else guess * to_fcc)
        c11, c12, c44 = self.elastic_constants(a0)
        values = {"a0": a0, "C11": c11, "C12": c12, "C44": c44, "B": (c11 + 2 * c12) / 3, "_e_ground": e_ground}
        if structure == "diamond" and "C44_0" in names:
            values["C44_0"] = self.elastic_constants(a0, relax=False)[2]
        if "E_coh" in names:
            values["E_coh"] = self.site_energy(np.zeros((0, 3))) - e_ground
        phases = dict(zip(phase_differences(structure), OTHER_PHASES[structure]))
        wanted = {phases[name] for name in names if name in phases} | ({"bcc"} if "a0_bcc" in names else set())
        if "hcp" in wanted:
            wanted.add("fcc")  # hcp's search starts from fcc's lattice constant
        lattices = {structure: a0}
        for phase in sorted(wanted - {structure, "hcp"}):
            lattices[phase], energy = self.lattice_constant(phase, a0 * to_fcc)
            values[f"dE_{phase}_{structure}"] = 1000 * (energy - e_ground)
        if "hcp" in wanted:
            values[f"dE_hcp_{structure}"] = 1000 * (self.hcp_minimum(lattices["fcc"])[2] - e_ground)
        if "bcc" in lattices:
            values["a0_bcc"] = lattices["bcc"]
        return values

    # --- defects ------------------------------------------------------------------------------------------------
    def defect_structure(self, name, a0):
        """(atoms, area or None) of defect `name` at lattice constant a0: the structures of `properties`."""
        return defect_structure(self.symbol, name, a0, self.structure, self.vacancy_repeat)

    def _reduced_distances(self, name, a0):
        """(atoms, distances at a = 1 padded with inf, reach, area, cosines or None): each atom's neighbours in defect
        `name`; the cosines of the angles between them (which a uniform scaling keeps) for a model with three-body
        sums."""
        angular = bool(self.model.formula.angular)
        cached = self._reduced.get((name, angular))
        if cached is None or cached[2] * a0 < self.model.r_out:
            atoms, area = self.defect_structure(name, 1.0)
            reach = self.model.r_out / (REACH_MARGIN * a0)
            i, d, vectors = neighbor_list("idD", atoms, reach)
            counts = np.bincount(i, minlength=len(atoms))
            width = max(int(counts.max()), 1)
            padded = np.full((len(atoms), width), np.inf)
            order = np.argsort(i, kind="stable")
            slot = np.arange(i.size) - np.repeat(np.cumsum(counts) - counts, counts)
            padded[i[order], slot] = d[order]
            cosines = None
            if angular:
                unit = np.zeros((len(atoms), width, 3))
                unit[i[order], slot] = vectors[order] / d[order][:, None]
                cosines = np.einsum("apx,aqx->apq", unit, unit)
            cached = self._reduced[(name, angular)] = (len(atoms), padded, reach, area, cosines)
        return cached

    def unrelaxed_defect(self, name, a0, e_ground):
        n, padded, _, area, cosines = self._reduced_distances(name, a0)
        with np.errstate(all="ignore"):
            energy = float(self.energy.atom_energies(padded * a0, cosines=cosines)[0].sum())
        if name == "E_vac":
            return energy - n * e_ground
        return (energy - n * e_ground) / (2 * area * a0**2) / J_PER_M2

    def defects(self, names, a0, e_ground):
        """{name: unrelaxed value} of the defect properties among `names`, against the ground state's energy per
        atom `e_ground` at `a0`."""
        return {name: self.unrelaxed_defect(name, a0, e_ground) for name in names if is_defect(name)}


def relaxed_defects(calculator, symbol, names, a0, vacancy_repeat=3, steps=MAX_STEPS):
    """{name: relaxed value} of the defect properties among `names`, by BFGS on `calculator` (as `properties`),
    against the ground state's energy per atom at `a0` on the same calculator (so its reference energy cancels).
    A structure that does not relax (no convergence to FMAX in `steps`), or whose evaluation fails or ends
    non-finite, gives NaN for that property: the candidate fails that target, nothing is raised."""
    structure = ground_state(symbol)
    names = [name for name in names if is_defect(name)]
    if not names:
        return {}
    crystal = bulk(symbol, structure, a=a0)
    crystal.calc = calculator
    e_ground = float(crystal.get_potential_energy()) / len(crystal)
    values = {}
    for name in names:
        atoms, area = defect_structure(symbol, name, a0, structure, vacancy_repeat)
        n = len(atoms)
        atoms.calc = calculator
        try:
            with np.errstate(all="ignore"):
                converged = BFGS(atoms, logfile=None).run(fmax=FMAX, steps=steps)
                energy = float(atoms.get_potential_energy()) if converged else np.nan
        except (Rejected, ArithmeticError, ValueError, np.linalg.LinAlgError):
            energy = np.nan
        values[name] = energy - n * e_ground if area is None else (energy - n * e_ground) / (2 * area) / J_PER_M2
    return values


__all__ = ["LOW_INDEX_FACETS", "STATIC", "FastProperties", "is_defect", "relaxed_defects"]
