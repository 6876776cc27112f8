"""`symff export MODEL --lammps DIR`: LAMMPS files for a model in its LAMMPS form, chosen exact where it can be and
tightest otherwise: `pair_style lepton` (the exact expression) for pair-only forms, `eam/alloy` for one embedding,
`hybrid/overlay` of one eam/alloy file per embedding for several (`--style table` tabulates a pair form instead).
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
    p.add_argument("--style", choices=("lepton", "table"),
                   help="for a pair-only form: lepton (the exact expression, default) or table")
    p.add_argument("--r-min", type=float, default=1.0, metavar="Å",
                   help="shortest distance the tables cover (default 1.0 Å)")
    p.add_argument("--points", type=int, metavar="N",
                   help="grid points per table (default 20000 for a pair table, 50001 for setfl)")
    p.add_argument("--rho-max", type=float, metavar="RHO",
                   help="largest density of the setfl grids (default: a bound per density from a compressed fcc "
                        "crystal)")
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model, args.member, command="export")
    export = export_lammps(model, args.lammps, r_lo=args.r_min, points=args.points, rho_max=args.rho_max,
                           style=args.style)
    exact = " (exact expression, no table)" if export.style == "lepton" else ""
    print(f"LAMMPS form: {export.style}{exact}: {LAMMPS_FORMS[export.style]}")
    for path in export.files:
        print(f"potential file: {path}")
    print(f"input snippet: {export.input}")
    print(f"E_i = {model.energy_string(6)}")
