"""Start forms: the classical forms and model files as trees of a search's grammar, seeded searches, their errors."""

import json
import warnings

import ase.io
import pytest

from symff.api import SymFF
from symff.checkpoint import read_checkpoint
from symff.cli import main
from symff.data import Dataset
from symff.errors import ConfigError, SymffWarning
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize, floats_to_constants
from symff.grammar.spec import load_grammar
from symff.grammar.trees import TreeGrammar
from symff.model import Model, parse_form
from symff.rediscover import LJ_EPSILON, LJ_SIGMA
from symff.sanity import sanity_report
from symff.search import engine
from symff.search.config import SearchConfig
from symff.search.engine import Search, run_search
from symff.search.islands import IslandSearch
from symff.search.results import front_models
from symff.search.start_forms import CLASSICAL, resolve_start_forms, seed_trees
from symff.synthetic.generate import make_lj_dataset

MANY_BODY = {"Sutton-Chen", "Gupta", "GP1"}


def written_key(energy):
    """The canonical key of a written formula, its numbers as constants."""
    return canonicalize(*floats_to_constants(parse_form(energy)[0])).key


def tree_key(tree):
    return canonicalize(*tree_to_sympy(tree)).key


@pytest.fixture(scope="module")
def lj_data():
    return Dataset.from_atoms(make_lj_dataset(seed=4, epsilon=LJ_EPSILON, sigma=LJ_SIGMA)[::2])


@pytest.mark.parametrize("exportable", [False, True])
def test_every_classical_form_is_a_tree_of_the_eam_grammar(exportable):
    grammar = TreeGrammar(load_grammar("eam"), exportable=exportable)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none is skipped
        trees = seed_trees(CLASSICAL, grammar)
    assert len(trees) == len(CLASSICAL)
    for (name, energy), tree in zip(CLASSICAL, trees):
        assert grammar.fits(tree), name
        assert tree_key(tree) == written_key(energy), name  # the same form, constants free


@pytest.mark.parametrize(("energy", "embeddings"), [
    ("NS(r**-12) - 2*NS(0.5**r)**0.5 + 0.3*NS(r**-6)**2", 2),  # two densities: a sum of two embedding terms
    ("NS(r**-12) - NS(0.5**r)**0.5 + 0.2*NS(0.5**r)**2", 2),  # two functions of one density: a term each
])
def test_sums_of_embeddings_become_exportable_trees_of_the_same_form(energy, embeddings):
    grammar = TreeGrammar(load_grammar("eam"), exportable=True)
    [tree] = seed_trees([("sum of embeddings", energy)], grammar)
    assert grammar.fits(tree)
    assert tree_key(tree) == written_key(energy)
    assert sum(node.name == "eam_embed" for node in tree) == embeddings


@pytest.mark.parametrize("energy", [
    "0.3*NS(r**(-6) + 0.5) - 0.1*NS(r**(-12))",  # a neighbour count NS(1) is a term of its own
    "-133.702*NS(r**(-6.0)) + 21837.8*NS((r**2.0 - 8.21094e-6)/r**12)",  # as a search writes: fitted exponents
    "NS(2.0*(r - 2.7)**2*1.3**(-r)) + 0.5*NS(r**(-6))**(2/3)",
])
def test_written_formulas_become_trees_of_the_same_form(energy):
    [tree] = seed_trees([["form", energy]], TreeGrammar(load_grammar("eam")))
    assert tree_key(tree) == written_key(energy)


def test_the_pair_grammar_skips_the_many_body_forms_with_a_warning_naming_each():
    grammar = TreeGrammar(load_grammar("pair"))
    with pytest.warns(SymffWarning) as caught:
        trees = seed_trees(CLASSICAL, grammar)
    skipped = {name for name in MANY_BODY if any(f"start form {name} is skipped" in str(w.message) for w in caught)}
    assert skipped == MANY_BODY and len(caught) == len(MANY_BODY)
    assert [tree_key(t) for t in trees] == [written_key(e) for n, e in CLASSICAL if n not in MANY_BODY]


def test_a_search_seeded_with_the_classical_forms_starts_with_them_and_finds_lennard_jones_at_once(lj_data):
    config = SearchConfig(grammar="pair", population=12, generations=0, seed=1, start_forms="classical",
                          screen_fraction=0)
    assert [name for name, _ in config.start_forms] == [name for name, _ in CLASSICAL]
    search = Search(config, lj_data)
    with pytest.warns(SymffWarning):
        population = search.first_population()
    assert len(population) == 12
    assert [tree_key(t) for t in population[:2]] == [written_key(CLASSICAL[0][1]), written_key(CLASSICAL[1][1])]
    with pytest.warns(SymffWarning):
        result = run_search(config, lj_data)
    best = result.front[-1]
    assert best.key == written_key(CLASSICAL[0][1]) and best.loss < 1e-12  # the exact form, fitted in generation 0


