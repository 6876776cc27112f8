"""Start forms: formulas a search's first population begins with, their constants free.

A *start form* is a name and a per-atom energy in the model-file syntax (numbers inlined: they become the starting
values of fitted constants). `--start-forms classical` gives the classical forms below; `--start-forms PATH` the
forms of model files: one model JSON, a directory of them, or a run directory (its models/), e.g. of a run on another
element, the transfer across fcc metals of Hernandez & Mueller, Phys. Rev. Materials 7, 053804 (2023).

`resolve_start_forms(spec)` reads them once, when the search's settings are made; the settings (and config.json)
then hold the formulas themselves, so a resumed run needs no start file and never seeds again (its population comes
from the checkpoint). `seed_trees` turns them into trees of the search's grammar (symff.expr.to_tree); a form the
grammar cannot express is skipped with a warning that names it.
"""

import warnings
from pathlib import Path

from ..errors import ConfigError, ModelError, SymffWarning

# The classical forms, E_i with a full neighbour list, with constants of Cu as starting values.
CLASSICAL = [
    # Lennard-Jones, epsilon 0.4093 eV, sigma 2.338 Å (Halicioglu & Pound 1975)
    ("Lennard-Jones", "NS(2*0.4093*((2.338/r)**12 - (2.338/r)**6))"),
    # Morse, D 0.3429 eV, a 1.3588 1/Å, r0 2.866 Å (Girifalco & Weizer 1959)
    ("Morse", "NS(0.3429/2*(exp(-2*1.3588*(r - 2.866)) - 2*exp(-1.3588*(r - 2.866))))"),
    # Sutton-Chen, epsilon 0.012382 eV, a 3.61 Å, n 9, m 6, c 39.432 (Sutton & Chen 1990)
    ("Sutton-Chen", "0.012382*(NS((3.61/r)**9)/2 - 39.432*NS((3.61/r)**6)**(1/2))"),
    # Gupta / second-moment tight binding, A 0.0855 eV, xi 1.224 eV, p 10.96, q 2.278, r0 2.556 Å (Cleri & Rosato 1993)
    ("Gupta", "NS(0.0855*exp(-10.96*(r/2.556 - 1))) - NS(1.224**2*exp(-2*2.278*(r/2.556 - 1)))**(1/2)"),
    # POET GP1 (Hernandez et al. 2019): E_i = NS(r^(a - b r) - c^r) + d / NS(e^r)
    ("GP1", "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r)"),
]


def resolve_start_forms(spec):
    """[[name, energy], ...] for `spec`: "classical", a path to model files, or already such a list (kept)."""
    if spec is None:
        return []
    if not isinstance(spec, (str, Path)):
        forms = [list(item) for item in spec]
        if not all(len(f) == 2 and all(isinstance(x, str) for x in f) for f in forms):
            raise ConfigError("start_forms must be \"classical\", a path, or a list of [name, energy] pairs")
        return forms
    if str(spec) == "classical":
        return [list(form) for form in CLASSICAL]
    return [[name, energy] for name, energy in _model_file_forms(Path(spec))]


def _model_file_forms(path):
    from ..model import Model

    if not path.exists():
        raise ConfigError(f"{path}: no such start-forms file or directory (give \"classical\", a model file, a "
                          "directory of them or a run directory)")
    if path.is_dir():
        files = sorted((path / "models" if (path / "models").is_dir() else path).glob("*.json"),
                       key=lambda p: (len(p.stem), p.stem))
        if not files:
            raise ConfigError(f"{path}: no model files (*.json) to start from")
    else:
        files = [path]
    forms = []
    for file in files:
        try:
            model = Model.load(file)
        except ModelError as exc:
            raise ConfigError(f"start forms: {exc}") from None
        if not isinstance(model, Model):
            raise ConfigError(f"start forms: {file}: a model with one energy per element cannot start a search of "
                              f"one energy for every atom")
        forms.append((str(file), model.energy_string()))
    return forms


def seed_trees(forms, tree_grammar, limit=None):
    """The trees of `tree_grammar` for the start forms [[name, energy], ...], at most `limit`, in order; a form it
    cannot express is skipped with a SymffWarning naming it and saying why."""
    from ..expr.build import tree_to_sympy
    from ..expr.canonical import canonicalize
    from ..expr.symbols import Rejected
    from ..expr.to_tree import Unexpressible, formula_to_tree
    from ..model import parse_form

    trees = []
    for k, (name, energy) in enumerate(forms):
        if limit is not None and len(trees) >= limit:
            warnings.warn(f"{len(forms) - k} start forms are left out: the population holds {limit}", SymffWarning,
                          stacklevel=2)
            break
        try:
            expr, free = parse_form(energy, f"start form {name}")
            tree = formula_to_tree(expr.xreplace({s: 1.0 for s in free}), tree_grammar)
            canonicalize(*tree_to_sympy(tree))  # a usable potential, as the search will see it
        except (Unexpressible, Rejected, ModelError) as exc:
            warnings.warn(f"start form {name} is skipped: the {tree_grammar.grammar.name} grammar"
                          f"{' (exportable)' if tree_grammar.exportable else ''} cannot express it: {exc}",
                          SymffWarning, stacklevel=2)
            continue
        trees.append(tree)
    return trees
