"""`symff export MODEL --lammps DIR`: LAMMPS files for a model (pair_style table for pair-only forms, eam/alloy for
single-density EAM forms) with an input snippet DIR/in.symff and DIR/README.md. MODEL is a model file, or a run
directory with `--index K`. A form LAMMPS cannot hold is refused with the reason."""

from ..export import export_lammps
from .evaluate import load_model


def add_parser(sub):
    p = sub.add_parser("export", help="write LAMMPS files for a model", description=__doc__)
    p.add_argument("model", metavar="MODEL", help="a model file (RUN/models/K.json) or a run directory")
    p.add_argument("--index", dest="member", type=int, metavar="K",
                   help="with MODEL a run directory: which front member (default: the most accurate)")
    p.add_argument("--lammps", required=True, metavar="DIR", help="directory for the LAMMPS files (created)")
    p.add_argument("--r-min", type=float, default=1.0, metavar="Å",
                   help="shortest distance the tables cover (default 1.0 Å)")
    p.add_argument("--points", type=int, metavar="N",
                   help="grid points per table (default 20000 for a pair table, 50001 for setfl)")
    p.add_argument("--rho-max", type=float, metavar="RHO",
                   help="largest density of the setfl grid (default: a bound from a compressed fcc crystal)")
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model, args.member)
    export = export_lammps(model, args.lammps, r_lo=args.r_min, points=args.points, rho_max=args.rho_max)
    style = "pair_style table" if export.kind == "pair" else "pair_style eam/alloy"
    print(f"{style}: {export.potential}")
    print(f"input snippet: {export.input}")
    print(f"E_i = {model.energy_string(6)}")
