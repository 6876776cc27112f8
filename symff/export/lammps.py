"""`symff export MODEL --lammps DIR`: LAMMPS input for one model in its LAMMPS form (`form.LAMMPS_FORMS`), an input
snippet and a README.

DIR gets
- the potential files: none for `lepton` (the expression is in the snippet), `symff.table` for `table`,
  `ELEMENTS.eam.alloy` for `eam/alloy`, `ELEMENTS.K.eam.alloy` (K = 1, 2, ...) for `hybrid/overlay`, one per
  embedding: `pair_style hybrid/overlay eam/alloy eam/alloy ...` with `pair_coeff * * eam/alloy K FILE ELEMENTS`,
  the pair energy and the reference energies in the first file, zero pair energy in the others;
- `in.symff`: `units metal`-compatible `pair_style` and `pair_coeff` lines, to `include` from an input file whose
  atom types are the model's elements in order;
- `README.md`: the formula, the LAMMPS form and how the files were made.
"""

import math
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from .. import __version__
from ..cutoff import three_body_radii
from ..errors import ConfigError, ModelError
from ..model import AlloyModel
from . import setfl, table
from .form import LAMMPS_FORMS, analyse_form, lepton_expression


@dataclass(frozen=True)
class LammpsExport:
    style: str  # the LAMMPS form: "lepton", "table", "eam/alloy" or "hybrid/overlay"
    files: tuple  # the potential files (Paths), none for lepton
    input: Path
    readme: Path
    pair_style: str
    pair_coeff: tuple  # pair_coeff lines, file names relative to DIR
    rho_max: tuple = ()  # the density grid's top, per setfl file
    density_range: tuple = ()  # meam/spline: the densities U's knots cover
    energy_shift: float = 0.0  # meam/spline: U(0), which LAMMPS subtracts per atom

    @property
    def includes_reference(self):
        """Whether LAMMPS energies include the per-element reference energies (a setfl file adds them to F)."""
        return any(path.name.endswith((".eam.alloy", ".eam.fs")) for path in self.files)

    def symff_energy(self, lammps_energy, symbols, reference_energy):
        """symff's total energy of a structure from the LAMMPS energy of this export (`symbols`: its atoms')."""
        shift = len(symbols) * self.energy_shift
        if not self.includes_reference:
            shift += sum(reference_energy[s] for s in symbols)
        return lammps_energy + shift

    def commands(self):
        """The pair_style and pair_coeff commands with absolute file names (to run from any directory)."""
        coeffs = []
        for line in self.pair_coeff:
            for path in self.files:
                line = line.replace(f" {path.name} ", f" {path.resolve()} ")
            coeffs.append(line)
        return [self.pair_style, *coeffs]


POTENTIAL_FILES = ("*.eam.alloy", "*.eam.fs", "*.meam.spline", "symff.table")  # the names of an export's files

# a table's points: fewer cannot follow a potential; more only make files of gigabytes (a line of ~25 bytes per point
# and function) that LAMMPS reads for minutes, far below any interpolation error that matters
MIN_POINTS, MAX_POINTS = 100, 1_000_000


def export_lammps(model, directory, *, r_lo=1.0, points=None, rho_max=None, style=None,
                  density_range=None, source=None) -> LammpsExport:
    """Write the LAMMPS files of `model` into `directory` (created) in its LAMMPS form, or in `style` ("table" or
    "lepton", for pair forms); a form LAMMPS cannot hold raises ModelError, and a file in `directory` of a name the
    export writes that no symff export wrote ConfigError (`_install`). `density_range` (low, high): the
    densities U's knots cover in a meam/spline file (default: `meam_spline.default_density_range`). `source`: where
    the model comes from, for messages (its file)."""
    if not 0 < r_lo < model.r_out:
        raise ConfigError(f"--r-min must lie between 0 and the cutoff {model.r_out} Å, got {r_lo}")
    if points is not None and not MIN_POINTS <= points <= MAX_POINTS:
        raise ConfigError(f"--points must lie between {MIN_POINTS} and {MAX_POINTS:,}, got {points}")
    if rho_max is not None and not rho_max > 0:
        raise ConfigError(f"--rho-max must be positive, got {rho_max}")
    if density_range is not None and not (len(density_range) == 2 and all(map(math.isfinite, density_range))
                                          and density_range[0] < density_range[1]):
        raise ConfigError(f"--density-range needs finite LOW < HIGH, got {' '.join(map(str, density_range))}")
    angular = not isinstance(model, AlloyModel) and bool(model.formula.angular)
    if density_range is not None and not angular:
        raise ConfigError("--density-range is for meam/spline exports (forms with three-body sums) only")
    # written aside and moved into DIR once whole: a refused export leaves DIR as it was (an earlier export in it)
    with tempfile.TemporaryDirectory(prefix="symff-export-") as staging:
        export = _written(model, Path(staging), r_lo, points, rho_max, style, density_range, source)
        return _install(export, Path(staging), Path(directory))


