"""The stages a search fits candidates on, built from its data once and shared.

A search fits on two stages (symff.search.scoring.Stage): all the data, and the screening subset. Building one means
preparing its pairs and targets (tens of ms and tens of MB for a real data set), so a `StageBuilder` builds each once
per set of settings and keeps it: the islands of a search share the full stage (their settings differ only in the
seed, which picks their screening subsets), and a worker process builds the stages of the data it was sent once, for
every fit it runs.
"""

from ..evaluate.evaluator import Evaluator
from ..fit.constants import FitOptions
from ..fit.loss import LossWeights, Targets
from ..neighbours import build_neighbours
from .scoring import Stage
from .subset import screening_subset

SCREEN_TOLERANCE = 1e-4  # a screening fit stops once the loss changes by less than this, relatively


def fit_options(config) -> FitOptions:
    """How a search with the settings `config` fits its candidates (on both stages)."""
    return FitOptions(decay_neighbours=config.decay_neighbours, angle_splits=tuple(config.angle_splits),
                      log_bases=config.log_bases)


def _full_key(config):
    return (config.r_in, config.r_out, config.three_body_cutoff, config.grid_points, config.energy_weight, config.force_weight,
            config.stress_weight, config.max_evaluations, config.decay_neighbours, tuple(config.angle_splits),
            config.log_bases)


def _screen_key(config):
    return _full_key(config) + (config.screen_fraction, config.seed, config.screen_evaluations)


class StageBuilder:
    """The stages of one data set (train, with its neighbour list, or None to build it here) for any search
    settings, each built once."""

    def __init__(self, train, neighbours=None):
        self.train, self.neighbours = train, neighbours
        self._built = {}

    def full(self, config) -> Stage:
        key = ("full",) + _full_key(config)
        if key not in self._built:
            if self.neighbours is None or self.neighbours.cutoff < config.r_out:
                self.neighbours = build_neighbours(self.train, config.r_out)
            self._built[key] = self._stage(self.train, self.neighbours, config, config.max_evaluations,
                                           species=self.species)
        return self._built[key]

    def screen(self, config) -> Stage | None:
        """The screening stage, or None when the settings screen nothing (or the data set is too small to)."""
        key = ("screen",) + _screen_key(config)
        if key not in self._built:
            subset = self.subset(config)
            if subset is None:
                self._built[key] = None
            else:
                sub = self.train.subset(subset)
                self._built[key] = self._stage(sub, build_neighbours(sub, config.r_out), config,
                                               config.screen_evaluations, SCREEN_TOLERANCE, species=self.species)
        return self._built[key]

    def subset(self, config):
        """The structures of the screening subset (None: no screening), without building its stage."""
        return screening_subset(self.train, config.screen_fraction, config.seed)

    @property
    def species(self):
        """The elements forms are expanded over (symff.expr.species): the training data's, on the screening subset
        too (it may lack one), so that screened constants start the full fit; none for one element."""
        return self.train.elements if len(self.train.elements) > 1 else ()

    @staticmethod
    def _stage(data, neighbours, config, max_evaluations, tolerance=None, species=()):
        evaluator = Evaluator(data, neighbours, r_in=config.r_in, r_out=config.r_out, grid_points=config.grid_points,
                              three_body_cutoff=config.three_body_cutoff)
        weights = LossWeights(config.energy_weight, config.force_weight, config.stress_weight)
        extra = {} if tolerance is None else {"tolerance": tolerance}
        return Stage(evaluator, Targets(data, weights), max_evaluations, species=species, options=fit_options(config),
                     **extra)
