"""The Python API in the manner of scikit-learn: `SymFF(**options).fit(data)` searches and keeps the front.

    model = SymFF(grammar="pair", population=100, generations=20).fit("train.extxyz", test="test.extxyz")
    model.equations_          # the front as a DataFrame: complexity, loss, errors, score, equation
    model.sympy(), model.latex(2), model.predict(atoms), model.export_lammps("lammps/", k=2)
    SymFF.from_run("run")     # the same object for a run made by `symff search`

Options are the fields of `SearchConfig` (an unknown name is an error, not ignored), plus `out` (the run directory;
default: a fresh temporary one), `progress` (show the search's progress on stderr) and `report` (write the plots and
RUN/report/index.html). Fitted attributes end in `_`. A front member is chosen by its index `k`; without one, the
member with the best *score* among those within 1.5× of the lowest loss (the rule of PySR: the score of member k is
−Δ ln(loss)/Δ complexity against member k − 1, the loss bought by each added node).
"""

import dataclasses
import math
import tempfile
import warnings
from pathlib import Path
from types import SimpleNamespace

import ase
import numpy as np
from ase.calculators.singlepoint import SinglePointCalculator

from .data import Dataset, read_dataset
from .data.read import warn_test_in_train
from .errors import ConfigError, ModelError, SymffWarning
from .evaluate.predict import predict as predict_model
from .model import Model
from .progress import counted
from .rundir import data_record, optional_config, read_front
from .search.config import SearchConfig

SEARCH_OPTIONS = tuple(f.name for f in dataclasses.fields(SearchConfig))
OTHER_OPTIONS = {"out": None, "progress": False, "report": False}
BEST_LOSS_FACTOR = 1.5  # members within this factor of the lowest loss compete on score


