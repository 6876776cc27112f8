"""Predictions and errors of a `Model` on a data set, by exact evaluation (no tabulation)."""

import warnings

import numpy as np

from ..errors import NotFinite, SymffWarning
from ..expr.symbols import Rejected
from ..fit.metrics import error_metrics, reference_energies
from ..neighbours import build_neighbours
from .evaluator import Evaluator, Prediction


def model_evaluator(model, dataset, neighbours=None, exact=True):
    neighbours = neighbours if neighbours is not None else build_neighbours(dataset, model.r_out)
    return Evaluator(dataset, neighbours, r_in=model.r_in, r_out=model.r_out, exact=exact,
                     three_body_cutoff=model.three_body_cutoff)


def predict(model, dataset, *, neighbours=None, exact=True, reference=None) -> Prediction:
    """Energies, forces and stresses of `model` on `dataset`; reference energies from the model unless given. Raises
    NotFinite, naming the structures, where they are not finite."""
    evaluator = model_evaluator(model, dataset, neighbours, exact)
    if reference is None:
        reference = model.reference_for(dataset.elements)
    try:
        return evaluator.predict(model.program, model.constants, model.linear, reference)
    except Rejected as exc:
        raise not_finite([model], dataset, exact, exc) from None


def not_finite(models, dataset, exact, rejected, subject="the model"):
    """The NotFinite error of `models` (a model, or the members of its ensemble) on `dataset`, whose evaluation was
    `rejected`: it names the first three structures on which one of them is not finite, and how many more."""
    names = []
    for s in range(dataset.n_structures):  # one at a time: only on this error's way, where the whole set failed
        one = dataset.subset([s])
        try:
            for model in models:
                model_evaluator(model, one, None, exact).predict(model.program, model.constants, model.linear,
                                                                 model.reference_for(one.elements))
        except Rejected:
            names.append(dataset.names[s])
    shown = 3
    where = ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")
    detail = str(rejected).split(": ", 1)[-1]  # without the search's kind of rejection
    # no structure alone: not expected (a structure's neighbours do not depend on the others)
    return NotFinite(f"{subject} is not finite on {where or 'the data set'}: {detail}")


def fitted_errors(model, train, test=None, *, train_neighbours=None, test_neighbours=None, who="the fitted model"):
    """`model` with its reference energies fitted on `train` and its train (and test) errors by the DESIGN.md
    protocol. A test set on which it is not finite gets a warning instead of errors: the fit or search that made the
    model is done, and keeps its result (it ended with a traceback, a search's front unwritten)."""
    model.reference_energy = fitted_reference(model, train, neighbours=train_neighbours)
    model.errors = {"train": model_errors(model, train, neighbours=train_neighbours)}
    if test is not None and test.n_structures:
        try:
            model.errors["test"] = model_errors(model, test, neighbours=test_neighbours)
        except NotFinite as exc:
            warnings.warn(f"no test errors for {who}: {exc}", SymffWarning, stacklevel=2)
    return model


def fitted_reference(model, dataset, *, neighbours=None, exact=True):
    """Per-element reference energies {element: eV} fitted by least squares on the total energies of `dataset`."""
    prediction = predict(model, dataset, neighbours=neighbours, exact=exact, reference=np.zeros(dataset.n_elements))
    return dict(zip(dataset.elements, map(float, reference_energies(prediction.energy, dataset))))


def model_errors(model, dataset, *, neighbours=None, exact=True) -> dict:
    """Error metrics of `model` on `dataset` with the model's own reference energies (DESIGN.md protocol)."""
    return error_metrics(predict(model, dataset, neighbours=neighbours, exact=exact), dataset)
