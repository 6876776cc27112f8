"""Grammar files: the shipped ones load, bad files are refused with file:line, and every tree is a potential."""

import random

import pytest

from symff.errors import GrammarError
from symff.expr.build import tree_to_sympy
from symff.expr.canonical import canonicalize
from symff.expr.symbols import NS, R, Rejected
from symff.grammar.spec import builtin_grammars, load_grammar
from symff.grammar.trees import TreeGrammar, height


def test_shipped_grammars_load():
    assert {"pair", "eam"} <= set(builtin_grammars())
    pair, eam = load_grammar("pair"), load_grammar("eam")
    assert "ns" in pair.atom_operators and "pow_fixed" not in pair.atom_operators
    assert "pow_fixed" in eam.atom_operators and eam.max_size >= pair.max_size


BAD = {
    "unknown operator": ("name: x\natom: {operators: [ns]}\npair:\n  operators: {add: 1, sin: 1}\n", 4,
                         "unknown name 'sin'"),
    "negative weight": ("name: x\natom: {operators: [ns]}\npair:\n  operators: {add: -1}\n", 4, "must be positive"),
    "missing level": ("name: x\npair: {operators: [add]}\n", 1, "missing 'atom'"),
    "unknown key": ("name: x\nlimitz: {}\n", 2, "unknown key 'limitz'"),
    "bad YAML": ("name: x\npair: [\n", 3, "not valid YAML"),
    "empty": ("", 1, "empty"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_grammar_files_are_refused_with_file_and_line(tmp_path, case):
    text, line, message = BAD[case]
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(GrammarError) as error:
        load_grammar(path)
    assert str(error.value).startswith(f"{path}:{line}:")
    assert message in str(error.value)


def test_a_grammar_file_that_is_not_text_is_refused_naming_it(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(GrammarError, match=rf"^{path}: cannot read the grammar file: 'utf-8' codec can't decode"):
        load_grammar(path)


def test_missing_grammar_names_the_shipped_ones():
    with pytest.raises(GrammarError, match="shipped: .*eam.*pair"):
        load_grammar("no-such-grammar")


def _population_and_children(trees, rng, size, pairs):
    """`size` random trees of `trees`, and the children that every variation operator makes of `pairs` random pairs
    of them."""
    population = [trees.random_tree(rng) for _ in range(size)]
    children = []
    for _ in range(pairs):
        a, b = rng.sample(population, 2)
        children += trees.crossover(rng, a, b)
        children += [trees.mutate_subtree(rng, a), trees.mutate_point(rng, b), trees.mutate_shrink(rng, a),
                     trees.mutate_add_term(rng, b)]
    return population, children


@pytest.mark.parametrize("name", ["pair", "eam"])
def test_every_tree_respects_the_limits_and_is_a_potential(name):
    """For trees made by every variation operator: r appears only inside NS and the energy depends on r; a tree is
    rejected only for numbers (a constant energy, 1/0, overflow, complex values), never as unsupported."""
    grammar = load_grammar(name)
    population, children = _population_and_children(TreeGrammar(grammar), random.Random(3), 150, 150)
    usable = 0
    for tree in population + children:
        assert len(tree) <= grammar.max_size and height(tree) <= grammar.max_depth
        try:
            formula = canonicalize(*tree_to_sympy(tree))
        except Rejected as rejected:
            assert rejected.kind in {"constant", "non_finite", "division_by_zero", "overflow", "complex"}, rejected
            continue
        usable += 1
        outside = formula.energy.replace(NS, lambda g: 1)
        assert R not in outside.free_symbols
        assert formula.energy.atoms(NS)
    assert usable > 0.5 * len(population + children)


def test_the_angle_level_draws_its_exponents_from_its_own_range():
    """grammars/angular.yaml gives c**n the range [2, 8] and keeps r**n in [-12, 12]: every angle exponent of the
    trees that generation and every variation operator make lies in its range, the pair exponents span theirs, and
    the two kinds of exponent never trade places (their text form: tests/test_islands.py)."""
    from symff.grammar.operators import AngleExponent, IntExponent

    grammar = load_grammar("angular")
    assert grammar.integer_exponents_at("angle") == (2, 3, 4, 5, 6, 7, 8)
    assert grammar.integer_exponents_at("pair") == grammar.integer_exponents == tuple(
        n for n in range(-12, 13) if n not in (0, 1))
    trees = TreeGrammar(grammar)
    population, children = _population_and_children(trees, random.Random(5), 200, 300)
    angle, pair = set(), set()
    for tree in population + children:
        for node in tree:
            if node.arity == 0 and node.ret is AngleExponent:
                angle.add(node.value)
            elif node.arity == 0 and node.ret is IntExponent:
                pair.add(node.value)
    assert angle == set(range(2, 9))
    assert min(pair) < 0 and max(pair) > 8


def test_a_power_of_c_outside_the_angle_range_is_not_a_tree_of_the_grammar():
    """Start forms and migrants go through symff.expr.to_tree: (c + k)**2 is a tree of the angular grammar, a pole
    c**-2 in an angular function is not (the grammar has no division at the angle level either)."""
    import sympy as sp

    from symff.expr.symbols import NS3, C
    from symff.expr.to_tree import Unexpressible, formula_to_tree

    grammar = TreeGrammar(load_grammar("angular"))
    good = NS(R**-6) + NS3(sp.Float(0.5) ** R, (C + sp.Rational(1, 3)) ** 2)
    tree = formula_to_tree(good, grammar)
    assert any(node.arity == 0 and node.value == 2 for node in tree)
    with pytest.raises(Unexpressible):
        formula_to_tree(NS(R**-6) + NS3(sp.Float(0.5) ** R, C**-2), grammar)


@pytest.mark.parametrize("n", [9, 10, 11, 13, 16])
def test_a_power_of_c_past_the_angle_range_is_the_tree_the_grammar_makes_of_it(n):
    """The angle level's pow_int takes 2..8, yet its trees make higher powers ((c**5)**2 folds to c**10), and a run's
    forms hold them: such a start form is built as nested powers or a product of two, and folds back to c**n."""
    import sympy as sp

    from symff.expr.symbols import NS3, C
    from symff.expr.to_tree import formula_to_tree
    from symff.grammar.operators import AngleExponent

    grammar = TreeGrammar(load_grammar("angular"))
    energy = 3.0 * NS3(sp.Float(0.5) ** R, C**n)
    tree = formula_to_tree(energy, grammar)
    exponents = [node.value for node in tree if node.arity == 0 and node.ret is AngleExponent]
    assert exponents and all(2 <= k <= 8 for k in exponents)
    assert canonicalize(*tree_to_sympy(tree)).key == f"Mul(C,NS3(Pow(C,r),Pow(c,{n})))"


def test_add_term_gives_a_tree_the_kind_of_sum_it_lacks():
    """In the angular grammar a tree of pair terms only gets a three-body sum from add_term, and a tree of
    three-body sums only a radial sum, their functions never bare leaves (NS3(r, c), NS(1) would be of no use); a
    tree that has both kinds gets any random term, as in a grammar of one kind."""
    import sympy as sp

    from symff.expr.symbols import NS3, C
    from symff.expr.to_tree import formula_to_tree
    from symff.grammar.trees import _subtree

    grammar = TreeGrammar(load_grammar("angular"))
    pair_only = formula_to_tree(183.1 * NS(sp.Float(0.17) ** R) - 9.2 * NS(sp.Float(0.987) ** R**5), grammar)
    angular_only = formula_to_tree(NS3(sp.Float(0.5) ** R, C**2), grammar)
    both = formula_to_tree(NS(R**-6) + NS3(sp.Float(0.5) ** R, C**2), grammar)
    sum_heads = {prim.name for prim in grammar.sums}
    assert sum_heads == {"atom_ns", "atom_ns3"}
    for tree, lacking in ((pair_only, "atom_ns3"), (angular_only, "atom_ns")):
        for seed in range(40):
            child = grammar.mutate_add_term(random.Random(seed), tree)
            assert len(child) <= grammar.grammar.max_size and height(child) <= grammar.grammar.max_depth
            added = child[len(tree) + 1:]  # add(tree, term): the term follows the tree
            assert child[0].name == "atom_add" and list(child[1:len(tree) + 1]) == list(tree)
            assert added[0].name == lacking
            functions = [1] + [_subtree(added, 1).stop] * (added[0].arity == 2)  # where its arguments start
            assert all(added[k].arity > 0 for k in functions), str(child)
    heads = set()
    for seed in range(200):
        child = grammar.mutate_add_term(random.Random(seed), both)
        if child[0].name == "atom_add" and list(child[1:len(both) + 1]) == list(both):
            heads.add(child[len(both) + 1].name)
    assert heads - sum_heads, heads  # not only sums: the term is any random term
