"""Numba kernels over a half neighbour list, compiled once per machine (cached on disk) and never per candidate.

Vocabulary. A *pair* p is one unordered pair (a, b = j[p]) of the half list, stored atom-major: the pairs of atom a are
atom_pairs[a]:atom_pairs[a + 1], and the atoms of structure s are atom_start[s]:atom_start[s + 1]. The distances never
change between candidates, so each pair's place on the radial grid is found once per data set: its interval
node[p] and its position t[p] in [0, 1] inside it. Every pair function of a candidate enters as *values and slopes of
h_k = g_k f_c*, either tabulated on the grid (`table[node, k]` = the coefficients of the cubic Hermite interpolant of
h_k on interval `node`: the fast path) or given per pair (`pair_values[k, p] = (h, h')`: the exact path, used when
the table is empty).

With a half list each pair adds h_k(r) to rho_k at both atoms, and its energy derivative is
dE/dr = Σ_k (∂E_a/∂rho_k + ∂E_b/∂rho_k) h_k'(r). With D = x_b - x_a the force on a is +dE/dr D/r, on b the opposite,
and the strain derivative of E is Σ_pairs dE/dr D_α D_β / r (Voigt order xx yy zz yz xz xy).

Each kernel `_name` walks a contiguous range of whole structures, so ranges never write to the same atom: the Python
wrapper `name` allocates, splits the structures into one range per thread and runs the ranges in a thread pool (the
kernels release the GIL). `set_threads(n)` sets the number of threads for the whole process (1: serial, which is
what a process per core wants).
"""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

# A range with fewer pairs than this is not worth a thread of its own (a thread hand-off costs ~50 µs).
MIN_PAIRS_PER_THREAD = 100_000

# Floating-point licences for LLVM, measured on the Cu benchmark (docs/performance.md): fused multiply-adds in both
# kernels (-5 % in the density pass) and reordered sums in the force pass (-14 %: the pair loop's accumulations
# vectorize). Each changes results only in the last bits and is deterministic for a given machine. Not `fastmath=True`:
# its no-NaN and no-infinity assumptions would let the compiler drop the propagation the finiteness checks rely on.
FUSED = {"contract"}
FUSED_REORDERED = {"contract", "reassoc"}

_threads = None  # None: every CPU this process may use
_pool = None


def set_threads(n):
    """Use `n` threads in the evaluation kernels (None: every CPU this process may use)."""
    global _threads, _pool
    if n is not None and (int(n) != n or n < 1):
        raise ValueError(f"threads must be a positive integer or None, got {n!r}")
    _threads = None if n is None else int(n)
    if _pool is not None:
        _pool.shutdown()
        _pool = None


