"""The shipped potentials: each model file loads and carries its provenance and its train and test errors."""

from importlib.resources import files

import pytest

from symff.model import Model

SHIPPED = sorted(p.name for p in files("symff.potentials").iterdir() if p.name.endswith(".json"))


def test_potentials_are_shipped():
    expected = {"Cu-mlearn-1.json", "Cu-mlearn-3.json", "Cu-POET-1.json", "Ni-mlearn-1.json", "Mo-mlearn-1.json"}
    assert expected <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_model_file_has_provenance_and_errors(name):
    model = Model.load(files("symff.potentials") / name)
    provenance = model.metadata["provenance"]
    assert provenance["train"] and provenance["command"] and "symff_version" in model.metadata
    assert {"train", "test"} <= set(model.errors)
    assert model.errors["test"]["energy_mae_mev"] > 0 and model.errors["test"]["force_mae"] > 0
