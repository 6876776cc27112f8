"""The dependency rules of the architecture: the checkpoint file format knows nothing of the search, and the search's
scoring and batching do not import each other in a circle."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "symff"


def imported_modules(path):
    """Every module `path` imports (anywhere in it, function bodies included), as absolute dotted names."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_checkpoint_is_the_file_format_only():
    assert not {m for m in imported_modules(PACKAGE / "checkpoint.py") if m.startswith("symff.search")}


def test_scoring_and_batch_are_not_a_circle():
    assert "symff.search.batch" not in imported_modules(PACKAGE / "search" / "scoring.py")
    assert "symff.search.scoring" in imported_modules(PACKAGE / "search" / "batch.py")


def test_search_state_round_trips_through_checkpoint_data(tmp_path):
    from symff.checkpoint import read_checkpoint, write_checkpoint
    from symff.search.state import IslandState, SearchState

    island = IslandState().applied({"first": 0, "generation": 1, "elapsed": 2.0, "candidates": ["c"],
                                    "cache": [("k", 0)], "population": [("r", 0)], "archive": {3: 0}, "rng": None,
                                    "stats": {"trees": 1}, "history": ["h"]})
    state = SearchState(config={"seed": 1}, generation=1, elapsed=2.0, history=["h"], islands=[island])
    write_checkpoint(tmp_path, state.to_checkpoint())
    assert SearchState.from_checkpoint(read_checkpoint(tmp_path)) == state
