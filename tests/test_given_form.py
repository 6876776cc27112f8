"""Fitting given forms (symff.fit.given_form, `symff fit`): known constants come back from data they made."""

import json

import ase.io
import numpy as np
import pytest

from symff.cli import main
from symff.data import Dataset, read_dataset
from symff.errors import ModelError
from symff.fit.given_form import fit_form
from symff.rediscover import LJ_EPSILON, LJ_SIGMA, SC_A, SC_C, SC_EPSILON
from symff.synthetic.generate import make_lj_dataset, make_sutton_chen_dataset


@pytest.fixture(scope="module")
def lj_structures():
    return make_lj_dataset(seed=3, epsilon=LJ_EPSILON, sigma=LJ_SIGMA)


@pytest.fixture(scope="module")
def sc_data():
    # a short run per temperature: enough to fix four constants, and fast
    structures = make_sutton_chen_dataset(seed=2, snapshots_per_temperature=4, interval=10, equilibration=30)
    return Dataset.from_atoms(structures)


def test_lennard_jones_form_recovers_epsilon_and_sigma(lj_structures):
    data = Dataset.from_atoms(lj_structures)
    result = fit_form("NS(2*eps*((sigma/r)**12 - (sigma/r)**6))", data, starts=2)
    assert result.determined
    assert result.parameters["eps"] == pytest.approx(LJ_EPSILON, rel=1e-8)
    assert result.parameters["sigma"] == pytest.approx(LJ_SIGMA, rel=1e-8)
    assert result.model.errors["train"]["force_mae"] < 1e-8


def test_sutton_chen_form_with_free_exponents_recovers_the_constants(sc_data):
    # a fixed at 3.61 Å: ε, c, n and m are all determined; n, m start far from 9 and 6
    result = fit_form("eps*(NS(0.5*(3.61/r)**n) - c*sqrt(NS((3.61/r)**m)))", sc_data, starts=6, seed=1,
                      start_values={"eps": 0.01, "c": 30, "n": 8, "m": 5})
    assert result.determined
    p = result.parameters
    assert p["n"] == pytest.approx(9, rel=1e-6) and p["m"] == pytest.approx(6, rel=1e-6)
    assert p["eps"] == pytest.approx(SC_EPSILON, rel=1e-6) and p["c"] == pytest.approx(SC_C, rel=1e-6)
    assert result.model.metadata["parameters"] == p


def test_underdetermined_symbols_are_reported_as_such(sc_data):
    # ε, a and c: the energy depends on ε a⁹ and ε c a³ only
    result = fit_form("eps*(NS(0.5*(a/r)**9) - c*sqrt(NS((a/r)**6)))", sc_data, starts=1,
                      start_values={"eps": 0.01, "a": SC_A, "c": 30})
    assert not result.determined
    p = result.parameters
    assert p["eps"] * p["a"] ** 9 == pytest.approx(SC_EPSILON * SC_A**9, rel=1e-6)
    assert p["eps"] * p["c"] * p["a"] ** 3 == pytest.approx(SC_EPSILON * SC_C * SC_A**3, rel=1e-6)


def test_symbols_whose_values_overflow_are_not_read_back_and_the_fit_stands(lj_structures):
    # a 1e300 factor: the fit is sound (the coefficient absorbs it), but reading the user's n back through the
    # canonical form overflows; that is "not determined", not least_squares' "residuals are not finite" traceback
    data = Dataset.from_atoms(lj_structures[:8])
    result = fit_form("1e300*NS(A*r**-n)", data, starts=1, start_values={"A": 1e-296, "n": 12})
    assert np.isfinite(result.loss) and result.model.errors["train"]["force_mae"] < 1.0
    assert result.parameters == {} and not result.determined


