"""Numba kernels of the angular (three-body) environment sum, compiled once per machine (cached on disk).

Vocabulary (see `angular.py` for the formulas). A *pair* p is one unordered pair (a, b) of the half list, as in
`kernels.py`. A *bond* is one direction of a pair seen from its centre atom: pair p gives the bond (a → b, D_p) at
centre a and the bond (b → a, −D_p) at centre b, so the bonds of a centre are its full neighbourhood. Bonds are stored
centre-major (the bonds of atom a are atom_bonds[a]:atom_bonds[a + 1]) with their pair, their sign (±1), their other
atom and their unit vector û = D/r. A *triplet* (j < k) of centre i is two of its bonds, enumerated in the kernel
(never stored: there are ~10 times more triplets than bonds and each costs a dot product to rebuild); c = û_j·û_k.

Radial functions enter as values and slopes of h = g f_c, tabulated on the radial grid (`table[node, k]`, k = φ, ρ, f)
or given per pair (`pair_values[k, p] = (h, h')`, exact path when the table is empty); the angular function g as a
cubic Hermite table on the c grid (`g_table[node]`) or per triplet (`triplet_values[t] = (g, g')` in the kernel's
enumeration order, exact path when the table is empty).

Pass 1 (`_angular_densities`) gives, per atom, n_i = Σ_j ρ + Σ_{j<k} f f g and, per bond, the gradient of the
three-body part of n_i with respect to the bond vector, so that the forces need no second pass over the triplets:
pass 2 (`_angular_forces`) scales each bond's gradient by U'(n_i) and adds the pair terms. Each kernel walks whole
structures first..stop-1, so thread ranges never write to the same atom (`kernels._run`).
"""

import numpy as np
from numba import njit

from .kernels import FUSED

PHI, RHO, F = 0, 1, 2  # the radial functions, in table order


@njit(cache=True, nogil=True, fastmath=FUSED)
def _hermite(table, node, t, k, inv_step):
    """(h, h') of function k of a cubic Hermite table at (node, t)."""
    c0, c1, c2, c3 = table[node, k, 0], table[node, k, 1], table[node, k, 2], table[node, k, 3]
    return c0 + t * (c1 + t * (c2 + t * c3)), (c1 + t * (2.0 * c2 + t * (3.0 * c3))) * inv_step


@njit(cache=True, nogil=True, fastmath=FUSED)
def _angular_densities(atom_start, atom_pairs, j, node, t, inv_step, table, pair_values, atom_bonds, bond_pair,
                       bond_u, inv_r, g_table, g_inv_step, triplet_values, triplet_start, first, stop, pair_energy,
                       density, pair_slopes, bond_grad):
    """For structures first..stop-1: the pair energy Σ φ per structure, n_i per atom, (φ', ρ', f, f') per pair and
    ∂(three-body part of n_i)/∂D per bond."""
    exact_pairs = table.shape[0] == 0
    exact_angles = g_table.shape[0] == 0
    last_node = g_table.shape[0] - 1
    max_bonds = 0
    for a in range(atom_start[first], atom_start[stop]):
        max_bonds = max(max_bonds, atom_bonds[a + 1] - atom_bonds[a])
    f_value = np.empty(max_bonds)
    f_slope = np.empty(max_bonds)
    bond_inv_r = np.empty(max_bonds)
    # per bond q of the centre, summed over its partners m: P = Σ f_m g, Q = Σ f_m g' c, V = Σ f_m g' û_m; then
    # ∂(Σ_{j<k} f f g)/∂D_q = û_q (f_q' P − f_q Q / r_q) + f_q V / r_q, as ∂c/∂D_q = (û_m − c û_q) / r_q
    P = np.empty(max_bonds)
    Q = np.empty(max_bonds)
    V = np.empty((max_bonds, 3))
    for s in range(first, stop):
        energy = 0.0
        # pairs: φ into the energy, ρ into both atoms, f and the slopes kept per pair
        for a in range(atom_start[s], atom_start[s + 1]):
            own = 0.0
            for p in range(atom_pairs[a], atom_pairs[a + 1]):
                if exact_pairs:
                    phi, dphi = pair_values[PHI, p, 0], pair_values[PHI, p, 1]
                    rho, drho = pair_values[RHO, p, 0], pair_values[RHO, p, 1]
                    f, df = pair_values[F, p, 0], pair_values[F, p, 1]
                else:
                    phi, dphi = _hermite(table, node[p], t[p], PHI, inv_step)
                    rho, drho = _hermite(table, node[p], t[p], RHO, inv_step)
                    f, df = _hermite(table, node[p], t[p], F, inv_step)
                energy += phi
                own += rho
                density[j[p]] += rho
                pair_slopes[p, 0] = dphi
                pair_slopes[p, 1] = drho
                pair_slopes[p, 2] = f
                pair_slopes[p, 3] = df
            density[a] += own
        pair_energy[s] = energy
        # triplets of each centre
        for a in range(atom_start[s], atom_start[s + 1]):
            b0 = atom_bonds[a]
            n_bonds = atom_bonds[a + 1] - b0
            for q in range(n_bonds):
                p = bond_pair[b0 + q]
                f_value[q] = pair_slopes[p, 2]
                f_slope[q] = pair_slopes[p, 3]
                bond_inv_r[q] = inv_r[p]
                P[q] = Q[q] = 0.0
                V[q, 0] = V[q, 1] = V[q, 2] = 0.0
            triplet = triplet_start[a]
            for q in range(1, n_bonds):
                bq = b0 + q
                ux, uy, uz = bond_u[bq, 0], bond_u[bq, 1], bond_u[bq, 2]
                fq = f_value[q]
                pq = qq = vx_q = vy_q = vz_q = 0.0
                for m in range(q):
                    bm = b0 + m
                    vx, vy, vz = bond_u[bm, 0], bond_u[bm, 1], bond_u[bm, 2]
                    c = ux * vx + uy * vy + uz * vz
                    if exact_angles:
                        g, dg = triplet_values[triplet, 0], triplet_values[triplet, 1]
                        triplet += 1
                    else:
                        x = (c + 1.0) * g_inv_step
                        k = min(max(int(x), 0), last_node)
                        tc = x - k
                        c0, c1, c2, c3 = g_table[k, 0], g_table[k, 1], g_table[k, 2], g_table[k, 3]
                        g = c0 + tc * (c1 + tc * (c2 + tc * c3))
                        dg = (c1 + tc * (2.0 * c2 + tc * (3.0 * c3))) * g_inv_step
                    fm = f_value[m]
                    fm_dg = fm * dg
                    pq += fm * g
                    qq += fm_dg * c
                    vx_q += fm_dg * vx
                    vy_q += fm_dg * vy
                    vz_q += fm_dg * vz
                    fq_dg = fq * dg
                    P[m] += fq * g
                    Q[m] += fq_dg * c
                    V[m, 0] += fq_dg * ux
                    V[m, 1] += fq_dg * uy
                    V[m, 2] += fq_dg * uz
                P[q] += pq
                Q[q] += qq
                V[q, 0] += vx_q
                V[q, 1] += vy_q
                V[q, 2] += vz_q
            three_body = 0.0
            for q in range(n_bonds):
                bq = b0 + q
                fq = f_value[q]
                three_body += fq * P[q]
                radial = f_slope[q] * P[q] - fq * Q[q] * bond_inv_r[q]
                across = fq * bond_inv_r[q]
                bond_grad[bq, 0] = radial * bond_u[bq, 0] + across * V[q, 0]
                bond_grad[bq, 1] = radial * bond_u[bq, 1] + across * V[q, 1]
                bond_grad[bq, 2] = radial * bond_u[bq, 2] + across * V[q, 2]
            density[a] += 0.5 * three_body  # Σ_q f_q P_q counts every triplet from both of its bonds


