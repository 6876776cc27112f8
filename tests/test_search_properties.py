"""`symff search --properties`: material properties as the last tiers of a candidate's score (HOGA rule)."""

from dataclasses import replace

import pytest

from symff.data import Dataset
from symff.rundir import front_table
from symff.search.config import SearchConfig
from symff.search.engine import Individual, Search, run_search
from symff.search.properties import FAILED_KIND, property_outcome, screened_estimate
from symff.search.results import front_models
from symff.search.scoring import Candidate, Outcome, ScoreStats
from symff.search.start_forms import CLASSICAL, seed_trees
from symff.synthetic.generate import make_lj_dataset
from symff.targets import parse_targets, targets_from_rows

TARGETS = parse_targets({"format": "symff-targets/1", "elements": {"Cu": {
    "C11": {"value": 400.0, "tolerance": "10%"}, "dE_bcc_fcc": {"value": 10.0, "tolerance": 5},
    "E_vac": {"value": 2.7, "tolerance": "10%"}, "gamma_111": {"value": 1.0, "tolerance": "10%"}}}}).rows()


@pytest.fixture(scope="module")
def lj_data():
    return Dataset.from_atoms(make_lj_dataset(seed=3))


def config(**kw):
    return SearchConfig(**({"grammar": "eam", "population": 20, "generations": 0, "seed": 1,
                            "properties": TARGETS, "property_weight": 10.0} | kw))


def _score(data, form, **kw):
    search = Search(config(**kw), data)
    trees = seed_trees([form], search.grammar)
    [candidate], _ = search._score([Individual(trees[0])], 0)
    return search, candidate


def test_a_candidate_is_scored_by_data_and_properties(lj_data):
    search, candidate = _score(lj_data, CLASSICAL[0])
    record = candidate.properties
    assert record["tier"] == "relaxed"  # the archive is empty: nothing to stop it
    assert candidate.loss == pytest.approx(record["data_loss"] + 10.0 * record["property_loss"])
    assert set(record["values"]) >= {"C11", "dE_bcc_fcc", "E_vac", "gamma_111", "a0"}
    stats = search.scorer.stats
    assert stats.property_static == stats.property_defects == stats.property_relaxed == 1
    # the data-only score of the same form is its data loss
    _, plain = _score(lj_data, CLASSICAL[0], properties=[])
    assert plain.properties is None and plain.loss == pytest.approx(record["data_loss"])


def test_the_tolerance_objective_counts_only_deviations_beyond_the_tolerance(lj_data):
    _, plain = _score(lj_data, CLASSICAL[0], properties=[])
    weighted = property_outcome(Outcome(plain, stats=ScoreStats()), config()).result.properties
    record = property_outcome(Outcome(plain, stats=ScoreStats()), config(property_objective="tolerance")).result.properties
    assert record["values"] == weighted["values"]
    targets = targets_from_rows(TARGETS)
    d = [t.deviation(record["values"][t.name]) for t in targets.targets]
    assert weighted["property_loss"] == pytest.approx(sum(x * x for x in d) / len(d))
    assert record["property_loss"] == pytest.approx(sum(max(abs(x) - 1, 0) ** 2 for x in d) / len(d))
    # targets set at the candidate's own values: nothing to pay under `tolerance`, a little under `weighted`
    own = [[e, name, record["values"][name] * 1.05, abs(record["values"][name]) * 0.1, w]
           for e, name, _, _, w in TARGETS]
    inside = property_outcome(Outcome(plain, stats=ScoreStats()), config(properties=own, property_objective="tolerance"))
    assert inside.result.properties["property_loss"] == 0 and inside.result.properties["met"]
    assert inside.result.loss == pytest.approx(plain.loss)
    assert property_outcome(Outcome(plain, stats=ScoreStats()), config(properties=own)).result.properties[
        "property_loss"] == pytest.approx(0.25)


def test_a_candidate_that_cannot_reach_the_front_stops_after_the_static_tier(lj_data):
    _, plain = _score(lj_data, CLASSICAL[0], properties=[])
    settings = config()
    full = property_outcome(Outcome(plain, stats=ScoreStats()), settings).result.properties
    stopped = property_outcome(Outcome(plain, stats=ScoreStats()), settings, front_limit=plain.loss)
    record = stopped.result.properties
    assert record["tier"] == "static" and stopped.stats.property_static == 1 and stopped.stats.property_defects == 0
    assert "E_vac" not in record["values"] and not record["met"]
    # scored there with the static part of its property loss: a lower bound of the whole
    assert 0 < record["property_loss"] < full["property_loss"]
    assert stopped.result.loss == pytest.approx(plain.loss + 10.0 * record["property_loss"])


