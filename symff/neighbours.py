"""Neighbour lists: every pair of atoms closer than a cutoff, periodic images included.

A *pair* is an atom i, an atom j of the same structure and an integer lattice shift S; its vector is
D = x_j + S·cell − x_i (cell rows are the lattice vectors) and its distance r = |D| < cutoff. A *full* list holds
both directions (i, j, S) and (j, i, −S); a *half* list holds each unordered pair once, which halves the memory and the
work of every pair sum. symff keeps half lists: a directed pair (i, j, S) is kept when i < j, or when i == j (an atom
and its own periodic image, which occurs when the cutoff exceeds the cell) and the first nonzero component of S is
positive. Any sum over the full list is twice the sum over the half list of a symmetric pair function.

The search is a cell list in fractional coordinates, so triclinic cells need no special case: along lattice direction
k the cell height is h_k = V / |a_{k+1} × a_{k+2}|, and the fractional coordinates of two atoms at distance r differ
by at most r / h_k. With bins at least cutoff / q high, a neighbour is at most q bins away along each direction,
through periodic images where the bin index leaves the cell; q (1, 2 or 3) is chosen per structure to visit the fewest
bins and atoms. A cell thinner than the cutoff gets one bin and as many images as reach the cutoff. Along a
non-periodic direction there are no images and the bins span the atoms' extent, wherever they lie relative to the cell.

``build_neighbours`` validates and allocates; the numba kernels (``_count_pairs``, ``_fill_pairs``) see only arrays,
count the pairs of each structure, then write them sorted by structure and then by atom i. Threads share the
structures.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np

from symff.errors import ConfigError

# Bins are at least cutoff / q high, q = 1 .. _MAX_BINS_PER_CUTOFF chosen per structure. A bin visit costs about as much
# as _BIN_VISIT_COST distance evaluations (measured on mlearn Cu: q = 1 is best at 5 Å, q = 2 at 6 Å).
_MAX_BINS_PER_CUTOFF = 3
_BIN_VISIT_COST = 4.0
# Bins are made this much higher than needed, so that rounding in fractional coordinates never moves a neighbour one
# bin further than the reach.
_BIN_MARGIN = 1e-8


@dataclass(frozen=True, eq=False)
class Neighbours:
    """Half neighbour list: every unordered pair (i, j, image) once, sorted by structure."""

    cutoff: float
    i: np.ndarray  # (n_pairs,) int64 global atom index (into Dataset arrays)
    j: np.ndarray  # (n_pairs,) int64
    r: np.ndarray  # (n_pairs,) float64 distance
    D: np.ndarray  # (n_pairs, 3) float64 vector from atom i to (the image of) atom j
    structure: np.ndarray  # (n_pairs,) int64 structure of the pair
    pair_start: np.ndarray  # (n_structures + 1,) int64: pairs of structure s are pair_start[s]:pair_start[s+1]

    @property
    def n_pairs(self) -> int:
        return int(self.i.shape[0])

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays, in bytes."""
        arrays = (self.i, self.j, self.r, self.D, self.structure, self.pair_start)
        return int(sum(a.nbytes for a in arrays))


def build_neighbours(dataset, cutoff: float) -> Neighbours:
    """Half neighbour list of every structure of ``dataset`` (a ``Dataset``) at ``cutoff`` Å (pairs with r < cutoff)."""
    return pairs_within(dataset.positions, dataset.cells, dataset.pbc, dataset.atom_start, cutoff)


