"""The documentation site builds with `mkdocs build --strict`, and the command-line reference covers every command."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from symff.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]


def command_names():
    return [module.__name__.rsplit(".", 1)[1] for module in COMMANDS]


def test_every_command_has_a_section_in_the_cli_reference():
    text = (ROOT / "docs" / "cli.md").read_text()
    for name in command_names():
        assert f"## symff {name}\n" in text, f"docs/cli.md: add a section '## symff {name}'"
        assert f"<!-- help: {name} -->" in text, f"docs/cli.md: add '<!-- help: {name} -->' under its section"


def test_every_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    for page in (ROOT / "docs").glob("*.md"):
        assert re.search(rf"\b{re.escape(page.name)}\b", nav), f"mkdocs.yml: {page.name} is not in nav"


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    site = tmp_path / "site"
    build = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"),
                            "-d", str(site)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert build.returncode == 0, build.stderr
    cli = (site / "cli" / "index.html").read_text()
    for name in command_names():
        assert f"usage: symff {name}" in cli, f"the --help of {name} is missing from the built page"
    assert (site / "lammps" / "index.html").is_file()
