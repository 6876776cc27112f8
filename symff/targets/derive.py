"""Property targets read off a DFT data set: the cubic elastic constants of its elastic strain series.

Vocabulary:
- the *strain series* is the data's `config_type == "Elastic"` group: one supercell of the ground-state crystal,
  deformed homogeneously (atoms carried with the cell), with DFT energies and, where the data hold them, stresses;
- the *reference cell* is the undeformed supercell: each of its lattice rows is the row shared by most structures of
  the series (a deformation mode changes one or two rows, so every row is left alone by most of the modes), and it
  need not be at zero stress;
- the *deformation gradient* F of a structure maps the reference rows to its rows (cell = reference @ Fᵀ); its
  *Lagrangian strain* is η = (FᵀF − I)/2, in Voigt form e = (η11, η22, η33, 2η23, 2η13, 2η12);
- the *second Piola–Kirchhoff stress* S = J F⁻¹ σ F⁻ᵀ (σ the Cauchy stress the data hold, J = det F) is the work
  conjugate of η: V₀ S = ∂E/∂η, so the energy and the stress tell the same elastic constants.

To second order in e, with S₀ the stress of the reference cell and C the elastic constants (cubic: C11, C12, C44):

    stress:  S(e) = S₀ + C e                    energy:  E(e)/V₀ = E₀/V₀ + S₀·e + ½ eᵀ C e

Both are linear in the unknowns (S₀ and C11, C12, C44; plus E₀ for the energy), so each is one linear least-squares
fit over the structures whose largest |e| component is at most `max_strain`. The series are symmetric (± each strain),
so the next term of each expansion (third-order constants: quadratic in e for the stress, cubic for the energy) is
odd about the fitted one and leaves it unbiased; only the term after it biases the result, by O(max_strain²).

The lattice constant is that of zero mean normal stress: the reference cell scaled by the hydrostatic strain
e_h = −mean(S₀[:3])/(C11 + 2 C12) (Green strain: a0 = a_ref √(1 + 2 e_h)), S₀ the stress of the unstrained
structure where the series holds one (the fit's intercept, which the quadratic terms bias, otherwise).

What the DFT of a series is: atoms stay on the homogeneously deformed sites, so in a crystal with internal
degrees of freedom (diamond under shear) C44 is the *unrelaxed* (clamped-ion) C44⁰, larger than the relaxed C44 that
tables usually list; fcc and bcc have no internal degrees of freedom under homogeneous strain.
"""

from collections import Counter

import numpy as np
from ase.calculators.calculator import PropertyNotImplementedError
from ase.units import GPa

from ..errors import TargetsError
from ..validate.crystals import ATOMS_PER_CUBIC_CELL, ground_state

ELASTIC_GROUP = "Elastic"
# largest Voigt strain component of a structure in the fit: the ±1–2 % members of the mlearn series (their shear
# modes at a nominal 2 % are an engineering shear of 4 %)
MAX_STRAIN = 0.041
VOIGT = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))


def voigt_strain(F):
    eta = (F.T @ F - np.eye(3)) / 2
    return np.array([eta[p, q] * (1 if p == q else 2) for p, q in VOIGT])


def voigt_pk2_stress(F, cauchy):
    """Second Piola–Kirchhoff stress (Voigt) of the Cauchy stress `cauchy` (3×3) under deformation gradient F."""
    F_inv = np.linalg.inv(F)
    S = np.linalg.det(F) * F_inv @ cauchy @ F_inv.T
    return np.array([S[p, q] for p, q in VOIGT])


def reference_cell(cells):
    """The reference cell of a series: per lattice row, the row (to 1e-4 Å) that most structures share (the mean of
    those structures' rows, unrounded)."""
    rows = []
    for k in range(3):
        keys = [tuple(np.round(cell[k], 4)) for cell in cells]
        common = Counter(keys).most_common(1)[0][0]
        rows.append(np.mean([cell[k] for cell, key in zip(cells, keys) if key == common], axis=0))
    return np.array(rows)


def strain_series(frames, source="the data"):
    """(reference cell, number of atoms, [(F, energy, Cauchy stress 3×3 or None)]) of the Elastic group of `frames`:
    those with the most common atom count (a series is one supercell; a differently sized cell is left out)."""
    series = [a for a in frames if a.info.get("config_type") == ELASTIC_GROUP]
    if not series:
        raise TargetsError(f"{source}: no structures with config_type {ELASTIC_GROUP} (the elastic strain series)")
    n_atoms = Counter(len(a) for a in series).most_common(1)[0][0]
    series = [a for a in series if len(a) == n_atoms]
    reference = reference_cell([a.cell[:] for a in series])
    reference_inv = np.linalg.inv(reference)
    members = []
    for atoms in series:
        F = (reference_inv @ atoms.cell[:]).T
        try:
            stress = atoms.get_stress(voigt=False)
        except PropertyNotImplementedError:  # a structure of data without stress
            stress = None
        members.append((F, float(atoms.get_potential_energy()), stress))
    return reference, n_atoms, members


