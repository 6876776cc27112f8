"""The estimator API: fit, the equations_ table, from_run, sympy/latex, predict, export."""

import shutil

import numpy as np
import pytest
from helpers import ctrl_c_in_generation

import symff
from symff.api import SymFF, scores
from symff.errors import ConfigError, ModelError, SymffWarning
from symff.synthetic.generate import make_lj_dataset


@pytest.fixture(scope="module")
def structures():
    return make_lj_dataset(seed=6)


@pytest.fixture(scope="module")
def fitted(structures, tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "run"
    return SymFF(grammar="pair", population=20, generations=2, seed=3, out=str(out)).fit(structures[::2],
                                                                                           test=structures[1::2])


def test_options_are_checked_when_made():
    with pytest.raises(TypeError, match="populaton"):
        SymFF(populaton=10)
    with pytest.raises(ConfigError):
        SymFF(population=1)
    assert symff.SymFF is SymFF
    assert SymFF(population=10).set_params(seed=2).get_params() == {"population": 10, "seed": 2}


def test_equations_table(fitted):
    table = fitted.equations_
    assert list(table.columns) == ["complexity", "loss", "score", "train_energy_mae", "train_force_mae",
                                   "test_energy_mae", "test_force_mae", "equation"]
    assert len(table) == len(fitted.models_) and table["complexity"].is_monotonic_increasing
    assert table["test_energy_mae"].notna().all()
    assert 0 <= fitted.best_index() < len(table)


def test_from_run_gives_the_same_front(fitted):
    again = SymFF.from_run(fitted.run_dir_)
    assert again.equations_.equals(fitted.equations_)
    assert again.get_params()["population"] == 20
    assert str(again.sympy(-1)) == str(fitted.sympy(-1)) and "NS" in again.latex(-1)


def test_from_run_with_an_unreadable_config_says_so(fitted, tmp_path):
    # the front is all an estimator needs; its settings come from config.json, and without them it says so
    run = tmp_path / "run"
    shutil.copytree(fitted.run_dir_, run)
    (run / "config.json").write_text((run / "config.json").read_text()[:30])
    with pytest.warns(SymffWarning, match=r"config.json: corrupt or truncated JSON .*: the estimator has the default"):
        again = SymFF.from_run(run)
    assert again.equations_.equals(fitted.equations_) and "population" not in again.get_params()


def test_predict_matches_the_errors_in_the_run(fitted, structures):
    test = structures[1::2]
    energies, _ = fitted.predict(test, k=-1)
    reference = np.array([a.get_potential_energy() for a in test])
    n = np.array([len(a) for a in test])
    mae = 1000 * np.mean(np.abs(energies - reference) / n)
    assert mae == pytest.approx(fitted.equations_["test_energy_mae"].iloc[-1], rel=1e-6)
    energy, force = fitted.predict(test[0], k=-1)
    assert energy == pytest.approx(energies[0]) and force.shape == (len(test[0]), 3)


def test_export_and_member_errors(fitted, tmp_path):
    with pytest.raises(ConfigError, match="not fitted"):
        SymFF().sympy()
    # the most accurate member of a pair search is a pair form: LAMMPS's lepton style holds it exactly
    export = fitted.export_lammps(tmp_path / "lammps", k=-1)
    assert export.style == "lepton" and export.input.is_file() and export.readme.is_file()
    assert export.pair_style in export.input.read_text()
    n = len(fitted.models_)
    with pytest.raises(ModelError, match=rf"no front member {n}: the front has {n} \(0..{n - 1}\)"):
        fitted.model(n)


def test_fit_reads_file_paths_and_records_them(structures, tmp_path, monkeypatch):
    # the README's way: SymFF(...).fit("train.extxyz", test="test.extxyz"), and a list of paths; the run records
    # both as absolute paths (it is resumed or reported from anywhere), with their fingerprints
    from ase.io import write

    from symff.cli.common import changed_data, read_saved_data
    from symff.rundir import read_config

    train, test = tmp_path / "train.extxyz", tmp_path / "test.extxyz"
    write(train, structures[::2])
    write(test, structures[1::2])
    monkeypatch.chdir(tmp_path)
    fitted = SymFF(grammar="pair", population=8, generations=0, seed=3, out=str(tmp_path / "run")).fit(
        "train.extxyz", test=[test])
    data = read_config(tmp_path / "run")["data"]
    assert (data["train"], data["test"]) == ([str(train)], [str(test)])
    assert changed_data(data, *read_saved_data(data, 3), "run") is None
    write(test, structures[1::4])
    assert "the test data read from" in changed_data(data, *read_saved_data(data, 3), "run")
    assert (data["train_structures"], data["test_structures"]) == (len(structures[::2]), len(structures[1::2]))
    assert fitted.equations_["test_energy_mae"].notna().all()
    with pytest.raises(ConfigError, match="data must be a Dataset, ase.Atoms, a list of Atoms, or file paths"):
        SymFF(grammar="pair").fit([str(train), structures[0]])


def test_score_is_the_log_loss_bought_per_node():
    assert scores([1, 3, 4], [1.0, np.exp(-2.0), np.exp(-2.0)]) == pytest.approx([0.0, 1.0, 0.0])


def test_a_run_of_data_given_as_objects_is_reported_without_them_and_not_resumed(fitted, tmp_path, capsys):
    # `fitted` searched lists of Atoms: its config.json names no files to read again
    from symff.cli import main
    from symff.integrity import write_json_checked
    from symff.rundir import read_config

    run = fitted.run_dir_
    assert main(["search", "--resume", str(run)]) == 2
    assert capsys.readouterr().err.strip() == (f"symff search: error: {run}: cannot be resumed: its config.json names no "
                                               "data files (a rediscovery, or SymFF.fit given data as objects)")
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    assert main(["report", str(copy)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [(f"symff report: warning: {copy}: its config.json names no data files (SymFF.fit given data as "
                    "objects): the report has no plots of the data")]
    assert {p.stem for p in (copy / "report").glob("*.png")} == {"pareto", "convergence"}
    # a rediscovery's run names its case instead, and is not resumed either (`symff rediscover` runs it again)
    write_json_checked(copy / "config.json", read_config(copy) | {"data": {"rediscover": "lj", "seed": 1}})
    assert main(["search", "--resume", str(copy)]) == 2
    assert "cannot be resumed: its config.json names no data files" in capsys.readouterr().err


def test_a_fit_interrupted_by_ctrl_c_warns_that_it_holds_the_front_so_far(structures, tmp_path, monkeypatch):
    from ase.io import write

    ctrl_c_in_generation(monkeypatch, 2)
    train = tmp_path / "train.extxyz"
    write(train, structures[::4])
    held = "the search was interrupted after 1 generation: the estimator holds the front so far"
    runs = {"objects": tmp_path / "objects", "files": tmp_path / "files"}
    expected = {"objects": held + " (data given as objects: the run cannot be resumed)",
                "files": held + f"; continue with: symff search --resume {runs['files']}"}
    for kind, data in (("objects", structures[::4]), ("files", str(train))):
        with pytest.warns(SymffWarning) as caught:
            fitted = SymFF(grammar="pair", population=8, generations=5, seed=3, out=str(runs[kind])).fit(data)
        [message] = [str(w.message) for w in caught if issubclass(w.category, SymffWarning)]
        assert message == expected[kind] and len(fitted.equations_) > 0


def test_a_test_set_of_training_structures_is_warned_about(structures, tmp_path):
    with pytest.warns(SymffWarning, match=r"2 of the 2 test structures are training structures too \(the first: "
                                          r"atoms: frame 0 is atoms: frame 0\)"):
        SymFF(grammar="pair", population=8, generations=0, seed=3, out=str(tmp_path / "run")).fit(
            structures[:3], test=structures[:2])
