"""The numpy reference evaluator: per-atom energies, forces and stress of a model, slowly and obviously.

Vocabulary. A *directed pair* (i, j, D) is an atom i and a neighbour j (an atom, or a periodic image of one) at the
vector D = x_j - x_i with r = |D| < r_out; a full neighbour list holds (i, j) and (j, i). The radial sums of atom i
are rho_ik = Σ_j h_k(r_ij) with h_k = g_k f_c (the cutoff applied by `symff.cutoff.multiplicative_cutoff`), and its
energy is E_i = Σ_m a_m T_m(rho_i). With the *weights* w_ik = ∂E_i/∂rho_ik, a directed pair carries
dE_i/dr = Σ_k w_ik h_k'(r): it pushes atom i by +dE_i/dr D/r and atom j by -dE_i/dr D/r, and adds dE_i/dr D_α D_β / r
to the strain derivative of the energy (ASE's stress is that over the volume, Voigt order xx yy zz yz xz xy).

Three-body sums. A *triplet* (i; p, q) is two directed pairs p = (i, j) and q = (i, k), p < q, of one centre i; the
three-body sums of i are s_il = Σ_triplets F_l(r_ij) F_l(r_ik) h_l(cos θ_jik) with F_l = f_l f_c (f_c the three-body
sums' own cutoff where the model has one, `bond_functions`), and follow the
radial sums in rho (rho_{K+l} = s_l). Generally a directed pair carries the gradient G = ∂E/∂D of the energy on its
vector; it pushes atom i by +G and atom j by -G and adds G_α D_β to the strain derivative. For a radial sum
G = dE_i/dr D/r; a triplet adds w_il ∂(F_p F_q h)/∂D_p = w_il (F'_p F_q h u_p + F_p F_q h' (u_q - c u_p)/r_p) to pair p
(and the same with p and q swapped to pair q), u = D/r.

With several elements (an `AlloyModel`) a sum may be filtered by the neighbour's element, NS(g, B): its *channel
mask* says, per density k and directed pair (i, j), whether j counts (is of element B); rho_ik sums the masked h_k,
dE_i/dr = Σ_k w_ik mask_kj h_k'(r), and E_i is the energy of the element of atom i.

Nothing here is fast: `directed_pairs` tries every periodic image in a box of cells around the cell, sums are
`np.bincount`s over a full list, and every pair function is evaluated at every pair. That is the point: this module
is the oracle the other paths are tested against (the numba kernels of symff.evaluate, the ASE calculators, the
export form and the search's sanity checks; tests/test_reference.py). The paths that need E_i from distances and
nothing else use it directly: `symff.sanity.ClusterEnergy`, `symff.export.readable.numpy_function`,
`symff.report.functions.densities_at_atoms` and the energy-only answer of the validate calculator.

    rho, h_slope = radial_sums(model, centre, r, n_atoms)   # a directed pair list
    s, gradient = angular_sums(model, centre, D, n_atoms)   # the three-body sums; gradient(weights) -> ∂E/∂D
    energies, weights = atom_energies_from_sums(model, rho)
    energies, rates = atom_energies(model, distances, dr_ds)  # (n_atoms, n_neighbours) distances, inf-padded
    energies, rates = atom_energies_with_angles(model, distances, cosines, dr_ds)  # three-body sums too
    energies = lattice_energies(model, spacings, shell_distances, counts,
                                shell_angle_sums(model, distinct_cosines(cosines), shell_of))
    energies = compound_energies(model, spacings, sites)      # a lattice of several elements, site by site
    results = calculate(model, atoms)                         # energy, energies, forces, stress of an ASE Atoms
    energies = cluster_energies(model, symbols, positions)    # finite clusters of any elements, (S, n, 3) Å
    energies, virial = cluster_energies(model, symbols, positions, with_virial=True)  # and dE/dλ of a scaling
    energies = cluster_energies(model, symbols, positions, atom_weights=w)  # Σ_i w_i E_i: the atoms of w_i ≠ 0 only
"""

import itertools
import math

import numpy as np