@pytest.mark.parametrize("zeroed", [None, 0, 1])
def test_symbols_of_very_different_sizes_are_read_back(zeroed):
    """A symbol of 1e-45 beside ones of 1e3 (a search's front gave such forms): the read-back took finite-difference
    steps of 1e-8 in every symbol, so the small one's column of its Jacobian was the mismatch ceiling over the step
    ("not all determined"); and a coefficient fitted to exactly 0 made residuals near 1e308, whose differences were
    inf (scipy's "array must not contain infs or NaNs" traceback)."""
    from types import SimpleNamespace

    from symff.expr.canonical import canonicalize
    from symff.fit.given_form import _read_back, checked_form

    values = {"a": 1700.0, "e": 9.76e-46, "k": 0.0446, "u": 2.68e-8, "v": 118.24}
    expr, symbols = checked_form("a*NS(k**r) + e*NS(u**r*r**v)", values, "formula")
    start = np.array([values[s.name] for s in symbols])
    formula = canonicalize(expr, dict(zip(symbols, start)))
    linear = np.array(formula.linear_initial, dtype=float)
    if zeroed is not None:
        linear[zeroed] = 0.0
    fitted = SimpleNamespace(constants=np.array(formula.initial, dtype=float), linear=linear)
    parameters, determined = _read_back(expr, symbols, formula.key, start, fitted)
    if zeroed is None:
        assert determined and parameters == pytest.approx(values, rel=1e-9)
        return
    # the coefficient fitted to 0 read back as a symbol of (nearly) 0: matched within READ_BACK_TOLERANCE
    name = "a" if formula.linear_initial[zeroed] == values["a"] else "e"
    assert abs(parameters[name]) <= 1e-6 and parameters == pytest.approx(values | {name: parameters[name]}, rel=1e-9)


def test_unknown_start_symbol_and_bad_formula_are_model_errors(sc_data):
    with pytest.raises(ModelError, match="no symbol"):
        fit_form("NS(A*r**-9)", sc_data, start_values={"B": 1.0})
    with pytest.raises(ModelError, match="cannot parse"):
        fit_form("NS(A*r**-9", sc_data)


