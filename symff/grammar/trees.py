"""Typed expression trees of a grammar: random generation and variation, all driven by an explicit random.Random.

Trees are DEAP `PrimitiveTree`s (prefix lists of `Primitive` and `Terminal` nodes) over a `PrimitiveSetTyped` built
from a grammar, so every tree is well typed: its root is an Atom expression, and every Pair expression sits inside a
neighbour sum. DEAP's own generators and operators draw from the global `random` module; these take a seeded
`random.Random`, so that a run is reproducible from its seed.

Depth follows DEAP: a single leaf has height 0.

*Exportable* tree grammars (`TreeGrammar(grammar, exportable=True)`, `symff search --lammps-exportable`) build only
forms LAMMPS can hold, E_i = Σ a NS(φ) + Σ_k F_k(NS(g_k)) (pair_style lepton or table, eam/alloy, or hybrid/overlay
of several eam/alloy files), by their types: the root is eam(T, E) with T an Atom expression of the linear operators
only (add, sub, ns) and E an `Embedding`: one embedding term eam_embed(F, g), or a sum eam_add(E1, E2) of them. In
each term g is one Pair expression and F an `Embedded` expression over the leaf `rho` (which stands for that term's
own NS(g)) built with the grammar's other atom operators. Every tree of this grammar, and every child of crossover
and mutation (which keep types), is a sum of pair terms and of functions of one density each.
"""


import math
import random

from deap import gp

from .operators import (
    EAM_OPERATORS,
    EAM_ROOT,
    LINEAR_ATOM_OPERATORS,
    OPERATORS,
    Angle,
    AngleExponent,
    Atom,
    Base,
    Const,
    Embedded,
    Embedding,
    FixedExponent,
    IntExponent,
    Pair,
    Potential,
)
from .spec import Grammar

BASE_RANGE = (0.05, 0.95)
INTERNAL_NODE_BIAS = 0.9  # Koza: crossover and mutation points are internal nodes 90 % of the time
MAX_TRIES = 20
NEW_SUM_DEPTH = 2  # the least height of the functions of a sum mutate_add_term adds for a kind the tree lacks


