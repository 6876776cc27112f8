"""Options and steps more than one command uses."""

import argparse
import shlex
import sys
from types import SimpleNamespace

from ..data import read_dataset, split_by_fraction, split_by_key
from ..data.read import warn_test_in_train
from ..errors import ConfigError


def seed_value(text):
    """An argparse type: a seed, a whole number ≥ 0 (numpy's generators take no negative seed)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is a whole number, 0 or more, got {text!r}")
    return value


def add_frames_option(parser):
    parser.add_argument("--frames", default=":",
                        help="frames of each file to read, as an ASE index (default ':': all; e.g. '0:100')")


def add_data_options(parser):
    add_frames_option(parser)
    parser.add_argument("--split-key", metavar="KEY",
                        help="take train/test from this info key of each structure (values 'train' and 'test')")
    parser.add_argument("--weight-key", metavar="KEY",
                        help="weigh each training structure in the loss by this info key (a number >= 0; default: "
                             "every structure 1), e.g. to give groups of structures the weights of their roles")


def read_train_test(args):
    """Training and test sets from DATA…, --test DATA…, --split-key KEY or --test-fraction F; with --weight-key KEY
    each training structure carries its weight (test files need no weights: errors are plain means)."""
    if args.test_fraction is not None and not 0 <= args.test_fraction < 1:  # before the data, which may be large
        raise ConfigError(f"--test-fraction is the share of DATA held out for testing, at least 0 and below 1; got "
                          f"{args.test_fraction}")
    data = read_dataset(args.data, index=args.frames, weight_key=args.weight_key)
    if args.weight_key and not data.weights.sum() > 0:
        raise ConfigError(f"{', '.join(map(str, args.data))}: every training structure has weight 0 under "
                          f"--weight-key {args.weight_key}; give some structures a positive weight")
    if args.split_key and (args.test or args.test_fraction):
        raise ConfigError("give either --split-key or --test/--test-fraction, not both")
    if args.test and args.test_fraction:
        raise ConfigError("give either --test or --test-fraction, not both")
    if args.split_key:
        train, test = split_by_key(data, args.split_key)
    elif args.test:
        test = read_dataset(args.test, index=args.frames, elements=data.elements)
        warn_test_in_train(data, test)
        return data, test
    elif args.test_fraction:
        train, test = split_by_fraction(data, args.test_fraction, args.seed)
    else:
        return data, None
    if train.n_structures == 0:
        how = f"--split-key {args.split_key}" if args.split_key else f"--test-fraction {args.test_fraction}"
        raise ConfigError(f"{', '.join(map(str, args.data))}: {how} leaves no training structure; keep some for "
                          "training")
    return train, test


def read_saved_data(data: dict, seed):
    """(train, test) read again as a run's `data` record says (its seed draws the same --test-fraction split)."""
    return read_train_test(SimpleNamespace(data=data["train"], test=data.get("test") or None,
                                           frames=data.get("index") or ":", split_key=data.get("split_key"),
                                           weight_key=data.get("weight_key"),
                                           test_fraction=data.get("test_fraction"), seed=seed))


def changed_data(data: dict, train, test, run) -> str | None:
    """What differs between the sets read again and those a run's `data` record fingerprinted, as a sentence (None:
    nothing, or a run made before 2026-12-05, which has no fingerprints)."""
    for role, files, dataset in (("train", data["train"], train), ("test", data.get("test") or data["train"], test)):
        recorded = data.get(f"{role}_fingerprint")
        if recorded and dataset is not None and dataset.fingerprint != recorded:
            return (f"{run}: the {role} data read from {', '.join(map(str, files))} differ from those the run started "
                    "with (structures or labels changed)")
    return None


def command_line(argv=None):
    return " ".join(shlex.quote(a) for a in (argv or sys.argv))
