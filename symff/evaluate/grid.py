"""The radial grid on which pair functions are tabulated.

Each pair function is a function of r alone, so it is evaluated with its derivative once on a fine uniform grid and
interpolated per pair by cubic Hermite splines (exact to O(step⁴); forces are the exact derivative of the interpolated
energy). r_in and r_out are grid nodes, so that the kinks of the cutoff's second derivative fall between intervals
and never inside one. The grid starts just below the shortest pair of the data.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..cutoff import cutoff_product, smooth_cutoff

DEFAULT_POINTS = 4096


@dataclass(frozen=True, eq=False)
class RadialGrid:
    r: np.ndarray  # grid nodes
    cutoff: np.ndarray  # f_c at the nodes
    cutoff_slope: np.ndarray  # f_c' at the nodes
    r0: float
    inv_step: float

    @classmethod
    def covering(cls, r_min, r_in, r_out, points=DEFAULT_POINTS):
        """A grid from below r_min to r_out with about `points` nodes, r_in and r_out on nodes."""
        r_low = max(0.25, 0.98 * r_min - 0.02)
        r_low = min(r_low, r_in)
        step = (r_out - r_low) / (points - 1)
        n_inner = max(1, math.ceil((r_out - r_in) / step))
        step = (r_out - r_in) / n_inner
        n_below = math.ceil((r_in - r_low) / step)
        r = r_in + step * np.arange(-n_below, n_inner + 1)
        r[-1] = r_out  # exactly: f_c and f_c' vanish on the last node
        value, slope = smooth_cutoff(r, r_in, r_out)
        return cls(r=r, cutoff=value, cutoff_slope=slope, r0=float(r[0]), inv_step=1.0 / step)

    @property
    def step(self):
        return 1.0 / self.inv_step

    def tabulate(self, g, g_slope, cutoff=None):
        """Cubic Hermite coefficients (n_nodes - 1, K, 4) of h = g f_c on each interval, from g and g' (K, n_nodes)
        on the nodes: on interval n, h(t) = c0 + c1 t + c2 t² + c3 t³ for t = (r - r_n) / step in [0, 1], the cubic
        that matches h and h' at both ends. Interval-major, so that the K functions of one interval are contiguous.
        `cutoff`: (f_c, f_c') on the nodes (each (n_nodes,) or (K, n_nodes)) in place of the grid's own."""
        f_c, f_c_slope = (self.cutoff, self.cutoff_slope) if cutoff is None else cutoff
        h, dh = cutoff_product(g, g_slope, f_c, f_c_slope)  # zero at r_out, whatever g does there
        dh = dh * self.step
        y0, y1, d0, d1 = h[:, :-1], h[:, 1:], dh[:, :-1], dh[:, 1:]
        table = np.empty((self.r.size - 1, g.shape[0], 4))
        with np.errstate(all="ignore"):
            table[:, :, 0] = y0.T
            table[:, :, 1] = d0.T
            table[:, :, 2] = (3.0 * (y1 - y0) - 2.0 * d0 - d1).T
            table[:, :, 3] = (2.0 * (y0 - y1) + d0 + d1).T
        return table

    def locate(self, r):
        """(node, t): the interval of each distance (uint32) and its position in [0, 1] inside it."""
        u = (np.asarray(r, dtype=float) - self.r0) * self.inv_step
        node = np.clip(np.floor(u), 0, self.r.size - 2)
        return node.astype(np.uint32), u - node
