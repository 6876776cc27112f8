"""mkdocs hooks: the command-line reference is filled from the argparse parsers, so it cannot fall out of step.

`docs/cli.md` holds `<!-- help: COMMAND -->` markers; each becomes that subcommand's `--help` text. If no
`docs/lammps.md` exists (the LAMMPS export documents itself there), a stub page keeps the links to it valid.
"""

import os

from mkdocs.structure.files import File

LAMMPS_STUB = """# LAMMPS

`symff export MODEL --lammps DIR` writes a LAMMPS table (pair forms) or an eam/alloy setfl file (single-density EAM
forms) with an input snippet; the Python API does the same with `SymFF.export_lammps(DIR, k)`. This page is written
with the export.
"""


def subcommand_help():
    os.environ["COLUMNS"] = "100"  # argparse wraps to the terminal width: fix it for stable pages
    from symff.cli import build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return {name: p.format_help() for name, p in sub.choices.items()}


def on_files(files, config):
    if files.get_file_from_path("lammps.md") is None:
        files.append(File.generated(config, "lammps.md", content=LAMMPS_STUB))
    return files


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri != "cli.md":
        return markdown
    for name, text in subcommand_help().items():
        markdown = markdown.replace(f"<!-- help: {name} -->", f"```text\n{text.rstrip()}\n```")
    return markdown