@njit(cache=True, nogil=True, fastmath=FUSED)
def _angular_forces(atom_start, atom_pairs, j, D, inv_r, pair_slopes, atom_bonds, bond_pair, bond_atom, bond_sign,
                    bond_grad, embedding_slope, first, stop, forces, virials):
    """Forces and virials (strain derivatives, Voigt xx yy zz yz xz xy) of structures first..stop-1, given
    U'(n_i) per atom."""
    for s in range(first, stop):
        vxx = vyy = vzz = vyz = vxz = vxy = 0.0
        for a in range(atom_start[s], atom_start[s + 1]):
            ua = embedding_slope[a]
            fax = fay = faz = 0.0
            # pairs: dE/dr = φ' + (U'_a + U'_b) ρ'; the force on a is +dE/dr D/r
            for p in range(atom_pairs[a], atom_pairs[a + 1]):
                b = j[p]
                scale = (pair_slopes[p, 0] + (ua + embedding_slope[b]) * pair_slopes[p, 1]) * inv_r[p]
                dx, dy, dz = D[p, 0], D[p, 1], D[p, 2]
                fx, fy, fz = scale * dx, scale * dy, scale * dz
                fax += fx
                fay += fy
                faz += fz
                forces[b, 0] -= fx
                forces[b, 1] -= fy
                forces[b, 2] -= fz
                vxx += fx * dx
                vyy += fy * dy
                vzz += fz * dz
                vyz += fy * dz
                vxz += fx * dz
                vxy += fx * dy
            # bonds: G = U'_a ∂n_a/∂D_bond moves the neighbour by −G and the centre by +G
            for q in range(atom_bonds[a], atom_bonds[a + 1]):
                gx, gy, gz = ua * bond_grad[q, 0], ua * bond_grad[q, 1], ua * bond_grad[q, 2]
                b = bond_atom[q]
                p = bond_pair[q]
                sign = bond_sign[q]
                dx, dy, dz = sign * D[p, 0], sign * D[p, 1], sign * D[p, 2]
                fax += gx
                fay += gy
                faz += gz
                forces[b, 0] -= gx
                forces[b, 1] -= gy
                forces[b, 2] -= gz
                vxx += gx * dx
                vyy += gy * dy
                vzz += gz * dz
                vyz += gy * dz
                vxz += gx * dz
                vxy += gx * dy
            forces[a, 0] += fax
            forces[a, 1] += fay
            forces[a, 2] += faz
        virials[s, 0] = vxx
        virials[s, 1] = vyy
        virials[s, 2] = vzz
        virials[s, 3] = vyz
        virials[s, 4] = vxz
        virials[s, 5] = vxy


@njit(cache=True, nogil=True)
def _triplet_cosines(atom_bonds, bond_u, triplet_start, cosines):
    """c = û_q·û_m of every triplet, in the enumeration order of `_angular_densities` (for the exact path)."""
    for a in range(atom_bonds.size - 1):
        b0 = atom_bonds[a]
        t = triplet_start[a]
        for q in range(1, atom_bonds[a + 1] - b0):
            for m in range(q):
                cosines[t] = (bond_u[b0 + q, 0] * bond_u[b0 + m, 0] + bond_u[b0 + q, 1] * bond_u[b0 + m, 1]
                              + bond_u[b0 + q, 2] * bond_u[b0 + m, 2])
                t += 1