from ..cutoff import multiplicative_cutoff, three_body_radii
from ..errors import ModelError
from ..expr.program import dense_slopes


def pair_functions(model):
    """r -> (h, h') of shape (K, len(r)): the model's pair functions g_k times the cutoff."""
    cut = multiplicative_cutoff(model.program.densities, model.r_in, model.r_out)
    return lambda r: cut(np.asarray(r, dtype=float), model.constants)


def bond_functions(model):
    """r -> (F, F') of shape (L, len(r)): the model's bond functions f_l times the three-body sums' cutoff."""
    cut = multiplicative_cutoff(model.program.bond_functions,
                                *three_body_radii(model.r_in, model.r_out, model.three_body_cutoff))
    return lambda r: cut(np.asarray(r, dtype=float), model.constants)


def radial_sums(model, centre, r, n_atoms, mask=None):
    """rho (K, n_atoms) = Σ over the directed pairs (centre, ·) at distances r of h_k(r), and h_k'(r) (K, n_pairs).
    Pairs at r_out or beyond add nothing; with a channel `mask` (K, n_pairs) only the pairs it marks add."""
    centre, r = np.asarray(centre), np.asarray(r, dtype=float)
    n_k = model.program.n_densities
    h = np.zeros((n_k, r.size))
    h_slope = np.zeros((n_k, r.size))
    inside = r < model.r_out
    if inside.any() and n_k:
        h[:, inside], h_slope[:, inside] = pair_functions(model)(r[inside])
    counted = h if mask is None else np.where(mask, h, 0.0)
    rho = np.array([np.bincount(centre, weights=counted[k], minlength=n_atoms) for k in range(n_k)])
    return rho.reshape(n_k, n_atoms), h_slope


def triplets(centre, n_atoms):
    """(centre atom, p, q) of every pair p < q of directed pairs that share their centre atom, atom by atom."""
    centre = np.asarray(centre, dtype=int)
    order = np.argsort(centre, kind="stable")  # each atom's pairs in their order
    counts = np.bincount(centre, minlength=n_atoms)
    starts = np.cumsum(counts) - counts
    found = [(np.zeros(0, int),) * 3]
    for count in np.unique(counts[counts >= 2]):  # the atoms with as many pairs as each other at once
        atoms = np.flatnonzero(counts == count)
        p, q = np.triu_indices(count, 1)
        first = starts[atoms][:, None]
        found.append((np.repeat(atoms, p.size), order[(first + p).ravel()], order[(first + q).ravel()]))
    a, p, q = (np.concatenate(column) for column in zip(*found))
    by_atom = np.argsort(a, kind="stable")
    return a[by_atom], p[by_atom], q[by_atom]


def angular_sums(model, centre, D, n_atoms):
    """The three-body sums s (L, n_atoms) over the directed pairs (centre, ·) with vectors D, and a function that turns
    their weights w_il = ∂E_i/∂s_il (L, n_atoms) into the gradient ∂E/∂D of every directed pair (n_pairs, 3)."""
    program, constants = model.program, model.constants
    n_l = program.n_angular
    centre, D = np.asarray(centre), np.asarray(D, dtype=float).reshape(-1, 3)
    r = np.linalg.norm(D, axis=1)
    u = D / r[:, None]
    if n_l == 0:
        return np.zeros((0, n_atoms)), lambda weights: np.zeros_like(D)
    a, p, q = triplets(centre, n_atoms)
    # the triplets whose two bonds lie inside the sums' cutoff, as in the evaluator: an atom with no other triplet
    # takes no three-body force, whatever the slope of its empty sum (√s's is infinite at 0)
    inside = r < three_body_radii(model.r_in, model.r_out, model.three_body_cutoff)[1]
    a, p, q = (column[inside[p] & inside[q]] for column in (a, p, q))
    bond, bond_slope = bond_functions(model)(r)
    cosine = np.einsum("ta,ta->t", u[p], u[q])
    angle, angle_slope = program.angle_functions(cosine, constants)
    s = np.array([np.bincount(a, weights=bond[l, p] * bond[l, q] * angle[l], minlength=n_atoms) for l in range(n_l)])

    def gradient(weights):
        out = np.zeros_like(D)
        for l in range(n_l):
            w = weights[l, a]
            for one, other in ((p, q), (q, p)):
                along = (w * bond_slope[l, one] * bond[l, other] * angle[l])[:, None] * u[one]
                bend = (w * bond[l, one] * bond[l, other] * angle_slope[l] / r[one])[:, None]
                push = along + bend * (u[other] - cosine[:, None] * u[one])
                for x in range(3):  # np.add.at, several times faster
                    out[:, x] += np.bincount(one, weights=push[:, x], minlength=len(D))
        return out

    return s.reshape(n_l, n_atoms), gradient