def _written(model, directory, r_lo, points, rho_max, style, density_range, source):
    """The export of `model`, written into `directory`."""
    if isinstance(model, AlloyModel):
        return _write_alloy(model, directory, r_lo, points, rho_max, style, source)
    form = analyse_form(model)
    if form.kind == "meam":  # one meam/spline file; forms of several pieces are a hybrid/overlay (below)
        from .meam_spline import meam_form

        if style is not None and style != "meam/spline":
            raise ConfigError(f"--style {style}: a form with three-body sums is exported as meam/spline")
        return _write_meam_spline(model, meam_form(form), directory, r_lo, points, density_range)
    # a pair form as lepton or table; one embedding of one element's density in the setfl file that eam/alloy and
    # eam/fs read alike (for one element eam/fs's file lists the same one density)
    other = {"lepton": "table", "table": "lepton"} if form.kind == "pair" else {"eam/alloy": "eam/fs"}
    if style is not None and style != form.style and style != other.get(form.style):
        raise ConfigError(f"--style {style}: this form is exported as {form.style} (lepton or table: pair forms only; "
                          "eam/fs: forms of one embedding)")
    style = style or form.style
    try:
        return _write(model, form, style, directory, r_lo, points, rho_max, density_range)
    except ValueError as exc:  # a function that is not finite on the grid, or an unbounded density
        raise ModelError(f"cannot export {model.energy_string(6)} to LAMMPS: {exc}") from None


def pair_commands(pieces, elements):
    """(pair_style line, [pair_coeff lines]) of potential files `pieces` [(sub-style, path)]: one file alone, or a
    `hybrid/overlay` of them, a sub-style used more than once numbered in pair_coeff (LAMMPS pair_style hybrid)."""
    substyles = [substyle for substyle, _ in pieces]
    names = " ".join(elements)
    if len(pieces) == 1:
        return f"pair_style {substyles[0]}", [f"pair_coeff * * {pieces[0][1].name} {names}"]
    coeffs, seen = [], {}
    for substyle, path in pieces:
        seen[substyle] = seen.get(substyle, 0) + 1
        number = f" {seen[substyle]}" if substyles.count(substyle) > 1 else ""
        coeffs.append(f"pair_coeff * * {substyle}{number} {path.name} {names}")
    return f"pair_style hybrid/overlay {' '.join(substyles)}", coeffs