def model_file(path, energy):
    Model.from_expression(energy, ["Cu"], {"Cu": -3.0}).save(path)
    return path


def test_model_files_a_directory_and_a_run_directory_give_their_forms(tmp_path):
    one = model_file(tmp_path / "one.json", "0.3*NS(r**(-12)) - 0.6*NS(r**(-6))")
    run = tmp_path / "run"
    (run / "models").mkdir(parents=True)
    (run / "front.json").write_text("{}")  # a run directory's other files are not models
    model_file(run / "models" / "0.json", "0.3*NS(1.5**(-r))")
    model_file(run / "models" / "1.json", "0.1*NS(r**(-9)) - 0.4*NS(r**(-6))**0.5")
    assert [written_key(e) for _, e in resolve_start_forms(one)] == [written_key("0.3*NS(r**(-12)) - 0.6*NS(r**(-6))")]
    forms = resolve_start_forms(str(run))
    assert [n for n, _ in forms] == [str(run / "models" / "0.json"), str(run / "models" / "1.json")]
    assert resolve_start_forms(run / "models") == forms
    grammar = TreeGrammar(load_grammar("eam"))
    assert [tree_key(t) for t in seed_trees(forms, grammar)] == [written_key(e) for _, e in forms]


def test_a_seeded_island_search_keeps_only_sane_members_and_resumes_without_seeding_again(lj_data, tmp_path,
                                                                                         monkeypatch):
    start = tmp_path / "start"
    start.mkdir()
    model_file(start / "lj.json", "0.3*NS(r**(-12)) - 0.6*NS(r**(-6))")
    model_file(start / "gp1.json", "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r)")  # no lone atom energy
    config = SearchConfig(grammar="eam", population=16, generations=2, seed=2, islands=2, start_forms=str(start))
    (tmp_path / "part").mkdir()
    IslandSearch(config, lj_data, run=tmp_path / "part").run()
    for path in start.iterdir():
        path.unlink()
    start.rmdir()
    monkeypatch.setattr(engine, "seed_trees", lambda *a, **k: pytest.fail("a resumed search seeded again"))
    state = read_checkpoint(tmp_path / "part")  # its config holds the forms themselves: no start file is read
    resumed = IslandSearch(SearchConfig(**(state["config"] | {"generations": 3})), lj_data, state=state).run()
    assert resumed.generations == 3
    assert resumed.stats["rejected"].get("sanity_isolated_atom", 0) >= 1  # GP1 never reached the front
    for model in front_models(resumed, lj_data):
        assert sanity_report(model)["sane"], model.energy_string(4)


@pytest.fixture(scope="module")
def train_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "train.extxyz"
    ase.io.write(path, make_lj_dataset(seed=4, epsilon=LJ_EPSILON, sigma=LJ_SIGMA)[::4])
    return path


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.json", "missing.json: no such start-forms file or directory"),
    (lambda d: d, "no model files"),
    (lambda d: (d / "broken.json").write_text("{not json") and d / "broken.json",
     "broken.json: corrupt or truncated JSON"),
    (lambda d: (d / "other.json").write_text(json.dumps({"format": "x"})) and d / "other.json",
     "other.json: not a symff model file"),
])
def test_a_missing_or_unreadable_start_file_is_a_one_line_error_naming_it(train_file, tmp_path, capsys, make, message):
    folder = tmp_path / "starts"
    folder.mkdir()
    start = make(folder)
    code = main(["search", str(train_file), "--grammar", "pair", "--population", "8", "--generations", "0",
                 "--start-forms", str(start), "--quiet", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and message in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "run").exists()  # refused before any work
    with pytest.raises(ConfigError, match=message.split(":")[-1].strip()):
        SearchConfig(start_forms=str(start))


def test_the_python_api_takes_start_forms(tmp_path):
    with pytest.raises(ConfigError, match="nowhere.json: no such start-forms file"):
        SymFF(start_forms=str(tmp_path / "nowhere.json"))  # refused when the estimator is made
    structures = make_lj_dataset(seed=6, epsilon=LJ_EPSILON, sigma=LJ_SIGMA)[::3]
    with pytest.warns(SymffWarning) as caught:
        model = SymFF(grammar="pair", population=8, generations=0, seed=1, start_forms="classical",
                      out=str(tmp_path / "run")).fit(structures)
    assert {name for name in MANY_BODY if any(f"start form {name} is skipped" in str(w.message) for w in caught)} \
        == MANY_BODY
    config = json.loads((tmp_path / "run" / "config.json").read_text())["search"]
    assert [name for name, _ in config["start_forms"]] == [name for name, _ in CLASSICAL]  # the forms themselves
    assert written_key(model.equations_["equation"].iloc[-1]) == written_key(CLASSICAL[0][1])  # LJ, in generation 0
