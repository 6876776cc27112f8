"""The shipped potentials: each model file loads and carries its provenance and its train and test errors; the
discovered ones of issues 13 and 15 are sane and the real LAMMPS gives, with their export, the test errors they record."""

from importlib.resources import files

import ase.io
import pytest
from helpers import DATASETS, needs_data

from symff.model import Model
from symff.sanity import sanity_report

SHIPPED = sorted(p.name for p in files("symff.potentials").iterdir() if p.name.endswith(".json"))
# The members shipped from the one-hour searches of issues 13 and 15 (docs/discovery.md, docs/angular.md): element and
# LAMMPS form (Mo's product of two sums runs as squares of three densities)
DISCOVERED = {"Cu-mlearn-3.json": ("Cu", "eam/alloy"), "Ni-mlearn-2.json": ("Ni", "eam/alloy"),
              "Mo-mlearn-2.json": ("Mo", "hybrid/overlay"), "Si-mlearn-2.json": ("Si", "meam/spline"),
              "Ge-mlearn-2.json": ("Ge", "meam/spline")}


def test_potentials_are_shipped():
    expected = {"Cu-mlearn-1.json", "Cu-POET-1.json", "Ni-mlearn-1.json", "Mo-mlearn-1.json", *DISCOVERED}
    assert expected <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_model_file_has_provenance_and_errors(name):
    model = Model.load(files("symff.potentials") / name)
    provenance = model.metadata["provenance"]
    assert provenance["train"] and provenance["command"] and "symff_version" in model.metadata
    assert {"train", "test"} <= set(model.errors)
    assert model.errors["test"]["energy_mae_mev"] > 0 and model.errors["test"]["force_mae"] > 0


@needs_data
@pytest.mark.parametrize("name", sorted(DISCOVERED))
def test_discovered_potential_is_sane_and_lammps_gives_its_recorded_test_errors(name, tmp_path):
    lammps_run = pytest.importorskip("symff.export.lammps_run")
    from symff.export import export_lammps

    element, style = DISCOVERED[name]
    model = Model.load(files("symff.potentials") / name)
    assert sanity_report(model)["sane"]
    export = export_lammps(model, tmp_path)
    assert export.style == style
    structures = ase.io.read(DATASETS / "mlearn" / element / "test.extxyz", ":")
    runner = lammps_run.LammpsPotential(export, model.elements)
    try:
        energy, force = runner.mean_errors(structures, model.reference_energy)
    finally:
        runner.close()
    recorded = model.errors["test"]
    assert energy == pytest.approx(recorded["energy_mae_mev"], abs=1e-3)  # meV/atom
    assert force == pytest.approx(recorded["force_mae"], abs=1e-5)
