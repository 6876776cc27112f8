"""From a search's front to models: exact evaluation, reference energies by the DESIGN.md protocol, errors."""

from ..evaluate.predict import fitted_errors
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
        fitted_errors(model, train, test, train_neighbours=train_neighbours, test_neighbours=test_neighbours,
                      who=f"front member {len(models)} ({model.energy_string(4)})")
        model.metadata["sanity"] = sanity_report(model)
        if candidate.properties is not None:  # the property tiers of a search with targets (symff.search.properties)
            model.metadata["properties"] = candidate.properties
        models.append(model)
    return models
