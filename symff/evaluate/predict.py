"""Predictions and errors of a `Model` on a data set, by exact evaluation (no tabulation)."""

import numpy as np

from ..fit.metrics import error_metrics, reference_energies
from ..neighbours import build_neighbours
from .evaluator import Evaluator, Prediction


def model_evaluator(model, dataset, neighbours=None, exact=True):
    neighbours = neighbours if neighbours is not None else build_neighbours(dataset, model.r_out)
    return Evaluator(dataset, neighbours, r_in=model.r_in, r_out=model.r_out, exact=exact,
                     three_body_cutoff=model.three_body_cutoff)


def predict(model, dataset, *, neighbours=None, exact=True, reference=None) -> Prediction:
    """Energies, forces and stresses of `model` on `dataset`; reference energies from the model unless given."""
    evaluator = model_evaluator(model, dataset, neighbours, exact)
    if reference is None:
        reference = model.reference_for(dataset.elements)
    return evaluator.predict(model.program, model.constants, model.linear, reference)


def fitted_reference(model, dataset, *, neighbours=None, exact=True):
    """Per-element reference energies {element: eV} fitted by least squares on the total energies of `dataset`."""
    prediction = predict(model, dataset, neighbours=neighbours, exact=exact, reference=np.zeros(dataset.n_elements))
    return dict(zip(dataset.elements, map(float, reference_energies(prediction.energy, dataset))))


def model_errors(model, dataset, *, neighbours=None, exact=True) -> dict:
    """Error metrics of `model` on `dataset` with the model's own reference energies (DESIGN.md protocol)."""
    return error_metrics(predict(model, dataset, neighbours=neighbours, exact=exact), dataset)
