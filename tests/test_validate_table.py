"""benchmarks/validate_table.py (the property table of docs/discovery.md) runs on a shipped model file and on an EAM
file through LAMMPS, and prints what `symff validate` computes for each."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "symff" / "potentials" / "Cu-mlearn-3.json"


def run(*command):
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True).stdout


@pytest.mark.parametrize("model", [str(MODEL), "Cu_mishin1.eam.alloy"], ids=["model file", "EAM file"])
def test_the_property_table_shows_what_symff_validate_computes(model):
    table = run(sys.executable, "benchmarks/validate_table.py", f"label={model}")
    validated = json.loads(run(sys.executable, "-m", "symff", "validate", model, "--json"))["properties"]
    rows = {line.split("|")[1].strip(): line.split("|")[3].strip() for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| property")}
    assert set(rows) == set(validated)
    for name, value in validated.items():
        assert rows[name].split()[0] == f"{value:.4g}", name
