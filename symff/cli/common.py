"""Options and steps more than one command uses."""

import shlex
import sys

from ..data import read_dataset, split_by_fraction, split_by_key
from ..errors import ConfigError


def add_frames_option(parser):
    parser.add_argument("--frames", default=":",
                        help="frames of each file to read, as an ASE index (default ':': all; e.g. '0:100')")


def add_data_options(parser):
    add_frames_option(parser)
    parser.add_argument("--split-key", metavar="KEY",
                        help="take train/test from this info key of each structure (values 'train' and 'test')")


def read_train_test(args):
    """Training and test sets from DATA…, --test DATA…, --split-key KEY or --test-fraction F."""
    data = read_dataset(args.data, index=args.frames)
    if args.split_key and (args.test or args.test_fraction):
        raise ConfigError("give either --split-key or --test/--test-fraction, not both")
    if args.split_key:
        return split_by_key(data, args.split_key)
    if args.test:
        return data, read_dataset(args.test, index=args.frames, elements=data.elements)
    if args.test_fraction:
        return split_by_fraction(data, args.test_fraction, args.seed)
    return data, None


def command_line(argv=None):
    return " ".join(shlex.quote(a) for a in (argv or sys.argv))
