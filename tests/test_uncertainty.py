"""Bootstrap ensembles: seeded refits, their spread, its calibration, the model file and the calculator."""

import json

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import write

from symff.cli import main
from symff.data import Dataset
from symff.errors import ModelError
from symff.evaluate.predict import predict
from symff.export.calculator import SymFFCalculator
from symff.fit.given_form import fit_form
from symff.model import Model
from symff.uncertainty import Z90, Ensemble, assess, bootstrap_ensemble, bootstrap_resamples, calibrate, committee

FORM = "A*NS(r**-n) - B*sqrt(NS(r**-6))"


def emt_structures(n, seed):
    """Rattled, strained fcc Cu cells labelled by ASE's EMT."""
    rng = np.random.default_rng(seed)
    structures = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=3.61 * rng.uniform(0.97, 1.04), cubic=True).repeat(2)
        atoms.rattle(rng.uniform(0.02, 0.15), seed=int(rng.integers(1 << 30)))
        atoms.calc = EMT()
        energy, forces, stress = atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces, stress=stress)
        structures.append(atoms)
    return structures


@pytest.fixture(scope="module")
def fitted():
    train = Dataset.from_atoms(emt_structures(16, 0))
    test = Dataset.from_atoms(emt_structures(6, 1))
    model = fit_form(FORM, train, starts=2, start_values={"A": 1000.0, "B": 30.0, "n": 9.0}).model
    return model, train, test


def test_members_are_seeded_refits_that_differ(fitted):
    model, train, _ = fitted
    first = bootstrap_ensemble(model, train, 3, seed=1)
    again = bootstrap_ensemble(model, train, 3, seed=1)
    other = bootstrap_ensemble(model, train, 3, seed=2)
    for a, b in zip(first.members, again.members):
        np.testing.assert_array_equal(a.constants, b.constants)
        np.testing.assert_array_equal(a.linear, b.linear)
    assert not np.allclose(first.members[0].linear, other.members[0].linear, rtol=1e-9, atol=0)
    assert not np.allclose(first.members[0].linear, first.members[1].linear, rtol=1e-9, atol=0)
    energy = predict(model, train).energy / train.atoms_per_structure
    rmse = np.sqrt(np.mean((energy - train.energy / train.atoms_per_structure) ** 2))
    for member in first.members:  # each is a fit of the same form: it predicts the training data about as well
        assert member.formula.key == model.formula.key
        member_energy = predict(member, train).energy / train.atoms_per_structure
        assert np.sqrt(np.mean((member_energy - energy) ** 2)) < rmse


def test_members_of_two_structures_never_all_draw_the_same_resample(fitted):
    # 2 structures have 3 resamples; with seed 6 all 4 members drew both structures once (the learn loop's committee
    # of its 2 start cells then had no spread, and calibrating it stopped the loop)
    model, train, _ = fitted
    two = train.subset([0, 1])
    drawn = [tuple(c) for c in bootstrap_resamples(2, 4, np.random.default_rng(6))]
    assert len(set(drawn)) > 1 and drawn[:3] == [(1, 1)] * 3  # only the last is drawn again
    ensemble = calibrate(model, bootstrap_ensemble(model, two, 4, seed=6), two)
    energies = [predict(m, train).energy for m in ensemble.members]
    assert np.ptp(energies, axis=0).max() > 0
    rng = np.random.default_rng(0)  # where no resample can differ (one structure, one member) none is drawn again
    assert [list(c) for c in bootstrap_resamples(1, 4, rng)] == [[1]] * 4 and len(bootstrap_resamples(3, 1, rng)) == 1
    for seed in range(50):  # resamples that differ already are kept as drawn
        fresh = np.random.default_rng(seed)
        independent = [np.bincount(fresh.integers(0, 5, 5), minlength=5) for _ in range(4)]
        np.testing.assert_array_equal(bootstrap_resamples(5, 4, np.random.default_rng(seed)), independent)


