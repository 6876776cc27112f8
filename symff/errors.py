"""Errors that symff reports to users.

A ``SymffError`` is a user's mistake or a refused input (a malformed file, a bad option, a hostile formula). Its
message is one line that names the file, the frame and the fix; the command line prints it without a traceback.
Anything else that escapes is a bug in symff and keeps its traceback.
"""


class SymffError(Exception):
    """Base class of errors whose message is meant for the user."""


class DataError(SymffError):
    """A data file cannot be used: unreadable, missing labels, non-finite values, overlapping atoms, ..."""


class GrammarError(SymffError):
    """A grammar file is malformed or names primitives that do not exist."""


class ModelError(SymffError):
    """A model file or formula cannot be used."""


class NotFinite(ModelError):
    """A model's energies, forces or stresses are not finite on some structures of a data set (a 1/NS term on a lone
    atom, an overflow): it cannot be evaluated there."""


class TargetsError(SymffError):
    """A property targets file cannot be used: unknown property, element not in the data, bad value or tolerance."""


class ConfigError(SymffError):
    """An option value is invalid."""


class SymffWarning(UserWarning):
    """Something the user should know that does not stop the work (duplicate structures, ...). The command line
    prints it as one line "symff COMMAND: warning: ..."."""


class DuplicateStructureWarning(SymffWarning):
    """A data set holds the same structure more than once."""


class UnconstrainedPairWarning(SymffWarning):
    """Training data of several elements hold no pair of two of them within the cutoff: the functions of that pair
    type are fitted to nothing."""
