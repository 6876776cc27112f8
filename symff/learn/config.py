"""The configuration of an active-learning run: a YAML file, validated once and copied into the run directory.

    form: "A*NS(r**-n) - B*sqrt(NS(r**-m))"   # refitted each iteration (`symff fit` syntax: free symbols fitted)
    start_values: {A: 1000, B: 30, n: 9, m: 6}
    start: [start.extxyz]                    # labelled structures to begin with (any file ASE reads)
    md_start: [cells.extxyz]                 # where MD starts (default: the start structures)
    oracle:                                  # any ASE calculator: a class by import path and its keyword arguments
      calculator: ase.calculators.emt.EMT
      args: {}
    # or  oracle: {lammps: {pair_style: eam/alloy, pair_coeff: "* * Cu_mishin1.eam.alloy Cu"}}
    oracle_timeout: 3600                     # s per frame (0: none); a frame that takes longer is logged, skipped
    temperatures: [300, 1200]                # K; one MD run per MD start structure, temperature (and pressure)
    pressures: [0, 5]                        # GPa; constant pressure (NPT) at each; absent: constant volume (NVT)
    md_engine: auto                          # lammps (the exported model in LAMMPS), ase, or auto: LAMMPS where the
                                             # model exports and LAMMPS's Python module imports, ASE otherwise
    md_steps: 200
    snapshot_every: 10                       # MD steps between candidate frames
    timestep_fs: 2.0
    members: 4                               # ensemble members (bootstrap refits; variance_reduction: 8 or more)
    batch: 4                                 # labels per iteration at most
    per_run: 1                               # diversity: frames taken from one MD run per iteration at most
    per_start: 0                             # and from the runs of one MD start structure (0: no limit)
    strategy: disagreement                   # rank frames by committee disagreement; variance_reduction: the batch
                                             # that most lowers the committee's variance over all the MD frames
                                             # (symff.learn.select); random: frames drawn at random (the baseline)
    rank_by: force                           # disagreement that ranks frames: force (largest) or energy (per atom)
    density_weight: 0                        # β: rank by disagreement × density^β (frames like many others first;
                                             # symff.learn.select); 0: by disagreement alone (both: disagreement)
    threshold: 0.05                          # eV/Å: stop when the largest force disagreement in MD is below
    budget: 40                               # labels in all at most
    iterations: 10                           # iterations at most
    fit_starts: 4
    seed: 0
    search: {time_limit: 600}                # re-search the form each iteration (symff search's settings, as in
                                             # SearchConfig), from `form` and the last iteration's front (one
                                             # element); absent: refit `form`
    committee_forms: 0                       # with search: the committee also refits this many other front members
                                             # (nearest in complexity), `members` refits of each form

Relative paths are relative to the configuration file. Unknown keys are refused, so that a typo is not ignored.
"""

import math
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ..cutoff import DEFAULT_INNER, DEFAULT_OUTER
from ..errors import ConfigError
from ..search.config import SearchConfig
from ..search.start_forms import resolve_start_forms
from ..yamlfile import read_yaml
from .md import ENGINES

STRATEGIES = ("disagreement", "variance_reduction", "random")
RANKINGS = ("force", "energy")
SEARCH_FILES = ("start_forms", "properties", "grammar")  # settings of `search` that may name a file


