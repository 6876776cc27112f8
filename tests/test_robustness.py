"""Bad input, bad configuration, run-directory integrity and memory: each refusal is one line, asserted exactly."""

import json
import os
import warnings

import numpy as np
import pytest
from ase import Atoms
from broken_inputs import BROKEN, HEADER, WARNED, frame, write_corpus
from helpers import labelled

from symff.cli import main
from symff.data import Dataset, read_dataset
from symff.errors import ConfigError, DataError, DuplicateStructureWarning, ModelError, SymffWarning
from symff.evaluate.evaluator import Evaluator
from symff.expr.program import PotentialProgram
from symff.integrity import IntegrityError, read_json_checked, write_json_checked
from symff.memory import LIMIT_VARIABLE, SEARCH_BYTES_PER_PAIR, check_memory, estimated_pairs, memory_limit
from symff.model import AlloyModel, Model, parse_formula
from symff.neighbours import build_neighbours
from symff.rundir import read_front, write_front

ASE_WORDS = {"truncated", "malformed"}  # messages that quote ASE's own error text: matched up to it, and after it
ASE_SUFFIX = "): fix or truncate the file there, or check that ASE reads its format"


def cli_error(argv, capsys):
    assert main(argv) == 2, argv
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    return err.rstrip("\n")


# --- bad data: the corpus, through the library and through the command line -------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return write_corpus(tmp_path_factory.mktemp("broken"))


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_each_broken_file_is_refused_with_its_exact_message(corpus, kind):
    path, message = corpus[kind]
    with pytest.raises(DataError) as caught:
        read_dataset(path)
    got = str(caught.value)
    if kind in ASE_WORDS:
        assert got.startswith(message) and got.endswith(ASE_SUFFIX) and "\n" not in got, got
    else:
        assert got == message


@pytest.mark.parametrize("kind", sorted(BROKEN))
def test_the_command_line_prints_the_same_line_and_writes_nothing(corpus, kind, tmp_path, capsys):
    path, message = corpus[kind]
    out = tmp_path / "run"
    err = cli_error(["search", path, "--out", str(out)], capsys)
    if kind in ASE_WORDS:
        assert err.startswith(f"symff search: error: {message}") and err.endswith(ASE_SUFFIX), err
    else:
        assert err == f"symff search: error: {message}"
    assert not out.exists()


def test_debug_shows_the_traceback(corpus):
    path, _message = corpus["nan_energy"]
    with pytest.raises(DataError, match="non-finite energy"):
        main(["--debug", "search", path, "--out", "unused"])


def test_empty_data_set_from_an_index(corpus, tmp_path):
    path = tmp_path / "one.extxyz"
    path.write_text(frame())
    with pytest.raises(DataError) as caught:
        read_dataset(path, index="3:")
    assert str(caught.value) == f"{path}: no structures: index '3:' selects none of its 1 frames; change the index"


def test_duplicate_structures_are_kept_with_a_warning(tmp_path):
    (path, message), = write_corpus(tmp_path, WARNED).values()
    with pytest.warns(DuplicateStructureWarning) as caught:
        data = read_dataset(path)
    assert [str(w.message) for w in caught] == [message]
    assert data.n_structures == 3


