"""The pairs of a data set as the evaluation kernels read them, prepared once per data set and reused by every
candidate.

`GridPairs` holds the pairs of a half neighbour list inside r_out, atom-major (the pairs of atom a are
atom_pairs[a]:atom_pairs[a + 1]), with what each pair needs and nothing else: the other atom j (uint32), the vector D
and 1/r, and its place on the radial grid, node (uint32) and t in [0, 1]. The distances never change between
candidates, so this work is done once: a candidate's evaluation is then a gather from its table and a dot product per
pair.
"""

from dataclasses import dataclass

import numpy as np

from .grid import RadialGrid
from .kernels import MIN_PAIRS_PER_THREAD, structure_ranges


@dataclass(frozen=True, eq=False)
class GridPairs:
    atom_start: np.ndarray  # (n_structures + 1,) int64: atoms of structure s
    atom_pairs: np.ndarray  # (n_atoms + 1,) int64: pairs of atom a (as the first atom of the pair)
    j: np.ndarray  # (n_pairs,) uint32: the other atom (unsigned: numba then skips its negative-index check, -8 %)
    r: np.ndarray  # (n_pairs,) distance
    D: np.ndarray  # (n_pairs, 3) vector from atom a to (the image of) atom j
    inv_r: np.ndarray  # (n_pairs,) 1 / r
    node: np.ndarray  # (n_pairs,) uint32 grid interval of r
    t: np.ndarray  # (n_pairs,) position of r in its interval, in [0, 1]
    inv_step: float  # 1 / grid step

    @classmethod
    def inside(cls, neighbours, atom_start, r_out, grid: RadialGrid):
        """The pairs of `neighbours` closer than r_out (a list built for a longer cutoff is fine)."""
        keep = np.flatnonzero(neighbours.r < r_out)
        i = neighbours.i[keep]
        if np.any(np.diff(i) < 0):  # the kernels want the pairs grouped by their first atom
            keep = keep[np.argsort(i, kind="stable")]
            i = neighbours.i[keep]
        atom_start = np.ascontiguousarray(atom_start, dtype=np.int64)
        n_atoms = int(atom_start[-1])
        if n_atoms >= 2**32:
            raise ValueError("more than 2**32 atoms: the uint32 atom indices would overflow")
        r = np.ascontiguousarray(neighbours.r[keep])
        node, t = grid.locate(r)
        return cls(
            atom_start=atom_start,
            atom_pairs=np.searchsorted(i, np.arange(n_atoms + 1)).astype(np.int64),
            j=neighbours.j[keep].astype(np.uint32),
            r=r,
            D=np.ascontiguousarray(neighbours.D[keep]),
            inv_r=1.0 / r,
            node=node,
            t=t,
            inv_step=float(grid.inv_step),
        )

    def within(self, r_out, grid: RadialGrid):
        """These pairs closer than r_out, placed on `grid` (the pairs of a shorter cutoff, e.g. of three-body sums)."""
        keep = self.r < r_out
        kept_before = np.concatenate([[0], np.cumsum(keep)])  # pairs kept among the first p, for every p
        r = np.ascontiguousarray(self.r[keep])
        node, t = grid.locate(r)
        return GridPairs(atom_start=self.atom_start, atom_pairs=kept_before[self.atom_pairs].astype(np.int64),
                         j=np.ascontiguousarray(self.j[keep]), r=r, D=np.ascontiguousarray(self.D[keep]),
                         inv_r=np.ascontiguousarray(self.inv_r[keep]), node=node, t=t, inv_step=float(grid.inv_step))

    @property
    def n_pairs(self):
        return self.r.size

    @property
    def n_atoms(self):
        return self.atom_pairs.size - 1

    @property
    def n_structures(self):
        return self.atom_start.size - 1

    @property
    def nbytes(self):
        return sum(a.nbytes for a in (self.atom_start, self.atom_pairs, self.j, self.r, self.D, self.inv_r, self.node,
                                      self.t))

    def ranges(self, n_threads=None, min_pairs=MIN_PAIRS_PER_THREAD):
        """Ranges of whole structures with about equal numbers of pairs, one per thread (see kernels.set_threads)."""
        return structure_ranges(self.atom_pairs[self.atom_start], n_threads, min_pairs)
