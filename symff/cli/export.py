"""`symff export MODEL --lammps DIR`: LAMMPS files for a model in its LAMMPS form, chosen exact where it can be and
tightest otherwise: `pair_style lepton` (the exact expression) for pair-only forms, `eam/alloy` for one embedding,
`hybrid/overlay` of one eam/alloy file per embedding for several (`--style table` tabulates a pair form instead),
`meam/spline` for a form with a three-body sum in one embedding (a hybrid/overlay piece each where there are several),
and one `eam/alloy` (or `eam/fs`) file for a model with one energy per element.
Writes DIR/in.symff (the pair_style and pair_coeff lines) and DIR/README.md. MODEL is a model file, or a run directory
with `--index K` (without it: the default member, see `symff.rundir.default_member`). A form LAMMPS cannot hold is
refused with the reason."""

from ..export import export_lammps
from ..export.form import LAMMPS_FORMS
from .evaluate import load_model


def add_parser(sub):
    p = sub.add_parser("export", help="write LAMMPS files for a model", description=__doc__)
    p.add_argument("model", metavar="MODEL", help="a model file (RUN/models/K.json) or a run directory")
    p.add_argument("--index", dest="member", type=int, metavar="K",
                   help="with MODEL a run directory: which front member (default: the most accurate sane, "
                        "LAMMPS-runnable member of complexity <= 40)")
    p.add_argument("--lammps", required=True, metavar="DIR", help="directory for the LAMMPS files (created)")
    p.add_argument("--style", choices=("lepton", "table", "eam/alloy", "eam/fs"),
                   help="for a pair-only form: lepton (the exact expression, default) or table; for a form of one "
                        "embedding of one element: eam/alloy (default) or eam/fs (the same file); for a model with "
                        "one energy per element: eam/alloy (refused where the form needs eam/fs) or eam/fs (default: "
                        "eam/alloy where it holds the form; a form of several embeddings is a hybrid/overlay of "
                        "setfl files and refuses both)")
    p.add_argument("--r-min", type=float, default=1.0, metavar="Å",
                   help="shortest distance the tables cover (default 1.0 Å)")
    p.add_argument("--points", type=int, metavar="N",
                   help="grid points per table, 100 to 1,000,000 (default 20000 for a pair table, 50001 for setfl)")
    p.add_argument("--rho-max", type=float, metavar="RHO",
                   help="largest density of the setfl grids (default: a bound per density from a compressed fcc "
                        "crystal; for a model with one energy per element, from each element's compressed "
                        "ground-state crystal)")
    p.add_argument("--density-range", type=float, nargs=2, metavar=("LOW", "HIGH"),
                   help="meam/spline: the densities U's knots cover (default: those of the element's fcc, bcc, sc and "
                        "diamond crystals from 0.85 of their equilibrium nearest-neighbour distance to the cutoff, "
                        "widened by 20 %%)")
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model, args.member)
    export = export_lammps(model, args.lammps, r_lo=args.r_min, points=args.points, rho_max=args.rho_max,
                           style=args.style, density_range=args.density_range, source=args.model)
    exact = " (exact expression, no table)" if export.style == "lepton" else ""
    print(f"LAMMPS form: {export.style}{exact}: {LAMMPS_FORMS[export.style]}")
    for path in export.files:
        print(f"potential file: {path}")
    if export.density_range:
        print(f"U covers densities {export.density_range[0]:.6g} to {export.density_range[1]:.6g}; LAMMPS energies "
              f"are symff's minus U(0) = {export.energy_shift:.10g} eV per atom and the reference energies")
    elif any(path.name.endswith(".meam.spline") for path in export.files):  # meam/spline pieces of a hybrid/overlay
        reference = "" if export.includes_reference else " and the reference energies"
        print(f"LAMMPS energies are symff's minus the meam/spline files' U(0) = {export.energy_shift:.10g} eV per atom"
              f"{reference}")
    print(f"input snippet: {export.input}")
    print(model.equation(6))
