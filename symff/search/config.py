"""Settings of a search, validated once, written into the run directory."""

import math
from dataclasses import asdict, dataclass, field
from os import PathLike

from ..cutoff import DEFAULT_INNER, DEFAULT_OUTER, three_body_radii
from ..errors import ConfigError
from ..evaluate.grid import DEFAULT_POINTS
from ..targets import PROPERTY_OBJECTIVES

TOPOLOGIES = ("ring", "all")
MAX_ANGLE_SPLIT = 16  # the largest power of cos θ a split may give (the grammar writes up to 16: symff.expr.to_tree)
DEFAULT_VARIATION = {"crossover": 0.4, "subtree": 0.2, "point": 0.2, "shrink": 0.1, "add_term": 0.1}
# settings that a run's config.json written before they existed lacks, with the value its search had then: such a
# run resumes as it began, not with today's default
UNWRITTEN_BEFORE = {"decay_neighbours": False, "log_bases": False}


@dataclass
class SearchConfig:
    grammar: str = "eam"  # a shipped grammar's name, or a grammar file
    lammps_exportable: bool = False  # build only forms LAMMPS can hold (pair-only or single-density EAM)
    r_in: float = DEFAULT_INNER
    r_out: float = DEFAULT_OUTER
    # (inner, outer) of the three-body sums' own cutoff, inside r_out (symff.cutoff.three_body_radii); None: r_in, r_out
    three_body_cutoff: tuple | None = None
    # at most this many three-body sums NS3 in a form; a form with more is rejected before any fit (`three_body_sums`).
    # Each one is a meam/spline file of its own in LAMMPS, the cost of the export (docs/alloys.md). None: no bound
    max_three_body_sums: int | None = None
    population: int = 200
    generations: int = 100
    time_limit: float | None = None  # seconds; the search stops at the first generation boundary after it
    seed: int = 0
    energy_weight: float = 1.0
    force_weight: float = 1.0
    stress_weight: float = 0.1
    max_evaluations: int = 100  # passes over the data allowed to one constant fit
    target_loss: float | None = None  # stop once a candidate's loss is at most this (and `patience` has passed)
    patience: int = 3  # generations the simplest candidate at the target loss must hold before the search stops
    grid_points: int = DEFAULT_POINTS
    screen_fraction: float = 0.25  # share of the structures candidates are screened on first (0: no screening)
    screen_evaluations: int = 30  # passes over the subset a screening fit may make
    screen_slack: float = 2.0  # a screened candidate is fitted on all data if its loss <= slack x the best so far
    # forms at most this complex skip the screen and are fitted on all the data (snapped and climbed) at once: their
    # fits cost well under a CPU second, and the screen, which neither climbs nor fits all the data, stops small forms
    # that the exhaustive search's climbs take onto the simple end of the front. 0 (the default): every form with
    # constants is screened; measured with 14 and a slack of 1.5 in docs/fit-and-sanity.md
    screen_above_complexity: int = 0
    variation: dict = field(default_factory=lambda: dict(DEFAULT_VARIATION))
    # a tree whose fit reached another form (climbed, snapped) is replaced by the tree of that form, with the fitted
    # constants (symff.search.engine.Search._inherited); False: trees stay as variation made them
    inherit_forms: bool = True
    # every fitted tree becomes the tree of its form with the fitted constants, also where the fit stayed at the form
    # (Lamarckian inheritance: offspring start their fits from their parents' fits, not from the constants variation
    # drew); False: only trees whose fit reached another form (inherit_forms)
    inherit_constants: bool = False
    # the climb also tries each power law of r times a new decay, r^p k^r (symff.search.neighbourhood.decay_neighbours;
    # FitOptions.decay_neighbours): the Stillinger–Weber rediscovery needs them; on eam forms of DFT data they reach
    # lower minima for some forms at about twice the CPU of a generation (docs/performance.md); False: no decays
    decay_neighbours: bool = True
    # the fits step in ln c for each constant c that is only the base of powers (a decay c**r; FitOptions.log_bases):
    # a straight valley where c**r r**p has a curved one; fewer passes per fit, more generations in the same time and
    # better fronts (docs/performance.md); its extreme constants (6e-38**r r**441) are exported to LAMMPS in logarithms
    log_bases: bool = True
    # the climb also splits a three-body sum of a constant angular function NS3(f, k) into NS3(f, c^n) + a NS(f')^2,
    # for each power n here (symff.search.neighbourhood.angle_split_neighbours); empty: no splits. For several
    # elements these are the only climb steps (docs/alloys.md)
    angle_splits: list = field(default_factory=list)
    # the island model (symff.search.islands): the population is shared out among islands that evolve apart and
    # exchange their best every `migration_interval` generations
    islands: int = 1
    migration_interval: int = 5
    migration_size: int = 2
    topology: str = "ring"  # ring: island i sends to i + 1; all: every island sends to every other
    # formulas the first population starts with, [[name, energy], ...] (symff.search.start_forms); given as
    # "classical" or a path to model files, they are read here, once, so that config.json holds the formulas
    start_forms: list = field(default_factory=list)
    sanity: bool = True  # a candidate that fails the physical-sanity checks never enters the front (symff.sanity)
    # property targets (symff.targets) as [[element, name, value, tolerance, weight], ...], given as the path of a
    # targets file and read here, once; a candidate's loss is its data loss + property_weight x its property loss
    # (symff.search.properties)
    properties: list = field(default_factory=list)
    property_weight: float = 10.0
    # how deviations from the targets count (symff.targets.PROPERTY_OBJECTIVES): "weighted", every
    # deviation in tolerances squared; "tolerance", only the part beyond the tolerance (a candidate within every
    # tolerance pays nothing: the tier with tolerances, soft so that the search can climb towards it)
    property_objective: str = "weighted"
    # False: every candidate goes through every property tier, whether it can reach the front or not (with
    # screen_fraction 0: no tier stops a candidate), the baseline of benchmarks/hierarchical.py
    hierarchical: bool = True

    def __post_init__(self):
        from .start_forms import resolve_start_forms

        self.start_forms = resolve_start_forms(self.start_forms)
        if isinstance(self.properties, (str, PathLike)):
            from ..targets import read_targets

            self.properties = read_targets(self.properties).rows()
        if self.three_body_cutoff is not None:  # a list once read back from config.json
            self.three_body_cutoff = tuple(float(v) for v in self.three_body_cutoff)
            try:
                three_body_radii(self.r_in, self.r_out, self.three_body_cutoff)
            except ValueError as exc:
                raise ConfigError(f"--three-body-cutoff: {exc}") from None
        checks = [
            (self.r_in > 0 and self.r_out > self.r_in, f"the cutoff needs 0 < r_in < r_out, got {self.r_in}, {self.r_out}"),
            (all(isinstance(n, int) and 1 <= n <= MAX_ANGLE_SPLIT for n in self.angle_splits),
             f"--angle-splits must be whole powers from 1 to {MAX_ANGLE_SPLIT}, got {self.angle_splits}"),
            (self.max_three_body_sums is None or self.max_three_body_sums >= 0,
             f"--max-three-body-sums must be at least 0, got {self.max_three_body_sums}"),
            (self.population >= 4, f"--population must be at least 4, got {self.population}"),
            (self.generations >= 0, f"--generations must be at least 0, got {self.generations}"),
            (self.time_limit is None or self.time_limit > 0, f"--time-limit must be positive, got {self.time_limit}"),
            (self.max_evaluations >= 1, "max_evaluations must be at least 1"),
            (self.patience >= 0, "patience must be at least 0"),
            (0 <= self.screen_fraction < 1, f"screen_fraction must be in [0, 1), got {self.screen_fraction}"),
            (self.screen_evaluations >= 1 and self.screen_slack >= 1, "screen_evaluations >= 1, screen_slack >= 1"),
            (self.screen_above_complexity >= 0,
             f"screen_above_complexity must be at least 0, got {self.screen_above_complexity}"),
            (self.grid_points >= 64, "grid_points must be at least 64"),
            (all(0 <= v < math.inf for v in self.variation.values()) and sum(self.variation.values()) > 0,
             "variation probabilities must be finite, non-negative and not all zero"),
            (1 <= self.islands and 4 * self.islands <= self.population,
             f"--islands must be between 1 and population/4, got {self.islands}"),
            (self.migration_interval >= 1 and self.migration_size >= 0,
             "--migration-interval must be at least 1 and --migration-size at least 0"),
            (self.property_weight > 0, f"--property-weight must be positive, got {self.property_weight}"),
            (len({row[0] for row in self.properties}) <= 1, "property targets for one element only"),
            (self.property_objective in PROPERTY_OBJECTIVES,
             f"--property-objective must be one of {', '.join(PROPERTY_OBJECTIVES)}, got {self.property_objective}"),
            (self.topology in TOPOLOGIES, f"--topology must be one of {', '.join(TOPOLOGIES)}, got {self.topology}"),
            (set(self.variation) <= set(DEFAULT_VARIATION),
             f"unknown variation operators {sorted(set(self.variation) - set(DEFAULT_VARIATION))}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        for name in ("energy_weight", "force_weight", "stress_weight"):
            if not getattr(self, name) >= 0:
                raise ConfigError(f"--{name.replace('_', '-')} must be non-negative")

    def to_dict(self):
        return asdict(self)

    @classmethod
    def saved(cls, settings):
        """The settings of a run's config.json ("search"), those it was written without at their values then."""
        return cls(**(UNWRITTEN_BEFORE | settings))
