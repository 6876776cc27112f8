"""The named functions of symff expressions (exp, log, Abs, sign, ...) as sympy and numpy objects.

Derived from `symff.grammar.operators.FUNCTIONS`, the one table of primitives: `SYMPY` maps each sympy class to its
table entry, `NUMPY` to its numpy function (numeric programs), `scalar` evaluates one on a float (constant folding),
and `WRITTEN` is the set of sympy classes a formula (model file, `symff fit`) may contain, `WRITTEN_NAMES` the
names it calls them by.
"""

import numpy as np
import sympy as sp

from ..grammar.operators import FUNCTIONS

SYMPY = {getattr(sp, f.sympy): f for f in FUNCTIONS.values()}
NUMPY = {cls: getattr(np, f.numpy) for cls, f in SYMPY.items()}
WRITTEN = frozenset(cls for cls, f in SYMPY.items() if f.written)
BY_NAME = {f.name: getattr(sp, f.sympy) for f in FUNCTIONS.values()}  # grammar name -> sympy class
# how a formula's text may call them: by the grammar's name or by sympy's (abs and Abs)
WRITTEN_NAMES = frozenset(name for f in FUNCTIONS.values() if f.written for name in (f.name, f.sympy))


def scalar(cls, x: float) -> float:
    """The function `cls` (a sympy class of the table) at a float; a non-finite value of a finite argument (e**1000,
    log(-1)) raises OverflowError, as the math module's functions do."""
    with np.errstate(all="ignore"):
        value = float(NUMPY[cls](np.float64(x)))
    if not np.isfinite(value) and np.isfinite(x):
        raise OverflowError(f"{cls.__name__}({x}) is not finite")
    return value
