"""Model files: a round trip keeps the predictions, the file follows DESIGN.md, and bad files are refused."""

import json

import numpy as np
import pytest
import sympy as sp
from helpers import evaluate, random_cell

from symff.errors import ModelError
from symff.model import FORMAT, Model

SUTTON_CHEN = "NS(1.2e4*r**-9) - 0.35*NS(250.0*r**-6)**(1/2) + NS(-0.01*0.45**r)"


@pytest.fixture
def model():
    m = Model.from_expression(SUTTON_CHEN, ("Cu",), {"Cu": -3.5}, r_in=2.8, r_out=4.9)
    m.errors = {"train": {"energy_mae_mev": 1.5, "force_mae": 0.02}}
    return m


def test_round_trip_keeps_every_prediction(tmp_path, model):
    path = model.save(tmp_path / "models" / "0.json")
    again = Model.load(path)
    assert again.formula.key == model.formula.key
    assert (again.r_in, again.r_out, again.elements, again.reference_energy) == (2.8, 4.9, ("Cu",), {"Cu": -3.5})
    structures = [random_cell(np.random.default_rng(s), 4) for s in range(3)]
    a = evaluate(structures, model.program, model.constants, model.linear, r_in=2.8, r_out=4.9)
    b = evaluate(structures, again.program, again.constants, again.linear, r_in=2.8, r_out=4.9)
    np.testing.assert_array_equal(a.energy, b.energy)
    np.testing.assert_array_equal(a.forces, b.forces)


def test_file_follows_the_contract(tmp_path, model):
    data = json.loads(model.save(tmp_path / "m.json").read_text())
    assert data["format"] == FORMAT and data["elements"] == ["Cu"]
    assert data["cutoff"] == {"inner": 2.8, "outer": 4.9}
    assert data["reference_energy"] == {"Cu": -3.5}
    assert data["complexity"] == model.complexity and data["errors"]["train"]["force_mae"] == 0.02
    energy = sp.sympify(data["energy"], locals={"NS": sp.Function("NS"), "r": sp.Symbol("r")})
    assert energy.free_symbols == {sp.Symbol("r")}  # numbers inlined
    assert {f.func.__name__ for f in energy.atoms(sp.Function)} == {"NS"}


def test_nan_errors_are_written_as_null(tmp_path, model):
    model.errors = {"train": {"energy_mae_mev": float("nan")}}
    data = json.loads(model.save(tmp_path / "m.json").read_text())
    assert data["errors"]["train"]["energy_mae_mev"] is None


def write(tmp_path, data):
    path = tmp_path / "bad.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


GOOD = {"format": FORMAT, "elements": ["Cu"], "cutoff": {"inner": 3.0, "outer": 5.0}, "energy": "NS(r**-6)",
        "reference_energy": {"Cu": 0.0}}
BAD_FILES = {
    "not JSON": ("{energy", "corrupt or truncated JSON"),
    # a data file given where a model goes (symff show DATA) is no corrupt model file to restore
    "a data file": ("2\nLattice=\"5 0 0 0 5 0 0 0 5\" energy=-1.0\nCu 0 0 0\nCu 2 0 0\n",
                    r"not a symff model file \(a model file is a JSON object\)$"),
    "wrong format": (GOOD | {"format": "other/1"}, "not a symff model file"),
    "no energy": ({k: v for k, v in GOOD.items() if k != "energy"}, "has no \"energy\""),
    "bad cutoff": (GOOD | {"cutoff": {"inner": 5.0, "outer": 3.0}}, "0 < inner < outer"),
    "three-body cutoff beyond the cutoff": (GOOD | {"cutoff": {"inner": 3.0, "outer": 5.0,
                                                               "three_body": {"inner": 3.0, "outer": 5.5}}},
                                            r"three-body cutoff needs 0 < inner < outer <= the cutoff 5.0"),
    "three-body cutoff not numbers": (GOOD | {"cutoff": {"inner": 3.0, "outer": 5.0, "three_body": [3, 4]}},
                                      "\"three_body\" must hold numbers"),
    "elements not a list": (GOOD | {"elements": "Cu"}, "\"elements\" must be a list of element symbols"),
    "no reference energy of an element": (GOOD | {"reference_energy": {"Ni": 0.0}},
                                          r"a finite number of eV for each element \(Cu\); Cu: None"),
    "reference energy not a number": (GOOD | {"reference_energy": {"Cu": "abc"}}, "Cu: 'abc'"),
    "bad formula": (GOOD | {"energy": "NS(r"}, "cannot parse"),
    "r outside NS": (GOOD | {"energy": "r**2"}, "outside a neighbour sum"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_model_files_are_refused_with_the_file_name(tmp_path, case):
    data, message = BAD_FILES[case]
    path = write(tmp_path, data)
    with pytest.raises(ModelError, match=message) as error:
        Model.load(path)
    assert str(error.value).startswith(str(path))


def test_missing_model_file(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        Model.load(tmp_path / "absent.json")


def test_an_element_the_model_does_not_cover_is_refused(model):
    with pytest.raises(ModelError, match="covers Cu, not Ni"):
        model.reference_for(("Cu", "Ni"))