def test_spread_is_the_standard_deviation_over_the_members(fitted):
    model, train, test = fitted
    ensemble = bootstrap_ensemble(model, train, 4, seed=3)
    result = assess(model, ensemble, test, raw=True, exact=True)
    predictions = [predict(m, test) for m in ensemble.members]
    per_atom = np.array([p.energy for p in predictions]) / test.atoms_per_structure
    np.testing.assert_allclose(result.energy_spread, per_atom.std(axis=0, ddof=1), rtol=1e-9, atol=1e-15)
    forces = np.array([p.forces for p in predictions])
    np.testing.assert_allclose(result.force_spread, forces.std(axis=0, ddof=1), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(result.energy_error * test.atoms_per_structure,
                               predict(model, test).energy - test.energy, atol=1e-9)


def test_local_energy_spread_is_the_members_disagreement_on_how_energy_is_shared_among_atoms(fitted):
    model, train, _ = fitted
    ensemble = bootstrap_ensemble(model, train, 4, seed=6)
    perfect = bulk("Cu", "fcc", a=3.62, cubic=True).repeat(3)  # every atom alike: nothing to share unevenly
    vacancy = perfect.copy()
    del vacancy[13]
    rattled = perfect.copy()
    rattled.rattle(0.1, seed=7)
    frames = [perfect, vacancy, rattled]
    for atoms in frames:
        atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((len(atoms), 3)))
    data = Dataset.from_atoms(frames)
    result = assess(model, ensemble, data, raw=True, exact=True)
    assert result.energy_spread[0] > 0 and result.local_energy_spread[0] < 1e-12
    assert result.local_energy_spread[1] > 0 and result.local_energy_spread[2] > 0
    for s, atoms in enumerate(frames):  # the definition, structure by structure with the calculator's atom energies
        shares = []
        for member in ensemble.members:
            one = atoms.copy()
            one.calc = SymFFCalculator(member, ensemble=False)
            energies = one.get_potential_energies()
            shares.append(energies - energies.mean())
        expected = np.sqrt(np.mean(np.var(shares, axis=0, ddof=1)))
        assert result.local_energy_spread[s] == pytest.approx(expected, rel=1e-7, abs=1e-12)


def test_a_committee_pools_the_bootstrap_members_of_each_form(fitted):
    model, train, test = fitted
    other = fit_form("A*NS(exp(-a*r)) - B*sqrt(NS(exp(-b*r)))", train, starts=2,
                     start_values={"A": 500.0, "a": 3.0, "B": 10.0, "b": 1.0}).model
    pooled = committee([model, other], train, 2, seed=8)
    assert [m.formula.key for m in pooled.members] == [model.formula.key] * 2 + [other.formula.key] * 2
    alone = bootstrap_ensemble(other, train, 2, seed=9)  # the second form's resamples come from seed + 1
    np.testing.assert_array_equal(pooled.members[2].linear, alone.members[0].linear)
    assert assess(model, pooled, test, raw=True).energy_spread.min() > 0
    shifted = Model(other.formula, other.constants, other.linear, other.elements, other.reference_energy,
                    other.r_in, 4.5)
    with pytest.raises(ModelError, match=r"one element set and cutoff: form 2 of 2 \(Cu; cutoff 3–4.5 Å\) differs "
                                         r"from the first \(Cu; cutoff 3–5 Å\)"):
        committee([model, shifted], train, 2)
    with pytest.raises(ModelError, match="the model holds no ensemble members; make them with"):
        Ensemble.for_calculator(model, 3)


