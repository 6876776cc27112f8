"""`symff show RUN [--latex]`: the front of a run as a table."""

from ..rundir import front_table, read_front


def add_parser(sub):
    p = sub.add_parser("show", help="print the front of a run", description=__doc__)
    p.add_argument("run_dir", metavar="RUN")
    p.add_argument("--latex", action="store_true", help="formulas in LaTeX instead of plain text")
    p.set_defaults(run=run)


def run(args):
    members = read_front(args.run_dir)["members"]
    if args.latex:
        members = [m | {"formula": m["latex"]} for m in members]
    print(front_table(members))
