"""`symff fit --properties`: constants fitted to data and material properties together (symff.fit.properties)."""

import json

import numpy as np
import pytest
import yaml

from symff.cli import main
from symff.data import Dataset
from symff.errors import TargetsError
from symff.evaluate.evaluator import Evaluator
from symff.fit.loss import Targets
from symff.fit.properties import FAILED, _LocalObjective, fit_form_with_properties, property_loss
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.synthetic.calculators import LennardJonesCutoff
from symff.synthetic.generate import make_lj_dataset
from symff.targets import parse_targets
from symff.validate.calculator import _ModelCalculator
from symff.validate.properties import elastic_constants, lattice_constant, vacancy_energy

FORM = "NS(A*r**-n - B*r**-6)"


@pytest.fixture(scope="module")
def lj_data():
    return Dataset.from_atoms(make_lj_dataset(seed=3))


@pytest.fixture(scope="module")
def lj_truth():
    """C11 and the relaxed vacancy energy of the Lennard-Jones potential that labels the data (ASE path)."""
    calculator = LennardJonesCutoff()
    a0, e_fcc = lattice_constant(calculator, "Cu")
    return {"C11": elastic_constants(calculator, "Cu", a0)[0], "E_vac": vacancy_energy(calculator, "Cu", a0, e_fcc)}


def _targets(values, tolerances):
    return parse_targets({"format": "symff-targets/1", "elements": {"Cu": {
        name: {"value": values[name], "tolerance": tolerances[name]} for name in values}}}, "test-targets")


def test_properties_pull_the_fit_away_from_the_data(lj_data, lj_truth):
    # C11 10 % above what the data imply, with a 5 % tolerance: the data-only fit (exact: the data are LJ) misses it,
    # the property fit must meet it (checked by the independent ASE path of `symff validate`) at the cost of a higher
    # data loss
    stiff = 1.10 * lj_truth["C11"]
    targets = _targets({"C11": stiff, "E_vac": lj_truth["E_vac"]}, {"C11": "5%", "E_vac": "5%"})
    fitted = fit_form_with_properties(FORM, lj_data, targets, seed=0, trials=2, time_budget=300, r_in=3.0,
                                      r_out=5.0, start_values={"A": 1e5, "n": 12.0, "B": 100.0},
                                      progress=lambda _: None)
    data_only = fitted.model.metadata["properties"]["data_only"]
    assert fitted.chosen.met
    calculator = _ModelCalculator(fitted.model)
    a0, e_fcc = lattice_constant(calculator, "Cu")
    c11 = elastic_constants(calculator, "Cu", a0)[0]
    assert c11 == pytest.approx(fitted.chosen.properties["C11"], rel=1e-5)
    assert c11 == pytest.approx(stiff, rel=0.05) and c11 > 1.05 * lj_truth["C11"]
    assert vacancy_energy(calculator, "Cu", a0, e_fcc) == pytest.approx(fitted.chosen.properties["E_vac"], rel=1e-6)
    assert fitted.chosen.data_loss > data_only["loss"]
    # the model file carries the front, the table and the tier counts
    meta = fitted.model.metadata["properties"]
    assert meta["counts"]["trials"] == 2 and meta["counts"]["static"] == 2
    assert {row["property"] for row in meta["table"]} == {"C11", "E_vac"}
    assert all(row["met"] for row in meta["table"])
    assert meta["front"] and all(m["data_loss"] >= data_only["loss"] for m in meta["front"])


def test_a_failed_property_evaluation_rejects_that_candidate_only(lj_data):
    # 1/NS(exp) of a lone atom is infinite: E_coh is not finite for every candidate of this form
    model = Model.from_expression("NS(1e5*r**-12 - 100*r**-6) + 0.1/NS(0.3**r)", ["Cu"], {"Cu": 0.0})
    targets = _targets({"E_coh": 3.5, "C11": 170.0}, {"E_coh": 0.1, "C11": 10})
    neighbours = build_neighbours(lj_data, 5.0)
    evaluator = Evaluator(lj_data, neighbours, r_in=3.0, r_out=5.0)
    objective = _LocalObjective(evaluator, Targets(lj_data), targets, "Cu", model, 3.6, {})
    x = np.concatenate([model.constants, model.linear])
    residual = objective(x)
    assert np.isfinite(residual).all()
    # E_coh (weight 1 of 2) failed and scores FAILED; C11 is still computed for this candidate
    assert residual[-2] == pytest.approx(np.sqrt(0.5) * FAILED)
    assert abs(residual[-1]) < np.sqrt(0.5) * FAILED / 10
    assert property_loss(targets, "Cu", {"E_coh": float("inf"), "C11": 170.0})[1] == FAILED
    # a candidate whose potential is not finite at all gives a large finite residual, no exception
    broken = x.copy()
    broken[0] = -5.0  # base of a c**r: negative
    assert np.isfinite(objective(broken)).all()


