"""The rediscovery checks: a front member counts as the known potential only with the true form and constants."""

import pytest

from symff.model import Model
from symff.rediscover import REDISCOVERIES, SC_A, SC_C, SC_EPSILON, sutton_chen_form, sutton_chen_recovery


def model(text):
    return Model.from_expression(text, ("Cu",), {"Cu": 0.0})


def test_true_sutton_chen_is_recovered_from_a_front():
    front = [model("NS(3.0*r**-12)"), model(sutton_chen_form(SC_EPSILON * 1.002, SC_A, SC_C * 0.999))]
    recovery = sutton_chen_recovery(front, SC_EPSILON, SC_A, SC_C)
    assert recovery.recovered and recovery.index == 1
    assert recovery.relative_error["epsilon"] == pytest.approx(0.002, rel=1e-6)
    assert "front member 1" in recovery.summary()


@pytest.mark.parametrize("text", [
    sutton_chen_form(SC_EPSILON * 1.02, SC_A, SC_C),  # ε 2 % off
    sutton_chen_form(SC_EPSILON, SC_A, SC_C, n=10),  # another exponent
    f"NS({0.5 * SC_EPSILON * SC_A**9}*r**-9) + {-SC_EPSILON * SC_C * SC_A**3}*NS(r**-6)**0.51",  # fitted exponent
])
def test_wrong_forms_or_constants_are_not_recovered(text):
    assert not sutton_chen_recovery([model(text)], SC_EPSILON, SC_A, SC_C).recovered


def test_sutton_chen_case_searches_the_eam_grammar():
    case = REDISCOVERIES["sutton-chen"]
    assert case.search_settings["grammar"] == "eam"
    assert case.check([model(sutton_chen_form(SC_EPSILON, SC_A, SC_C))]).recovered
