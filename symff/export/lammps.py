"""`symff export MODEL --lammps DIR`: a LAMMPS potential file, an input snippet and a README for one model.

DIR gets
- `symff.table` (pair-only forms, pair_style table) or `ELEMENTS.eam.alloy` (single-density EAM forms, eam/alloy);
- `in.symff`: `units metal`-compatible `pair_style` and `pair_coeff` lines, to `include` from an input file whose
  atom types are the model's elements in order;
- `README.md`: the formula and how the file was made.
"""

from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..errors import ConfigError, ModelError
from . import setfl, table
from .form import analyse_form


@dataclass(frozen=True)
class LammpsExport:
    kind: str  # "pair" or "eam"
    potential: Path
    input: Path
    readme: Path
    pair_style: str
    pair_coeff: str
    rho_max: float | None = None


def export_lammps(model, directory, *, r_lo=1.0, points=None, rho_max=None) -> LammpsExport:
    """Write the LAMMPS files of `model` into `directory` (created); a form LAMMPS cannot hold raises ModelError."""
    if not 0 < r_lo < model.r_out:
        raise ConfigError(f"--r-min must lie between 0 and the cutoff {model.r_out} Å, got {r_lo}")
    if points is not None and points < 100:
        raise ConfigError(f"--points must be at least 100, got {points}")
    if rho_max is not None and not rho_max > 0:
        raise ConfigError(f"--rho-max must be positive, got {rho_max}")
    form = analyse_form(model)
    try:
        return _write(model, form, Path(directory), r_lo, points, rho_max)
    except ValueError as exc:  # a function that is not finite on the grid, or an unbounded density
        raise ModelError(f"cannot export {model.energy_string(6)} to LAMMPS: {exc}") from None


def _write(model, form, directory, r_lo, points, rho_max):
    directory.mkdir(parents=True, exist_ok=True)
    formula = model.energy_string(10)
    comment = f"symff {__version__}: E_i = {formula}"
    if form.kind == "pair":
        potential = directory / "symff.table"
        style, coeff = table.write_pair_table(form, potential, r_lo=r_lo, points=points or table.DEFAULT_POINTS,
                                              comment=comment)
    else:
        potential = directory / f"{''.join(model.elements)}.eam.alloy"
        style, coeff, rho_max = setfl.write_setfl(
            form, potential, model.elements, model.reference_energy, r_lo=r_lo, rho_max=rho_max,
            points=points or setfl.DEFAULT_POINTS, comment=comment,
        )
    reference = ", ".join(f"{e} {v:.10g} eV" for e, v in model.reference_energy.items())
    energy_note = (
        "LAMMPS energies include the per-element reference energies (added to F)." if form.kind == "eam" else
        f"LAMMPS energies exclude the per-element reference energies ({reference}): add them for symff's totals."
    )
    snippet = directory / "in.symff"
    snippet.write_text(
        f"# symff model, elements (atom types in order): {' '.join(model.elements)}; units metal\n"
        f"# E_i = {formula}\n{style}\n{coeff}\n"
    )
    readme = directory / "README.md"
    readme.write_text(
        f"# symff LAMMPS export\n\nE_i = `{formula}` (cutoff f_c from {model.r_in} to {model.r_out} Å, "
        f"elements {', '.join(model.elements)}).\n\n"
        f"- style: `{style}`, file `{potential.name}`; include `in.symff` after defining the box (units metal); the file name in `pair_coeff` is relative to where LAMMPS runs.\n"
        f"- in LAMMPS terms: `{form.text()}`.\n- {energy_note}\n"
        + (f"- density grid up to rho = {rho_max:.6g}.\n" if rho_max is not None else "")
    )
    return LammpsExport(form.kind, potential, snippet, readme, style, coeff, rho_max)