def test_cli_refuses_targets_for_an_element_not_in_the_data(tmp_path, capsys):
    from ase.build import bulk
    from ase.calculators.singlepoint import SinglePointCalculator
    from ase.io import write

    atoms = bulk("Cu", "fcc", a=3.6, cubic=True)
    atoms.calc = SinglePointCalculator(atoms, energy=-1.0, forces=np.zeros((4, 3)))
    data = tmp_path / "cu.extxyz"
    write(data, [atoms])
    targets = tmp_path / "ni.yaml"
    targets.write_text(yaml.safe_dump({"format": "symff-targets/1",
                                       "elements": {"Ni": {"C11": {"value": 250, "tolerance": "5%"}}}}))
    assert main(["fit", FORM, str(data), "--properties", str(targets), "--out", str(tmp_path / "m.json")]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{targets}: elements.Ni: no Ni in {data}" in err[0]
    targets.write_text("format: symff-targets/1\nelements:\n  Cu:\n    C99: {value: 1, tolerance: 1}\n")
    assert main(["fit", FORM, str(data), "--properties", str(targets), "--out", str(tmp_path / "m.json")]) != 0
    assert "elements.Cu.C99: unknown property" in capsys.readouterr().err
    with pytest.raises(TargetsError):
        parse_targets(json.loads('{"format": "symff-targets/1", "elements": {"Cu": {"a0": 3.6}}}'))
    # the budget options act only with --properties: without it they would be ignored
    for option in (["--time-budget", "60"], ["--trials", "3"]):
        assert main(["fit", FORM, str(data), *option, "--out", str(tmp_path / "m.json")]) == 2
        assert f"{option[0]} is for a fit with --properties" in capsys.readouterr().err


def test_cli_fit_with_properties_writes_the_chosen_trade_off(lj_data, lj_truth, tmp_path, capsys):
    # the mode's whole path through the command line: the front printed, the chosen trial written with its property
    # table, and the file a model that reproduces the printed properties
    from ase.io import write

    data = tmp_path / "lj.extxyz"
    write(data, [lj_data.to_atoms(s) for s in range(lj_data.n_structures)])
    targets = tmp_path / "targets.yaml"
    stiff = 1.10 * lj_truth["C11"]
    targets.write_text(yaml.safe_dump({"format": "symff-targets/1", "elements": {"Cu": {
        "C11": {"value": float(stiff), "tolerance": "5%"},
        "E_vac": {"value": float(lj_truth["E_vac"]), "tolerance": "5%"}}}}))
    out = tmp_path / "m.json"
    argv = ["fit", FORM, str(data), "--properties", str(targets), "--trials", "2", "--seed", "0", "--cutoff", "5.0",
            "--cutoff-inner", "3.0", "--start", "A=1e5", "--start", "n=12", "--start", "B=100", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "trade-off front (2 trials;" in printed and printed.count("<- written") == 1
    assert f"written to {out}" in printed and "sanity: passed" in printed
    model = Model.load(out)
    meta = model.metadata
    assert "command" in meta and meta["data"] == {"train": [str(data)], "test": []}
    table = {row["property"]: row for row in meta["properties"]["table"]}
    assert set(table) == {"C11", "E_vac"} and all(row["met"] for row in table.values())
    for name, row in table.items():  # each printed row is the file's
        assert f"Cu {name:11s} {row['value']:10.4g} {row['target']:10.4g}" in printed
    # the written model has the C11 its table says, computed again from the file by the ASE path
    calculator = _ModelCalculator(model)
    c11 = elastic_constants(calculator, "Cu", lattice_constant(calculator, "Cu")[0])[0]
    assert c11 == pytest.approx(table["C11"]["value"], rel=1e-5) and c11 > 1.05 * lj_truth["C11"]
    # a second run onto the same file is refused before any fit, and --force overwrites it
    assert main(argv) == 2 and "exists" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