def pairs_within(positions, cells, pbc, atom_start, cutoff: float, n_threads: int | None = None) -> Neighbours:
    """Half neighbour list from flat arrays laid out as in ``Dataset``; cells must be full rank.

    The structures are shared among ``n_threads`` threads (default: the CPUs this process may use).
    """
    cutoff = float(cutoff)
    if not (np.isfinite(cutoff) and cutoff > 0.0):
        raise ConfigError(f"neighbour cutoff {cutoff!r}: must be a positive number of Å")
    # Writable contiguous copies: a read-only array is a different numba type and would cost a second compilation.
    positions = np.array(positions, dtype=np.float64, order="C")
    cells = np.array(cells, dtype=np.float64, order="C")
    pbc = np.array(pbc, dtype=np.bool_, order="C")
    atom_start = np.array(atom_start, dtype=np.int64, order="C")
    n_structures = len(atom_start) - 1
    chunks = _chunks(atom_start, n_threads or _available_cpus())

    counts = np.zeros(n_structures, dtype=np.int64)
    _in_threads(lambda a, b: _count_pairs(positions, cells, pbc, atom_start, cutoff, a, b, counts), chunks)
    pair_start = np.zeros(n_structures + 1, dtype=np.int64)
    np.cumsum(counts, out=pair_start[1:])
    n_pairs = int(pair_start[-1])
    i = np.empty(n_pairs, dtype=np.int64)
    j = np.empty(n_pairs, dtype=np.int64)
    r = np.empty(n_pairs, dtype=np.float64)
    D = np.empty((n_pairs, 3), dtype=np.float64)
    _in_threads(
        lambda a, b: _fill_pairs(positions, cells, pbc, atom_start, cutoff, a, b, pair_start, i, j, r, D), chunks
    )
    structure = np.repeat(np.arange(n_structures, dtype=np.int64), counts)
    return Neighbours(cutoff=cutoff, i=i, j=j, r=r, D=D, structure=structure, pair_start=pair_start)


