"""Exponent neighbours and the fitter's hill-climb over them: a form two exact steps from Sutton–Chen climbs to it."""

import sympy as sp

from symff.data import Dataset
from symff.evaluate.evaluator import Evaluator
from symff.expr.program import PotentialProgram
from symff.fit.constants import fit_constants
from symff.fit.loss import Targets
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.rediscover import SC_A, SC_C, SC_EPSILON, sutton_chen_form
from symff.search.neighbourhood import exponent_neighbours
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


def test_scorer_climbs_to_sutton_chen():
    data = Dataset.from_atoms(make_sutton_chen_dataset(2, snapshots_per_temperature=2, interval=10, equilibration=20))
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)
    fitter = FormFitter(Stage(evaluator, Targets(data), 50))
    start = formula("942.0*NS(r**-10) - 10.0*NS(r**-6)**(1/3)")
    fit = fit_constants(PotentialProgram(start), evaluator, fitter.targets, start.initial)
    climbed = fitter._climbed(Candidate(start, fit))
    assert climbed.key == formula(sutton_chen_form(SC_EPSILON, SC_A, SC_C)).key
    assert climbed.loss < 1e-10 and fitter.stats.climbed == 2
