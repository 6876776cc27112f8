"""Search progress: ETA, the generation summary, the plain line, and the JSON log."""

import io
import json

from rich.console import Console

from symff.progress import SearchProgress, brief_front, counted, eta_seconds, generation_summary, read_history
from symff.search.config import SearchConfig
from symff.search.engine import GenerationReport


def report(generation, elapsed, trees):
    return GenerationReport(generation=generation, elapsed=elapsed, trees=trees, cache_hits=trees // 4, fits=3,
                            evaluations=10, rejected={"complex": 1, "sanity_dimer_wall": 2, "sanity_clusters": 1},
                            front=[(3, 10.0), (5, 1.0), (9, float("inf"))],
                            best_loss=1.0)


def test_eta_is_the_earlier_of_generations_and_time_limit():
    assert eta_seconds(0, 1.0, SearchConfig(generations=10)) is None
    assert eta_seconds(2, 10.0, SearchConfig(generations=10)) == 40.0
    assert eta_seconds(2, 10.0, SearchConfig(generations=10, time_limit=25.0)) == 15.0
    assert eta_seconds(20, 10.0, SearchConfig(generations=10, time_limit=5.0)) == 0.0


def test_brief_front_keeps_the_ends():
    front = [(c, 1.0 / c) for c in range(1, 20)]
    brief = brief_front(front, 5)
    assert len(brief) == 5 and brief[0] == front[0] and brief[-1] == front[-1]
    assert brief_front(front[:3], 5) == front[:3]


def test_summary_rates_and_json():
    config = SearchConfig(generations=4)
    summary = generation_summary(report(2, 4.0, 60), config, previous=report(1, 2.0, 40))
    assert summary["candidates_per_s"] == 10.0 and summary["cache_hit_rate"] == 0.25
    assert summary["eta_s"] == 4.0 and summary["front"][-1] == [9, None]
    assert summary["insane"] == 3  # the forms the sanity tier turned away, of all the rejected
    json.dumps(summary, allow_nan=False)


def test_progress_writes_a_line_per_generation_and_the_log(tmp_path):
    stream = io.StringIO()
    log = tmp_path / "log.jsonl"
    with SearchProgress(SearchConfig(generations=2), log_json=log, console=Console(file=stream)) as progress:
        for g in range(3):
            progress(report(g, 1.0 + g, 20 * (g + 1)))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("gen 2/2") and "cand/s" in lines[-1] and "cache 25%" in lines[-1]
    assert "insane 3" in lines[-1]
    assert [h["generation"] for h in read_history(log)] == [0, 1, 2]


def test_a_terminal_gets_the_live_panel(tmp_path):
    # what a user at a terminal sees (the tests' stderr is no terminal, so no other test draws it)
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120, color_system=None)
    with SearchProgress(SearchConfig(generations=2, time_limit=100.0), console=console) as progress:
        assert progress._live is not None
        for g in range(3):
            progress(report(g, 1.0 + g, 20 * (g + 1)))
    text = stream.getvalue()
    final = text[text.rindex("generation "):]  # the last frame drawn
    assert "generation 2/2" in final and "elapsed 0:03" in final and "ETA 0:00" in final
    assert "20.0 candidates/s" in final and "cache hits 25%" in final and "fits 3" in final and "insane 3" in final
    rows = [line.replace("│", " ").split() for line in final.splitlines() if line.strip()[:1].isdigit()]
    assert rows == [["3", "10"], ["5", "1"], ["9", "-"]]  # an infinite loss shows as "-"


def test_quiet_progress_prints_nothing_but_still_logs(tmp_path):
    stream = io.StringIO()
    with SearchProgress(SearchConfig(), quiet=True, log_json=tmp_path / "log", console=Console(file=stream)) as p:
        p(report(0, 1.0, 20))
    assert stream.getvalue() == "" and len(read_history(tmp_path / "log")) == 1


def test_property_tier_counts_are_in_the_line_and_the_log_only_with_targets(tmp_path):
    from dataclasses import replace

    stream = io.StringIO()
    log = tmp_path / "log.jsonl"
    with_tiers = replace(report(1, 2.0, 40), tiers={"properties_static": 7, "properties_defects": 2})
    with SearchProgress(SearchConfig(generations=2), log_json=log, console=Console(file=stream)) as progress:
        progress(report(0, 1.0, 20))
        progress(with_tiers)
    lines = stream.getvalue().splitlines()
    assert "props" not in lines[0] and "props 7/2" in lines[1]
    history = read_history(log)
    assert "tiers" not in history[0] and history[1]["tiers"] == {"properties_static": 7, "properties_defects": 2}


def test_counts_are_written_singular_for_one():
    assert [counted(n, "generation") for n in (0, 1, 2)] == ["0 generations", "1 generation", "2 generations"]
    assert counted("?", "generation") == "? generations"  # a front.json without the count