def test_calibration_makes_the_90_percent_interval_hold_90_percent_where_fitted(fitted):
    model, train, _ = fitted
    ensemble = calibrate(model, bootstrap_ensemble(model, train, 4, seed=4), train)
    assert ensemble.calibration["force"] > 1 and ensemble.calibration["energy"] > 0
    energy, force = assess(model, ensemble, train).coverage()
    assert force == pytest.approx(0.9, abs=0.01)  # 1,536 force components: the quantile is sharp
    assert energy == pytest.approx(0.9, abs=1 / 16 + 1e-9)
    raw = assess(model, ensemble, train, raw=True)
    assert raw.coverage(Z90 * ensemble.calibration["force"])[1] == pytest.approx(force)


def test_model_file_keeps_the_ensemble_and_old_files_read(fitted, tmp_path):
    model, train, _ = fitted
    ensemble = calibrate(model, bootstrap_ensemble(model, train, 3, seed=5), train)
    path = ensemble.attach(model).save(tmp_path / "with.json")
    loaded = Model.load(path)
    stored = Ensemble.of(loaded)
    assert len(stored) == 3 and stored.calibration == pytest.approx(ensemble.calibration)
    assert stored.info["method"] == "bootstrap" and stored.info["seed"] == 5
    for a, b in zip(stored.members, ensemble.members):
        assert a.formula.key == b.formula.key
        np.testing.assert_allclose(predict(a, train).energy, predict(b, train).energy, rtol=1e-12)
    model.metadata.pop("ensemble", None)  # an earlier test may have attached one
    assert Ensemble.of(Model.load(model.save(tmp_path / "without.json"))) is None
    broken = json.loads(path.read_text())
    broken["ensemble"]["members"] = broken["ensemble"]["members"][:1]
    with pytest.raises(ModelError, match="at least 2"):
        Ensemble.of(Model.from_dict(broken, "broken.json"), "broken.json")


def test_calculator_puts_the_spread_in_results(fitted, tmp_path):
    model, train, test = fitted
    ensemble = calibrate(model, bootstrap_ensemble(model, train, 3, seed=6), train)
    path = ensemble.attach(model).save(tmp_path / "model.json")
    atoms = test.to_atoms(0)
    atoms.calc = SymFFCalculator(path)
    atoms.get_potential_energy()
    expected = assess(Model.load(path), Ensemble.of(Model.load(path)), test.subset([0]))
    assert atoms.calc.results["energy_per_atom_std"] == pytest.approx(expected.energy_spread[0], rel=1e-6)
    assert atoms.calc.results["energy_std"] == pytest.approx(expected.energy_spread[0] * len(atoms), rel=1e-6)
    # the calculator's grid starts a skin lower: interpolation differs in the last digits
    np.testing.assert_allclose(atoms.calc.results["forces_std"], expected.force_spread, rtol=1e-6)
    assert "forces_std" not in _results(atoms, SymFFCalculator(path, ensemble=False))
    two = _results(atoms, SymFFCalculator(path, ensemble=2))
    assert two["energy_std"] != atoms.calc.results["energy_std"]
    with pytest.raises(ModelError, match="holds 3 ensemble members"):
        SymFFCalculator(path, ensemble=4)


def _results(atoms, calculator):
    atoms = atoms.copy()
    atoms.calc = calculator
    atoms.get_potential_energy()
    return calculator.results


