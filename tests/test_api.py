"""The estimator API: fit, the equations_ table, from_run, sympy/latex, predict, export."""

import shutil

import numpy as np
import pytest

import symff
from symff.api import SymFF, scores
from symff.errors import ConfigError, SymffError, SymffWarning
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


def test_unfitted_and_export_errors_are_clear(fitted, tmp_path):
    with pytest.raises(ConfigError, match="not fitted"):
        SymFF().sympy()
    try:
        fitted.export_lammps(tmp_path / "lammps", k=0)
    except SymffError as error:  # without symff.export, or a form LAMMPS tables cannot hold
        assert str(error)


def test_score_is_the_log_loss_bought_per_node():
    assert scores([1, 3, 4], [1.0, np.exp(-2.0), np.exp(-2.0)]) == pytest.approx([0.0, 1.0, 0.0])