def channel_mask(model, neighbour_symbols):
    """(K, n_pairs): whether density k counts a neighbour of element `neighbour_symbols[p]` (always, for a model
    without channels)."""
    channels = getattr(model.program, "channels", (None,) * model.program.n_densities)
    symbols = np.asarray(neighbour_symbols)
    return np.array([np.ones(symbols.size, bool) if c is None else symbols == c for c in channels],
                    dtype=bool).reshape(len(channels), symbols.size)


def atom_energies_from_sums(model, rho, symbols=None):
    """E_i = Σ_m a_m T_m(rho_i) (n_atoms,) and the weights w_ik = ∂E_i/∂rho_ik (K, n_atoms); a model with one energy
    per element needs the atoms' chemical `symbols`."""
    if model.program.sum_kind == "radial":
        terms, slopes = model.program.terms(rho, model.constants)
    else:
        missing = sorted(set(symbols) - set(model.program.elements))
        if missing:
            raise ModelError(f"the model covers {', '.join(model.elements)}, not {', '.join(missing)}")
        element = np.array([model.program.elements.index(s) for s in symbols], dtype=np.int64)
        terms, slopes = model.program.terms(rho, model.constants, element)
    linear = np.asarray(model.linear, dtype=float)
    return linear @ terms, np.einsum("m,mka->ka", linear, dense_slopes(model.program, slopes))


def atom_energies(model, distances, distance_rates=None):
    """E_i for atoms given by the distances to their neighbours, (n_atoms, n_neighbours) Å padded with inf; with
    `distance_rates` (the same shape: dr_ij/ds along some path s) also dE_i/ds = Σ_j dE_i/dr_ij dr_ij/ds."""
    if model.formula.angular:
        raise ValueError("a model with three-body sums (NS3) needs the angles between the neighbours too "
                         "(atom_energies_with_angles)")
    r = np.asarray(distances, dtype=float)
    n_atoms = r.shape[0]
    centre = np.repeat(np.arange(n_atoms), r.shape[1])
    with np.errstate(all="ignore"):
        rho, h_slope = radial_sums(model, centre, r.ravel(), n_atoms)
        energies, weights = atom_energies_from_sums(model, rho)
        if distance_rates is None:
            return energies, None
        rates = np.where(np.isfinite(distance_rates), distance_rates, 0.0).ravel()
        pair_rates = np.einsum("kp,kp->p", weights[:, centre], h_slope) * rates
    return energies, np.bincount(centre, weights=pair_rates, minlength=n_atoms)


