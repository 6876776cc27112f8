"""Species-filtered neighbour sums: the kernels of the environment-sum kind "species" (symff.evaluate.sums).

Vocabulary. A *channel* is the element a neighbour sum is filtered by: NS(g, B) = Σ over the neighbours j of element B
of h(r_ij), h = g f_c; the unfiltered sum NS(g) is the channel "every element". The kernels read, besides the half
pair list of the radial sum (`GridPairs`, its tables or exact pair values, see symff.evaluate.kernels), the element
index of every atom, `species` (n_atoms,), and per density k its channel, `channel[k]`: an element index, EVERY (-1)
or NONE (-2: an element the data does not hold, so the sum is 0).

A half-list pair (a, b) adds h_k(r) to rho_k at a when b is in channel k, and at b when a is. Its energy derivative is
dE/dr = Σ_k ([Z_b ∈ k] ∂E_a/∂rho_k + [Z_a ∈ k] ∂E_b/∂rho_k) h_k'(r); forces and virials then follow as for the radial
sum (force on a +dE/dr D/r, on b the opposite, strain derivative Σ_pairs dE/dr D_α D_β / r). The kernels are the
radial ones with these two masks, kept apart so that the single-element hot path stays as measured.
"""

import numpy as np
from numba import njit

from .kernels import FUSED, FUSED_REORDERED, _run, term_layout

EVERY = -1  # the channel of an unfiltered sum
NONE = -2  # the channel of an element that no atom of the data has


def channel_indices(channels, elements):
    """Channel numbers (K,) for the kernels: per density its element's index in `elements`, EVERY for None, NONE for
    an element `elements` lacks."""
    index = {e: k for k, e in enumerate(elements)}
    return np.array([EVERY if c is None else index.get(c, NONE) for c in channels], dtype=np.int64)


def species_sums(pairs, table, pair_values, n_k, ranges, species, channel):
    """(rho (K, n_atoms), slopes (n_pairs, K)) as `kernels.neighbour_sums`, each sum filtered by its channel."""
    rho = np.zeros((pairs.n_atoms, n_k))
    slopes = np.empty((pairs.n_pairs, n_k))
    species = np.ascontiguousarray(species, dtype=np.int64)
    channel = np.ascontiguousarray(channel, dtype=np.int64)
    _run(lambda a, b: _species_sums(pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.node, pairs.t, pairs.inv_step,
                                    species, channel, table, pair_values, a, b, rho, slopes), ranges)
    return rho.T, slopes


def species_forces_and_virials(pairs, pair_slopes, dependencies, dE_drho, n_terms, ranges, species, channel):
    """Forces (M, n_atoms, 3) and strain derivatives (M, n_structures, 6) as `kernels.forces_and_virials`, each sum
    filtered by its channel."""
    term_start, term_density, weights = term_layout(dependencies, dE_drho, n_terms, pairs.n_atoms)
    forces = np.zeros((n_terms, pairs.n_atoms, 3))
    virials = np.zeros((n_terms, pairs.n_structures, 6))
    species = np.ascontiguousarray(species, dtype=np.int64)
    channel = np.ascontiguousarray(channel, dtype=np.int64)
    _run(lambda a, b: _species_forces_and_virials(pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.D, pairs.inv_r,
                                                  species, channel, pair_slopes, term_start, term_density, weights,
                                                  a, b, forces, virials), ranges)
    return forces, virials


@njit(cache=True, nogil=True, fastmath=FUSED)
def _species_sums(atom_start, atom_pairs, j, node, t, inv_step, species, channel, table, pair_values, first, stop,
                  rho, slopes):
    n_k = rho.shape[1]
    exact = table.shape[0] == 0
    for a in range(atom_start[first], atom_start[stop]):
        za = species[a]
        for p in range(atom_pairs[a], atom_pairs[a + 1]):
            b = j[p]
            zb = species[b]
            for k in range(n_k):
                if exact:
                    v = pair_values[k, p, 0]
                    slopes[p, k] = pair_values[k, p, 1]
                else:
                    n0 = node[p]
                    tp = t[p]
                    c0, c1, c2, c3 = table[n0, k, 0], table[n0, k, 1], table[n0, k, 2], table[n0, k, 3]
                    v = c0 + tp * (c1 + tp * (c2 + tp * c3))
                    slopes[p, k] = (c1 + tp * (2.0 * c2 + tp * (3.0 * c3))) * inv_step
                ch = channel[k]
                if ch == EVERY or ch == zb:
                    rho[a, k] += v
                if ch == EVERY or ch == za:
                    rho[b, k] += v


@njit(cache=True, nogil=True, fastmath=FUSED_REORDERED)
def _species_forces_and_virials(atom_start, atom_pairs, j, D, inv_r, species, channel, pair_slopes, term_start,
                                term_density, weights, first, stop, forces, virials):
    """As `kernels._forces_and_virials`, each density's weights masked by its channel. A term of one density (most
    terms) takes a branch without the loop over densities, its channel and the first atom's weight read once per
    atom: about a fifth less time per term, the same numbers to the bit (docs/performance.md)."""
    for s in range(first, stop):
        for m in range(term_start.size - 1):
            d_first, d_stop = term_start[m], term_start[m + 1]
            single = d_stop - d_first == 1
            k0 = term_density[d_first] if single else 0
            ch0 = channel[k0] if single else 0
            vxx = vyy = vzz = vyz = vxz = vxy = 0.0
            for a in range(atom_start[s], atom_start[s + 1]):
                za = species[a]
                w0 = weights[a, d_first] if single else 0.0
                feeds_a = single and (ch0 == EVERY or ch0 == za)  # the other atom's weight counts
                for p in range(atom_pairs[a], atom_pairs[a + 1]):
                    b = j[p]
                    zb = species[b]
                    de_dr = 0.0
                    if single:
                        w = 0.0
                        if ch0 == EVERY or ch0 == zb:
                            w += w0
                        if feeds_a:
                            w += weights[b, d_first]
                        de_dr += w * pair_slopes[p, k0]
                    else:
                        for d in range(d_first, d_stop):
                            k = term_density[d]
                            ch = channel[k]
                            w = 0.0
                            if ch == EVERY or ch == zb:
                                w += weights[a, d]
                            if ch == EVERY or ch == za:
                                w += weights[b, d]
                            de_dr += w * pair_slopes[p, k]
                    f = de_dr * inv_r[p]
                    dx, dy, dz = D[p, 0], D[p, 1], D[p, 2]
                    fx, fy, fz = f * dx, f * dy, f * dz
                    forces[m, a, 0] += fx
                    forces[m, a, 1] += fy
                    forces[m, a, 2] += fz
                    forces[m, b, 0] -= fx
                    forces[m, b, 1] -= fy
                    forces[m, b, 2] -= fz
                    vxx += fx * dx
                    vyy += fy * dy
                    vzz += fz * dz
                    vyz += fy * dz
                    vxz += fx * dz
                    vxy += fx * dy
            virials[m, s, 0] = vxx
            virials[m, s, 1] = vyy
            virials[m, s, 2] = vzz
            virials[m, s, 3] = vyz
            virials[m, s, 4] = vxz
            virials[m, s, 5] = vxy
