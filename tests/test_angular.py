"""The angular (three-body) sum: energies against a slow triple loop, forces and stress against finite differences."""

import numpy as np
import pytest
import sympy as sp
from ase.neighborlist import neighbor_list
from helpers import labelled, random_cell

from symff.cutoff import smooth_cutoff
from symff.data import Dataset
from symff.evaluate.angular import AngularEvaluator, AngularForm, AngularProgram
from symff.neighbours import build_neighbours
from symff.synthetic.angular_forms import FORMS

R_IN, R_OUT = 3.0, 5.0



def dataset(structures):
    return Dataset.from_atoms([labelled(a.copy()) for a in structures], min_distance=None)


def evaluate(structures, form, exact, r_min=1.5):
    data = dataset(structures)
    evaluator = AngularEvaluator(data, build_neighbours(data, R_OUT), r_in=R_IN, r_out=R_OUT, exact=exact,
                                 r_min=r_min)
    return evaluator.predict(form)


def triple_loop_energy(atoms, form):
    """E = Σ_i [Σ_j φ f_c / 2 + U(Σ_j ρ f_c + Σ_{j<k} f f_c f f_c g(cos θ_jik))], with ASE's full neighbour list."""
    r, c, n = sp.symbols("r c n")
    phi, rho, f = (sp.lambdify(r, getattr(form, k).subs(sp.Symbol("r", positive=True), r)) for k in ("phi", "rho", "f"))
    g = sp.lambdify(c, form.g.subs(sp.Symbol("c", real=True), c))
    U = sp.lambdify(n, form.embedding.subs(sp.Symbol("n", real=True), n))
    first, distances, vectors = neighbor_list("idD", atoms, R_OUT)
    energy = 0.0
    for i in range(len(atoms)):
        mine = first == i
        d, D = distances[mine], vectors[mine]
        cut = smooth_cutoff(d, R_IN, R_OUT)[0]
        density = np.sum(rho(d) * cut)
        bond = f(d) * cut
        for j in range(len(d)):
            for k in range(j + 1, len(d)):
                density += bond[j] * bond[k] * g(D[j] @ D[k] / (d[j] * d[k]))
        energy += np.sum(phi(d) * cut) / 2 + U(density)
    return energy


@pytest.fixture(scope="module")
def cells():
    rng = np.random.default_rng(15)
    # small triclinic cells: r_out = 5 Å exceeds half of them, so atoms see their own images and triplets cross images
    return [random_cell(rng, n, volume_per_atom=18.0, shortest=2.0, symbol="Si") for n in (1, 2, 5)]


@pytest.mark.parametrize("name", sorted(FORMS))
def test_energy_equals_the_triple_loop(cells, name):
    form = FORMS[name]
    expected = np.array([triple_loop_energy(a, form) for a in cells])
    exact = evaluate(cells, form, exact=True)
    table = evaluate(cells, form, exact=False)
    np.testing.assert_allclose(exact.energy, expected, rtol=1e-12)
    np.testing.assert_allclose(table.energy, expected, rtol=1e-9)
    np.testing.assert_allclose(table.forces, exact.forces, rtol=0, atol=1e-8 * np.abs(exact.forces).max())


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("name", sorted(FORMS))
def test_forces_are_minus_the_gradient(cells, name, exact):
    form = AngularProgram(FORMS[name])
    atoms = cells[2]
    forces = evaluate([atoms], form, exact).forces
    h = 1e-5
    numeric = np.zeros_like(forces)
    for a in range(len(atoms)):
        for x in range(3):
            energies = []
            for step in (h, -h):
                moved = atoms.copy()
                moved.positions[a, x] += step
                energies.append(evaluate([moved], form, exact).energy[0])
            numeric[a, x] = -(energies[0] - energies[1]) / (2 * h)
    assert np.abs(forces).max() > 0.1
    np.testing.assert_allclose(forces, numeric, rtol=0, atol=1e-6 * np.abs(forces).max())
    np.testing.assert_allclose(forces.sum(axis=0), 0.0, atol=1e-10 * np.abs(forces).max())


@pytest.mark.parametrize("exact", [True, False])
@pytest.mark.parametrize("name", sorted(FORMS))
def test_stress_is_the_strain_derivative(cells, name, exact):
    form = AngularProgram(FORMS[name])
    atoms = cells[2]
    stress = evaluate([atoms], form, exact).stress[0]
    volume = atoms.get_volume()
    h = 1e-6
    numeric = np.zeros(6)
    for v, (alpha, beta) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
        energies = []
        for step in (h, -h):
            strain = np.eye(3)
            strain[alpha, beta] += step / 2
            strain[beta, alpha] += step / 2
            moved = atoms.copy()
            moved.set_cell(atoms.cell.array @ strain, scale_atoms=True)
            energies.append(evaluate([moved], form, exact).energy[0])
        numeric[v] = (energies[0] - energies[1]) / (2 * h) / volume
    assert np.abs(stress).max() > 1e-3
    np.testing.assert_allclose(stress, numeric, rtol=0, atol=1e-6 * np.abs(stress).max())


def test_three_atoms_give_g_of_their_angles():
    """Three atoms: the energy follows g(cos θ) of the central atom's triplet, nothing else depends on θ."""
    from ase import Atoms

    form = AngularForm(phi="0", rho="0", f="1", g="c**3 - c", embedding="n")
    for theta in (60.0, 90.0, 135.0):
        t = np.radians(theta)
        atoms = Atoms("Si3", positions=[[0, 0, 0], [2.0, 0, 0], [2.0 * np.cos(t), 2.0 * np.sin(t), 0]],
                      cell=[30, 30, 30], pbc=True)
        c = np.cos(t)
        d = 2.0 * np.sqrt(2 - 2 * c)  # the j-k distance; the outer angles of an isosceles triangle
        outer = np.cos((np.pi - t) / 2)
        fc = smooth_cutoff(np.array([d]), R_IN, R_OUT)[0][0]
        expected = c**3 - c + 2 * fc * (outer**3 - outer)
        energy = evaluate([atoms], form, exact=True).energy[0]
        assert energy == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_threads_share_the_structures_without_changing_the_result():
    from symff.evaluate import kernels

    rng = np.random.default_rng(3)
    structures = [random_cell(rng, 6, volume_per_atom=18.0, shortest=2.0, symbol="Si") for _ in range(24)]
    data = Dataset.concatenate([dataset(structures)] * 24)  # 0.4 M triplets: enough for 3 threads' ranges
    evaluator = AngularEvaluator(data, build_neighbours(data, R_OUT), r_in=R_IN, r_out=R_OUT)
    try:
        kernels.set_threads(1)
        serial = evaluator.predict(FORMS["nonlinear"])
        kernels.set_threads(3)
        assert len(evaluator._structure_ranges()) == 3
        threaded = evaluator.predict(FORMS["nonlinear"])
    finally:
        kernels.set_threads(None)
    np.testing.assert_allclose(threaded.energy, serial.energy, rtol=1e-13)
    np.testing.assert_allclose(threaded.forces, serial.forces, rtol=0, atol=1e-12)
    np.testing.assert_allclose(threaded.stress, serial.stress, rtol=0, atol=1e-14)


def test_a_form_names_its_stray_symbols():
    with pytest.raises(ValueError, match="g may depend on c only"):
        AngularForm(phi="0", rho="0", f="1", g="c*r", embedding="n")