def written_by_symff(path):
    """Whether `path` is a file a symff export wrote: each one's first line names symff ("symff ..." in a setfl
    file, "# symff ..." in the others)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(200)
    except OSError:
        return False
    return first.lstrip(b"# ").startswith(b"symff")


def _install(export, staging, directory):
    """Move the files of `export`, written in `staging`, into `directory` (created); the export with their paths
    there. A file of that name which no symff export wrote (the user's README.md, a potential of their own) is
    refused, not overwritten; the potential files of an earlier export that this one does not write are removed (an
    input would take them for this one's), the user's own files left alone."""
    names = sorted(path.name for path in staging.iterdir())
    for name in names:
        target = directory / name
        if target.exists() and not (target.is_file() and written_by_symff(target)):
            raise ConfigError(f"{target}: exists and was not written by symff export: choose another --lammps DIR, "
                              "or move the file")
    directory.mkdir(parents=True, exist_ok=True)
    for pattern in POTENTIAL_FILES:
        for stale in directory.glob(pattern):
            if stale.name not in names and stale.is_file() and written_by_symff(stale):
                stale.unlink()
    for name in names:
        shutil.move(staging / name, directory / name)

    def moved(path):
        return directory / path.name

    return replace(export, files=tuple(map(moved, export.files)), input=moved(export.input),
                   readme=moved(export.readme))


def _write_alloy(model, directory, r_lo, points, rho_max, style, source):
    from . import alloy

    if style not in (None, "eam/alloy", "eam/fs"):
        raise ConfigError(f"--style {style}: a model with one energy per element is exported as eam/alloy or eam/fs")
    export = alloy.export_alloy_setfl(model, directory, rho_max=rho_max, style=style, r_lo=r_lo,
                                      points=points or alloy.DEFAULT_POINTS, source=source or model.energy_string(6))
    export = replace(export, readme=directory / "README.md")
    _write_texts(model, export, f"density grid up to rho = {', '.join(f'{b:.6g}' for b in export.rho_max)}")
    return export


def _write_meam_spline(model, form, directory, r_min, points, density_range):
    written, density_range = _meam_spline_file(model, form, directory / f"{model.elements[0]}.meam.spline", r_min,
                                               points, density_range)
    export = LammpsExport("meam/spline", (written.path,), directory / "in.symff", directory / "README.md",
                          written.pair_style, (f"pair_coeff * * {written.path.name} {written.element}",),
                          density_range=density_range, energy_shift=written.energy_shift)
    _write_texts(model, export, f"φ, ρ, f on {len(written.splines['phi'].x)} uniform knots from {r_min} to "
                                f"{model.r_out} Å, U on [{density_range[0]:.6g}, {density_range[1]:.6g}]")
    return export


def _meam_spline_file(model, form, path, r_min, points, density_range, piece=None, whole=None):
    """(MeamSplineExport, density range) of the angular form `form` of `model` written to `path`; `piece` (m, count):
    it is the m-th of `count` three-body pieces of a hybrid/overlay, whose energy is that of the AngularForms `whole`
    together. `density_range` None: the element's crystals' (meam_spline.default_density_range, at the equilibria of
    the whole model)."""
    from . import meam_spline

    if len(model.elements) != 1:
        raise ModelError(f"cannot export {model.energy_string(6)} to LAMMPS meam/spline: one element only, the model "
                         f"has {', '.join(model.elements)}")
    [element] = model.elements
    bond = three_body_radii(model.r_in, model.r_out, model.three_body_cutoff)
    inner = min(model.r_in, bond[0])
    if not r_min < inner:
        raise ConfigError(f"--r-min must lie below the cutoff's inner radius {inner} Å for meam/spline, got {r_min}")
    if density_range is None:  # a piece of a hybrid/overlay takes the crystals' equilibria from the whole model
        density_range = meam_spline.default_density_range(form, element, r_in=model.r_in, r_out=model.r_out,
                                                          whole=whole, bond_cutoff=bond)
    knots = {"radial_knots": points} if points else {}
    which = f" (three-body piece {piece[0]} of {piece[1]})" if piece else ""
    # LAMMPS passes over the pairs of neighbours inside the file's cutoff: f alone has the three-body cutoff's
    cutoffs = ({"r_in": bond[0], "r_out": bond[1]} if form.phi == 0 and form.rho == 0 else
               {"r_in": model.r_in, "r_out": model.r_out, "bond_cutoff": model.three_body_cutoff})
    try:
        written = meam_spline.write_meam_spline(path, form, element, **cutoffs, r_min=r_min,
                                                density_range=density_range,
                                                comment=f"symff {__version__}: {model.equation(10)}{which}",
                                                **knots)
    except ValueError as exc:
        raise ModelError(f"cannot export {model.energy_string(6)} to LAMMPS meam/spline: {exc}") from None
    return written, tuple(float(v) for v in density_range)


def _write(model, form, style, directory, r_lo, points, rho_max, density_range=None):
    bounds = []  # the density grids' tops of the setfl files, checked before anything is written
    if style not in ("lepton", "table") and form.embeddings:
        spacing = setfl.crystal_spacing(form)  # one fcc scan for the grids and the check
        bounds = [rho_max or setfl.density_bound(form, k, spacing=spacing) for k in range(len(form.embeddings))]
        setfl.check_tables(form, bounds, points or setfl.DEFAULT_POINTS, r_lo, spacing)
    comment = f"symff {__version__}: {model.equation(10)}"
    files, notes = [], []
    shift = 0.0  # Σ U(0) of the meam/spline files, which LAMMPS subtracts per atom
    if style == "lepton":
        expression = lepton_expression(form)
        if expression is None:
            raise ValueError("the pair expression has a function pair_style lepton lacks: use --style table")
        pair_style = f"pair_style lepton {form.r_out:.17g}"
        coeffs = [f'pair_coeff * * "{expression}" {form.r_out:.17g}']
    elif style == "table":
        files.append(directory / "symff.table")
        pair_style, coeff = table.write_pair_table(form, files[0], r_lo=r_lo, points=points or table.DEFAULT_POINTS,
                                                   comment=comment)
        coeffs = [coeff]
    else:  # eam/alloy, meam/spline, or hybrid/overlay of eam/alloy files (φ in the first) and meam/spline files
        several = len(form.embeddings) > 1
        setfl_substyle = "eam/fs" if style == "eam/fs" else "eam/alloy"
        suffix = setfl_substyle.replace("/", ".")
        pieces = []  # (sub-style, file)
        for k in range(len(form.embeddings)):
            path = directory / (f"{''.join(model.elements)}.{k + 1}.{suffix}" if several
                                else f"{''.join(model.elements)}.{suffix}")
            part = f"{comment} (embedding {k + 1} of {len(form.embeddings)})" if several else comment
            setfl.write_setfl(form, path, model.elements, model.reference_energy, embedding=k, with_pair=k == 0,
                              r_lo=r_lo, rho_max=bounds[k], points=points or setfl.DEFAULT_POINTS, comment=part)
            pieces.append((setfl_substyle, path))
        whole = form.angular_pieces()  # every piece's energy, for each meam/spline file's density range
        for m, piece in enumerate(form.three_body):
            if m == 0 and not form.embeddings:  # no setfl file: φ goes with the first three-body piece
                piece = replace(piece, phi=2 * form.pair_expr)
            written, covered = _meam_spline_file(
                model, piece, directory / f"{model.elements[0]}.{m + 1}.meam.spline", r_lo, points, density_range,
                (m + 1, len(form.three_body)), whole)
            shift += written.energy_shift
            pieces.append(("meam/spline", written.path))
            notes.append(f"meam/spline file {m + 1}: U on [{covered[0]:.6g}, {covered[1]:.6g}], U(0) = "
                         f"{written.energy_shift:.10g} eV")
        files = [path for _, path in pieces]
        pair_style, coeffs = pair_commands(pieces, model.elements)
    export = LammpsExport(style, tuple(files), directory / "in.symff", directory / "README.md", pair_style,
                          tuple(coeffs), tuple(bounds), energy_shift=shift)
    grid = f"density grid up to rho = {', '.join(f'{b:.6g}' for b in bounds)}" if bounds else ""
    _write_texts(model, export, grid, f"in LAMMPS terms: `{form.text()}`", *notes)
    return export


def _write_texts(model, export, grid, *notes):
    """DIR/in.symff and DIR/README.md of `export`."""
    equation = model.equation(10)
    elements = " ".join(model.elements)
    reference = ", ".join(f"{e} {v:.10g} eV" for e, v in model.reference_energy.items())
    if export.includes_reference:
        energy_note = "LAMMPS energies include the per-element reference energies (added to the first file's F)."
    else:
        energy_note = f"LAMMPS energies exclude the per-element reference energies ({reference})"
        if export.energy_shift:
            energy_note += f" and U(0) = {export.energy_shift:.10g} eV per atom, which meam/spline subtracts"
        energy_note += ": add them for symff's totals."
    export.input.write_text(
        f"# symff model, elements (atom types in order): {elements}; units metal; LAMMPS form: {export.style}\n"
        f"# {equation}\n{export.pair_style}\n" + "\n".join(export.pair_coeff) + "\n"
    )
    names = ", ".join(f"`{f.name}`" for f in export.files) or "none (the expression is in `in.symff`)"
    export.readme.write_text(
        f"# symff LAMMPS export\n\n`{equation}` (cutoff f_c from {model.r_in} to {model.r_out} Å"
        + ("" if model.three_body_cutoff is None else
           ", of the three-body sums from {} to {} Å".format(*model.three_body_cutoff)) + ", "
        f"elements {', '.join(model.elements)}).\n\n"
        f"- LAMMPS form: **{export.style}** — {LAMMPS_FORMS[export.style]}.\n"
        f"- files: {names}; include `in.symff` after defining the box (units metal); file names in `pair_coeff` are "
        f"relative to where LAMMPS runs.\n"
        + "".join(f"- {note}.\n" for note in notes) + f"- {energy_note}\n" + (f"- {grid}.\n" if grid else "")
    )