def _available_cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _chunks(atom_start, n_threads: int) -> list[tuple[int, int]]:
    """Contiguous ranges of structures with about equal numbers of atoms, one per thread."""
    n_structures = len(atom_start) - 1
    n_threads = max(1, min(n_threads, n_structures))
    targets = np.linspace(0, atom_start[-1], n_threads + 1)[1:-1]
    cuts = np.searchsorted(atom_start, targets)
    bounds = np.unique(np.concatenate([[0], cuts, [n_structures]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def _in_threads(work, chunks):
    """Run ``work(first, stop)`` for each chunk; the kernels release the GIL, so threads run in parallel."""
    if len(chunks) <= 1:
        for a, b in chunks:
            work(a, b)
        return
    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        for future in [pool.submit(work, a, b) for a, b in chunks]:
            future.result()


# The kernels are serial and release the GIL: threads give the parallelism, and compilation stays a few seconds
# (numba's parallel=True compiles for much longer, for no gain at this granularity).


@numba.njit(nogil=True, cache=True)
def _count_pairs(positions, cells, pbc, atom_start, cutoff, first, stop, counts):
    no_int = np.empty(0, dtype=np.int64)
    no_float = np.empty(0, dtype=np.float64)
    no_vec = np.empty((0, 3), dtype=np.float64)
    for s in range(first, stop):
        a, b = atom_start[s], atom_start[s + 1]
        counts[s] = _structure_pairs(
            positions[a:b], cells[s], pbc[s], cutoff, a, False, 0, no_int, no_int, no_float, no_vec
        )


@numba.njit(nogil=True, cache=True)
def _fill_pairs(positions, cells, pbc, atom_start, cutoff, first, stop, pair_start, i, j, r, D):
    for s in range(first, stop):
        a, b = atom_start[s], atom_start[s + 1]
        _structure_pairs(positions[a:b], cells[s], pbc[s], cutoff, a, True, pair_start[s], i, j, r, D)


@numba.njit(nogil=True, cache=True)
def _fractional(x, cell, pbc):
    """Fractional coordinates (wrapped into [0, 1) along periodic directions), the whole cells removed by wrapping,
    and the cell heights h_k = 1 / |b_k| where b_k are the reciprocal vectors (a_m · b_k = δ_mk)."""
    B = np.empty((3, 3))
    for k in range(3):
        u0, u1, u2 = cell[(k + 1) % 3, 0], cell[(k + 1) % 3, 1], cell[(k + 1) % 3, 2]
        v0, v1, v2 = cell[(k + 2) % 3, 0], cell[(k + 2) % 3, 1], cell[(k + 2) % 3, 2]
        B[0, k] = u1 * v2 - u2 * v1
        B[1, k] = u2 * v0 - u0 * v2
        B[2, k] = u0 * v1 - u1 * v0
    volume = cell[0, 0] * B[0, 0] + cell[0, 1] * B[1, 0] + cell[0, 2] * B[2, 0]
    heights = np.empty(3)
    for k in range(3):
        heights[k] = abs(volume) / np.sqrt(B[0, k] ** 2 + B[1, k] ** 2 + B[2, k] ** 2)
    n = x.shape[0]
    frac = np.empty((n, 3))
    wrap = np.zeros((n, 3), dtype=np.int64)
    for a in range(n):
        for k in range(3):
            f = (x[a, 0] * B[0, k] + x[a, 1] * B[1, k] + x[a, 2] * B[2, k]) / volume
            if pbc[k]:
                w = np.floor(f)
                wrap[a, k] = int(w)
                f -= w
            frac[a, k] = f
    return frac, wrap, heights


@numba.njit(nogil=True, cache=True)
def _bin_layout(frac, pbc, heights, cutoff):
    """Bins per direction, bin of each atom per direction, and how many bins away a neighbour can be."""
    n = frac.shape[0]
    low = np.zeros(3)
    span = np.ones(3)  # fractional extent covered by the bins
    for k in range(3):
        if not pbc[k] and n:
            lo, hi = np.inf, -np.inf
            for a in range(n):
                lo = min(lo, frac[a, k])
                hi = max(hi, frac[a, k])
            low[k] = lo
            span[k] = hi - lo
    # Bins cutoff / q high search less empty space around each atom as q grows (a cube 3, 2.5, 2.33 ... cutoffs wide)
    # but cost a visit each: take the q with the fewest expected visits plus distance evaluations.
    best_cost = np.inf
    n_bins, reach = np.ones(3, dtype=np.int64), np.zeros(3, dtype=np.int64)
    for q in range(1, _MAX_BINS_PER_CUTOFF + 1):
        n_q, reach_q = _bins_for(span, heights, cutoff, q, n)
        visits = (2 * reach_q[0] + 1) * (2 * reach_q[1] + 1) * (2 * reach_q[2] + 1)
        cost = visits * (_BIN_VISIT_COST + n / (n_q[0] * n_q[1] * n_q[2]))
        if cost < best_cost:
            best_cost, n_bins, reach = cost, n_q, reach_q
    bins = np.empty((n, 3), dtype=np.int64)
    for a in range(n):
        for k in range(3):
            f = (frac[a, k] - low[k]) / span[k] if span[k] > 0.0 else 0.0
            bins[a, k] = min(max(int(np.floor(f * n_bins[k])), 0), n_bins[k] - 1)
    return n_bins, bins, reach


@numba.njit(nogil=True, cache=True)
def _bins_for(span, heights, cutoff, q, n):
    """Bins at least cutoff / q high along each direction, and the reach in bins that covers the cutoff."""
    n_bins = np.ones(3, dtype=np.int64)
    for k in range(3):
        n_bins[k] = max(1, int(span[k] * heights[k] * q / (cutoff * (1.0 + _BIN_MARGIN))))
    # Sparse non-periodic structures (a few atoms far apart) would otherwise ask for many empty bins.
    while n_bins[0] * n_bins[1] * n_bins[2] > 4 * n + 8:
        k = 0
        for m in range(1, 3):
            if n_bins[m] > n_bins[k]:
                k = m
        n_bins[k] = max(1, n_bins[k] // 2)
    reach = np.zeros(3, dtype=np.int64)
    for k in range(3):
        bin_height = span[k] * heights[k] / n_bins[k]
        if bin_height > 0.0:
            reach[k] = int(np.ceil(cutoff / bin_height + 1e-9))
    return n_bins, reach


@numba.njit(nogil=True, cache=True)
def _sort_into_bins(bins, n_bins):
    """Counting sort: atoms of bin c are members[bin_start[c]:bin_start[c+1]], in increasing order."""
    n = bins.shape[0]
    n_cells = n_bins[0] * n_bins[1] * n_bins[2]
    bin_id = np.empty(n, dtype=np.int64)
    bin_start = np.zeros(n_cells + 1, dtype=np.int64)
    for a in range(n):
        bin_id[a] = (bins[a, 0] * n_bins[1] + bins[a, 1]) * n_bins[2] + bins[a, 2]
        bin_start[bin_id[a] + 1] += 1
    for c in range(n_cells):
        bin_start[c + 1] += bin_start[c]
    fill = np.empty(n_cells, dtype=np.int64)
    for c in range(n_cells):
        fill[c] = bin_start[c]
    members = np.empty(n, dtype=np.int64)
    for a in range(n):
        members[fill[bin_id[a]]] = a
        fill[bin_id[a]] += 1
    return bin_start, members


@numba.njit(nogil=True, cache=True)
def _structure_pairs(x, cell, pbc, cutoff, offset, write, start, i_out, j_out, r_out, D_out):
    """Count (and if ``write``, store from ``start``) the half-list pairs of one structure; returns the count."""
    frac, wrap, heights = _fractional(x, cell, pbc)
    n_bins, bins, reach = _bin_layout(frac, pbc, heights, cutoff)
    bin_start, members = _sort_into_bins(bins, n_bins)
    cutoff2 = cutoff * cutoff
    count = 0
    shift = np.zeros(3, dtype=np.int64)
    other = np.zeros(3, dtype=np.int64)
    for i in range(x.shape[0]):
        for d0 in range(-reach[0], reach[0] + 1):
            if not _neighbour_bin(bins[i, 0] + d0, n_bins[0], pbc[0], other, shift, 0):
                continue
            for d1 in range(-reach[1], reach[1] + 1):
                if not _neighbour_bin(bins[i, 1] + d1, n_bins[1], pbc[1], other, shift, 1):
                    continue
                for d2 in range(-reach[2], reach[2] + 1):
                    if not _neighbour_bin(bins[i, 2] + d2, n_bins[2], pbc[2], other, shift, 2):
                        continue
                    c = (other[0] * n_bins[1] + other[1]) * n_bins[2] + other[2]
                    for m in range(bin_start[c], bin_start[c + 1]):
                        j = members[m]
                        if j < i or (j == i and not _first_nonzero_positive(shift)):
                            continue
                        # D = x_j - x_i + S·cell with S the shift between the positions as given (not wrapped).
                        s0 = shift[0] + wrap[i, 0] - wrap[j, 0]
                        s1 = shift[1] + wrap[i, 1] - wrap[j, 1]
                        s2 = shift[2] + wrap[i, 2] - wrap[j, 2]
                        dx = x[j, 0] - x[i, 0] + s0 * cell[0, 0] + s1 * cell[1, 0] + s2 * cell[2, 0]
                        dy = x[j, 1] - x[i, 1] + s0 * cell[0, 1] + s1 * cell[1, 1] + s2 * cell[2, 1]
                        dz = x[j, 2] - x[i, 2] + s0 * cell[0, 2] + s1 * cell[1, 2] + s2 * cell[2, 2]
                        rr = dx * dx + dy * dy + dz * dz
                        if rr >= cutoff2:
                            continue
                        if write:
                            p = start + count
                            i_out[p] = i + offset
                            j_out[p] = j + offset
                            D_out[p, 0] = dx
                            D_out[p, 1] = dy
                            D_out[p, 2] = dz
                            r_out[p] = np.sqrt(rr)
                        count += 1
    return count


@numba.njit(nogil=True, cache=True)
def _neighbour_bin(b, n_bins, periodic, other, shift, k):
    """Map a bin index that may lie outside [0, n_bins) to a bin and a cell shift; False if there is none."""
    if periodic:
        q = b // n_bins
        other[k] = b - q * n_bins
        shift[k] = q
        return True
    if b < 0 or b >= n_bins:
        return False
    other[k] = b
    shift[k] = 0
    return True


@numba.njit(nogil=True, cache=True)
def _first_nonzero_positive(shift):
    for k in range(3):
        if shift[k] != 0:
            return shift[k] > 0
    return False