class TreeGrammar:
    """A grammar made operational: the DEAP primitive set, and generation and variation of its trees."""

    def __init__(self, grammar: Grammar, exportable=False):
        self.grammar = grammar
        self.exportable = exportable
        self.root = Potential if exportable else Atom
        self.pset = gp.PrimitiveSetTyped(grammar.name, [], self.root)
        self.primitives = {Pair: [], Atom: [], Angle: [], Embedded: [], Embedding: [], Potential: []}  # ret type -> [(Primitive, weight)]
        self.sums = []  # the Primitives of the environment sums a tree's terms may be (one per kind: ns, ns3)
        for level in ("pair", "atom", "angle"):
            for name, weight in grammar.operators(level).items():
                op = OPERATORS[(level, name)]
                if exportable and op.sum_kind == "angular":
                    continue  # the exportable (eam) forms have no three-body sums
                if exportable and level == "atom" and name not in LINEAR_ATOM_OPERATORS:
                    self._add(f"embed_{name}", tuple(Embedded if a is Atom else a for a in op.args), Embedded, weight)
                else:
                    self._add(f"{level}_{name}", op.args, op.ret, weight)
                    if op.sum_kind:
                        self.sums.append(self.pset.mapping[f"{level}_{name}"])
        self.leaf_weights = {
            Pair: sum(grammar.pair_terminals.values()),
            Atom: sum(grammar.atom_terminals.values()),
            Angle: sum(grammar.angle_terminals.values()),
            Potential: 0,
            Embedding: 0,
        }
        if exportable:
            if "ns" not in grammar.atom_operators:
                raise ValueError(f"grammar {grammar.name}: an exportable grammar needs the atom operator ns")
            self._add(f"root_{EAM_ROOT.name}", EAM_ROOT.args, EAM_ROOT.ret, 1.0)
            for op, weight in EAM_OPERATORS:
                self._add(f"eam_{op.name}", op.args, op.ret, weight)
            # rho is drawn as often as a neighbour sum would be
            self.embedded_terminals = {"rho": grammar.atom_operators["ns"], **grammar.atom_terminals}
            self.leaf_weights[Embedded] = sum(self.embedded_terminals.values())
        self.min_height = self._min_heights()
        if self.min_height[self.root] > grammar.max_depth:
            raise ValueError(f"grammar {grammar.name}: no tree fits in max_depth {grammar.max_depth}")

    def _add(self, name, args, ret, weight):
        prim = gp.Primitive(name, args, ret)
        self.pset._add(prim)
        self.pset.context[prim.name] = None  # trees are never compiled to Python
        self.pset.prims_count += 1
        self.primitives[ret].append((prim, weight))

    # --- leaves -------------------------------------------------------------------------------------------------
    def has_leaves(self, ret):
        return ret not in self.leaf_weights or self.leaf_weights[ret] > 0

    def leaf(self, ret, rng: random.Random) -> gp.Terminal:
        g = self.grammar
        if issubclass(ret, IntExponent):
            return gp.Terminal(rng.choice(g.integer_exponents_at(ret.level)), False, ret)
        if ret is FixedExponent:
            return gp.Terminal(rng.choice(g.fixed_exponents), False, FixedExponent)
        if ret is Base:
            return gp.Terminal(round(rng.uniform(*BASE_RANGE), 4), False, Base)
        if ret is Const:
            return gp.Terminal(round(rng.uniform(*g.constants), 4), False, Const)
        if ret is Embedded:
            terminals = self.embedded_terminals
        else:
            terminals = g.terminals({Pair: "pair", Angle: "angle"}.get(ret, "atom"))
        name = _weighted_choice(rng, list(terminals.items()))
        if name == "r":
            return gp.Terminal("r", True, Pair)
        if name == "c":
            return gp.Terminal("c", True, Angle)
        if name == "rho":
            return gp.Terminal("rho", True, Embedded)
        return gp.Terminal(round(rng.uniform(*g.constants), 4), False, ret)

    # --- generation -----------------------------------------------------------------------------------------------
    def _min_heights(self):
        heights = {t: 0 for t in (Const, Base, IntExponent, AngleExponent, FixedExponent)}
        heights.update({t: (0 if w > 0 else math.inf) for t, w in self.leaf_weights.items()})
        changed = True
        while changed:
            changed = False
            for ret, prims in self.primitives.items():
                for prim, _ in prims:
                    h = 1 + max(heights[a] for a in prim.args)
                    if h < heights[ret]:
                        heights[ret], changed = h, True
        return heights

    def generate(self, rng: random.Random, ret=None, depth=None, method=None) -> list:
        """A random tree of type `ret` and height at most `depth`: 'full' trees fill every branch, 'grow' trees
        stop at leaves at random (ramped half-and-half when `method` is None). `ret` defaults to the root type."""
        ret = ret or self.root
        if depth is None:
            depth = rng.randint(*self.grammar.init_depth)
        depth = max(depth, self.min_height[ret])
        method = method or rng.choice(("full", "grow"))
        nodes = []
        self._grow(rng, ret, depth, method, nodes)
        return nodes

    def _grow(self, rng, ret, depth, method, nodes, leaf_ok=True):
        prims = [(p, w) for p, w in self.primitives.get(ret, []) if 1 + max(self.min_height[a] for a in p.args) <= depth]
        if not prims or (leaf_ok and self.has_leaves(ret) and self._stop(rng, ret, method)):
            nodes.append(self.leaf(ret, rng))
            return
        prim = _weighted_choice(rng, prims)
        nodes.append(prim)
        for k, arg in enumerate(prim.args):
            # a new embedding F(rho) starts with an operator: a bare rho or constant would only be a pair term
            self._grow(rng, arg, depth - 1, method, nodes, leaf_ok=not (prim.name == "eam_embed" and k == 0))

    def _stop(self, rng, ret, method):
        if method == "full":
            return False
        total_prims = sum(w for _, w in self.primitives[ret])
        return rng.random() < self.leaf_weights[ret] / (self.leaf_weights[ret] + total_prims)

    def random_tree(self, rng: random.Random) -> gp.PrimitiveTree:
        """A random valid tree within the grammar's size limit."""
        for _ in range(MAX_TRIES * 5):
            nodes = self.generate(rng)
            if len(nodes) <= self.grammar.max_size:
                return gp.PrimitiveTree(nodes)
        return gp.PrimitiveTree(self.generate(rng, depth=self.min_height[self.root]))

    # --- variation ------------------------------------------------------------------------------------------------
    def fits(self, nodes) -> bool:
        return len(nodes) <= self.grammar.max_size and height(nodes) <= self.grammar.max_depth

    def crossover(self, rng, first, second):
        """Swap a subtree of `first` with one of the same type from `second`; returns two new trees."""
        for _ in range(MAX_TRIES):
            i = _pick_node(rng, first)
            ret = first[i].ret
            matches = [k for k, node in enumerate(second) if node.ret is ret]
            if not matches:
                continue
            k = rng.choice(matches)
            a, b = _subtree(first, i), _subtree(second, k)
            child1 = first[: a.start] + second[b] + first[a.stop :]
            child2 = second[: b.start] + first[a] + second[b.stop :]
            if self.fits(child1) and self.fits(child2):
                return gp.PrimitiveTree(child1), gp.PrimitiveTree(child2)
        return gp.PrimitiveTree(first), gp.PrimitiveTree(second)

    def mutate_subtree(self, rng, tree):
        """Replace a random subtree by a new random one of the same type."""
        depths = node_depths(tree)
        for _ in range(MAX_TRIES):
            i = _pick_node(rng, tree)
            room = self.grammar.max_depth - depths[i]
            depth = rng.randint(0, max(0, min(3, room)))
            if depth < self.min_height[tree[i].ret]:
                continue
            s = _subtree(tree, i)
            child = tree[: s.start] + self.generate(rng, tree[i].ret, depth, "grow") + tree[s.stop :]
            if self.fits(child):
                return gp.PrimitiveTree(child)
        return gp.PrimitiveTree(tree)

    def mutate_point(self, rng, tree):
        """Change one node in place: another operator of the same signature, or another leaf of the same type.
        Constants are perturbed rather than redrawn, and integer exponents move by one step half of the time."""
        i = rng.randrange(len(tree))
        node = tree[i]
        child = list(tree)
        if isinstance(node, gp.Primitive):
            same = [(p, w) for p, w in self.primitives[node.ret] if p.args == node.args and p.name != node.name]
            if not same:
                return self.mutate_subtree(rng, tree)
            child[i] = _weighted_choice(rng, same)
        elif issubclass(node.ret, IntExponent) and rng.random() < 0.5:
            allowed = self.grammar.integer_exponents_at(node.ret.level)
            step = node.value + rng.choice((-1, 1))
            child[i] = gp.Terminal(step if step in allowed else rng.choice(allowed), False, node.ret)
        elif isinstance(node.value, float):
            value = node.value * math.exp(rng.gauss(0.0, 0.5)) if rng.random() < 0.7 else None
            if value is None or (node.ret is Base and not 0 < value < 1):
                child[i] = self.leaf(node.ret, rng)
            else:
                child[i] = gp.Terminal(round(value, 4), False, node.ret)
        else:
            child[i] = self.leaf(node.ret, rng)
        return gp.PrimitiveTree(child)

    def mutate_shrink(self, rng, tree):
        """Replace a subtree by one of its own subtrees of the same type (fights bloat)."""
        candidates = []
        for i, node in enumerate(tree):
            if isinstance(node, gp.Primitive):
                s = _subtree(tree, i)
                inner = [k for k in range(s.start + 1, s.stop) if tree[k].ret is node.ret]
                candidates.extend((i, k) for k in inner)
        if not candidates:
            return self.mutate_point(rng, tree)
        i, k = rng.choice(candidates)
        s, inner = _subtree(tree, i), _subtree(tree, k)
        return gp.PrimitiveTree(tree[: s.start] + tree[inner] + tree[s.stop :])

    def mutate_add_term(self, rng, tree):
        """Add a new random term: E_i -> E_i + T (how sums of neighbour sums grow). A tree that lacks one of the
        grammar's kinds of environment sum gets a sum of such a kind, with random functions inside: the fitted trees
        that win the tournaments are the ones that can take up a kind the population has lost (a population of pair
        forms that beat every early three-body form keeps no three-body sum, and a random term is a three-body sum
        only now and then). In an exportable tree the term joins the pair terms (the root's first argument) or, half
        of the time, is a new embedding term of its own density (the root's second argument)."""
        adds = [p for p, _ in self.primitives[Atom] if p.name == "atom_add"]
        if not adds:
            return self.mutate_subtree(rng, tree)
        add, ret, terms = adds[0], Atom, slice(0, len(tree))
        if self.exportable:
            terms = _subtree(tree, 1)
            if rng.random() < 0.5:
                add, ret, terms = self.pset.mapping["eam_add"], Embedding, slice(terms.stop, len(tree))
        low = self.min_height[ret]
        depth = rng.randint(low, max(low, min(4, self.grammar.max_depth - 1)))
        lacking = [prim for prim in self.sums if ret is Atom and prim not in tree[terms]]
        if lacking:
            term = [rng.choice(lacking)]
            for arg in term[0].args:  # functions, not bare leaves: NS3(r, c) or NS3(1, 1) is of no use
                self._grow(rng, arg, max(depth - 1, NEW_SUM_DEPTH), "grow", term, leaf_ok=False)
        else:
            term = self.generate(rng, ret, depth, "grow")
        child = [*tree[: terms.start], add, *tree[terms], *term, *tree[terms.stop :]]
        return gp.PrimitiveTree(child) if self.fits(child) else self.mutate_shrink(rng, tree)


