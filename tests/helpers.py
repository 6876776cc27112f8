"""Shared test helpers: labelled random structures and evaluation of a formula on them."""

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator

from symff.data import Dataset
from symff.evaluate.evaluator import Evaluator
from symff.neighbours import build_neighbours

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
needs_data = pytest.mark.skipif(not DATASETS.is_dir(), reason="../shared/datasets is absent")


VOIGT = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]


def pair_owners(pairs, atom_start):
    """(first atom, structure) of every pair of a `GridPairs` (atom-major: the pairs of atom a are its own)."""
    first = np.repeat(np.arange(pairs.n_atoms), np.diff(pairs.atom_pairs))
    structure = np.repeat(np.arange(len(atom_start) - 1), np.diff(pairs.atom_pairs[atom_start]))
    return first, structure


def assert_forces_and_virials_of(forces, virials, pairs, atom_start, dE_dr):
    """One term's forces (n_atoms, 3) and virials (n_structures, 6) from a force pass against those of its dE/dr per
    pair written out: +dE/dr D/r on the first atom, the opposite on the other, Σ f_α D_β per structure."""
    first, structure = pair_owners(pairs, atom_start)
    f = (dE_dr * pairs.inv_r)[:, None] * pairs.D
    expected = np.zeros((pairs.n_atoms, 3))
    np.add.at(expected, first, f)
    np.add.at(expected, pairs.j, -f)
    np.testing.assert_allclose(forces, expected, rtol=0, atol=1e-12 * max(np.abs(expected).max(), 1.0))
    for v, (a, b) in enumerate(VOIGT):
        expected_virial = np.bincount(structure, f[:, a] * pairs.D[:, b], minlength=len(atom_start) - 1)
        np.testing.assert_allclose(virials[:, v], expected_virial, rtol=0,
                                   atol=1e-12 * max(np.abs(expected_virial).max(), 1.0))


def labelled(atoms, energy=0.0):
    atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=np.zeros((len(atoms), 3)))
    return atoms


def random_cell(rng, n_atoms, volume_per_atom=12.0, skew=0.3, shortest=1.8, symbol="Cu"):
    """A random triclinic periodic cell with atoms no closer than `shortest` Å (small: the cutoff exceeds half of it)."""
    for _ in range(1000):
        lengths = (n_atoms * volume_per_atom) ** (1 / 3) * rng.uniform(0.8, 1.2, 3)
        cell = np.diag(lengths) + skew * rng.uniform(-1, 1, (3, 3)) * lengths[:, None]
        atoms = Atoms(symbol * n_atoms, scaled_positions=rng.random((n_atoms, 3)), cell=cell, pbc=True)
        if n_atoms == 1 or atoms.get_all_distances(mic=True)[np.triu_indices(n_atoms, 1)].min() > shortest:
            return labelled(atoms)
    raise RuntimeError("no random cell found")


def randomly_labelled_cells(seed, sizes=(3, 4, 5, 6), elements=("Cu",)):
    """A Dataset of random cells with random energies, forces and stresses: a fit's residual is then far from zero,
    as in a real fit. With several `elements`, each cell holds them in turn, in a random order."""
    rng = np.random.default_rng(seed)
    structures = []
    for n in sizes:
        atoms = random_cell(rng, n, volume_per_atom=11.0)
        if len(elements) > 1:
            atoms.set_chemical_symbols([elements[k % len(elements)] for k in rng.permutation(n)])
        atoms.calc = SinglePointCalculator(atoms, energy=rng.normal(-3.5 * n, 1.0), forces=rng.normal(0, 0.5, (n, 3)),
                                           stress=rng.normal(0, 0.01, 6))
        structures.append(atoms)
    return Dataset.from_atoms(structures, min_distance=None)


def evaluate(atoms_list, program, constants, linear, *, r_in=3.0, r_out=5.0, exact=True, grid_points=4096,
             three_body_cutoff=None):
    """Total energies, forces and stresses of a formula on ASE structures (reference energy zero)."""
    data = Dataset.from_atoms([labelled(a.copy()) for a in atoms_list], min_distance=None)
    evaluator = Evaluator(data, build_neighbours(data, r_out), r_in=r_in, r_out=r_out, exact=exact,
                          grid_points=grid_points, three_body_cutoff=three_body_cutoff)
    return evaluator.predict(program, constants, linear, np.zeros(data.n_elements))


def assert_lammps_agrees(export, model, frames):
    """Every frame run in the real LAMMPS with `export` (symff.export.lammps_run) as the numpy reference computes it
    (symff.evaluate.reference): energies within 1e-6 eV/atom, forces within 1e-5 eV/Å."""
    from symff.evaluate import reference
    from symff.export.lammps_run import LammpsPotential

    runner = LammpsPotential(export, model.elements)
    try:
        for atoms in frames:
            expected = reference.calculate(model, atoms)
            energy, forces, _ = runner.compute(atoms)
            assert abs(energy - expected["energy"]) / len(atoms) < 1e-6
            assert np.abs(forces - expected["forces"]).max() < 1e-5
    finally:
        runner.close()


def ctrl_c_in_generation(monkeypatch, generation):
    """Searches take a Ctrl-C (KeyboardInterrupt) as they score `generation`, as from a terminal at that moment;
    `monkeypatch.undo()` ends it."""
    from symff.search.islands import IslandSearch

    score = IslandSearch._score

    def interrupted(self, newcomers, reached):
        if reached == generation:
            raise KeyboardInterrupt
        return score(self, newcomers, reached)

    monkeypatch.setattr(IslandSearch, "_score", interrupted)