def atom_energies_with_angles(model, distances, cosines, distance_rates=None):
    """`atom_energies` for atoms given by the distances to their neighbours, (n_atoms, n_neighbours) padded with inf,
    and the cosines of the angles between them, (m, n_neighbours, n_neighbours) with n_atoms a multiple of m: atom a
    has the cosines of a mod m (m = 1: one set for all atoms, the atom of a lattice at several spacings; m = the atoms
    of a cluster, scaled to several sizes: its angles repeat). What three-body sums need.
    With `distance_rates` also dE_i/ds along a path s that keeps the angles (a uniform scaling)."""
    r = np.asarray(distances, dtype=float)
    n_atoms, n = r.shape
    cosines = np.clip(np.nan_to_num(np.asarray(cosines, dtype=float)), -1.0, 1.0)
    if n_atoms % cosines.shape[0]:
        raise ValueError(f"{n_atoms} atoms cannot take their cosines cyclically from {cosines.shape[0]} sets")
    n_l, n_sets = len(model.formula.angular), cosines.shape[0]
    centre = np.repeat(np.arange(n_atoms), n)
    rates = None if distance_rates is None else np.where(np.isfinite(distance_rates), distance_rates, 0.0)
    with np.errstate(all="ignore"):
        rho, h_slope = radial_sums(model, centre, r.ravel(), n_atoms)
        bond, bond_slope = bond_functions(model)(r.ravel())
        bond, bond_slope = bond.reshape(n_l, n_atoms, n), bond_slope.reshape(n_l, n_atoms, n)
        angle = model.program.angle_functions(cosines.ravel(), model.constants)[0].reshape(n_l, n_sets, n, n)
        angle = angle * (1.0 - np.eye(n))  # a neighbour makes no triplet with itself
        # Σ_{j<k} F_j F_k h_jk = ½ Fᵀ H F, H for atom a the set a mod m; along s its rate is (H F)·F' dr/ds.
        sets = bond.reshape(n_l, n_atoms // n_sets, n_sets, n)
        bond_angle = np.einsum("lmpq,lamq->lamp", angle, sets).reshape(bond.shape)
        s = 0.5 * np.einsum("lap,lap->la", bond, bond_angle)
        energies, weights = atom_energies_from_sums(model, np.concatenate([rho, s]))
        if rates is None:
            return energies, None
        n_k = rho.shape[0]
        pair_rates = np.einsum("kp,kp->p", weights[:n_k, centre], h_slope) * rates.ravel()
        three_body_rates = np.einsum("la,lap,lap,ap->a", weights[n_k:], bond_slope, bond_angle, rates)
    return energies, np.bincount(centre, weights=pair_rates, minlength=n_atoms) + three_body_rates


def lattice_energies(model, spacings, distances, counts, angle_sums=None):
    """E_i of the atom of a one-element lattice scaled to each of `spacings` (A,): its neighbours in shells at
    `distances` (S,) times the spacing, `counts` (S,) of them in each, and for a model with three-body sums
    `angle_sums` (L, S, S) of `shell_angle_sums`. The same sums as `atom_energies_with_angles`, by shells: a lattice
    scanned at hundreds of spacings (symff.sanity) needs the angle functions once, not once per spacing."""
    r = np.outer(spacings, distances)
    n_k, n_l = model.program.n_densities, len(model.formula.angular)
    inside = r.ravel() < model.r_out
    with np.errstate(all="ignore"):
        h = np.zeros((n_k, r.size))
        if n_k and inside.any():
            h[:, inside] = pair_functions(model)(r.ravel()[inside])[0]
        sums = [(h.reshape(n_k, *r.shape) * counts).sum(axis=-1)]
        if n_l:
            bond = bond_functions(model)(r.ravel())[0].reshape(n_l, *r.shape)
            sums.append(0.5 * np.einsum("las,lst,lat->la", bond, angle_sums, bond))  # ½ Fᵀ H F by shells
        return atom_energies_from_sums(model, np.concatenate(sums))[0]


def compound_energies(model, spacings, sites):
    """Energy per atom of a lattice of several elements (without the reference energies) scaled to each of
    `spacings` (A,): `sites`, one per distinct site of its cell, [(how many such sites the cell holds, the site's
    element, the distances (S,) of its neighbour shells at unit spacing, each shell's element (S,), the counts (S,),
    and for a model with three-body sums the angle sums (L, S, S) of `shell_angle_sums`, else None)]; each radial sum
    filtered by the neighbours' elements. The sums of `lattice_energies`, site by site."""
    n_k, n_l = model.program.n_densities, model.program.n_angular
    total = np.zeros(len(spacings))
    for weight, symbol, distances, neighbours, counts, angle_sums in sites:
        r = np.outer(spacings, distances)
        inside = r < model.r_out
        h = np.zeros((n_k, *r.shape))
        with np.errstate(all="ignore"):
            if n_k and inside.any():
                h[:, inside] = pair_functions(model)(r[inside])[0]
            sums = [(h * (np.asarray(counts) * channel_mask(model, neighbours))[:, None, :]).sum(axis=-1)]
            if n_l:
                bond = bond_functions(model)(r.ravel())[0].reshape(n_l, *r.shape)
                sums.append(0.5 * np.einsum("las,lst,lat->la", bond, angle_sums, bond))
            total += weight * atom_energies_from_sums(model, np.concatenate(sums), [symbol] * len(spacings))[0]
    return total / sum(site[0] for site in sites)


def distinct_cosines(cosines):
    """(the distinct values, to 1e-12, of the cosines (n, n) between n neighbours; each pair's index into them): a
    lattice's neighbours make few distinct angles, so `shell_angle_sums` evaluates the angle functions once for each."""
    values, index = np.unique(np.round(np.clip(np.asarray(cosines, dtype=float), -1.0, 1.0), 12), return_inverse=True)
    return values, index.reshape(np.shape(cosines))


def shell_angle_sums(model, cosines, shell_of):
    """(L, S, S): for each three-body sum l and shells s, t, the sum of h_l(cos θ_jk) over the pairs of different
    neighbours j in s and k in t; `cosines` between the n neighbours as `distinct_cosines` gives them, `shell_of` (n,)
    their shells 0..S-1."""
    values, index = cosines
    n = len(shell_of)
    with np.errstate(all="ignore"):
        angle = model.program.angle_functions(values, model.constants)[0][:, index.ravel()].reshape(-1, n, n)
    member = np.eye(int(np.max(shell_of)) + 1)[shell_of]  # (n, S): which shell each neighbour is in
    return member.T @ (angle * (1.0 - np.eye(n))) @ member


def cluster_energies(model, symbols, positions, with_virial=False, atom_weights=None):
    """Total energies (S,) of S finite clusters of the atoms `symbols` (n,) at `positions` (S, n, 3) Å, without the
    reference energies: one element or several (each atom's sums filtered by its neighbours' elements). With
    `with_virial` also W (S,) = Σ_pairs ∂E/∂D·D, the rate of the energy as the cluster is scaled about any point
    (positions × (1 + λ), at λ = 0): dE/ds = W/s for a cluster scaled to size s. With `atom_weights` (n,) the
    weighted sums Σ_i w_i E_i and Σ_i w_i W_i instead (W_i: the pairs centred on atom i), from the atoms of nonzero
    weight alone: an atom's energy and its share of W come from the pairs centred on it, so a symmetric cluster's
    can come from one atom of each class of equivalent atoms weighted by the class's size."""
    positions = np.asarray(positions, dtype=float)
    n_clusters, n = positions.shape[:2]
    counted = np.ones(n, bool) if atom_weights is None else np.asarray(atom_weights) != 0
    first, second = np.nonzero(~np.eye(n, dtype=bool) & counted[:, None])  # every ordered pair of distinct atoms
    # of a cluster, centred on an atom that counts
    offset = (np.arange(n_clusters) * n)[:, None]
    centre, neighbour = (first + offset).ravel(), (second + offset).ravel()
    D = (positions[:, second] - positions[:, first]).reshape(-1, 3)
    atom_symbols = np.tile(np.asarray(symbols), n_clusters)
    with np.errstate(all="ignore"):
        energies, gradient = _energies_and_gradient(model, centre, D, atom_symbols, atom_symbols[neighbour])
        # the atoms that do not count have no pairs: their energies (a lone atom's, perhaps infinite) are left out
        energies = energies.reshape(n_clusters, n)
        pair_virials = np.einsum("pa,pa->p", gradient(), D).reshape(n_clusters, -1) if with_virial else None
        if atom_weights is None:
            energies = energies.sum(axis=1)
            virial = None if pair_virials is None else pair_virials.sum(axis=1)
        else:
            weights = np.asarray(atom_weights, dtype=float)
            energies = energies[:, counted] @ weights[counted]
            virial = None if pair_virials is None else pair_virials @ weights[first]
    return (energies, virial) if with_virial else energies


def _energies_and_gradient(model, centre, D, atom_symbols, neighbour_symbols):
    """E_i of every atom (without the reference energies) from its directed pairs (centre, ·) with vectors D, each
    sum filtered by the neighbours' elements, and a function giving ∂E/∂D of every directed pair: the force on its
    centre atom, the opposite on its neighbour. Call it inside np.errstate(all="ignore")."""
    r = np.linalg.norm(D, axis=1)
    mask = channel_mask(model, neighbour_symbols)
    n_atoms = len(atom_symbols)
    rho, h_slope = radial_sums(model, centre, r, n_atoms, mask)
    s, angular_gradient = angular_sums(model, centre, D, n_atoms)
    energies, weights = atom_energies_from_sums(model, np.concatenate([rho, s]), list(atom_symbols))
    n_k = rho.shape[0]

    def gradient():
        # a density no pair adds to takes no force, whatever its term's slope at 0 (√ρ's is infinite; as in
        # symff.evaluate.evaluator): the pairs outside the channel or at r_out and beyond (a cluster's far pairs; the
        # evaluator's neighbour lists hold none) are left out, not multiplied by 0
        dE_dr = np.where(mask & (r < model.r_out), weights[:n_k, centre] * h_slope, 0.0).sum(axis=0)
        return (dE_dr / r)[:, None] * D + angular_gradient(weights[n_k:])

    return energies, gradient


def directed_pairs(atoms, r_out):
    """(i, j, D) of every directed pair of `atoms` (ASE) closer than r_out, periodic images included, found by trying
    every image in a box of cells large enough to hold the cutoff sphere."""
    positions = atoms.get_positions()
    cell = atoms.cell.array
    reach = [0, 0, 0]
    if any(atoms.pbc):
        volume = abs(np.linalg.det(cell))
        for k in range(3):
            if atoms.pbc[k]:
                spacing = volume / np.linalg.norm(np.cross(cell[(k + 1) % 3], cell[(k + 2) % 3]))
                reach[k] = math.ceil(r_out / spacing)
    i_all, j_all, d_all = [], [], []
    n = len(atoms)
    first, second = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    difference = positions[None, :, :] - positions[:, None, :]  # first: an atom's own images are exact lattice vectors
    for shift in itertools.product(*(range(-m, m + 1) for m in reach)):
        D = difference + np.asarray(shift, dtype=float) @ cell
        r = np.linalg.norm(D, axis=-1)
        keep = (r < r_out) & (r > 0)
        i_all.append(first[keep])
        j_all.append(second[keep])
        d_all.append(D[keep])
    return np.concatenate(i_all), np.concatenate(j_all), np.concatenate(d_all).reshape(-1, 3)


def calculate(model, atoms):
    """{"energy", "energies", "forces", "stress"} of `model` on `atoms` (ASE), reference energies included; the stress
    (ASE sign and Voigt order) of a cell that is not periodic in all three directions is zero."""
    n = len(atoms)
    i, j, D = directed_pairs(atoms, model.r_out)
    symbols = np.array(atoms.get_chemical_symbols())
    with np.errstate(all="ignore"):
        energies, gradient = _energies_and_gradient(model, i, D, symbols, symbols[j])
        push = gradient()  # ∂E/∂D: the force on i; -push on j
        forces = np.stack([np.bincount(i, push[:, a], n) - np.bincount(j, push[:, a], n) for a in range(3)], axis=1)
        strain_derivative = push[:, :, None] * D[:, None, :]
    voigt = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    stress = np.zeros(6)
    if all(atoms.pbc):
        total = strain_derivative.sum(axis=0)
        stress = np.array([total[a, b] for a, b in voigt]) / atoms.get_volume()
    symbols = symbols.tolist()
    reference = model.reference_for(sorted(set(symbols)))
    by_element = dict(zip(sorted(set(symbols)), reference))
    energies = energies + np.array([by_element[s] for s in symbols])
    return {"energy": float(energies.sum()), "energies": energies, "forces": forces, "stress": stress}
