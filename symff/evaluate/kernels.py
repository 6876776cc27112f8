"""Numba kernels over a half neighbour list, compiled once per machine (cached on disk) and never per candidate.

Every pair function of a candidate enters the kernels as *values and slopes of h_k = g_k f_c*, either tabulated on a
uniform radial grid (`table[k, node] = (h, h')`, read by cubic Hermite interpolation: the fast path) or given per
pair (`pair_values[k, p] = (h, h')`: the exact path). The kernels see only arrays and scalars.

With a half list each unordered pair (i, j) appears once, so it adds h_k(r) to rho_k at both atoms, and its energy
derivative is dE/dr = Σ_k (∂E_i/∂rho_k + ∂E_j/∂rho_k) h_k'(r). With D = x_j - x_i the force on i is +dE/dr D/r, on j
the opposite, and the strain derivative of E is Σ_pairs dE/dr D_a D_b / r (Voigt order xx yy zz yz xz xy).
"""

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _interval(r, r0, inv_step, n_nodes):
    """Grid interval of r and the position t in [0, 1] inside it."""
    u = (r - r0) * inv_step
    node = int(u)
    if node < 0:
        node = 0
    elif node > n_nodes - 2:
        node = n_nodes - 2
    return node, u - node


@njit(cache=True, inline="always")
def _hermite(table, k, node, t, inv_step):
    """Value and slope of the cubic Hermite interpolant of table[k] at (node, t)."""
    step = 1.0 / inv_step
    y0 = table[k, node, 0]
    y1 = table[k, node + 1, 0]
    d0 = table[k, node, 1] * step
    d1 = table[k, node + 1, 1] * step
    t2 = t * t
    t3 = t2 * t
    value = (2.0 * t3 - 3.0 * t2 + 1.0) * y0 + (t3 - 2.0 * t2 + t) * d0 + (3.0 * t2 - 2.0 * t3) * y1 + (t3 - t2) * d1
    slope = ((6.0 * t2 - 6.0 * t) * (y0 - y1) + (3.0 * t2 - 4.0 * t + 1.0) * d0 + (3.0 * t2 - 2.0 * t) * d1) * inv_step
    return value, slope


@njit(cache=True, inline="always")
def _pair_functions(table, pair_values, p, r, r0, inv_step, values, slopes):
    """Fill values[k], slopes[k] of every pair function at pair p: interpolated, or read when given per pair."""
    if pair_values.shape[1] > 0:
        for k in range(values.shape[0]):
            values[k] = pair_values[k, p, 0]
            slopes[k] = pair_values[k, p, 1]
        return
    node, t = _interval(r, r0, inv_step, table.shape[1])
    for k in range(values.shape[0]):
        values[k], slopes[k] = _hermite(table, k, node, t, inv_step)


@njit(cache=True)
def neighbour_sums(i, j, r, table, pair_values, r0, inv_step, n_atoms):
    """rho[atom, k] = Σ_j h_k(r_ij) over the full neighbourhood, from a half list."""
    n_k = max(table.shape[0], pair_values.shape[0])
    rho = np.zeros((n_atoms, n_k))
    values = np.empty(n_k)
    slopes = np.empty(n_k)
    for p in range(r.shape[0]):
        _pair_functions(table, pair_values, p, r[p], r0, inv_step, values, slopes)
        a, b = i[p], j[p]
        for k in range(n_k):
            rho[a, k] += values[k]
            rho[b, k] += values[k]
    return rho


@njit(cache=True)
def forces_and_virials(i, j, r, D, structure, table, pair_values, r0, inv_step, weights, n_structures):
    """Forces (n_atoms, M, 3) and strain derivatives (n_structures, M, 6) of M energies E^m = Σ_i T_m(rho_i),
    given weights[atom, m, k] = ∂T_m/∂rho_k at each atom. The M energies share one pass over the pairs; arrays are
    atom-major so that one pair touches two contiguous rows."""
    n_atoms, n_m, n_k = weights.shape
    forces = np.zeros((n_atoms, n_m, 3))
    virials = np.zeros((n_structures, n_m, 6))
    values = np.empty(n_k)
    slopes = np.empty(n_k)
    for p in range(r.shape[0]):
        a, b, rp = i[p], j[p], r[p]
        _pair_functions(table, pair_values, p, rp, r0, inv_step, values, slopes)
        dx, dy, dz = D[p, 0], D[p, 1], D[p, 2]
        s = structure[p]
        for m in range(n_m):
            dE_dr = 0.0
            for k in range(n_k):
                dE_dr += (weights[a, m, k] + weights[b, m, k]) * slopes[k]
            if dE_dr == 0.0:
                continue
            scale = dE_dr / rp
            fx, fy, fz = scale * dx, scale * dy, scale * dz
            forces[a, m, 0] += fx
            forces[a, m, 1] += fy
            forces[a, m, 2] += fz
            forces[b, m, 0] -= fx
            forces[b, m, 1] -= fy
            forces[b, m, 2] -= fz
            virials[s, m, 0] += fx * dx
            virials[s, m, 1] += fy * dy
            virials[s, m, 2] += fz * dz
            virials[s, m, 3] += fy * dz
            virials[s, m, 4] += fx * dz
            virials[s, m, 5] += fx * dy
    return forces, virials
