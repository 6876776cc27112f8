"""The notebooks in notebooks/ run from top to bottom, at the small settings SYMFF_NOTEBOOK_SMALL=1 selects."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
def test_notebook_runs(name, monkeypatch, tmp_path):
    if name == "discover-cu.ipynb" and not (DATASETS / "mlearn" / "Cu").is_dir():
        pytest.skip("needs the mlearn data in ../shared/datasets")
    monkeypatch.setenv("SYMFF_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("SYMFF_DATASETS", str(DATASETS))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the run directories SymFF.fit makes go here
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    images = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) >= 3, "the notebook shows its plots"