def threads():
    """The number of threads the evaluation kernels use."""
    if _threads is not None:
        return _threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def structure_ranges(pair_start, n_threads=None, min_pairs=MIN_PAIRS_PER_THREAD):
    """Contiguous ranges [first, stop) of structures with about equal numbers of pairs, at most one per thread and
    none with fewer than about `min_pairs` pairs."""
    n_structures = len(pair_start) - 1
    n_pairs = int(pair_start[-1])
    n_ranges = max(1, min(n_threads or threads(), n_structures, n_pairs // max(1, min_pairs)))
    cuts = np.searchsorted(pair_start, np.linspace(0, n_pairs, n_ranges + 1)[1:-1])
    bounds = np.unique(np.concatenate([[0], cuts, [n_structures]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def _run(work, ranges):
    """work(first, stop) for every range, in the thread pool when there is more than one."""
    global _pool
    if len(ranges) == 1:
        work(*ranges[0])
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=threads())
    for future in [_pool.submit(work, a, b) for a, b in ranges]:
        future.result()


def neighbour_sums(pairs, table, pair_values, n_k, ranges):
    """(rho, slopes): rho (K, n_atoms), rho[k, atom] = Σ_j h_k(r_ij) over the full neighbourhood (a view of an
    atom-major array: one pair writes one contiguous row), and slopes (n_pairs, K) = h_k'(r) at every pair, which
    the force pass reads instead of interpolating again (the interpolation of values and slopes shares its loads)."""
    rho = np.zeros((pairs.n_atoms, n_k))
    slopes = np.empty((pairs.n_pairs, n_k))
    _run(lambda a, b: _neighbour_sums(pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.node, pairs.t, pairs.inv_step,
                                      table, pair_values, a, b, rho, slopes), ranges)
    return rho.T, slopes


def term_layout(dependencies, dE_drho, n_terms, n_atoms):
    """What a force pass reads of the weights: (term_start (M + 1,), term_density (D,), weights (n_atoms, D)), the
    dependencies sorted by term, term m's densities term_density[term_start[m]:term_start[m + 1]], their weights
    ∂T_m/∂rho_k atom-major (one pair reads two contiguous rows); row d of `dE_drho` belongs to `dependencies[d]`."""
    order = sorted(range(len(dependencies)), key=dependencies.__getitem__)
    term_density = np.array([dependencies[d][1] for d in order], dtype=np.int64)
    term_start = np.searchsorted(np.array([dependencies[d][0] for d in order], dtype=np.int64),
                                 np.arange(n_terms + 1))
    weights = np.empty((n_atoms, len(order)))
    for column, d in enumerate(order):
        weights[:, column] = dE_drho[d]
    return term_start, term_density, weights


def forces_and_virials(pairs, pair_slopes, dependencies, dE_drho, n_terms, ranges):
    """Forces (M, n_atoms, 3) and strain derivatives (M, n_structures, 6) of M = `n_terms` energies E^m =
    Σ_i T_m(rho_i), given h_k' at every pair (from `neighbour_sums`) and dE_drho (D, n_atoms): row d is ∂T_m/∂rho_k
    at each atom for (m, k) = dependencies[d]; every other ∂T_m/∂rho_k is zero."""
    term_start, term_density, weights = term_layout(dependencies, dE_drho, n_terms, pairs.n_atoms)
    # A term of one density whose weight is the same at every atom (a pair term NS(g): ∂T/∂rho = 1) reads no weight
    # per pair: its dE/dr is that weight doubled times the slope, the same number as (w_a + w_b) h'.
    uniform = np.zeros(n_terms, dtype=np.bool_)
    for m in range(n_terms):
        d = term_start[m]
        uniform[m] = term_start[m + 1] - d == 1 and pairs.n_atoms > 0 and np.all(weights[:, d] == weights[0, d])
    forces = np.zeros((n_terms, pairs.n_atoms, 3))
    virials = np.zeros((n_terms, pairs.n_structures, 6))
    _run(lambda a, b: _forces_and_virials(pairs.atom_start, pairs.atom_pairs, pairs.j, pairs.D, pairs.inv_r,
                                          pair_slopes, term_start, term_density, weights, uniform, a, b, forces,
                                          virials), ranges)
    return forces, virials


@njit(cache=True, nogil=True, fastmath=FUSED)
def _neighbour_sums(atom_start, atom_pairs, j, node, t, inv_step, table, pair_values, first, stop, rho, slopes):
    """Add the pair functions of structures first..stop-1 into rho (n_atoms, K); write their slopes per pair."""
    n_k = rho.shape[1]
    exact = table.shape[0] == 0
    own = np.empty(n_k)
    for a in range(atom_start[first], atom_start[stop]):
        for k in range(n_k):
            own[k] = 0.0
        for p in range(atom_pairs[a], atom_pairs[a + 1]):
            b = j[p]
            if exact:
                for k in range(n_k):
                    v = pair_values[k, p, 0]
                    slopes[p, k] = pair_values[k, p, 1]
                    own[k] += v
                    rho[b, k] += v
                continue
            # the cubic of the pair's interval in Horner form, and its derivative divided by the step
            n0 = node[p]
            tp = t[p]
            for k in range(n_k):
                c0, c1, c2, c3 = table[n0, k, 0], table[n0, k, 1], table[n0, k, 2], table[n0, k, 3]
                v = c0 + tp * (c1 + tp * (c2 + tp * c3))
                slopes[p, k] = (c1 + tp * (2.0 * c2 + tp * (3.0 * c3))) * inv_step
                own[k] += v
                rho[b, k] += v
        for k in range(n_k):
            rho[a, k] += own[k]


@njit(cache=True, nogil=True, fastmath=FUSED_REORDERED)
def _forces_and_virials(atom_start, atom_pairs, j, D, inv_r, pair_slopes, term_start, term_density, weights, uniform,
                        first, stop, forces, virials):
    """Forces (M, n_atoms, 3) and virials of structures first..stop-1.

    One term m at a time over a structure (its pairs stay in cache for the next term), so that the force on the
    first atom of a pair and the structure's virial accumulate in scalars (registers): only the other atom's force is
    written per pair. Term m reads only the densities it depends on, d in term_start[m]:term_start[m + 1], with
    weights[atom, d] = ∂T_m/∂rho_k for k = term_density[d]. Terms of one or two densities (most terms) take
    branches of their own, without the loop over densities, and a term of one density whose weight is the same at
    every atom (`uniform[m]`) reads no weight per pair: about a fifth less time per term than the loop, the same
    numbers to the bit (each branch adds its products to 0.0 in the loop's order; docs/performance.md)."""
    n_m = term_start.size - 1
    for s in range(first, stop):
        for m in range(n_m):
            d_first, d_stop = term_start[m], term_start[m + 1]
            n_d = d_stop - d_first
            k0 = term_density[d_first] if n_d >= 1 else 0
            k1 = term_density[d_first + 1] if n_d >= 2 else 0
            doubled = 2.0 * weights[0, d_first] if n_d == 1 and uniform[m] else 0.0
            vxx = vyy = vzz = vyz = vxz = vxy = 0.0
            for a in range(atom_start[s], atom_start[s + 1]):
                fax = fay = faz = 0.0
                w0 = weights[a, d_first] if n_d >= 1 else 0.0
                w1 = weights[a, d_first + 1] if n_d >= 2 else 0.0
                for p in range(atom_pairs[a], atom_pairs[a + 1]):
                    b = j[p]
                    dE_dr = 0.0
                    if n_d == 1 and uniform[m]:
                        dE_dr += doubled * pair_slopes[p, k0]
                    elif n_d == 1:
                        dE_dr += (w0 + weights[b, d_first]) * pair_slopes[p, k0]
                    elif n_d == 2:
                        dE_dr += (w0 + weights[b, d_first]) * pair_slopes[p, k0]
                        dE_dr += (w1 + weights[b, d_first + 1]) * pair_slopes[p, k1]
                    else:
                        for d in range(d_first, d_stop):
                            dE_dr += (weights[a, d] + weights[b, d]) * pair_slopes[p, term_density[d]]
                    scale = dE_dr * inv_r[p]
                    dx, dy, dz = D[p, 0], D[p, 1], D[p, 2]
                    fx, fy, fz = scale * dx, scale * dy, scale * dz
                    fax += fx
                    fay += fy
                    faz += fz
                    forces[m, b, 0] -= fx
                    forces[m, b, 1] -= fy
                    forces[m, b, 2] -= fz
                    vxx += fx * dx
                    vyy += fy * dy
                    vzz += fz * dz
                    vyz += fy * dz
                    vxz += fx * dz
                    vxy += fx * dy
                forces[m, a, 0] += fax
                forces[m, a, 1] += fay
                forces[m, a, 2] += faz
            virials[m, s, 0] = vxx
            virials[m, s, 1] = vyy
            virials[m, s, 2] = vzz
            virials[m, s, 3] = vyz
            virials[m, s, 4] = vxz
            virials[m, s, 5] = vxy