def test_only_a_candidate_that_could_still_reach_the_front_is_relaxed(lj_data):
    _, plain = _score(lj_data, CLASSICAL[0], properties=[])
    settings = config()
    relaxed = property_outcome(Outcome(plain, stats=ScoreStats()), settings).result.properties
    bound = property_outcome(Outcome(plain, stats=ScoreStats()), settings,
                             front_limit=plain.loss).result.properties["property_loss"]
    # the static bound is within this limit; with the unrelaxed defect energies the loss is not
    stopped = property_outcome(Outcome(plain, stats=ScoreStats()), settings, front_limit=plain.loss + 10.0 * bound)
    record = stopped.result.properties
    assert record["tier"] == "defects" and not record["met"]
    assert stopped.stats.property_defects == 1 and stopped.stats.property_relaxed == 0
    # relaxation only lowers the energy: the relaxed vacancy and surface energies lie below the unrelaxed ones
    assert relaxed["values"]["E_vac"] < record["values"]["E_vac"]
    assert relaxed["values"]["gamma_111"] <= record["values"]["gamma_111"] + 1e-9
    assert {k: v for k, v in relaxed["values"].items() if k not in ("E_vac", "gamma_111")} == \
        {k: v for k, v in record["values"].items() if k not in ("E_vac", "gamma_111")}


def test_the_screen_estimates_the_loss_with_the_static_properties(lj_data):
    # a screened candidate (fitted on the subset) is compared with the archive, whose losses hold property losses:
    # its loss gains property_weight x the static property loss at its screened constants
    _, plain = _score(lj_data, CLASSICAL[0], properties=[])
    settings = config()
    bound = property_outcome(Outcome(plain, stats=ScoreStats()), settings,
                             front_limit=plain.loss).result.properties["property_loss"]
    screened = replace(plain, full=False)
    estimated = screened_estimate(Outcome(screened), settings).result
    assert bound > 0 and estimated.loss == pytest.approx(plain.loss + 10.0 * bound)
    assert not estimated.full and estimated.properties is None
    # a candidate fitted on all the data, or a search without targets: unchanged
    assert screened_estimate(Outcome(plain), settings).result is plain
    assert screened_estimate(Outcome(screened), config(properties=[])).result is screened
    # properties that cannot be computed at the screened constants (a lone atom's infinite energy for E_coh of
    # GP1's 1/NS term): the screen keeps the data loss, and the fit on all the data decides
    _, gp1 = _score(lj_data, CLASSICAL[-1], properties=[], sanity=False)
    gp1 = replace(gp1, full=False)
    rows = TARGETS + [["Cu", "E_coh", 3.5, 0.35, 1.0]]
    assert screened_estimate(Outcome(gp1), config(properties=rows)).result.loss == gp1.loss


def _front(candidates):
    """The candidates no other one beats at equal or lower complexity (loss, then complexity)."""
    return [c for c in candidates if not any((o.loss, o.complexity) < (c.loss, c.complexity)
                                             for o in candidates if o.complexity <= c.complexity)]


@pytest.mark.parametrize("hierarchical", [True, False])
def test_a_generation_relaxes_only_its_front(lj_data, hierarchical):
    # the classical forms in one generation, the archive empty: the relaxed tier waits for all of them and relaxes
    # only the forms on their front (round after round); the exhaustive baseline relaxes every one
    search = Search(config(hierarchical=hierarchical, sanity=False, screen_fraction=0.0), lj_data)
    trees = seed_trees(CLASSICAL, search.grammar)
    scored = [c for c in search._score([Individual(t) for t in trees], 0)[0] if c is not None]
    tiers = [c.properties["tier"] for c in scored]
    assert len(scored) >= 4 and set(tiers) <= {"defects", "relaxed"}
    assert all(c.properties["tier"] == "relaxed" for c in _front(scored))
    # the forms the fits reached on the way (climbed) are scored too, each candidate once: the one a fit ended on
    # stands in the cache under two keys (the tree's form and its own), scored and relaxed once
    held = {c.key: c for c in search.scorer.cache.values() if isinstance(c, Candidate)}.values()
    stats = search.scorer.stats
    assert stats.property_static == len(held)
    assert stats.property_relaxed == sum(c.properties["tier"] == "relaxed" for c in held)
    if hierarchical:
        assert 0 < stats.property_relaxed < stats.property_defects
        # a form off the front stays unrelaxed, scored with its unrelaxed energies, and is marked so
        waiting = [c for c in scored if c.properties["tier"] == "defects"]
        assert waiting and not any(c.properties["final"] for c in waiting)
        assert all(c not in _front(scored) for c in waiting)
    else:
        assert stats.property_relaxed == stats.property_defects == stats.property_static


