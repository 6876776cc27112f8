"""LAMMPS `pair_style table` files (spline style) for pair-only forms.

The file holds one table, keyword `SYMFF`, on points uniform in r² ("N n RSQ r_lo r_out"): with
`pair_style table spline n` LAMMPS builds its internal table on the same r² points, so it reads our values exactly
and only its cubic spline in r² interpolates. Each line is `index r φ(r) -φ'(r)`; the FPRIME line gives the
derivative of the force at both ends. φ(r) = 2 g(r) f_c(r) for a pair term NS(g), counted once per pair (see `form`).
Below r_lo LAMMPS stops with "Pair distance < table inner cutoff": r_lo must lie below any distance MD reaches.
"""

import numpy as np

KEYWORD = "SYMFF"
DEFAULT_POINTS = 20000
DEFAULT_INNER = 1.0


def table_grid(r_lo, r_out, points):
    """The r values LAMMPS uses for "N points RSQ r_lo r_out"."""
    rsq = np.linspace(r_lo * r_lo, r_out * r_out, points)
    return np.sqrt(rsq)


def write_pair_table(form, path, *, r_lo=DEFAULT_INNER, points=DEFAULT_POINTS, comment=""):
    """Write the pair table of `form` (kind "pair") to `path`; returns the pair_style and pair_coeff lines."""
    r = table_grid(r_lo, form.r_out, points)
    phi, slope = form.pair(r)
    if not (np.isfinite(phi).all() and np.isfinite(slope).all()):
        bad = r[~(np.isfinite(phi) & np.isfinite(slope))]
        raise ValueError(f"the pair energy is not finite at r = {bad[0]:.6g} Å: raise the table's inner radius")
    # f = -φ'; its derivative at both ends, inside the table (φ'' jumps at r_out), for LAMMPS's spline of f
    force = -slope
    h = 1e-6
    inner = form.pair(np.array([r_lo, r_lo + h, form.r_out - h, form.r_out]))[1]
    fprime = -np.array([inner[1] - inner[0], inner[3] - inner[2]]) / h
    lines = [f"# {comment}" if comment else "# symff pair table", "", KEYWORD,
             f"N {points} RSQ {r_lo:.17g} {form.r_out:.17g} FPRIME {fprime[0]:.17e} {fprime[1]:.17e}", ""]
    lines += [f"{k + 1} {rk:.17e} {e:.17e} {f:.17e}" for k, (rk, e, f) in enumerate(zip(r, phi, force))]
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return f"pair_style table spline {points}", f"pair_coeff * * {path.name} {KEYWORD} {form.r_out:.17g}"