def test_cli_makes_writes_and_reads_an_ensemble(fitted, tmp_path, capsys):
    model, train, test = fitted
    model.metadata.pop("ensemble", None)  # an earlier test may have attached one
    model_path = model.save(tmp_path / "model.json")
    train_path, test_path = tmp_path / "train.extxyz", tmp_path / "test.extxyz"
    write(train_path, [train.to_atoms(s) for s in range(train.n_structures)])
    write(test_path, [test.to_atoms(s) for s in range(test.n_structures)])
    assert main(["uncertainty", str(model_path), str(test_path)]) == 2
    assert "has no ensemble: give --train" in capsys.readouterr().err
    out = tmp_path / "ensemble.json"
    assert main(["uncertainty", str(model_path), str(test_path), "--train", str(train_path), "--ensemble", "3",
                 "--seed", "7", "--write", str(out), "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["members"] == 3 and made["n_structures"] == 6 and len(made["structures"]) == 6
    assert 0 <= made["coverage90_force"] <= 1 and -1 <= made["spearman"] <= 1
    assert main(["uncertainty", str(out), str(test_path), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    for row, made_row in zip(again["structures"], made["structures"]):
        assert row["energy_spread_mev"] == pytest.approx(made_row["energy_spread_mev"], rel=1e-9)
        assert row["force_spread_rms"] == pytest.approx(made_row["force_spread_rms"], rel=1e-9)
    assert main(["uncertainty", str(out), str(test_path)]) == 0
    assert "inside the 90 % interval" in capsys.readouterr().out
    other = fit_form("A*NS(exp(-a*r)) - B*sqrt(NS(exp(-b*r)))", train, starts=2,
                     start_values={"A": 500.0, "a": 3.0, "B": 10.0, "b": 1.0}).model
    other_path = other.save(tmp_path / "other.json")
    assert main(["uncertainty", str(model_path), str(test_path), "--train", str(train_path), "--forms",
                 str(other_path), "--ensemble", "2", "--write", str(out), "--force", "--json"]) == 0
    pooled = json.loads(capsys.readouterr().out)
    assert pooled["members"] == 4 and -1 <= pooled["spearman_local"] <= 1
    keys = {m.formula.key for m in Ensemble.of(Model.load(out)).members}
    assert keys == {model.formula.key, other.formula.key}
    assert main(["uncertainty", str(model_path), str(test_path), "--forms", str(other_path)]) == 2
    assert "--forms makes a new ensemble: give --train" in capsys.readouterr().err
    assert main(["uncertainty", str(model_path), str(test_path), "--train", str(train_path), "--ensemble", "1"]) == 2
    assert capsys.readouterr().err.strip() == "symff uncertainty: error: --ensemble must be at least 2, got 1"


def test_cli_write_keeps_an_existing_file_and_refuses_bad_data_before_the_refits(fitted, tmp_path, capsys,
                                                                                  monkeypatch):
    import symff.cli.uncertainty as cli_uncertainty

    model, train, test = fitted
    model.metadata.pop("ensemble", None)
    model_path = model.save(tmp_path / "model.json")
    train_path, test_path = tmp_path / "train.extxyz", tmp_path / "test.extxyz"
    write(train_path, [train.to_atoms(s) for s in range(train.n_structures)])
    write(test_path, [test.to_atoms(s) for s in range(test.n_structures)])
    made = []
    real = cli_uncertainty.bootstrap_ensemble
    monkeypatch.setattr(cli_uncertainty, "bootstrap_ensemble", lambda *a, **k: made.append(1) or real(*a, **k))
    kept = tmp_path / "kept.json"
    kept.write_text("the user's file")
    argv = ["uncertainty", str(model_path), str(test_path), "--train", str(train_path), "--ensemble", "2"]
    assert main([*argv, "--write", str(kept)]) == 2
    assert capsys.readouterr().err.strip() == (f"symff uncertainty: error: {kept} exists: name another file with "
                                               "--write, or overwrite it with --force")
    assert kept.read_text() == "the user's file" and not made  # refused before the refits
    assert main([*argv, "--force"]) == 2
    assert "--force overwrites the file --write names: give --write" in capsys.readouterr().err
    broken = tmp_path / "broken.extxyz"
    broken.write_text("3\nLattice=\"1 0 0 0 1 0 0 0 1\"\nCu 0 0\n")
    fresh = tmp_path / "fresh.json"
    assert main(["uncertainty", str(model_path), str(broken), "--train", str(train_path), "--write", str(fresh)]) == 2
    assert str(broken) in capsys.readouterr().err and not made and not fresh.exists()
    assert main([*argv, "--write", str(kept), "--force"]) == 0
    assert len(Ensemble.of(Model.load(kept)).members) == 2 and made == [1]
