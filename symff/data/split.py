"""Train/test splits of a ``Dataset``.

A split divides the structures into a training set (constants and reference energies are fitted on it) and a test set
(errors are reported on it). ``split_by_key`` follows a label stored in each structure's ``info`` (for example
``split=train`` in an extxyz comment line); ``split_by_fraction`` draws a random test set, reproducibly from a seed. Both
keep the file order within each part, and every structure lands in exactly one part: a structure whose label is neither
a train nor a test value is refused, never dropped.
"""

import numpy as np

from symff.data.dataset import Dataset, _where
from symff.errors import DataError


def split_by_key(dataset: Dataset, key: str = "split", train=("train",), test=("test",)) -> tuple[Dataset, Dataset]:
    """(train, test) by the value of ``info[key]``: values in ``train`` go to train, values in ``test`` to test."""
    train, test = _values(train), _values(test)
    both = train & test
    if both:
        raise DataError(f"split_by_key: {sorted(both)} listed as both train and test values: list each in one only")
    is_test = np.zeros(dataset.n_structures, dtype=bool)
    for s, info in enumerate(dataset.info):
        where = _where(dataset.names[s])
        if key not in info:
            raise DataError(
                f"{where}: no '{key}' in info: every structure needs {key}= one of "
                f"{_listing(train | test)} to split by key (or split by fraction)"
            )
        value = str(info[key])
        if value not in train | test:
            raise DataError(
                f"{where}: {key}={value!r} is neither a train value ({_listing(train)}) nor a test value "
                f"({_listing(test)}): relabel the structure or add the value to train or test"
            )
        is_test[s] = value in test
    return dataset.subset(np.flatnonzero(~is_test)), dataset.subset(np.flatnonzero(is_test))


def split_by_fraction(dataset: Dataset, test_fraction: float, seed) -> tuple[Dataset, Dataset]:
    """(train, test) with round(test_fraction × n) random structures in test, drawn by ``numpy.random.default_rng(seed)``.

    A fraction strictly between 0 and 1 leaves at least one structure on each side when there are two or more.
    """
    test_fraction = float(test_fraction)
    if not 0.0 <= test_fraction <= 1.0:
        raise DataError(f"split_by_fraction: test_fraction {test_fraction} is outside [0, 1]: give a fraction")
    n = dataset.n_structures
    n_test = int(np.floor(test_fraction * n + 0.5))
    if 0.0 < test_fraction < 1.0 and n >= 2:
        n_test = min(max(n_test, 1), n - 1)
    order = np.random.default_rng(seed).permutation(n)
    is_test = np.zeros(n, dtype=bool)
    is_test[order[:n_test]] = True
    return dataset.subset(np.flatnonzero(~is_test)), dataset.subset(np.flatnonzero(is_test))


def _values(values) -> set[str]:
    return {values} if isinstance(values, str) else {str(v) for v in values}


def _listing(values) -> str:
    return "/".join(sorted(values))
