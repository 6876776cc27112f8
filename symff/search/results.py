"""From a search's front to models: exact evaluation, reference energies by the DESIGN.md protocol, errors."""

from ..evaluate.predict import fitted_reference, model_errors
from ..model import form_model
from ..sanity import sanity_report


def front_models(result, train, test=None, *, train_neighbours=None, test_neighbours=None, metadata=None):
    """One model per front member (a `Model`; for data of several elements the `AlloyModel` of the member's species
    expansion, symff.expr.species), simplest first, with train (and test) errors from exact evaluation and the
    physical-sanity report (symff.sanity) in `metadata["sanity"]`."""
    config = result.config
    models = []
    for candidate in result.front:
        model = form_model(candidate.formula, candidate.fit.constants, candidate.fit.linear, train.elements,
                           r_in=config.r_in, r_out=config.r_out, three_body_cutoff=config.three_body_cutoff,
                           metadata={"loss": candidate.loss, "found_in_generation": candidate.generation,
                                     **(metadata or {})})
        model.reference_energy = fitted_reference(model, train, neighbours=train_neighbours)
        model.errors = {"train": model_errors(model, train, neighbours=train_neighbours)}
        if test is not None and test.n_structures:
            model.errors["test"] = model_errors(model, test, neighbours=test_neighbours)
        model.metadata["sanity"] = sanity_report(model)
        if candidate.properties is not None:  # the property tiers of a search with targets (symff.search.properties)
            model.metadata["properties"] = candidate.properties
        models.append(model)
    return models
