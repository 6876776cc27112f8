"""Export of a fitted model to where MD runs: LAMMPS tables, an ASE calculator and readable formulas.

- `form`: which LAMMPS style can hold a model (pair-only -> pair_style table, single-density EAM -> eam/alloy).
- `table`, `setfl`: the file writers; `lammps`: the export directory (files, input snippet, README).
- `calculator`: `SymFFCalculator`, an ASE calculator on symff's kernels for any model.
- `readable`: the formula as text, LaTeX, sympy and a numpy function.
"""

from .form import ExportForm, analyse_form
from .lammps import export_lammps

__all__ = ["ExportForm", "analyse_form", "export_lammps"]
