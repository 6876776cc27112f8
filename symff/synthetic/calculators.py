"""Reference calculators for the known potentials that symff must rediscover, written in symff's form.

Both potentials are per-atom energies E_i built from neighbour sums over a *full* neighbour list: every ordered pair
(i, j), j ≠ i, periodic images included, is a *directed pair* p = (i_p, j_p, D_p) with D_p = x_j - x_i + shift and
r_p = |D_p|; each pair term is multiplied by the smooth cutoff f_c(r; r_in, r_out) of ``symff.cutoff``.

    Lennard-Jones × f_c:  E_i = ½ Σ_j 4ε[(σ/r)¹² - (σ/r)⁶] f_c(r)
    Sutton-Chen × f_c:    E_i = ε[½ Σ_j (a/r)ⁿ f_c(r) - c √(Σ_j (a/r)ᵐ f_c(r))]

The total energy E = Σ_i E_i depends on the positions and the cell only through the pair lengths r_p. Treating the
directed pairs as independent variables, w_p = ∂E/∂r_p, the chain rule gives everything else:

    ∂r_p/∂x_j = D_p/r_p, ∂r_p/∂x_i = -D_p/r_p   =>   F_i = Σ_{p: i_p = i} w_p D_p/r_p - Σ_{p: j_p = i} w_p D_p/r_p
    a homogeneous strain ε maps D -> (1 + ε) D, so ∂r_p/∂ε_ab = D_a D_b / r   =>   σ_ab = (1/V) Σ_p w_p D_a D_b / r_p

which is ASE's stress convention (eV/Å³, negative under compression, Voigt order xx yy zz yz xz xy). A self-image pair
(i_p = j_p) adds and removes the same force on its atom, as it must: moving an atom does not move it from its image.

These calculators are deliberately plain numpy: they make the synthetic data sets and serve as an independent
implementation that symff's evaluator is tested against.
"""

from typing import ClassVar

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.neighborlist import neighbor_list
from ase.stress import full_3x3_to_voigt_6_stress

from symff.cutoff import DEFAULT_INNER, DEFAULT_OUTER, smooth_cutoff


def directed_pairs(atoms, r_out, neighbour_list=neighbor_list):
    """Return (i, j, r, D) of the full neighbour list of ``atoms`` within r_out."""
    i, j, r, D = neighbour_list("ijdD", atoms, r_out)
    return i, j, r, D


def pair_forces_and_virial(n_atoms, i, j, r, D, dE_dr):
    """Forces on the atoms and the virial Σ_p w_p D_p ⊗ D_p / r_p from w_p = ∂E/∂r_p of each directed pair."""
    along = (dE_dr / r)[:, None] * D
    forces = np.zeros((n_atoms, 3))
    for k in range(3):
        forces[:, k] = np.bincount(i, along[:, k], n_atoms) - np.bincount(j, along[:, k], n_atoms)
    virial = D.T @ along
    return forces, virial


def power_with_slope(scale, exponent, r):
    """Return ((scale/r)^exponent, its derivative in r)."""
    value = (scale / r) ** exponent
    return value, -exponent * value / r


class _NeighbourSumCalculator(Calculator):
    """Shared ``calculate``: a subclass supplies the per-atom energies and ∂E/∂r_p of each directed pair."""

    implemented_properties: ClassVar[list[str]] = ["energy", "free_energy", "forces", "stress", "energies"]

    def __init__(self, r_in, r_out, neighbour_list, **parameters):
        if not 0.0 < r_in < r_out:
            raise ValueError(f"need 0 < r_in < r_out, got r_in={r_in}, r_out={r_out}")
        super().__init__(r_in=r_in, r_out=r_out, **parameters)
        # Kept out of self.parameters, which ASE compares and serialises: the neighbour list changes speed, not results.
        self.neighbour_list = neighbour_list

    def check_state(self, atoms, tol=1e-15):
        """What changed since the last calculation. ASE's check compares every array of the atoms with np.isclose, a
        third of the time of the synthetic data's MD; these energies depend on the positions, numbers, cell and pbc
        alone, compared exactly here (stricter than ASE's `tol`: a change of any size means a new calculation)."""
        if self.atoms is None:
            return list(all_changes)
        compared = (("positions", self.atoms.positions, atoms.positions), ("numbers", self.atoms.numbers, atoms.numbers),
                    ("cell", self.atoms.cell.array, atoms.cell.array), ("pbc", self.atoms.pbc, atoms.pbc))
        return [name for name, before, now in compared if not np.array_equal(before, now)]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        n_atoms = len(atoms)
        i, j, r, D = directed_pairs(atoms, self.parameters.r_out, self.neighbour_list)
        f_c, f_c_slope = smooth_cutoff(r, self.parameters.r_in, self.parameters.r_out)
        energies, dE_dr = self.energies_and_pair_slopes(n_atoms, i, r, f_c, f_c_slope)
        forces, virial = pair_forces_and_virial(n_atoms, i, j, r, D, dE_dr)
        energy = float(energies.sum())
        self.results = {"energy": energy, "free_energy": energy, "energies": energies, "forces": forces}
        # Without three periodic directions there is no volume, and ASE reports stress as not implemented.
        if atoms.cell.rank == 3:
            self.results["stress"] = full_3x3_to_voigt_6_stress(virial / atoms.get_volume())

    def energies_and_pair_slopes(self, n_atoms, i, r, f_c, f_c_slope):
        raise NotImplementedError


