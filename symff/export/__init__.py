"""Export of a fitted model to where MD runs: LAMMPS tables, an ASE calculator and readable formulas.

- `form`: a model's LAMMPS form (pair-only -> pair_style lepton or table, one embedding -> eam/alloy, several
  embeddings of different densities -> hybrid/overlay of eam/alloy files, else symff only with the reason).
- `alloy`: a model with one energy per element (symff-model/2) as one eam/alloy or eam/fs setfl file.
- `table`, `setfl`: the file writers; `lammps`: the export directory (files, input snippet, README);
  `lammps_run`: the exported files run in the real LAMMPS; `meam_spline`: `pair_style meam/spline` files of angular
  forms (`symff.evaluate.angular`).
- `calculator`: `SymFFCalculator`, an ASE calculator on symff's kernels for any model.
- `readable`: the formula as a numpy function (`Model.numpy_function`).
"""

from .form import ExportForm, analyse_form
from .lammps import export_lammps

__all__ = ["ExportForm", "analyse_form", "export_lammps"]