def _cubic_stress_rows(e):
    """Design rows (6 × 9) of S = S₀ + C e in the unknowns (S₀[0..5], C11, C12, C44)."""
    rows = np.zeros((6, 9))
    rows[:, :6] = np.eye(6)
    for i in range(3):
        rows[i, 6] = e[i]
        rows[i, 7] = e[:3].sum() - e[i]
    rows[3:, 8] = e[3:]
    return rows


def _cubic_energy_row(e):
    """Design row of E/V₀ = E₀/V₀ + S₀·e + ½ eᵀ C e in the unknowns (E₀/V₀, S₀[0..5], C11, C12, C44)."""
    normal, shear = e[:3], e[3:]
    return np.concatenate(
        [
            [1.0],
            e,
            [
                0.5 * normal @ normal,
                normal[0] * normal[1] + normal[0] * normal[2] + normal[1] * normal[2],
                0.5 * shear @ shear,
            ],
        ]
    )


def elastic_constants_from_strain_series(frames, symbol=None, use="stress", max_strain=MAX_STRAIN, source="the data"):
    """The cubic elastic constants and lattice constant that the elastic strain series of `frames` (ASE Atoms of a
    one-element data set) implies, by the fits of the module docstring.

    `use`: "stress" (the DFT stresses) or "energy" (the DFT energies; for data without stress). Returns
    {"a0", "a_ref", "C11", "C12", "C44", "B", "P_ref", "n_structures", "use", "structure"}: lengths in Å, moduli
    and the reference cell's pressure P_ref = −mean(S₀[:3]) in GPa; C12 and B are NaN when the series cannot tell
    them (the energy of single-mode strains)."""
    reference, n_atoms, members = strain_series(frames, source)
    symbol = symbol or frames[0].get_chemical_symbols()[0]
    structure = ground_state(symbol)
    volume = abs(np.linalg.det(reference))
    members = [(F, energy, stress) for F, energy, stress in members if np.abs(voigt_strain(F)).max() <= max_strain]
    if use == "stress":
        members = [m for m in members if m[2] is not None]
        if len(members) < 3:
            raise TargetsError(
                f"{source}: the elastic strain series has {len(members)} structures with stress "
                f"within strain {max_strain}; use='energy' reads the energies instead"
            )
        A = np.vstack([_cubic_stress_rows(voigt_strain(F)) for F, _, _ in members])
        b = np.concatenate([voigt_pk2_stress(F, stress) for F, _, stress in members])
        solution = np.linalg.lstsq(A, b, rcond=None)[0]
        s0, (c11, c12, c44) = solution[:6], solution[6:]
        # the intercept absorbs the mean of the quadratic (third-order) terms; the unstrained cell's own stress,
        # where the series holds it, does not
        unstrained = [voigt_pk2_stress(F, stress) for F, _, stress in members if np.abs(voigt_strain(F)).max() < 1e-6]
        s0 = np.mean(unstrained, axis=0) if unstrained else s0
    elif use == "energy":
        if len(members) < 10:
            raise TargetsError(
                f"{source}: the elastic strain series has {len(members)} structures within strain "
                f"{max_strain}, too few for the 10 unknowns of the energy fit"
            )
        A = np.array([_cubic_energy_row(voigt_strain(F)) for F, _, _ in members])
        b = np.array([energy / volume for _, energy, _ in members])
        # a series of single modes never strains two normal directions at once: then the energy cannot tell C12
        # (only the transverse stress of a uniaxial strain can), and C12 is left out of the fit as NaN
        identified = np.abs(A).max(axis=0) > 1e-2 * np.abs(A[:, 7]).max()
        solution = np.full(A.shape[1], np.nan)
        solution[identified] = np.linalg.lstsq(A[:, identified], b, rcond=None)[0]
        s0, (c11, c12, c44) = np.nan_to_num(solution[1:7]), solution[7:]
    else:
        raise ValueError(f"use must be 'stress' or 'energy', got {use!r}")
    n_cells = n_atoms / ATOMS_PER_CUBIC_CELL[structure]
    a_ref = (volume / n_cells) ** (1 / 3)
    # without C12 (energy fit of single modes) the zero-stress lattice constant is not known: a0 is the reference's
    hydrostatic = -s0[:3].mean() / (c11 + 2 * c12) if np.isfinite(c12) else 0.0
    return {
        "structure": structure,
        "a0": a_ref * np.sqrt(1 + 2 * hydrostatic),
        "a_ref": a_ref,
        "C11": c11 / GPa,
        "C12": c12 / GPa,
        "C44": c44 / GPa,
        "B": (c11 + 2 * c12) / 3 / GPa,
        "P_ref": -s0[:3].mean() / GPa,
        "n_structures": len(members),
        "use": use,
    }