def test_the_command_line_prints_the_duplicate_warning_as_one_line(tmp_path, capsys):
    (path, message), = write_corpus(tmp_path, WARNED).values()
    model = Model.from_expression("NS(r**-6)", ["Cu"], {"Cu": 0.0})
    model.save(tmp_path / "m.json")
    assert main(["evaluate", str(tmp_path / "m.json"), path, "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"symff evaluate: warning: {message}"]
    assert json.loads(captured.out)["n_structures"] == 3


def test_a_test_set_that_holds_training_structures_is_warned_about(tmp_path, capsys):
    """The same file given as DATA and --test (or overlapping files) gave test errors that were training errors,
    without a word."""
    from ase.io import write

    from symff.synthetic.generate import make_lj_dataset

    structures = make_lj_dataset(seed=1)[:4]
    train, test = tmp_path / "train.extxyz", tmp_path / "test.extxyz"
    write(train, structures[:3])
    write(test, [structures[3], structures[1]])  # one new structure, one of train's
    argv = ["fit", "a*NS(r**-9) - b*NS(r**-6)", str(train), "--out", str(tmp_path / "m.json"), "--force"]
    assert main([*argv, "--test", str(test)]) == 0
    warned = [line for line in capsys.readouterr().err.splitlines() if "training structures too" in line]
    expected = (f"symff fit: warning: 1 of the 2 test structures are training structures too (the first: {test}: "
                f"frame 1 is {train}: frame 1): their test errors are training errors")
    assert warned == [expected]
    write(test, structures[3:])
    assert main([*argv, "--test", str(test)]) == 0
    assert "training structures too" not in capsys.readouterr().err


def test_element_the_model_does_not_cover(corpus, tmp_path, capsys):
    path = tmp_path / "ni.extxyz"
    path.write_text(frame(rows=["Cu 0 0 0 0 0 0", "Ni 2 0 0 0 0 0"]))
    model = Model.from_expression("NS(r**-6)", ["Cu"], {"Cu": 0.0})
    model.save(tmp_path / "m.json")
    err = cli_error(["evaluate", str(tmp_path / "m.json"), str(path)], capsys)
    assert err == (f"symff evaluate: error: {path}: frame 0: element Ni is not one of the model's, or the training "
                   "data's, elements (Cu): remove the structure, or use a model (training data) with Ni")


# --- cells smaller than the cutoff, isolated atoms ---------------------------------------------------------------------


def evaluator_for(atoms_list, exact=True):
    data = Dataset.from_atoms([labelled(a) for a in atoms_list], min_distance=None)
    return Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0, exact=exact)


def program(text):
    formula, _ = parse_formula(text)
    return PotentialProgram(formula), formula


def test_a_cell_smaller_than_the_cutoff_counts_its_periodic_images():
    # fcc Cu primitive cell (1 atom, 2.55 Å nearest neighbours) and the same crystal as a 3x3x3 supercell
    from ase.build import bulk
    small = bulk("Cu", "fcc", a=3.6)
    large = small.repeat((3, 3, 3))
    prog, formula = program("NS(r**-12 - r**-6) + NS(r**-6)**0.5")
    energies = []
    for atoms in (small, large):
        basis = evaluator_for([atoms]).basis(prog, formula.initial)
        energies.append(basis.energy[:, 0] / len(atoms))
        np.testing.assert_allclose(basis.forces, 0.0, atol=1e-10)
    np.testing.assert_allclose(energies[0], energies[1], rtol=1e-12)
    assert np.all(np.abs(energies[0]) > 0)


ISOLATED = [Atoms("Cu3", positions=[[0, 0, 0], [2.5, 0, 0], [20, 20, 20]], cell=[40, 40, 40], pbc=False)]


@pytest.mark.parametrize("exact", [True, False])
def test_an_isolated_atom_with_an_infinite_slope_at_zero_gets_no_force(exact):
    # sqrt(NS(r**-6)) at an atom with no neighbours: T = 0 and dT/drho = 1/(2 sqrt(0)) = inf, but that slope multiplies
    # no pair: the atom has T = 0 and no force, and the dimer beside it is untouched (until 2026-12-05 the evaluation
    # refused the whole structure)
    prog, formula = program("NS(r**-6)**0.5")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        basis = evaluator_for(ISOLATED, exact).basis(prog, formula.initial)
    np.testing.assert_array_equal(basis.atom_terms[:, 2], 0.0)
    np.testing.assert_array_equal(basis.forces[:, 2], 0.0)
    dimer = evaluator_for([ISOLATED[0][:2]], exact).basis(prog, formula.initial)
    np.testing.assert_allclose(basis.energy, dimer.energy, rtol=1e-12)
    np.testing.assert_allclose(basis.forces[:, :2], dimer.forces, rtol=1e-12)
    assert np.abs(dimer.forces).max() > 0


def test_an_isolated_atom_with_a_finite_embedding_contributes_nothing():
    prog, formula = program("NS(r**-12 - r**-6) + NS(r**-6)**2")
    basis = evaluator_for(ISOLATED).basis(prog, formula.initial)
    assert np.isfinite(basis.energy).all() and np.isfinite(basis.forces).all()
    np.testing.assert_array_equal(basis.atom_terms[:, 2], 0.0)
    np.testing.assert_array_equal(basis.forces[:, 2], 0.0)


def test_a_model_not_finite_on_some_structures_names_them_and_a_finished_fit_keeps_its_result(tmp_path, capsys):
    """A 1/NS term is infinite on a lone atom. `symff evaluate` ended with the evaluator's internal Rejected
    traceback; `symff fit --test` and a search's front, whose test sets held such a structure, did too, after the
    work was done (the fit's model file, the search's front never written)."""
    from ase.io import write

    from symff.evaluate.predict import fitted_errors
    from symff.synthetic.generate import make_lj_dataset

    model = Model.from_expression("NS(r**-9) + 0.97/NS(0.33**r)", ["Cu"], {"Cu": 0.0})
    model_path = model.save(tmp_path / "inverse.json")
    crystal, others = make_lj_dataset(seed=1)[:2], make_lj_dataset(seed=1)[2:4]  # train, and the data's own
    lone = [labelled(Atoms("Cu2", positions=[[0, 0, 0], [d, d, d]], cell=[20, 20, 20], pbc=True)) for d in (8, 9)]
    data = tmp_path / "mixed.extxyz"
    write(data, [others[0], lone[0], others[1], lone[1]])
    assert cli_error(["evaluate", str(model_path), str(data)], capsys) == (
        f"symff evaluate: error: the model is not finite on {data}:1, {data}:3: a term is not finite for some atom")
    write(tmp_path / "train.extxyz", crystal)
    assert cli_error(["uncertainty", str(model_path), str(data), "--train", str(tmp_path / "train.extxyz"),
                      "--ensemble", "2"], capsys) == (
        f"symff uncertainty: error: the model is not finite on {data}:1, {data}:3: a term is not finite for some atom")
    # a fit that is done keeps its result: a warning, and no test errors
    train = Dataset.from_atoms(crystal)
    with pytest.warns(SymffWarning, match=f"no test errors for the fitted model: the model is not finite on {data}:1"):
        fitted_errors(model, train, read_dataset([data]))
    assert set(model.errors) == {"train"} and np.isfinite(model.errors["train"]["energy_mae_mev"])
    fitted_errors(model, train, train)
    assert set(model.errors) == {"train", "test"}
    out = tmp_path / "fitted.json"
    assert main(["fit", "a*NS(r**-9) + b/NS(c**r)", str(tmp_path / "train.extxyz"), "--test", str(data), "--start",
                 "a=1", "--start", "b=0.97", "--start", "c=0.33", "--out", str(out)]) == 0
    assert capsys.readouterr().err.startswith("symff fit: warning: no test errors for the fitted model: the model is "
                                              f"not finite on {data}:1, {data}:3")
    assert set(Model.load(out).errors) == {"train"}


def test_a_front_member_not_finite_on_the_test_set_is_written_without_test_errors():
    from types import SimpleNamespace

    from symff.search.config import SearchConfig
    from symff.search.results import front_models
    from symff.synthetic.generate import make_lj_dataset

    crystal = Dataset.from_atoms(make_lj_dataset(seed=1)[:2])
    lone = Dataset.from_atoms([labelled(Atoms("Cu2", positions=[[0, 0, 0], [9, 9, 9]], cell=[20, 20, 20], pbc=True))],
                              names=["test.extxyz:0"])
    front = []
    for text in ("NS(r**-9)", "NS(r**-9) + 1/NS(0.33**r)"):
        formula, _ = parse_formula(text, numbers_are_constants=True)
        fit = SimpleNamespace(constants=formula.initial, linear=np.ones(len(formula.terms)))
        front.append(SimpleNamespace(formula=formula, fit=fit, loss=1.0, generation=0, properties=None))
    with pytest.warns(SymffWarning, match=r"no test errors for front member 1 \(.*\): the model is not finite on "
                                          r"test.extxyz:0: a term is not finite"):
        models = front_models(SimpleNamespace(config=SearchConfig(), front=front), crystal, lone)
    assert [set(m.errors) for m in models] == [{"train", "test"}, {"train"}]


# --- bad configuration ------------------------------------------------------------------------------------------------

BAD_OPTIONS = {
    "population": (["--population", "2"], "--population must be at least 4, got 2"),
    "workers": (["--workers", "0"], "--workers must be at least 1, got 0"),  # 0 was taken for the default
    "generations": (["--generations", "-1"], "--generations must be at least 0, got -1"),
    "time limit": (["--time-limit", "0"], "--time-limit must be positive, got 0.0"),
    "cutoff": (["--cutoff", "2"], "the cutoff needs 0 < r_in < r_out, got 3.0, 2.0"),
    "three-body cutoff": (["--three-body-cutoff", "3", "6"], ("--three-body-cutoff: the three-body cutoff needs "
                          "0 < inner < outer <= the cutoff 5.0 Å, got 3.0 and 6.0")),
    "three-body sums": (["--max-three-body-sums", "-1"], "--max-three-body-sums must be at least 0, got -1"),
    "weight": (["--force-weight", "-1"], "--force-weight must be non-negative"),
    "angle splits": (["--angle-splits", "0"], "--angle-splits must be whole powers from 1 to 16, got [0]"),
    "variation weight": (["--variation", "add_term"], "--variation: expected OPERATOR=WEIGHT, got 'add_term'"),
    "variation operator": (["--variation", "swap=0.1"], "unknown variation operators ['swap']"),
    "variation infinite": (["--variation", "point=inf"],
                           "variation probabilities must be finite, non-negative and not all zero"),
    "property weight": (["--property-weight", "100"], "--property-weight is for a search with --properties"),
    "property objective": (["--property-objective", "tolerance"],
                           "--property-objective is for a search with --properties"),
    "grammar": (["--grammar", "no-such-grammar"],
                "no-such-grammar: no such grammar file, and not a shipped grammar (shipped: angular, eam, pair)"),
}


@pytest.mark.parametrize("case", sorted(BAD_OPTIONS))
def test_invalid_options_are_refused_in_one_line(case, corpus, tmp_path, capsys):
    options, message = BAD_OPTIONS[case]
    good = tmp_path / "good.extxyz"
    good.write_text(frame())
    err = cli_error(["search", str(good), "--out", str(tmp_path / "run"), *options], capsys)
    assert err == f"symff search: error: {message}"
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", [["search", "DATA"], ["rediscover", "lj"], ["fit", "NS(r**-n)", "DATA"],
                                     ["uncertainty", "MODEL", "DATA", "--train", "DATA"], ["report", "RUN"]])