class SymFF:
    """A symbolic-regression estimator of interatomic potentials (see the module docstring)."""

    def __init__(self, **options):
        unknown = sorted(set(options) - set(SEARCH_OPTIONS) - set(OTHER_OPTIONS))
        if unknown:
            raise TypeError(f"SymFF: unknown options {', '.join(unknown)}; known: {', '.join(SEARCH_OPTIONS)}, "
                            f"{', '.join(OTHER_OPTIONS)}")
        self.options = dict(options)
        SearchConfig(**self._search_options())  # validate now, not after the data is read

    def _search_options(self):
        return {k: v for k, v in self.options.items() if k in SEARCH_OPTIONS}

    def get_params(self, deep=True):
        return dict(self.options)

    def set_params(self, **options):
        self.__init__(**(self.options | options))
        return self

    # --- fitting ------------------------------------------------------------------------------------------------
    def fit(self, data, test=None):
        """Search `data` (a Dataset, ase.Atoms, a list of them, or file paths); `test` likewise. Returns self."""
        from .progress import SearchProgress
        from .workflow import search_to_run

        config = SearchConfig(**self._search_options())
        train = as_dataset(data)
        test_set = as_dataset(test, train.elements) if test is not None else None
        if test_set is not None:
            warn_test_in_train(train, test_set)
        out = self.options.get("out") or tempfile.mkdtemp(prefix="symff-run-")
        # config.json's data record as symff search writes it: the files, where they were given as files
        given = SimpleNamespace(data=_files(data), test=_files(test), split_key=None, weight_key=None,
                                test_fraction=None, frames=":")
        described = data_record(given, train, test_set)
        with SearchProgress(config, quiet=not self.options.get("progress", False)) as progress:
            result, _ = search_to_run(config, train, test_set, out, command="symff.SymFF.fit", data=described,
                                      force=True, progress=progress, report=self.options.get("report", False))
        if result.stop_reason == "interrupted":  # a Ctrl-C (a notebook's interrupt) the search took as its stop
            resume = f"; continue with: symff search --resume {out}" if described.get("train") else \
                " (data given as objects: the run cannot be resumed)"
            done = counted(result.generations, "generation")
            warnings.warn(f"the search was interrupted after {done}: the estimator holds the front so far{resume}",
                          SymffWarning, stacklevel=2)
        self._load(out)
        return self

    @classmethod
    def from_run(cls, run):
        """The fitted estimator of a run directory written by `symff search`, `symff rediscover` or `fit`."""
        run = Path(run)
        front = read_front(run)  # a clear error for what is not a run directory
        config, problem = optional_config(run)
        if problem:
            warnings.warn(f"{problem}: the estimator has the default settings", SymffWarning, stacklevel=2)
        search = config.get("search", {})
        estimator = cls(**{k: v for k, v in search.items() if k in SEARCH_OPTIONS}, out=str(run))
        estimator._load(run, front)
        return estimator

    def _load(self, run, front=None):
        run = Path(run)
        front = front or read_front(run)
        self.run_dir_ = run
        self.front_ = front["members"]
        self.models_ = [Model.load(run / m["model"]) for m in self.front_]

    # --- the front ----------------------------------------------------------------------------------------------
    @property
    def equations_(self):
        """The front as a pandas DataFrame, one row per member k, simplest first."""
        import pandas as pd

        self._check_fitted()
        complexity = [m["complexity"] for m in self.front_]
        loss = [m["loss"] for m in self.front_]
        rows = []
        for m, score in zip(self.front_, scores(complexity, loss)):
            train, test = m["errors"].get("train", {}), m["errors"].get("test", {})
            rows.append({
                "complexity": m["complexity"], "loss": m["loss"], "score": score,
                "train_energy_mae": train.get("energy_mae_mev"), "train_force_mae": train.get("force_mae"),
                "test_energy_mae": test.get("energy_mae_mev"), "test_force_mae": test.get("force_mae"),
                "equation": m["formula"],
            })
        return pd.DataFrame(rows, index=pd.RangeIndex(len(rows), name="k"))

    def best_index(self):
        """The member chosen when no k is given (see the module docstring)."""
        self._check_fitted()
        loss = [m["loss"] if m["loss"] is not None else math.inf for m in self.front_]
        complexity = [m["complexity"] for m in self.front_]
        good = [k for k, x in enumerate(loss) if x <= BEST_LOSS_FACTOR * min(loss)]
        score = scores(complexity, loss)
        return max(good, key=lambda k: score[k])

    def model(self, k=None):
        """Front member k as a `symff.model.Model` (default: `best_index()`)."""
        self._check_fitted()
        k = self.best_index() if k is None else k
        if not -len(self.models_) <= k < len(self.models_):
            raise ModelError(f"no front member {k}: the front has {len(self.models_)} (0..{len(self.models_) - 1})")
        return self.models_[k]

    def sympy(self, k=None):
        """The per-atom energy E_i of member k as a sympy expression in r and NS."""
        return self.model(k).expression(6)

    def latex(self, k=None):
        return self.model(k).latex()

    def predict(self, atoms, k=None):
        """Energies (eV) and forces (eV/Å) of member k. One ase.Atoms: (energy, forces (n, 3)). A list: (energies
        (n_structures,), [forces per structure]). Reference energies are the model's."""
        single = isinstance(atoms, ase.Atoms)
        structures = [atoms] if single else list(atoms)
        model = self.model(k)
        dataset = Dataset.from_atoms([_unlabelled(a) for a in structures], elements=model.elements, min_distance=None)
        prediction = predict_model(model, dataset)
        forces = np.split(prediction.forces, dataset.atom_start[1:-1])
        if single:
            return float(prediction.energy[0]), forces[0]
        return prediction.energy, forces

    def export_lammps(self, directory, k=None):
        """Write LAMMPS files for member k into `directory` (pair and single-density EAM forms; symff.export)."""
        from .export import export_lammps

        return export_lammps(self.model(k), directory)

    def _check_fitted(self):
        if not hasattr(self, "models_"):
            raise ConfigError("this SymFF is not fitted yet: call fit(data) or use SymFF.from_run(RUN)")

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.options.items())
        return f"SymFF({options})"


def scores(complexity, loss):
    """PySR's score of each front member: −Δ ln(loss)/Δ complexity against the previous member; 0 for the first."""
    out = [0.0]
    for k in range(1, len(loss)):
        a, b = loss[k - 1], loss[k]
        dc = complexity[k] - complexity[k - 1]
        ok = a is not None and b is not None and a > 0 and b > 0 and dc > 0
        out.append(-math.log(b / a) / dc if ok else 0.0)
    return out[: len(loss)]


def as_dataset(data, elements=None):
    """A Dataset from a Dataset, ase.Atoms, a list of Atoms, a path or a list of paths."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, ase.Atoms):
        return Dataset.from_atoms([data], elements=elements)
    if isinstance(data, str | Path):
        return read_dataset([data], elements=elements)
    items = list(data)
    if items and all(isinstance(x, str | Path) for x in items):
        return read_dataset(items, elements=elements)
    if items and all(isinstance(x, ase.Atoms) for x in items):
        return Dataset.from_atoms(items, elements=elements)
    raise ConfigError("data must be a Dataset, ase.Atoms, a list of Atoms, or file paths")


def _files(data):
    """The files `data` names; none for data given as objects (or not at all)."""
    if isinstance(data, str | Path):
        return [data]
    if isinstance(data, list | tuple) and data and all(isinstance(x, str | Path) for x in data):
        return list(data)
    return []


def _unlabelled(atoms):
    """A copy with zero labels: Dataset wants energies and forces, and prediction does not read them."""
    copy = atoms.copy()
    copy.calc = SinglePointCalculator(copy, energy=0.0, forces=np.zeros((len(copy), 3)))
    return copy
