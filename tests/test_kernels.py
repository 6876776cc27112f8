"""The evaluation kernels against a slow, obvious numpy reference (per-pair Hermite interpolation written out, np.add.at
scatters), on both the tabulated and the exact path, serial and split over threads."""

import numpy as np
import pytest
from ase.build import bulk
from helpers import assert_forces_and_virials_of, labelled, pair_owners, random_cell

from symff.cutoff import smooth_cutoff
from symff.data import Dataset
from symff.evaluate import kernels
from symff.evaluate.evaluator import Evaluator
from symff.evaluate.grid import RadialGrid
from symff.evaluate.pairs import GridPairs
from symff.expr.program import dense_slopes
from symff.expr.symbols import Rejected
from symff.model import Model
from symff.neighbours import build_neighbours

R_IN, R_OUT = 3.0, 5.0


@pytest.fixture(scope="module")
def system():
    rng = np.random.default_rng(3)
    frames = [random_cell(rng, n) for n in (1, 3, 5, 8, 2, 6)]
    data = Dataset.from_atoms(frames, min_distance=None)
    return data, build_neighbours(data, R_OUT + 0.5)  # a longer list than needed: pairs beyond r_out are dropped


@pytest.fixture(scope="module")
def model():
    # two densities, a pair term and a term that mixes both densities
    return Model.from_expression("NS(2.0*r**-12 - r**-6) + 0.3*NS(exp(-r))**0.5*NS(r**-3)", ["Cu"], [0.0])


def naive_hermite(grid, g, g_slope, r):
    """(h, h') (K, n) at r from the node values of h = g f_c, one interval at a time."""
    h = g * grid.cutoff
    dh = g_slope * grid.cutoff + g * grid.cutoff_slope
    h[:, -1] = dh[:, -1] = 0.0
    u = (r - grid.r0) * grid.inv_step
    n0 = np.clip(np.floor(u).astype(int), 0, grid.r.size - 2)
    t, step = u - n0, 1.0 / grid.inv_step
    y0, y1, d0, d1 = h[:, n0], h[:, n0 + 1], dh[:, n0] * step, dh[:, n0 + 1] * step
    value = (2 * t**3 - 3 * t**2 + 1) * y0 + (t**3 - 2 * t**2 + t) * d0 + (3 * t**2 - 2 * t**3) * y1 + (t**3 - t**2) * d1
    slope = ((6 * t**2 - 6 * t) * (y0 - y1) + (3 * t**2 - 4 * t + 1) * d0 + (3 * t**2 - 2 * t) * d1) / step
    return value, slope