def test_a_negative_seed_is_refused_by_every_command_that_takes_one(command, capsys):
    """numpy's generators take no negative seed: refused where the options are read, not by a traceback later."""
    for seed in ("-1", "1.5"):
        with pytest.raises(SystemExit) as refused:
            main([*command, "--seed", seed])
        assert refused.value.code == 2
        err = capsys.readouterr().err.splitlines()
        assert err[-1] == f"symff {command[0]}: error: argument --seed: a seed is a whole number, 0 or more, got '{seed}'"


def test_a_split_that_leaves_no_training_structure_or_two_test_sets_are_refused(corpus, tmp_path, capsys):
    good = tmp_path / "good.extxyz"
    good.write_text(frame(HEADER + " split=test"))
    fraction = "--test-fraction is the share of DATA held out for testing, at least 0 and below 1; got {}"
    for options, message in [(["--test-fraction", "1"], fraction.format(1.0)),
                             (["--test-fraction", "1.5"], fraction.format(1.5)),
                             (["--test-fraction", "nan"], fraction.format("nan")),
                             (["--split-key", "split"],
                              f"{good}: --split-key split leaves no training structure; keep some for training"),
                             (["--test", str(good), "--test-fraction", "0.5"],
                              "give either --test or --test-fraction, not both"),
                             (["--split-key", "split", "--test", str(good)],
                              "give either --split-key or --test/--test-fraction, not both")]:
        err = cli_error(["search", str(good), "--out", str(tmp_path / "run"), *options], capsys)
        assert err == f"symff search: error: {message}"
        assert not (tmp_path / "run").exists()