def test_a_failed_property_evaluation_rejects_that_candidate_only(lj_data):
    # GP1's 1/NS(0.33**r) is infinite for a lone atom: its cohesive energy cannot be computed
    rows = TARGETS + [["Cu", "E_coh", 3.5, 0.35, 1.0]]
    search = Search(config(properties=rows, sanity=False), lj_data)
    trees = seed_trees([CLASSICAL[0], CLASSICAL[-1]], search.grammar)
    (lj, gp1), _ = search._score([Individual(t) for t in trees], 0)
    assert gp1 is None and search.scorer.stats.rejected.get(FAILED_KIND) == 1
    assert lj is not None and lj.properties["tier"] == "relaxed"


def test_a_search_with_targets_reports_tiers_and_properties(lj_data):
    result = run_search(config(generations=2, population=16), lj_data)
    tiers = result.history[-1].tiers
    assert tiers["properties_static"] >= tiers["properties_defects"] >= tiers["properties_relaxed"] > 0
    models = front_models(result, lj_data)
    assert all("properties" in m.metadata for m in models)
    members = [{"index": k, "complexity": m.complexity, "errors": m.errors, "formula": m.energy_string(6),
                "properties": m.metadata["properties"]} for k, m in enumerate(models)]
    table = front_table(members).splitlines()
    assert "prop loss" in table[0] and "before the last property tier" in table[-1]
    # a member through every tier unmarked, one stopped before the last tier marked; targets without defect
    # energies end at the static tier, which is then the last (`final`); a record without `final` (an older run)
    # is final only when relaxed
    records = [{"tier": "relaxed", "final": True}, {"tier": "defects", "final": False},
               {"tier": "static", "final": False}, {"tier": "static", "final": True}, {"tier": "defects"}]
    marked = ["1.2*" in line for line in front_table([{**members[0], "properties": {
        "property_loss": 0.5, "worst_deviation": 1.2, **record}} for record in records]).splitlines()[2:7]]
    assert marked == [False, True, True, False, True]


def test_property_settings_are_checked():
    from symff.errors import ConfigError

    with pytest.raises(ConfigError, match="property-weight"):
        config(property_weight=0)
    with pytest.raises(ConfigError, match="property-objective"):
        config(property_objective="cubic")
    with pytest.raises(ConfigError, match="one element"):
        config(properties=TARGETS + [["Ni", "C11", 250.0, 10.0, 1.0]])
    assert replace(config(), properties=[]).properties == []


def test_the_report_front_table_shows_property_columns_only_with_targets():
    from symff.report.html import _front_table

    member = {"index": 0, "complexity": 5, "loss": 3.0, "errors": {"train": {"energy_mae_mev": 1.0}},
              "formula": "NS(r**-12)"}
    assert "property loss" not in _front_table([member])
    table = _front_table([member | {"properties": {"property_loss": 0.25, "worst_deviation": 0.8}}])
    assert "property loss" in table and "<td class='num'>0.25</td>" in table and "<td class='num'>0.8</td>" in table


def test_the_command_line_searches_with_targets_and_either_objective(tmp_path, capsys):
    import json

    import ase.io
    import yaml

    from symff.cli import main

    data, targets = tmp_path / "lj.extxyz", tmp_path / "targets.yaml"
    ase.io.write(data, make_lj_dataset(seed=3)[:24])
    targets.write_text(yaml.safe_dump({"format": "symff-targets/1", "source": "test", "elements": {"Cu": {
        "C11": {"value": 400.0, "tolerance": "10%"}, "E_vac": {"value": 2.7, "tolerance": "10%"}}}}))
    out = tmp_path / "run"
    assert main(["search", str(data), "--grammar", "eam", "--population", "8", "--generations", "1", "--seed", "1",
                 "--properties", str(targets), "--property-objective", "tolerance", "--out", str(out),
                 "--quiet", "--no-report"]) == 0
    settings = json.loads((out / "config.json").read_text())["search"]
    assert settings["property_objective"] == "tolerance" and [row[1] for row in settings["properties"]] == ["C11",
                                                                                                          "E_vac"]
    members = json.loads((out / "front.json").read_text())["members"]
    assert members and all({"property_loss", "worst_deviation", "met"} <= set(m["properties"]) for m in members)
    with pytest.raises(SystemExit) as refused:
        main(["search", str(data), "--properties", str(targets), "--property-objective", "cubic",
              "--out", str(tmp_path / "bad")])
    assert refused.value.code == 2 and "--property-objective" in capsys.readouterr().err


def test_islands_relax_each_front_and_give_the_same_front_twice(lj_data):
    # islands score their generations together (one batch of relax rounds over all their plans): each island's
    # front is relaxed, and the run is the same whatever order the jobs ran in
    settings = config(generations=2, population=16, islands=2, migration_interval=1, migration_size=1)
    first, second = run_search(settings, lj_data), run_search(settings, lj_data)
    assert first.history[-1].tiers["properties_relaxed"] > 0
    assert all(c.properties["tier"] == "relaxed" for c in first.front)
    assert [(c.key, c.loss) for c in first.front] == [(c.key, c.loss) for c in second.front]