def height(nodes) -> int:
    """Height of a prefix tree (a leaf has height 0)."""
    stack, best = [0], 0
    for node in nodes:
        depth = stack.pop()
        best = max(best, depth)
        stack.extend([depth + 1] * node.arity)
    return best


def node_depths(nodes) -> list:
    """Depth of every node (the root has depth 0)."""
    depths, stack = [], [0]
    for node in nodes:
        depth = stack.pop()
        depths.append(depth)
        stack.extend([depth + 1] * node.arity)
    return depths


def _subtree(nodes, begin) -> slice:
    end, total = begin + 1, nodes[begin].arity
    while total > 0:
        total += nodes[end].arity - 1
        end += 1
    return slice(begin, end)


def _pick_node(rng, nodes):
    internal = [i for i, n in enumerate(nodes) if n.arity > 0]
    if internal and rng.random() < INTERNAL_NODE_BIAS:
        return rng.choice(internal)
    return rng.randrange(len(nodes))


def _weighted_choice(rng, items):
    total = sum(w for _, w in items)
    x = rng.random() * total
    for item, weight in items:
        x -= weight
        if x < 0:
            return item
    return items[-1][0]


def leaf_kind(node) -> str:
    """What a leaf stands for: 'r', 'c' (cos θ), 'rho' (the embedded density), 'const' (fitted), 'base' (fitted,
    base of c**x), 'int' or 'fixed' (exponents)."""
    if issubclass(node.ret, IntExponent):
        return "int"
    if node.ret is FixedExponent:
        return "fixed"
    if node.ret is Base:
        return "base"
    if node.value in ("r", "rho", "c"):
        return node.value
    return "const"


__all__ = ["TreeGrammar", "height", "leaf_kind", "node_depths"]
