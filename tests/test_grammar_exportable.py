"""`--lammps-exportable`: the exportable tree grammar builds only forms LAMMPS can hold, through its types."""

import json
import random

import ase.io
import numpy as np
import pytest

from symff.cli import main
from symff.data import read_dataset
from symff.evaluate.predict import predict
from symff.export import analyse_form, export_lammps
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.symbols import Rejected
from symff.grammar.operators import Potential
from symff.grammar.spec import load_grammar
from symff.grammar.trees import TreeGrammar
from symff.model import Model, parse_formula
from symff.synthetic.generate import make_sutton_chen_dataset


def _evolved_population(tree_grammar, seed, size=120, generations=3):
    rng = random.Random(seed)
    population = [tree_grammar.random_tree(rng) for _ in range(size)]
    variations = (tree_grammar.mutate_subtree, tree_grammar.mutate_point, tree_grammar.mutate_shrink,
                  tree_grammar.mutate_add_term)
    for _ in range(generations):
        children = []
        for tree in population:
            children.append(rng.choice(variations)(rng, tree))
            children.extend(tree_grammar.crossover(rng, tree, rng.choice(population)))
        population = children[:size]
    return population


@pytest.mark.parametrize("grammar", ["eam", "pair"])
def test_every_evolved_exportable_tree_is_exportable(grammar):
    tree_grammar = TreeGrammar(load_grammar(grammar), exportable=True)
    kinds = []
    for tree in _evolved_population(tree_grammar, seed=7):
        assert tree[0].ret is Potential and tree_grammar.fits(tree)
        try:
            formula = canonicalize(*tree_to_sympy(tree))
        except Rejected:
            continue
        model = Model(formula, formula.initial, formula.linear_initial, ("Cu",), {"Cu": 0.0})
        kinds.append(analyse_form(model).kind)  # raises ModelError for a form LAMMPS cannot hold
    assert len(kinds) > 50
    # the eam grammar reaches the whole class: pair forms, one embedding, and sums of embeddings of several densities
    assert set(kinds) == ({"pair", "eam", "hybrid"} if grammar == "eam" else {"pair"})


def test_the_plain_grammar_builds_unexportable_forms_too():
    from symff.errors import ModelError

    refused = 0
    for tree in _evolved_population(TreeGrammar(load_grammar("eam")), seed=7):
        try:
            formula = canonicalize(*tree_to_sympy(tree))
            analyse_form(Model(formula, formula.initial, formula.linear_initial, ("Cu",), {"Cu": 0.0}))
        except Rejected:
            continue
        except ModelError:
            refused += 1
    assert refused > 0


def test_a_repeated_neighbour_sum_is_one_density():
    formula, _ = parse_formula("NS(c**(2*k + 2*r))**(1/4) * NS(c**(2*k + 2*r))**q + NS(r)")
    assert len(formula.densities) == 2


@pytest.mark.slow
def test_search_with_lammps_exportable_writes_exportable_models_that_lammps_runs_as_symff_does(tmp_path):
    lammps_run = pytest.importorskip("symff.export.lammps_run")
    structures = make_sutton_chen_dataset(seed=3)[::8]
    train = tmp_path / "train.extxyz"
    ase.io.write(train, structures)
    out = tmp_path / "run"
    assert main(["search", str(train), "--lammps-exportable", "--population", "40", "--generations", "3",
                 "--seed", "1", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "config.json").read_text())["search"]["lammps_exportable"] is True
    front = json.loads((out / "front.json").read_text())["members"]
    assert len(front) > 3 and all(m["lammps"] != "symff only" for m in front)
    data = read_dataset([train])
    for member in front:
        model = Model.load(out / member["model"])
        assert main(["export", str(out), "--index", str(member["index"]), "--lammps", str(tmp_path / "x")]) == 0
        export = export_lammps(model, tmp_path / f"lammps{member['index']}")
        assert export.style == member["lammps"]
        expected = predict(model, data)
        runner = lammps_run.LammpsPotential(export, model.elements)
        for s in range(0, data.n_structures, 3):
            energy, forces, _ = runner.compute(structures[s])
            if not export.includes_reference:
                energy += model.reference_energy["Cu"] * len(structures[s])
            a, b = data.atom_start[s], data.atom_start[s + 1]
            assert abs(energy - expected.energy[s]) / len(structures[s]) < 1e-6
            assert np.abs(forces - expected.forces[a:b]).max() < 1e-5
        runner.close()