def test_fit_command_writes_a_model_file(lj_structures, tmp_path, capsys):
    train, test = tmp_path / "train.extxyz", tmp_path / "test.extxyz"
    ase.io.write(train, lj_structures[::2])
    ase.io.write(test, lj_structures[1::2])
    out = tmp_path / "lj.json"
    code = main(["fit", "NS(2*eps*((sigma/r)**12 - (sigma/r)**6))", str(train), "--test", str(test),
                 "--out", str(out), "--starts", "2", "--start", "sigma=2.5"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "eps = 0.4093" in printed and "sanity: passed" in printed
    model = json.loads(out.read_text())
    assert model["format"] == "symff-model/1" and set(model["errors"]) == {"train", "test"}
    assert model["errors"]["test"]["energy_mae_mev"] < 1e-4  # extxyz keeps about 10 digits
    assert model["sanity"]["sane"] and model["parameters"]["sigma"] == pytest.approx(LJ_SIGMA)


def test_fit_command_refuses_to_overwrite_a_model_file_without_force(lj_structures, tmp_path, capsys):
    """An existing --out is refused in one line before any fit (a fit with properties runs for many minutes);
    --force overwrites it."""
    train, out = tmp_path / "train.extxyz", tmp_path / "lj.json"
    ase.io.write(train, lj_structures[:8])
    out.write_text("an earlier fit")
    formula = "NS(2*eps*((sigma/r)**12 - (sigma/r)**6))"
    assert main(["fit", formula, str(train), "--out", str(out), "--start", "sigma=2.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"symff fit: error: {out} exists: name another file with --out, or overwrite it with --force"
    assert out.read_text() == "an earlier fit"
    assert main(["fit", formula, str(train), "--out", str(out), "--start", "sigma=2.5", "--force"]) == 0
    assert json.loads(out.read_text())["parameters"]["sigma"] == pytest.approx(LJ_SIGMA)


@pytest.mark.parametrize("formula", ["NS(A*r**-12", "A*r**-6", "NS(foo(r))", "A*B"])
def test_fit_command_bad_formula_is_one_line_error(lj_structures, tmp_path, capsys, formula):
    train = tmp_path / "train.extxyz"
    ase.io.write(train, lj_structures[:4])
    assert main(["fit", formula, str(train), "--out", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("symff fit: error: FORMULA") and "\n" not in err


def labels_scaled(structures, factor):
    """Copies of `structures` whose energies, forces and stresses are `factor` times theirs: LJ with ε × factor."""
    from ase.calculators.singlepoint import SinglePointCalculator

    scaled = []
    for atoms in structures:
        copy = atoms.copy()
        copy.calc = SinglePointCalculator(copy, energy=factor * atoms.get_potential_energy(),
                                          forces=factor * atoms.get_forces(), stress=factor * atoms.get_stress())
        scaled.append(copy)
    return scaled


@pytest.mark.parametrize(("weights", "epsilon"), [((1, 0), LJ_EPSILON), ((0, 1), 1.5 * LJ_EPSILON)])
def test_fit_command_weighs_each_structure_by_its_weight_key(lj_structures, tmp_path, capsys, weights, epsilon):
    """Half the structures labelled by LJ with ε, half by 1.5 ε: a weight of 0 takes a half out of the fit."""
    plain, scaled = labels_scaled(lj_structures[::2], 1.0), labels_scaled(lj_structures[::2], 1.5)
    for group, weight in zip((plain, scaled), weights):
        for atoms in group:
            atoms.info["w"] = weight
    train, out = tmp_path / "train.extxyz", tmp_path / "lj.json"
    ase.io.write(train, plain + scaled)
    formula = "NS(2*eps*((sigma/r)**12 - (sigma/r)**6))"
    assert main(["fit", formula, str(train), "--weight-key", "w", "--out", str(out), "--starts", "2"]) == 0
    fitted = json.loads(out.read_text())["parameters"]
    assert fitted["eps"] == pytest.approx(epsilon, rel=1e-6) and fitted["sigma"] == pytest.approx(LJ_SIGMA, rel=1e-6)
    # without the key both halves count: ε lands between the two
    assert main(["fit", formula, str(train), "--out", str(out), "--starts", "2", "--force"]) == 0
    unweighted = json.loads(out.read_text())["parameters"]["eps"]
    assert LJ_EPSILON * 1.01 < unweighted < 1.5 * LJ_EPSILON * 0.99
    capsys.readouterr()
    # a file without the key is refused in one line that names it
    bare = tmp_path / "bare.extxyz"
    ase.io.write(bare, lj_structures[:4])
    assert main(["fit", formula, str(bare), "--weight-key", "w", "--out", str(tmp_path / "bare.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert str(bare) in err and "'w'" in err and "\n" not in err
    # nor is a file whose weights are all 0 (nothing to fit)
    for atoms in plain:
        atoms.info["w"] = 0
    ase.io.write(bare, plain)
    assert main(["fit", formula, str(bare), "--weight-key", "w", "--out", str(tmp_path / "bare.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert str(bare) in err and "weight 0" in err and "\n" not in err


def test_fit_command_takes_a_three_body_cutoff(lj_structures, tmp_path, capsys):
    """`--three-body-cutoff INNER OUTER`: the fitted model file carries it, its errors are those of the model read
    back (the fit evaluated with that cutoff); one outside the cutoff is a one-line error that writes nothing."""
    from symff.evaluate.predict import model_errors
    from symff.model import Model

    train, out = tmp_path / "train.extxyz", tmp_path / "m.json"
    ase.io.write(train, lj_structures[:8])
    formula = "NS(2*eps*((sigma/r)**12 - (sigma/r)**6)) + k*NS3(exp(-r), (c + 0.3)**2)"
    assert main(["fit", formula, str(train), "--out", str(out), "--starts", "1", "--start", "sigma=2.5",
                 "--three-body-cutoff", "2.5", "4.0"]) == 0
    model = Model.load(out)
    assert model.three_body_cutoff == (2.5, 4.0) and model.formula.angular
    data = read_dataset([train])
    assert model_errors(model, data)["energy_mae_mev"] == pytest.approx(model.errors["train"]["energy_mae_mev"],
                                                                        rel=1e-9)
    capsys.readouterr()
    bad = tmp_path / "bad.json"
    assert main(["fit", formula, str(train), "--out", str(bad), "--three-body-cutoff", "3", "6"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == ("symff fit: error: --three-body-cutoff: the three-body cutoff needs 0 < inner < outer <= the "
                   "cutoff 5.0 Å, got 3.0 and 6.0") and not bad.exists()