def test_option_values_are_checked_by_the_library_too():
    from symff.search.config import SearchConfig
    with pytest.raises(ConfigError) as caught:
        SearchConfig(screen_fraction=1.5)
    assert str(caught.value) == "screen_fraction must be in [0, 1), got 1.5"


# --- run-directory integrity -------------------------------------------------------------------------------------------


def test_checked_json_round_trip_and_no_stray_files(tmp_path):
    path = tmp_path / "doc.json"
    write_json_checked(path, {"a": 1.5, "b": [1, 2, float("nan")], "c": "x"})
    assert read_json_checked(path) == {"a": 1.5, "b": [1, 2, None], "c": "x"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]
    assert json.loads(path.read_text())["checksum"].startswith("sha256:")


def test_truncated_checked_json(tmp_path):
    path = tmp_path / "doc.json"
    write_json_checked(path, {"a": 1})
    path.write_text(path.read_text()[:10])
    with pytest.raises(IntegrityError) as caught:
        read_json_checked(path)
    assert str(caught.value) == (f"{path}: corrupt or truncated JSON (Expecting ',' delimiter: line 2 column 9 "
                                 "(char 10)): restore the file or write it again")


def test_altered_checked_json(tmp_path):
    path = tmp_path / "doc.json"
    write_json_checked(path, {"a": 1})
    path.write_text(path.read_text().replace('"a": 1', '"a": 2'))
    with pytest.raises(IntegrityError) as caught:
        read_json_checked(path)
    assert str(caught.value) == (f"{path}: checksum mismatch: the file is corrupted or was edited; restore it or "
                                 "write it again (to keep a deliberate edit, delete its \"checksum\" line)")