@dataclass(frozen=True)
class LearnConfig:
    form: str
    start: tuple
    oracle: dict
    md_start: tuple = ()
    oracle_timeout: float = 0.0
    start_values: dict = field(default_factory=dict)
    temperatures: tuple = (300.0,)
    pressures: tuple = ()  # GPa; empty: constant volume
    md_engine: str = "auto"
    md_steps: int = 200
    snapshot_every: int = 10
    timestep_fs: float = 2.0
    friction: float = 0.02  # Langevin friction, 1/fs
    members: int = 4
    batch: int = 4
    per_run: int = 1
    per_start: int = 0  # 0: no limit
    strategy: str = "disagreement"
    rank_by: str = "force"
    density_weight: float = 0.0
    threshold: float = 0.05
    budget: int = 40
    iterations: int = 10
    fit_starts: int = 4
    seed: int = 0
    search: dict | None = None  # symff search's settings: re-search the form each iteration; None: refit `form`
    committee_forms: int = 0  # with `search`: other forms of the front in the committee (nearest in complexity)
    r_in: float = DEFAULT_INNER
    r_out: float = DEFAULT_OUTER

    def __post_init__(self):
        no_frames = (f"snapshot_every ({self.snapshot_every}) is more than md_steps ({self.md_steps}): no MD frame "
                     "would be a candidate")
        checks = [
            (isinstance(self.form, str) and self.form.strip(), "form: give the formula to fit, as for `symff fit`"),
            (len(self.start) >= 1, "start: give at least one file of labelled structures"),
            (isinstance(self.oracle, dict) and (("calculator" in self.oracle) != ("lammps" in self.oracle)),
             "oracle: give either {calculator: module.Class, args: {...}} or {lammps: {pair_style, pair_coeff}}"),
            (len(self.temperatures) >= 1 and all(t > 0 for t in self.temperatures),
             "temperatures: give one or more positive temperatures in K"),
            (all(math.isfinite(p) for p in self.pressures), "pressures: give finite pressures in GPa"),
            (self.md_engine in ENGINES, f"md_engine must be one of {', '.join(ENGINES)}, got {self.md_engine!r}"),
            (self.md_steps >= 1 and self.snapshot_every >= 1, "md_steps and snapshot_every must be at least 1"),
            (self.snapshot_every <= self.md_steps, no_frames),
            (self.oracle_timeout >= 0, "oracle_timeout must be a non-negative number of seconds (0: none)"),
            (self.timestep_fs > 0 and self.friction >= 0, "timestep_fs must be positive, friction non-negative"),
            (self.members >= 2, f"members must be at least 2, got {self.members}"),
            (self.batch >= 1 and self.per_run >= 1, "batch and per_run must be at least 1"),
            (self.per_start >= 0, "per_start must be non-negative (0: no limit)"),
            (self.strategy in STRATEGIES, f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}"),
            (self.rank_by in RANKINGS, f"rank_by must be one of {', '.join(RANKINGS)}, got {self.rank_by!r}"),
            (math.isfinite(self.density_weight) and self.density_weight >= 0,
             f"density_weight must be a finite number >= 0, got {self.density_weight!r}"),
            (self.threshold >= 0, "threshold must be non-negative (eV/Å)"),
            (self.budget >= 0 and self.iterations >= 1, "budget must be >= 0 and iterations >= 1"),
            (self.fit_starts >= 1, "fit_starts must be at least 1"),
            (self.seed >= 0, f"seed must be a whole number, 0 or more, got {self.seed}"),
            (self.committee_forms >= 0, f"committee_forms must be at least 0, got {self.committee_forms}"),
            (self.committee_forms == 0 or self.search is not None,
             "committee_forms takes forms from the front of a search: give `search` too"),
            (0 < self.r_in < self.r_out, f"the cutoff needs 0 < r_in < r_out, got {self.r_in}, {self.r_out}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        if self.search is not None:
            self.search_config([])  # its settings checked now, not at the first iteration

    def search_config(self, start_forms):
        """The SearchConfig of an iteration's search: `search`'s settings at the loop's cutoff, starting from
        `start_forms` ([[name, energy], ...]) and those `search` names."""
        if not isinstance(self.search, dict):
            raise ConfigError("search: give a mapping of `symff search` settings (e.g. {time_limit: 600}), or leave "
                              "it out to refit `form`")
        clash = sorted({"r_in", "r_out"} & set(self.search))
        if clash:
            raise ConfigError(f"search: {clash[0]} is set for the whole loop, at the top level of the configuration")
        known = {f.name: f.type for f in fields(SearchConfig) if f.name not in ("r_in", "r_out")}
        unknown = sorted(set(self.search) - set(known))
        if unknown:
            raise ConfigError(f"search: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
        settings = {name: _typed(value, known[name], name) for name, value in self.search.items()}
        extra = resolve_start_forms(settings.pop("start_forms", None))
        try:
            return SearchConfig(**settings, r_in=self.r_in, r_out=self.r_out, start_forms=start_forms + extra)
        except ConfigError as exc:
            raise ConfigError(f"search: {exc}") from None

    def to_dict(self):
        data = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def load_config(path) -> LearnConfig:
    """Read and check a configuration file; paths in it become absolute."""
    path = Path(path)
    return config_from_dict(read_yaml(path, ConfigError, "configuration file"), path.parent, str(path))


def config_from_dict(data, folder=Path("."), source="configuration") -> LearnConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings")
    known = {f.name for f in fields(LearnConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{source}: unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    missing = [k for k in ("form", "start", "oracle") if k not in data]
    if missing:
        raise ConfigError(f"{source}: missing setting {missing[0]!r}")
    values = dict(data)
    for key in ("start", "md_start"):
        files = values.get(key, [])
        files = [files] if isinstance(files, str) else list(files or [])
        values[key] = tuple(str((Path(folder) / f).resolve()) for f in files)
    search = values.get("search")
    if isinstance(search, dict):  # its files (start forms, property targets, a grammar file) relative to this file
        values["search"] = search | {key: str((Path(folder) / value).resolve()) for key, value in search.items()
                                     if key in SEARCH_FILES and isinstance(value, str) and (Path(folder) / value).exists()}
    for f in fields(LearnConfig):  # numbers as numbers: YAML reads `nan` or `1e-3 eV` as text
        if f.type in (int, float) and f.name in values:
            values[f.name] = _number(values[f.name], f.type, f.name, source)
    values["temperatures"] = tuple(_number(t, float, "temperatures", source)
                                   for t in _list(values.get("temperatures", [300.0])))
    values["pressures"] = tuple(_number(p, float, "pressures", source) for p in _list(values.get("pressures") or []))
    try:
        return LearnConfig(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{source}: {exc}") from None
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _number(value, kind, name, source):
    """`value` as `kind` (int or float); anything else, a bool included, is refused naming the setting."""
    if isinstance(value, bool) or not isinstance(value, int | float) or (kind is int and value != int(value)):
        what = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{source}: {name} must be {what}, got {value!r}")
    return kind(value)


def _typed(value, kind, name):
    """A `search` setting's value checked against its SearchConfig type: numbers as numbers, a flag as true or false
    (YAML reads `many` or `yes please` as text), None where the type allows it."""
    kinds = typing.get_args(kind) or (kind,)
    if value is None and type(None) in kinds:
        return None
    if bool in kinds and not isinstance(value, bool):
        raise ConfigError(f"search: {name} must be true or false, got {value!r}")
    number = next((k for k in kinds if k in (int, float)), None)
    return _number(value, number, name, "search") if number else value


def _list(value):
    return value if isinstance(value, list | tuple) else [value]
