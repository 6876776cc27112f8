"""The three-body sum NS3(f(r), g(c)) as an environment-sum kind: its model-file spelling and canonical form, and
the numpy reference's forces and stress as the derivatives of its energy (finite differences on random triclinic
cells, for random angular forms)."""

import re

import numpy as np
import pytest
from helpers import evaluate, random_cell

from symff.errors import ModelError
from symff.evaluate import reference
from symff.evaluate.sums import ANGULAR, ENVIRONMENT_SUMS
from symff.expr.symbols import NS3, C
from symff.model import Model

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
    assert ANGULAR.lammps_styles == ("meam/spline",)


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


def test_a_formula_of_three_body_sums_alone_evaluates():
    model = Model.from_expression("0.3*NS3(exp(-r), (c + 0.3)**2)", ("Si",), {"Si": 0.0})
    atoms = random_cell(np.random.default_rng(2), 4, symbol="Si")
    got = evaluate([atoms], model.program, model.constants, model.linear)
    assert np.allclose(got.forces, reference.calculate(model, atoms)["forces"], rtol=0, atol=1e-10)