class LennardJonesCutoff(_NeighbourSumCalculator):
    """Lennard-Jones pair potential times the smooth cutoff, E_i = ½ Σ_j φ(r) f_c(r), φ = 4ε[(σ/r)¹² - (σ/r)⁶].

    With g = φ f_c, each directed pair carries half the pair energy, so E_i = ½ Σ_j g(r_ij) and w_p = ½ g'(r_p),
    g' = φ' f_c + φ f_c', φ' = 4ε[-12 (σ/r)¹² + 6 (σ/r)⁶] / r. The defaults ε = 0.4093 eV, σ = 2.338 Å are the Cu
    parameters of Halicioglu & Pound (1975), Phys. Status Solidi A 30, 619.
    """

    def __init__(
        self,
        *,
        epsilon=0.4093,
        sigma=2.338,
        r_in=DEFAULT_INNER,
        r_out=DEFAULT_OUTER,
        neighbour_list=neighbor_list,
    ):
        super().__init__(r_in, r_out, neighbour_list, epsilon=epsilon, sigma=sigma)

    def energies_and_pair_slopes(self, n_atoms, i, r, f_c, f_c_slope):
        epsilon, sigma = self.parameters.epsilon, self.parameters.sigma
        r6, r6_slope = power_with_slope(sigma, 6, r)
        phi = 4.0 * epsilon * (r6 * r6 - r6)
        phi_slope = 4.0 * epsilon * (2.0 * r6 - 1.0) * r6_slope
        pair = 0.5 * phi * f_c
        energies = np.bincount(i, pair, n_atoms)
        return energies, 0.5 * (phi_slope * f_c + phi * f_c_slope)


class SuttonChenCutoff(_NeighbourSumCalculator):
    """Sutton-Chen potential times the smooth cutoff, E_i = ε[½ Σ_j (a/r)ⁿ f_c - c √ρ_i], ρ_i = Σ_j (a/r)ᵐ f_c.

    With ψ = (a/r)ⁿ f_c and u = (a/r)ᵐ f_c, the directed pair p = (i, j) enters E through ½ ψ(r_p) in E_i and through
    u(r_p) in ρ_i alone (its reverse pair (j, i) carries ρ_j), so w_p = ε[½ ψ'(r_p) - c u'(r_p) / (2 √ρ_i)].
    The defaults are Sutton & Chen's Cu: ε = 0.012382 eV, a = 3.61 Å, c = 39.432, n = 9, m = 6 (Sutton & Chen 1990,
    Phil. Mag. Lett. 61, 139).

    Because f_c vanishes quadratically at r_out, an atom whose only neighbour leaves the cutoff has √ρ_i falling
    linearly to zero: its energy is continuous there but its force jumps. With more than one neighbour it is smooth.
    """

    def __init__(
        self,
        *,
        epsilon=0.012382,
        a=3.61,
        c=39.432,
        n=9,
        m=6,
        r_in=DEFAULT_INNER,
        r_out=DEFAULT_OUTER,
        neighbour_list=neighbor_list,
    ):
        super().__init__(r_in, r_out, neighbour_list, epsilon=epsilon, a=a, c=c, n=n, m=m)

    def energies_and_pair_slopes(self, n_atoms, i, r, f_c, f_c_slope):
        p = self.parameters
        repulsion, repulsion_slope = power_with_slope(p.a, p.n, r)
        density, density_slope = power_with_slope(p.a, p.m, r)
        rho = np.bincount(i, density * f_c, n_atoms)
        sqrt_rho = np.sqrt(rho)
        energies = p.epsilon * (0.5 * np.bincount(i, repulsion * f_c, n_atoms) - p.c * sqrt_rho)
        # ρ_i = 0 only for an atom without neighbours (f_c > 0 below r_out), which has no pairs to read it; the guard
        # keeps a pair that sits at r_out to rounding from turning 0/0 into nan.
        half_inverse_sqrt_rho = np.divide(0.5, sqrt_rho, out=np.zeros(n_atoms), where=sqrt_rho > 0.0)[i]
        dE_dr = p.epsilon * (
            0.5 * (repulsion_slope * f_c + repulsion * f_c_slope)
            - p.c * (density_slope * f_c + density * f_c_slope) * half_inverse_sqrt_rho
        )
        return energies, dE_dr