def test_required_checksum(tmp_path):
    path = tmp_path / "doc.json"
    path.write_text('{"a": 1}')
    assert read_json_checked(path) == {"a": 1}
    with pytest.raises(IntegrityError) as caught:
        read_json_checked(path, required=True)
    assert str(caught.value) == f"{path}: no checksum: the file was not written by symff; write it again"


def test_a_corrupted_model_file_is_refused_and_a_hand_written_one_accepted(tmp_path):
    model = Model.from_expression("NS(2.0*r**-12 - r**-6)", ["Cu"], {"Cu": -1.0})
    path = model.save(tmp_path / "m.json")
    assert Model.load(path).energy_string() == model.energy_string()
    text = path.read_text()
    path.write_text(text.replace("2.0", "3.0", 1))
    with pytest.raises(ModelError) as caught:
        Model.load(path)
    assert str(caught.value) == (f"{path}: checksum mismatch: the file is corrupted or was edited; restore it or "
                                 "write it again (to keep a deliberate edit, delete its \"checksum\" line)")
    document = json.loads(text)
    del document["checksum"]
    path.write_text(json.dumps(document))
    assert Model.load(path).energy_string() == model.energy_string()


# code that sympify (Python's eval) would run if it got the text: each would make the file `marker`
CODE = ["__import__('pathlib').Path('{marker}').touch()",
        "NS(r**-6) + (lambda: __import__('pathlib').Path('{marker}').touch())()",
        "NS(r**-6) + exec(\"open('{marker}', 'w')\")",
        "NS(r**-6) + eval(chr(49))",
        "NS(r**-6).func.__globals__",
        "NS(r**-6) + [x for x in (1,)][0]",
        "NS(r**-6, Cu=1)"]


