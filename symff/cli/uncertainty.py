"""`symff uncertainty MODEL DATA… [--train DATA…] [--forms MODEL…] [--ensemble K] [--seed N] [--write MODEL.json
[--force]] [--json]`: the spread an ensemble predicts for each structure of DATA, next to the model's actual error
there.

The ensemble is the model file's own ("ensemble", docs/file-formats.md), or with --train a new one: K refits of the
model's form on bootstrap resamples of the training structures (seeded), and with --forms K refits of each of those
models' forms too (a committee), calibrated on the training data so that the 90 % interval ±1.645·spread holds 90 %
of the training errors (symff.uncertainty). --write saves the model with that ensemble (an existing file only with
--force). Printed per structure: the energy error, spread and local energy spread (meV/atom), the force RMSE and the
RMS force spread (eV/Å); then the Spearman correlations of the two energy spreads with |error| over the structures
and the share of energy and force errors inside the 90 % interval.
"""

import json
from pathlib import Path

import numpy as np

from ..data import read_dataset
from ..errors import ConfigError, ModelError
from ..model import Model
from ..uncertainty import DEFAULT_MEMBERS, Ensemble, assess, bootstrap_ensemble, calibrate, committee
from .common import add_frames_option, seed_value
from .evaluate import load_model


def add_parser(sub):
    p = sub.add_parser("uncertainty", help="predicted spread and actual error of a model, per structure",
                       description=__doc__)
    p.add_argument("model", metavar="MODEL", help="a model file (RUN/models/K.json) or a run directory")
    p.add_argument("data", nargs="+", metavar="DATA", help="labelled structures: any file ASE reads")
    p.add_argument("--index", dest="member", type=int, metavar="K", help="with MODEL a run directory: which member")
    p.add_argument("--train", nargs="+", metavar="DATA", help="make a bootstrap ensemble on these training data")
    p.add_argument("--forms", nargs="+", metavar="MODEL",
                   help="with --train: a committee, K refits of each of these model files' forms as well")
    p.add_argument("--ensemble", type=int, metavar="K",
                   help=f"members: of a new ensemble (default {DEFAULT_MEMBERS}), or the first K of the model's")
    p.add_argument("--seed", type=seed_value, default=0, help="seed of the bootstrap resamples (default 0)")
    p.add_argument("--write", metavar="MODEL.json",
                   help="save the model with its new ensemble to this file (an existing one only with --force)")
    p.add_argument("--force", action="store_true", help="overwrite the file --write names where it exists")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_frames_option(p)
    p.set_defaults(run=run)


def ensemble_for(model, args):
    if args.train:
        members = DEFAULT_MEMBERS if args.ensemble is None else args.ensemble
        if members < 2:
            raise ConfigError(f"--ensemble must be at least 2, got {members}")
        train = read_dataset(args.train, index=args.frames, elements=model.elements)
        if args.forms:
            ensemble = committee([model, *map(Model.load, args.forms)], train, members, seed=args.seed)
            ensemble.info["forms"] = list(args.forms)
        else:
            ensemble = bootstrap_ensemble(model, train, members, seed=args.seed)
        ensemble.info["train"] = list(args.train)
        return calibrate(model, ensemble, train, source=" ".join(args.train))
    if args.write or args.forms:
        raise ConfigError(f"{'--write' if args.write else '--forms'} makes a new ensemble: give --train DATA")
    stored = Ensemble.for_calculator(model, args.ensemble)
    if stored is None:
        raise ModelError(f"{args.model}: the model has no ensemble: give --train DATA to make one")
    return stored


def run(args):
    if args.force and not args.write:
        raise ConfigError("--force overwrites the file --write names: give --write MODEL.json")
    if args.write and Path(args.write).exists() and not args.force:  # checked before the refits, which take minutes
        raise ConfigError(f"{args.write} exists: name another file with --write, or overwrite it with --force")
    model = load_model(args.model, args.member)
    data = read_dataset(args.data, index=args.frames, elements=model.elements)  # a bad file refused before the refits
    ensemble = ensemble_for(model, args)
    if args.write:
        ensemble.attach(model).save(args.write)
    result = assess(model, ensemble, data)
    energy_coverage, force_coverage = result.coverage()
    starts = data.atom_start
    rows = []
    for s in range(data.n_structures):
        atoms = slice(starts[s], starts[s + 1])
        rows.append({
            "name": data.names[s], "config_type": data.config_type[s], "n_atoms": int(starts[s + 1] - starts[s]),
            "energy_error_mev": float(result.energy_error[s] * 1e3),
            "energy_spread_mev": float(result.energy_spread[s] * 1e3),
            "local_energy_spread_mev": float(result.local_energy_spread[s] * 1e3),
            "force_rmse": float(np.sqrt(np.mean(result.force_error[atoms] ** 2))),
            "force_spread_rms": float(np.sqrt(np.mean(result.force_spread[atoms] ** 2))),
        })
    summary = {
        "members": len(ensemble), "calibration": ensemble.calibration,
        "spearman": result.spearman() if data.n_structures > 2 else None,
        "spearman_local": result.spearman(local=True) if data.n_structures > 2 else None,
        "coverage90_energy": energy_coverage, "coverage90_force": force_coverage,
        "n_structures": data.n_structures, "n_atoms": data.n_atoms,
    }
    if args.json:
        print(json.dumps(summary | {"structures": rows}))
        return
    calibration = ensemble.calibration
    print(f"{model.energy_string(6)}\nensemble of {len(ensemble)}, calibration: energy x{calibration['energy']:.4g}, "
          f"force x{calibration['force']:.4g}")
    print(f"{'structure':40s} {'type':12s} {'atoms':>5s} {'dE meV/at':>10s} {'spread':>8s} {'local':>8s} "
          f"{'F RMSE':>8s} {'spread':>8s}")
    for row in rows:
        print(f"{row['name'][-40:]:40s} {row['config_type'][:12]:12s} {row['n_atoms']:5d} "
              f"{row['energy_error_mev']:10.3f} {row['energy_spread_mev']:8.3f} {row['local_energy_spread_mev']:8.3f} "
              f"{row['force_rmse']:8.4f} {row['force_spread_rms']:8.4f}")
    spearman, local = ("n/a" if summary[k] is None else f"{summary[k]:.3f}" for k in ("spearman", "spearman_local"))
    print(f"spearman(energy spread, |error|) {spearman}, (local energy spread, |error|) {local}; inside the 90 % "
          f"interval: energies {energy_coverage:.1%}, force components {force_coverage:.1%}")
