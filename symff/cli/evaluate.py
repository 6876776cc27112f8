"""`symff evaluate MODEL DATA… [--json]`: errors of a model on data. MODEL is a model file, or a run directory
with `--index K` (without it: the default member, the most accurate member that is sane, LAMMPS-runnable and of
complexity <= 40; docs/fit-and-sanity.md).
Reference energies come from the model file unless `--refit-reference`."""

import json
import sys
from pathlib import Path

from ..data import read_dataset
from ..errors import ConfigError
from ..evaluate.predict import fitted_reference, model_errors
from ..model import Model
from ..rundir import DEFAULT_RULE, default_member, load_run_model
from .common import add_frames_option


def add_parser(sub):
    p = sub.add_parser("evaluate", help="errors of a model on data", description=__doc__)
    p.add_argument("model", metavar="MODEL", help="a model file (RUN/models/K.json) or a run directory")
    p.add_argument("data", nargs="+", metavar="DATA")
    p.add_argument("--index", dest="member", type=int, metavar="K",
                   help="with MODEL a run directory: which front member (default: the most accurate member that "
                        "is sane, LAMMPS-runnable and of complexity <= 40)")
    p.add_argument("--refit-reference", action="store_true",
                   help="fit the per-element reference energies on DATA instead of using the model's")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_frames_option(p)
    p.set_defaults(run=run)


def load_model(path, member, out=None):
    """A model file, or member `member` of a run directory; the default member is announced on `out` (stdout)."""
    if not Path(path).is_dir():
        if member is not None:
            raise ConfigError(f"--index {member}: {path} is a model file; --index chooses a member of a run directory")
        return Model.load(path)
    if member is None:
        member = default_member(path)
        print(f"{path}: front member {member}, {DEFAULT_RULE} (choose another with --index K)", file=out or sys.stdout)
    return load_run_model(path, member)


def run(args):
    model = load_model(args.model, args.member, sys.stderr if args.json else sys.stdout)
    data = read_dataset(args.data, index=args.frames, elements=model.elements)
    if args.refit_reference:
        model.reference_energy = fitted_reference(model, data)
    errors = model_errors(model, data)
    if args.json:
        print(json.dumps(errors))
        return
    print(f"{model.energy_string(6)}")
    print(f"{errors['n_structures']} structures, {errors['n_atoms']} atoms")
    print(f"energy  MAE {errors['energy_mae_mev']:.4g}  RMSE {errors['energy_rmse_mev']:.4g}  meV/atom")
    print(f"forces  MAE {errors['force_mae']:.4g}  RMSE {errors['force_rmse']:.4g}  eV/Å")
    if "stress_mae_gpa" in errors:
        print(f"stress  MAE {errors['stress_mae_gpa']:.4g}  RMSE {errors['stress_rmse_gpa']:.4g}  GPa")