@pytest.mark.parametrize("code", range(len(CODE)))
def test_a_formula_or_model_file_that_is_code_is_refused_before_it_runs(code, tmp_path, capsys):
    # a model file is data that people share: its energy is parsed, never run (sympify alone would eval it)
    marker = tmp_path / "ran"
    text = CODE[code].format(marker=marker)
    with pytest.raises(ModelError):
        parse_formula(text, source="test")
    model = Model.from_expression("NS(2.0*r**-12 - r**-6)", ["Cu"], {"Cu": -1.0})
    path = model.save(tmp_path / "m.json")
    document = json.loads(path.read_text())
    del document["checksum"]  # what the checksum's own message invites for a deliberate edit
    path.write_text(json.dumps(document | {"energy": text}))
    with pytest.raises(ModelError, match=f"^{path}: "):
        Model.load(path)
    data = tmp_path / "d.extxyz"
    data.write_text(frame())
    for command in (["evaluate", str(path), str(data)], ["fit", text, str(data), "--out", str(tmp_path / "f.json")]):
        err = cli_error(command, capsys)
        assert err.startswith(f"symff {command[0]}: error: ")
    # a model of several elements (symff-model/2): the energy of one element, in a form with channels and a
    # three-body sum beside it
    alloy = AlloyModel.from_expressions({"Nb": "NS(exp(-r), Mo) + NS3(exp(-r), c**2)", "Mo": "NS(exp(-r))"}, ["Nb", "Mo"],
                                   {"Nb": 0.0, "Mo": 0.0})
    alloy_path = alloy.save(tmp_path / "alloy.json")
    document = json.loads(alloy_path.read_text())
    del document["checksum"]
    alloy_path.write_text(json.dumps(document | {"energy": document["energy"] | {"Mo": text}}))
    with pytest.raises(ModelError, match=f"^{alloy_path} \\(energy of Mo\\): "):
        Model.load(alloy_path)
    assert not marker.exists()


def test_a_file_system_without_locks_leaves_run_directories_unguarded(tmp_path, monkeypatch):
    import errno
    import fcntl

    from symff.rundir import writing

    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")  # as NFS answers flock on a directory

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with writing(tmp_path), writing(tmp_path):  # neither refused: as before locks
        (tmp_path / "written").write_text("yes")
    assert (tmp_path / "written").read_text() == "yes"


def test_a_corrupted_front_is_reported_by_show(tmp_path, capsys):
    model = Model.from_expression("NS(r**-6)", ["Cu"], {"Cu": 0.0})
    write_front(tmp_path, [model], {"generations": 0})
    assert read_front(tmp_path)["members"][0]["model"] == "models/0.json"
    front = tmp_path / "front.json"
    front.write_text(front.read_text()[:-30])
    err = cli_error(["show", str(tmp_path)], capsys)
    assert err.startswith(f"symff show: error: {front}: corrupt or truncated JSON (")
    assert err.endswith("): restore the file or write it again")


def test_an_existing_run_directory_is_kept_without_force(tmp_path, capsys):
    good = tmp_path / "good.extxyz"
    good.write_text(frame())
    run = tmp_path / "run"
    run.mkdir()
    (run / "front.json").write_text("{}")
    err = cli_error(["search", str(good), "--out", str(run)], capsys)
    assert err == (f"symff search: error: {run}: the run directory exists and is not empty; choose another --out or "
                   "pass --force")
    assert (run / "front.json").read_text() == "{}"


# --- memory -----------------------------------------------------------------------------------------------------------


def test_the_pair_estimate_is_close_for_a_crystal():
    from ase.build import bulk
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((3, 3, 3))
    data = Dataset.from_atoms([labelled(atoms)])
    real = build_neighbours(data, 5.0).n_pairs
    assert abs(estimated_pairs(data, 5.0) / real - 1) < 0.1


def test_a_data_set_that_does_not_fit_is_refused_with_the_estimate(tmp_path):
    from ase.build import bulk
    data = Dataset.from_atoms([labelled(bulk("Cu", "fcc", a=3.6, cubic=True).repeat((3, 3, 3)))])
    pairs = estimated_pairs(data, 5.0)
    with pytest.raises(DataError) as caught:
        check_memory(data, 5.0, limit=2**20)
    need = (300 * 2**20 + SEARCH_BYTES_PER_PAIR * pairs) / 2**20
    assert str(caught.value) == (
        f"1 structures, 108 atoms: about {pairs:,} pairs within 5 Å need about {need:.1f} MiB "
        f"({SEARCH_BYTES_PER_PAIR} bytes per pair), more than the 1.0 MiB available: use fewer structures (--frames) "
        f"or a shorter --cutoff, or set {LIMIT_VARIABLE} (e.g. {LIMIT_VARIABLE}=off) to try anyway"
    )
    assert check_memory(data, 5.0, limit=2**40) > 0