def naive_basis(data, neighbours, program, constants, h, dh):
    """Energies (M, S), forces (M, N, 3) and virials (M, S, 6) of each term from per-pair h, h' (K, n_pairs)."""
    inside = neighbours.r < R_OUT
    i, j, r, D = neighbours.i[inside], neighbours.j[inside], neighbours.r[inside], neighbours.D[inside]
    s = neighbours.structure[inside]
    rho = np.zeros((h.shape[0], data.n_atoms))
    for k in range(h.shape[0]):
        np.add.at(rho[k], i, h[k])
        np.add.at(rho[k], j, h[k])
    terms, slopes = program.terms(rho, constants)
    slopes = dense_slopes(program, slopes)
    energy = np.array([np.add.reduceat(tm, data.atom_start[:-1]) for tm in terms])
    forces = np.zeros((terms.shape[0], data.n_atoms, 3))
    virials = np.zeros((terms.shape[0], data.n_structures, 6))
    for m in range(terms.shape[0]):
        dE_dr = ((slopes[m][:, i] + slopes[m][:, j]) * dh).sum(axis=0)
        f = (dE_dr / r)[:, None] * D
        np.add.at(forces[m], i, f)
        np.add.at(forces[m], j, -f)
        for v, (a, b) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
            np.add.at(virials[m, :, v], s, f[:, a] * D[:, b])
    return energy, forces, virials


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("n_threads", [1, 3])
def test_basis_matches_naive_reference(system, model, exact, n_threads):
    data, neighbours = system
    kernels.set_threads(n_threads)
    try:
        evaluator = Evaluator(data, neighbours, r_in=R_IN, r_out=R_OUT, exact=exact)
        # split even this small set into one range per thread
        evaluator._ranges = {n_threads: evaluator.pairs.ranges(n_threads, min_pairs=1)}
        assert len(evaluator._ranges[n_threads]) == min(n_threads, data.n_structures)
        basis = evaluator.basis(model.program, model.constants)
    finally:
        kernels.set_threads(None)
    r = neighbours.r[neighbours.r < R_OUT]
    if exact:
        g, g_slope = model.program.densities(r, model.constants)
        f, f_slope = smooth_cutoff(r, R_IN, R_OUT)
        h, dh = g * f, g_slope * f + g * f_slope
    else:
        grid = evaluator.grid
        h, dh = naive_hermite(grid, *model.program.densities(grid.r, model.constants), r)
    energy, forces, virials = naive_basis(data, neighbours, model.program, model.constants, h, dh)
    scale = np.abs(forces).max()
    np.testing.assert_allclose(basis.energy, energy, rtol=1e-12, atol=1e-12 * np.abs(energy).max())
    np.testing.assert_allclose(basis.forces, forces, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(basis.stress, virials / data.volumes[None, :, None], rtol=0,
                               atol=1e-12 * np.abs(basis.stress).max())


@pytest.mark.parametrize("exact", [False, True])
def test_a_pair_function_that_overflows_at_r_out_is_refused(exact):
    # finite at every pair and on every grid node below r_out, infinite at r_out itself, where the cutoff zeroes it:
    # a fit in ln c walked to such a bump, (6.4e-38)**r r**441, which the numpy reference evaluates as infinite just
    # inside r_out and LAMMPS's lepton as NaN forces (docs/performance.md)
    data = Dataset.from_atoms([labelled(bulk("Cu", "fcc", a=3.6, cubic=True))])  # shells at 2.55, 3.6, 4.41, 5.09 Å
    neighbours = build_neighbours(data, R_OUT)
    evaluator = Evaluator(data, neighbours, r_in=R_IN, r_out=R_OUT, exact=exact)
    assert neighbours.r.max() < 4.5 and evaluator.grid.r[-2] < 4.9998
    edge = Model.from_expression("NS(6.359e-38**r*r**441.047)", ["Cu"], [0.0])
    assert not np.isfinite(edge.program.densities(np.array([R_OUT]), edge.constants)[0]).all()
    with pytest.raises(Rejected, match="not finite"):
        evaluator.basis(edge.program, edge.constants)
    inside = Model.from_expression("NS(6.359e-38**r*r**430)", ["Cu"], [0.0])  # the same bump, finite at r_out
    assert np.isfinite(evaluator.basis(inside.program, inside.constants).energy).all()
    # a pole at r_out (a constant snapped to 5): h = g f_c tends to 2.34 eV there, not 0, and the energy jumps as a
    # pair leaves; the grid's last node, zeroed by the cutoff, hid it
    pole = Model.from_expression("NS((5 - r)**-2)", ["Cu"], [0.0])
    with pytest.raises(Rejected, match="not finite"):
        evaluator.basis(pole.program, pole.constants)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("cutoff", [None, (3.0, 4.2)], ids=["radial-cutoff", "own-cutoff"])
def test_a_bond_function_with_a_pole_at_its_cutoff_is_refused(exact, cutoff):
    # as for pair functions above: f f_c tends to a finite non-zero value at the three-body sum's cutoff, where the
    # grid's last node, zeroed by f_c, hid it, and the energy jumps as a bond leaves
    data = Dataset.from_atoms([labelled(bulk("Cu", "fcc", a=3.6, cubic=True))])
    evaluator = Evaluator(data, build_neighbours(data, R_OUT), r_in=R_IN, r_out=R_OUT, exact=exact,
                          three_body_cutoff=cutoff)
    edge = R_OUT if cutoff is None else cutoff[1]
    pole = Model.from_expression(f"NS(r**-12) + NS3(({edge} - r)**-2, (c + 0.3)**2)", ["Cu"], [0.0])
    with pytest.raises(Rejected, match="not finite"):
        evaluator.basis(pole.program, pole.constants)
    beyond = Model.from_expression(f"NS(r**-12) + NS3(({edge + 0.5} - r)**-2, (c + 0.3)**2)", ["Cu"], [0.0])
    assert np.isfinite(evaluator.basis(beyond.program, beyond.constants).energy).all()


def test_grid_places_are_found_once(system):
    data, neighbours = system
    grid = RadialGrid.covering(neighbours.r.min(), R_IN, R_OUT)
    pairs = GridPairs.inside(neighbours, data.atom_start, R_OUT, grid)
    assert pairs.n_pairs == np.count_nonzero(neighbours.r < R_OUT)
    np.testing.assert_allclose(grid.r[pairs.node] + pairs.t / grid.inv_step, pairs.r, rtol=0, atol=1e-12)
    assert pairs.t.min() >= 0 and pairs.t.max() <= 1
    # atom-major: every pair lies in the range of its first atom
    first = np.repeat(np.arange(pairs.n_atoms), np.diff(pairs.atom_pairs))
    np.testing.assert_array_equal(first, neighbours.i[neighbours.r < R_OUT])


def test_set_threads_validates():
    with pytest.raises(ValueError):
        kernels.set_threads(0)
    kernels.set_threads(2)
    assert kernels.threads() == 2
    kernels.set_threads(None)
    assert kernels.threads() >= 1


@pytest.mark.parametrize("exact", [False, True])
def test_predict_in_one_pass_equals_the_combined_basis(system, model, exact):
    """predict folds the coefficients into one term before the force pass; the basis keeps the terms apart."""
    data, neighbours = system
    evaluator = Evaluator(data, neighbours, r_in=R_IN, r_out=R_OUT, exact=exact)
    linear = np.array([0.7, -1.3, 0.4])[: len(model.formula.terms)]
    prediction = evaluator.predict(model.program, model.constants, linear, np.zeros(data.n_elements))
    energy, forces, stress = evaluator.basis(model.program, model.constants).combine(linear)
    scale = np.abs(forces).max()
    np.testing.assert_allclose(prediction.energy, energy, rtol=1e-12, atol=1e-12 * np.abs(energy).max())
    np.testing.assert_allclose(prediction.forces, forces, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(prediction.stress, stress, rtol=0, atol=1e-12 * np.abs(stress).max())


def test_force_pass_branches_match_the_loop_over_densities(system):
    """Every branch of the force pass — a term of one density with the same weight at every atom (1, as a pair term
    has, or another), of one density with varying weights, of two, of three, of none — against the sum over the
    densities written out with np.add.at, on pairs of random slopes and weights."""
    data, neighbours = system
    grid = RadialGrid.covering(neighbours.r.min(), R_IN, R_OUT)
    pairs = GridPairs.inside(neighbours, data.atom_start, R_OUT, grid)
    rng = np.random.default_rng(7)
    pair_slopes = rng.normal(size=(pairs.n_pairs, 4))
    # term 5 depends on nothing; out of order, as rows of the weights may come
    dependencies = [(1, 2), (0, 0), (2, 1), (4, 3), (3, 0), (3, 3), (4, 1), (4, 2)]
    slopes = rng.normal(size=(6, 4, pairs.n_atoms))
    slopes[0, 0], slopes[1, 2] = 1.0, -0.7  # the same at every atom
    rows = np.array([slopes[m, k] for m, k in dependencies])
    forces, virials = kernels.forces_and_virials(pairs, pair_slopes, dependencies, rows, 6, [(0, data.n_structures)])
    first, _ = pair_owners(pairs, data.atom_start)
    for m in range(6):
        dE_dr = sum((slopes[m, k][first] + slopes[m, k][pairs.j]) * pair_slopes[:, k]
                    for n, k in dependencies if n == m) if m < 5 else np.zeros(pairs.n_pairs)
        assert_forces_and_virials_of(forces[m], virials[m], pairs, data.atom_start, dE_dr)
    assert np.abs(forces[:5]).max() > 0 and not forces[5].any()
