"""`symff show RUN [--latex]`: the front of a run as a table, with each member's sanity and LAMMPS form (`lepton`,
`table`, `eam/alloy`, `hybrid/overlay`, or `symff only` with the reason below the table), and the run's default member.
`symff show MODEL.json [--latex]`: one model's formula (plain text, or LaTeX)."""

from pathlib import Path

from ..errors import ModelError
from ..model import Model
from ..rundir import DEFAULT_RULE, default_member, front_table, read_front


def add_parser(sub):
    p = sub.add_parser("show", help="print the front of a run, or the formula of a model file", description=__doc__)
    p.add_argument("run_dir", metavar="RUN", help="a run directory or a model file")
    p.add_argument("--latex", action="store_true", help="formulas in LaTeX instead of plain text")
    p.set_defaults(run=run)


def run(args):
    if Path(args.run_dir).is_file():
        model = Model.load(args.run_dir)
        print(model.latex_equation() if args.latex else model.equation(6))
        return
    members = read_front(args.run_dir)["members"]
    if args.latex:
        members = [m | {"formula": m["latex"]} for m in members]
    print(front_table(members))
    try:
        print(f"default member (symff evaluate/export/validate RUN): {default_member(args.run_dir, members)}, "
              f"{DEFAULT_RULE}")
    except ModelError as none:
        print(f"no default member: {str(none).split(': ', 1)[1]}")