def test_memory_limit_from_the_environment():
    assert memory_limit({LIMIT_VARIABLE: "64M"}) == 64 * 2**20
    assert memory_limit({LIMIT_VARIABLE: "1000"}) == 1000
    assert memory_limit({LIMIT_VARIABLE: "off"}) is None
    assert memory_limit({}) is None or memory_limit({}) > 0
    with pytest.raises(ConfigError) as caught:
        memory_limit({LIMIT_VARIABLE: "lots"})
    assert str(caught.value) == f"{LIMIT_VARIABLE}=lots: give a number of bytes such as 8G or 500M, or 'off'"


def test_the_command_line_refuses_up_front_under_a_tiny_limit(tmp_path, capsys, monkeypatch):
    good = tmp_path / "good.extxyz"
    good.write_text(frame())
    monkeypatch.setitem(os.environ, LIMIT_VARIABLE, "1K")
    err = cli_error(["search", str(good), "--out", str(tmp_path / "run")], capsys)
    assert err.startswith("symff search: error: 1 structures, 2 atoms: about ")
    assert err.endswith("more than the 1.0 KiB available: use fewer structures (--frames) or a shorter --cutoff, "
                        f"or set {LIMIT_VARIABLE} (e.g. {LIMIT_VARIABLE}=off) to try anyway")
    assert not (tmp_path / "run").exists()


# --- grammar files: unknown primitives and type errors, with file:line -------------------------------------------------

GRAMMAR_BASE = "name: x\natom: {operators: [ns]}\npair: {operators: [add], terminals: [r]}\n"
BAD_GRAMMARS = {
    "unknown primitive": ("name: x\natom: {operators: [ns]}\npair:\n  operators: {add: 1, sin: 1}\n",
                          "4: unknown name 'sin' in pair.operators (known: "),
    "unknown terminal": ("name: x\natom: {operators: [ns]}\npair: {operators: [add], terminals: {q: 1}}\n",
                         "3: unknown name 'q' in pair.terminals (known: r, const)"),
    "weight not a number": ("name: x\natom: {operators: [ns]}\npair:\n  operators: {add: \"x\"}\n",
                            "4: the weight of add must be float, got 'x'"),
    "size not an integer": (GRAMMAR_BASE + "limits:\n  max_size: big\n", "5: limits.max_size must be int, got 'big'"),
    "depth not an integer": (GRAMMAR_BASE + "limits: {max_depth: 1.5}\n",
                             "4: limits.max_depth must be int, got '1.5'"),
    "constant not a number": (GRAMMAR_BASE + "constants: [1, \"a\"]\n", "4: constants must be float, got 'a'"),
    "constants not a range": (GRAMMAR_BASE + "constants: 5\n", "4: constants must be a list of 2 values"),
    "exponent not a rational": (GRAMMAR_BASE + "fixed_exponents: [\"1/0\"]\n",
                                "4: fixed_exponents must be rationals like \"1/2\", got ['1/0']"),
    "empty exponent range": (GRAMMAR_BASE + "integer_exponents: [3, -3]\n",
                             "4: integer_exponents is an inclusive range [low, high] with low < high"),
    "exponent range of only 0 and 1": (GRAMMAR_BASE + "integer_exponents: [0, 1]\n",
                                       "4: integer_exponents holds no integer but 0 and 1"),
    "angle exponent range reversed": (GRAMMAR_BASE.replace("ns]", "ns, ns3]")
                                      + "angle:\n  terminals: [c]\n  integer_exponents: [8, 2]\n",
                                      "6: angle.integer_exponents is an inclusive range [low, high] with low < high"),
    "no neighbour sum": ("name: x\natom: {operators: [add]}\npair: {operators: [add], terminals: [r]}\n",
                         "2: atom.operators must include 'ns': without a neighbour sum no energy depends on r"),
    "no distance": ("name: x\natom: {operators: [ns]}\npair: {operators: [add], terminals: [const]}\n",
                    "3: pair.terminals must include 'r': without it no pair function depends on r"),
    "three-body sum without angles": (GRAMMAR_BASE.replace("ns]", "ns, ns3]"),
                                      ("2: atom.operators has 'ns3': the grammar needs an 'angle' section whose "
                                      "terminals include 'c' (cos θ)")),
    "initial depth past the limit": (GRAMMAR_BASE + "limits: {max_depth: 4, init_depth: [2, 6]}\n",
                                     "4: limits.init_depth must satisfy 1 <= low <= high <= max_depth (4)"),
    "size too small": (GRAMMAR_BASE + "limits: {max_size: 2}\n",
                       "4: limits.max_size must be at least 3 and limits.max_depth at least 2"),
    "no fixed exponents": (GRAMMAR_BASE + "fixed_exponents: []\n", "4: fixed_exponents must not be empty"),
    "constants reversed": (GRAMMAR_BASE + "constants: [2, 1]\n",
                           "4: constants is a range [low, high] with low < high"),
    "level not a mapping": ("name: x\natom: {operators: [ns]}\npair: [add]\n", "3: pair must be a mapping"),
    "limit not a value": (GRAMMAR_BASE + "limits: {max_size: [1, 2]}\n", "4: limits.max_size must be a single value"),
    "operators not a list": ("name: x\natom: {operators: ns}\npair: {operators: [add], terminals: [r]}\n",
                             "2: atom.operators must be a list of names or a mapping of name to weight"),
    "exponent range on a level without its own": (
        "name: x\natom: {operators: [ns]}\npair:\n  operators: [add]\n  integer_exponents: [2, 8]\n",
        "5: unknown key 'integer_exponents' in pair (expected one of: operators, terminals)"),
}


