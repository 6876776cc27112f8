"""Exponent neighbours and the fitter's hill-climb over them: a form two exact steps from Sutton–Chen climbs to it."""

import pytest
import sympy as sp

from symff.data import Dataset
from symff.evaluate.evaluator import Evaluator
from symff.expr.program import PotentialProgram
from symff.expr.symbols import NS3, C
from symff.fit.constants import FitOptions, fit_constants, loss_at
from symff.fit.loss import Targets
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.rediscover import SC_A, SC_C, SC_EPSILON, sutton_chen_form
from symff.search.neighbourhood import (
    SHIFT,
    SHIFT_STARTS,
    angular_shift_neighbours,
    exponent_neighbours,
    form_neighbours,
)
from symff.search.scoring import Candidate, FormFitter, Stage
from symff.synthetic.generate import make_sutton_chen_dataset


def formula(text):
    return Model.from_expression(text, ("Cu",), {"Cu": 0.0}).formula


def test_neighbours_move_one_exponent_one_step():
    energy = formula("2.0*NS(r**-10) - NS(r**-6)**(1/3)").energy
    found = {str(e) for e in exponent_neighbours(energy)}
    assert "a0*NS(r**(-9)) + a1*NS(r**(-6))**(1/3)" in found
    assert "a0*NS(r**(-10)) + a1*sqrt(NS(r**(-6)))" in found
    assert len(found) == 6
    assert list(exponent_neighbours(formula("NS(2.0**r)").energy)) == []
    assert all(sp.Integer(0) not in {p.exp for p in sp.preorder_traversal(e) if p.is_Pow}
               for e in exponent_neighbours(formula("NS(r**-1)").energy))


def test_a_power_of_c_in_an_angular_function_has_shifted_neighbours():
    """c**n (n >= 2) in a three-body sum's g becomes (c + k)**n, k a new constant from either side of 0; c alone is
    not shifted."""
    energy = formula("NS(r**-6) + NS3(0.5**r, c**2) + NS3(r**-2, c**3 + c)").energy
    shifted = list(angular_shift_neighbours(energy))
    assert len(shifted) == 2
    # (the canonical form splits c**3 + c into two three-body sums)
    assert {g.args[1] for e in shifted for g in e.atoms(NS3) if g.has(SHIFT)} == {(C + SHIFT)**2, (C + SHIFT)**3}
    assert list(angular_shift_neighbours(formula("NS(r**-6) + NS3(0.5**r, c)").energy)) == []
    neighbours = list(form_neighbours(energy))
    assert [starts for _, starts in neighbours if starts] == [{SHIFT: k} for k in SHIFT_STARTS] * 2
    assert len(neighbours) == len(list(exponent_neighbours(energy))) + 4
    assert all(not e.has(SHIFT) or e.has(C + SHIFT) for e, _ in neighbours)


def _stillinger_weber_written_with(angular):
    """An evaluator and targets of (a small version of) the data of `symff rediscover stillinger-weber`, and the true
    form with its (c + 1/3)**2 written as `angular`, with its fit there from its written constants."""
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY
    from symff.synthetic.generate import make_stillinger_weber_dataset

    structures = make_stillinger_weber_dataset(0, temperatures=(600, 2500), snapshots_per_temperature=2, interval=5,
                                               equilibration=10, repeat=1)
    data = Dataset.from_atoms(structures)
    evaluator, targets = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0), Targets(data)
    text = STILLINGER_WEBER_ENERGY.replace(f"(c + {1 / 3!r})**2", angular)
    assert text != STILLINGER_WEBER_ENERGY
    start = formula(text)
    return evaluator, targets, start, fit_constants(PotentialProgram(start), evaluator, targets, start.initial)


def test_scorer_climbs_from_a_power_of_c_to_the_stillinger_weber_angular_function():
    """On the data of `symff rediscover stillinger-weber`, the true form with c**2 in place of (c + 1/3)**2 (its
    constants fitted) climbs to the true form in one step: the shifted neighbour."""
    from symff.rediscover import REDISCOVERIES
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY

    evaluator, targets, start, fit = _stillinger_weber_written_with("c**2")
    fitter = FormFitter(Stage(evaluator, targets, 50))
    climbed = fitter._climbed(Candidate(start, fit))
    assert fitter.stats.climbed >= 1 and climbed.loss < 1e-6 * fit.loss
    model = Model.from_expression(STILLINGER_WEBER_ENERGY, ("Si",), {"Si": 0.0})
    assert climbed.key == model.formula.key
    found = Model(climbed.formula, climbed.fit.constants, climbed.fit.linear, ("Si",), {"Si": 0.0})
    assert REDISCOVERIES["stillinger-weber"].check([found]).recovered

    # the fit to the end is held to the fitter's `accept` (the search's sanity test) like every other move: refused
    # there, the climb goes on from the shifted neighbour's short fit, and every form it reached was accepted
    def short_fits_only(formula, fit):
        return fit.evaluations <= FitOptions().climb_evaluations

    cautious = FormFitter(Stage(evaluator, targets, 50), accept=short_fits_only)
    climbed = cautious._climbed(Candidate(start, fit))
    assert cautious.stats.climbed >= 1 and climbed.fit.evaluations <= FitOptions().climb_evaluations
    assert all(short_fits_only(held.formula, held.fit) for held in cautious.cache.values())


