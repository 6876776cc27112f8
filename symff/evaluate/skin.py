"""Verlet lists: a half neighbour list built with a skin and reused while the atoms move little (for MD).

A *skin list* holds every pair closer than r_out + skin at the positions it was built from (the *reference
positions*), each with its periodic offset S·cell (the lattice shift of the image). Two atoms that have each moved
less than skin/2 from their reference positions have come closer by less than skin, so while no atom has moved that
far every pair inside r_out is on the list, and the pairs of the current positions are found by recomputing the
listed vectors, D = x_j − x_i + S·cell, and keeping those with r < r_out. `SkinList.pairs(positions, grid)` does that
in one pass and returns the `GridPairs` the evaluation kernels read; `stale(positions)` says when the list must be
rebuilt. The cell, the periodicity and the atoms themselves are fixed for a list: when they change, build a new one.

The radial grid must cover every pair the list can produce: `SkinList.covering_grid` starts it skin below the
shortest listed pair.
"""

from dataclasses import dataclass

import numpy as np
from numba import njit

from ..errors import DataError
from ..neighbours import pairs_within
from .grid import DEFAULT_POINTS, RadialGrid
from .pairs import GridPairs

DEFAULT_SKIN = 1.0  # Å, as LAMMPS' default `neighbor 1.0 bin` for metal units


@dataclass(frozen=True, eq=False)
class SkinList:
    reference: np.ndarray  # (n_atoms, 3) positions the list was built from
    atom_start: np.ndarray  # (n_structures + 1,) int64
    i: np.ndarray  # (n_list,) int64, sorted
    j: np.ndarray  # (n_list,) int64
    offset: np.ndarray  # (n_list, 3) S·cell of the pair
    r_min: float  # shortest listed distance at the reference positions (inf without pairs)
    r_out: float
    skin: float

    @classmethod
    def build(cls, positions, cells, pbc, atom_start, r_out, skin=DEFAULT_SKIN):
        """The pairs closer than r_out + skin of the structures laid out as in `Dataset` (flat arrays)."""
        if not skin >= 0:
            raise ValueError(f"the neighbour skin must be a non-negative number of Å, got {skin!r}")
        positions = np.array(positions, dtype=np.float64, order="C")
        listed = pairs_within(positions, cells, pbc, atom_start, r_out + skin)
        offset = listed.D - (positions[listed.j] - positions[listed.i])
        r_min = float(listed.r.min()) if listed.n_pairs else np.inf
        return cls(positions, np.asarray(atom_start, dtype=np.int64), listed.i, listed.j,
                   np.ascontiguousarray(offset), r_min, float(r_out), float(skin))

    def stale(self, positions):
        """True when some atom has moved skin/2 or more from its reference position (the list may miss a pair)."""
        moved = np.asarray(positions, dtype=float) - self.reference
        return bool(np.max(np.einsum("ij,ij->i", moved, moved), initial=0.0) >= (0.5 * self.skin) ** 2)

    def covering_grid(self, r_in, points=DEFAULT_POINTS):
        """A radial grid that covers every pair distance the list can give before it is stale."""
        r_min = self.r_min - self.skin if np.isfinite(self.r_min) else r_in
        return RadialGrid.covering(r_min, r_in, self.r_out, points)

    def pairs(self, positions, grid: RadialGrid) -> GridPairs:
        """The pairs inside r_out at `positions` (a list that is not stale), placed on `grid`."""
        positions = np.ascontiguousarray(positions, dtype=np.float64)
        n_atoms = positions.shape[0]
        n = self.i.size
        j, r, D, inv_r = np.empty(n, np.uint32), np.empty(n), np.empty((n, 3)), np.empty(n)
        node, t = np.empty(n, np.uint32), np.empty(n)
        atom_pairs = np.zeros(n_atoms + 1, dtype=np.int64)
        kept = _current_pairs(positions, self.i, self.j, self.offset, self.r_out, grid.r0, grid.inv_step,
                              grid.r.size - 2, j, r, D, inv_r, node, t, atom_pairs)
        if kept < 0:
            a, b = self.i[-kept - 1], self.j[-kept - 1]
            raise DataError(f"atoms {a} and {b} are at the same place (0 Å apart, periodic images included): no "
                            "potential has an energy there; move one of them")
        return GridPairs(atom_start=self.atom_start, atom_pairs=atom_pairs, j=j[:kept], r=r[:kept], D=D[:kept],
                         inv_r=inv_r[:kept], node=node[:kept], t=t[:kept], inv_step=float(grid.inv_step))


@njit(cache=True, nogil=True)
def _current_pairs(x, i, j, offset, r_out, r0, inv_step, last_node, j_out, r_out_, D_out, inv_r_out, node_out, t_out,
                   atom_pairs):
    """Recompute the listed pairs at positions x, keep those with r < r_out (in list order, so still grouped by their
    first atom), and count the pairs of each atom into atom_pairs[a + 1], then prefix-sum; returns how many kept, or
    -(p + 1) for the first listed pair p at distance 0."""
    cutoff2 = r_out * r_out
    kept = 0
    for p in range(i.size):
        a, b = i[p], j[p]
        dx = x[b, 0] - x[a, 0] + offset[p, 0]
        dy = x[b, 1] - x[a, 1] + offset[p, 1]
        dz = x[b, 2] - x[a, 2] + offset[p, 2]
        rr = dx * dx + dy * dy + dz * dz
        if rr >= cutoff2:
            continue
        if rr == 0.0:
            return -(p + 1)
        rp = np.sqrt(rr)
        j_out[kept] = b
        r_out_[kept] = rp
        D_out[kept, 0] = dx
        D_out[kept, 1] = dy
        D_out[kept, 2] = dz
        inv_r_out[kept] = 1.0 / rp
        # the same placement as RadialGrid.locate
        u = (rp - r0) * inv_step
        n0 = min(max(np.floor(u), 0.0), last_node)
        node_out[kept] = np.uint32(n0)
        t_out[kept] = u - n0
        atom_pairs[a + 1] += 1
        kept += 1
    for a in range(atom_pairs.size - 1):
        atom_pairs[a + 1] += atom_pairs[a]
    return kept