@pytest.mark.parametrize("case", sorted(BAD_GRAMMARS))
def test_bad_grammar_files_are_refused_by_the_command_line_with_file_and_line(case, tmp_path, capsys):
    text, message = BAD_GRAMMARS[case]
    grammar = tmp_path / "mine.yaml"
    grammar.write_text(text)
    good = tmp_path / "good.extxyz"
    good.write_text(frame())
    err = cli_error(["search", str(good), "--grammar", str(grammar), "--out", str(tmp_path / "run")], capsys)
    expected = f"symff search: error: {grammar}:{message}"
    if message.endswith("(known: "):
        assert err.startswith(expected) and err.endswith(")"), err
    else:
        assert err == expected
    assert not (tmp_path / "run").exists()


def test_variation_weights_join_the_defaults():
    """`--variation` sets the operators it names (0 included); the others keep their default weights."""
    import argparse

    from symff.cli.search import add_search_options, config_from
    from symff.search.config import DEFAULT_VARIATION

    parser = argparse.ArgumentParser()
    add_search_options(parser)
    config = config_from(parser.parse_args(["--variation", "add_term=0", "point=0.35"]))
    assert config.variation == DEFAULT_VARIATION | {"add_term": 0.0, "point": 0.35}
    assert config_from(parser.parse_args([])).variation == DEFAULT_VARIATION


@pytest.mark.skipif(not hasattr(os, "fork"), reason="an address-space limit needs a POSIX child")
def test_out_of_memory_is_one_line(tmp_path):
    # a model file whose cutoff takes every atom within 100 Å as a neighbour: its neighbour list cannot fit in the
    # 8 GiB the child may address; the command says so in one line (it was numpy's traceback)
    import resource
    import subprocess
    import sys

    from ase.io import write

    from symff.synthetic.generate import make_lj_dataset

    model = Model.from_expression("NS(r**-6)", ["Cu"], {"Cu": 0.0}, r_in=90.0, r_out=100.0).save(tmp_path / "m.json")
    data = tmp_path / "lj.extxyz"
    write(data, make_lj_dataset(seed=3))

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))

    done = subprocess.run([sys.executable, "-m", "symff", "evaluate", str(model), str(data)], capture_output=True,
                          text=True, preexec_fn=limit, timeout=300, check=False)
    assert done.returncode == 2, done.stderr[-2000:]
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("symff evaluate: error: out of memory ("), err
    assert err[0].endswith("use fewer structures (--frames), a shorter cutoff, or a machine with more memory")