def test_factors_of_an_angular_function_with_equal_roots_snap_to_a_square():
    """A search writes Stillinger–Weber's (c + 1/3)² as (c + 0.333333)(c + 0.333334) as readily as the square: the
    snap makes the two factors one square (with the sign a factor s(c + k) carries) and the rediscovery check then
    counts the form; factors with distinct roots are left alone."""
    from symff.rediscover import REDISCOVERIES
    from symff.search.scoring import equal_factor_squares
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY

    def squares(text):
        model = Model.from_expression(text, ("Si",), {"Si": 0.0})
        values = dict(zip(model.formula.constants, model.constants))
        return equal_factor_squares(model.formula.energy, values), values

    mapping, values = squares("NS3(0.09**r, (0.3 - c)*(c - 0.3)*c)")
    [(product, square)] = mapping.items()
    assert len(product.args) == 3 and any(p.is_Pow and p.exp == 2 for p in square.atoms(sp.Pow))
    for cos in (-0.9, 0.2, 0.7):  # the same function of c (here the roots are equal), sign included
        at = values | {C: cos}
        assert float(square.xreplace(at)) == pytest.approx(float(product.xreplace(at)), rel=1e-12)
    assert squares("NS3(0.09**r, (0.3 - c)*(c + 0.3)) + NS3(0.09**r, (c + 0.3)*(c + 0.31))")[0] == {}

    evaluator, targets, start, fit = _stillinger_weber_written_with("(c + 0.3333333)*(c + 0.3333334)")
    snapped = FormFitter(Stage(evaluator, targets, 50))._snapped(Candidate(start, fit))
    assert snapped.key == formula(STILLINGER_WEBER_ENERGY).key != start.key
    found = Model(snapped.formula, snapped.fit.constants, snapped.fit.linear, ("Si",), {"Si": 0.0})
    assert REDISCOVERIES["stillinger-weber"].check([found]).recovered


@pytest.fixture(scope="module")
def sutton_chen():
    data = Dataset.from_atoms(make_sutton_chen_dataset(2, snapshots_per_temperature=2, interval=10, equilibration=20))
    return Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0), Targets(data)


def test_scorer_climbs_to_sutton_chen_probed_or_not(sutton_chen):
    """Every neighbour fitted (climb_fits=0) or only the most promising (the default): both climb the same two steps,
    and as the neighbours have no nonlinear constants (each fit is exact in one pass) with the same passes."""
    evaluator, targets = sutton_chen
    start = formula("942.0*NS(r**-10) - 10.0*NS(r**-6)**(1/3)")
    passes = {}
    for climb_fits in (0, 1):
        fitter = FormFitter(Stage(evaluator, targets, 50, options=FitOptions(climb_fits=climb_fits)))
        fit = fit_constants(PotentialProgram(start), evaluator, targets, start.initial)
        climbed = fitter._climbed(Candidate(start, fit))
        assert climbed.key == formula(sutton_chen_form(SC_EPSILON, SC_A, SC_C)).key
        assert climbed.loss < 1e-10 and fitter.stats.climbed == 2
        passes[climb_fits] = fitter.stats.evaluations
    assert passes[1] == passes[0]


def test_probed_climb_fits_only_the_neighbour_with_the_lowest_re_solved_loss(sutton_chen):
    """With a free constant in the form, the one neighbour fitted is the lowest by its loss at the inherited
    constants; with climb_fits covering all four neighbours, each is fitted as without probing."""
    evaluator, targets = sutton_chen
    start = formula("942.0*NS(r**-10) - 10.0*NS(r**c0)**(1/3)")
    fit = fit_constants(PotentialProgram(start), evaluator, targets, start.initial)
    values = ({c: float(v) for c, v in zip(start.constants, fit.constants)}
              | {a: float(v) for a, v in zip(start.linear, fit.linear)})

    def neighbour_fits(climb_fits):
        fitter = FormFitter(Stage(evaluator, targets, 50, options=FitOptions(climb_fits=climb_fits)))
        return fitter._neighbour_fits(start, values), fitter.stats.evaluations

    (everyone, all_passes), (fitted, probed_passes) = neighbour_fits(0), neighbour_fits(1)
    assert len(everyone) == 4 and len(fitted) == 1 and probed_passes < all_passes
    probes = {n.key: loss_at(PotentialProgram(n), evaluator, targets, n.initial) for n, _ in everyone}
    assert fitted[0][0].key == min(probes, key=probes.get)
    assert [f.loss for _, f in neighbour_fits(4)[0]] == [f.loss for _, f in everyone]
