"""Grammar files: which operators and leaves a search may use, how often, and how big a tree may grow.

A grammar file is YAML (reference: docs/grammar.md). Its sections:

    name: eam
    limits: {max_size: 40, max_depth: 8, init_depth: [2, 5]}
    pair: {operators: {add: 1, pow_int: 2, ...}, terminals: {r: 2, const: 1}}
    atom: {operators: {add: 2, ns: 3, pow_fixed: 1, ...}, terminals: {const: 0.2}}
    angle: {operators: [add, mul, pow_int], terminals: {c: 2, const: 1}, integer_exponents: [2, 8]}
    integer_exponents: [-12, 12]
    fixed_exponents: ["1/2", "-1"]
    constants: [-2.0, 2.0]

Operators and terminals are lists of names, or mappings of name to a relative sampling weight. Every error names the
file and the line.
"""

from dataclasses import dataclass, field
from fractions import Fraction
from importlib import resources
from pathlib import Path

import yaml

from ..errors import GrammarError
from ..yamlfile import parsed_yaml, yaml_text
from .operators import OPERATORS, TERMINALS

DEFAULT_INTEGER_EXPONENTS = (-12, 12)
DEFAULT_FIXED_EXPONENTS = ("1/2", "-1/2", "-1", "2")
DEFAULT_CONSTANTS = (-2.0, 2.0)
TOP_LEVEL_KEYS = ("name", "description", "limits", "pair", "atom", "angle", "integer_exponents", "fixed_exponents",
                  "constants")
LIMIT_KEYS = ("max_size", "max_depth", "init_depth")
# the keys of a level's section: the angle level may give its pow_int a range of its own (its AngleExponent leaves)
LEVEL_KEYS = {"pair": ("operators", "terminals"), "atom": ("operators", "terminals"),
              "angle": ("operators", "terminals", "integer_exponents")}


@dataclass(frozen=True)
class Grammar:
    """A parsed grammar: weights of operators and terminals per level, leaf ranges and tree limits."""

    name: str
    pair_operators: dict  # operator name -> weight
    pair_terminals: dict  # "r" / "const" -> weight
    atom_operators: dict
    atom_terminals: dict
    integer_exponents: tuple  # the integers an IntExponent leaf may take (0 and 1 excluded)
    fixed_exponents: tuple  # Fractions
    constants: tuple  # (low, high) for random initial constants
    max_size: int = 40
    max_depth: int = 8
    init_depth: tuple = (2, 5)
    description: str = ""
    source: str = field(default="", compare=False)
    angle_operators: dict = field(default_factory=dict)  # the angular functions of three-body sums (ns3)
    angle_terminals: dict = field(default_factory=dict)  # "c" / "const" -> weight
    level_integer_exponents: dict = field(default_factory=dict)  # level -> its own integers, where its section says

    def operators(self, level):
        return {"pair": self.pair_operators, "atom": self.atom_operators, "angle": self.angle_operators}[level]

    def terminals(self, level):
        return {"pair": self.pair_terminals, "atom": self.atom_terminals, "angle": self.angle_terminals}[level]

    def integer_exponents_at(self, level):
        """The integers an exponent leaf of `level` may take (its `IntExponent` type's `level`; None: the grammar's)."""
        return self.level_integer_exponents.get(level, self.integer_exponents)


def builtin_grammars():
    """Names of the grammar files that ship with symff."""
    return sorted(p.name[:-5] for p in resources.files("symff.grammars").iterdir() if p.name.endswith(".yaml"))


def load_grammar(name_or_path) -> Grammar:
    """Load a shipped grammar by name (`pair`, `eam`) or a grammar file by path."""
    text, source = _grammar_text(str(name_or_path))
    return _parse(parsed_yaml(text, source, GrammarError, yaml.compose), source)


def _grammar_text(name):
    if name in builtin_grammars():
        return resources.files("symff.grammars").joinpath(f"{name}.yaml").read_text(), f"{name}.yaml"
    path = Path(name)
    if not path.exists():
        known = ", ".join(builtin_grammars())
        raise GrammarError(f"{name}: no such grammar file, and not a shipped grammar (shipped: {known})")
    return yaml_text(path, GrammarError, "grammar file"), str(path)


class _Reader:
    """Turns YAML nodes into values while keeping their line numbers for error messages."""

    def __init__(self, source):
        self.source = source

    def fail(self, node, message):
        raise GrammarError(f"{self.source}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node, what, allowed):
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping")
        items = {}
        for key, value in node.value:
            if key.value not in allowed:
                self.fail(key, f"unknown key '{key.value}' in {what} (expected one of: {', '.join(allowed)})")
            items[key.value] = value
        return items

    def scalar(self, node, what, kind):
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{what} must be a single value")
        value = yaml.safe_load(node.value) if node.tag != "tag:yaml.org,2002:str" else node.value
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool):
            self.fail(node, f"{what} must be {kind.__name__}, got {node.value!r}")
        return value

    def sequence(self, node, what, length=None):
        if not isinstance(node, yaml.SequenceNode) or (length and len(node.value) != length):
            self.fail(node, f"{what} must be a list" + (f" of {length} values" if length else ""))
        return node.value

    def weights(self, node, what, allowed):
        """A list of names (weight 1 each) or a mapping of name -> positive weight."""
        if isinstance(node, yaml.SequenceNode):
            pairs = [(item, None) for item in node.value]
        elif isinstance(node, yaml.MappingNode):
            pairs = node.value
        else:
            self.fail(node, f"{what} must be a list of names or a mapping of name to weight")
        weights = {}
        for key, value in pairs:
            name = self.scalar(key, f"a name in {what}", str)
            if name not in allowed:
                self.fail(key, f"unknown name '{name}' in {what} (known: {', '.join(allowed)})")
            weight = 1.0 if value is None else self.scalar(value, f"the weight of {name}", float)
            if not weight > 0:
                self.fail(value, f"the weight of {name} must be positive")
            weights[name] = weight
        return weights


def _parse(root, source):
    read = _Reader(source)
    if root is None:
        raise GrammarError(f"{source}:1: the grammar file is empty")
    top = read.mapping(root, "the grammar", TOP_LEVEL_KEYS)
    for required in ("name", "pair", "atom"):
        if required not in top:
            read.fail(root, f"missing '{required}'")

    levels = {"angle": ({}, {}, root)}
    level_integers = {}
    for level in ("pair", "atom", "angle"):
        if level not in top:
            continue
        section = read.mapping(top[level], level, LEVEL_KEYS[level])
        if "integer_exponents" in section:
            level_integers[level] = _integer_range(read, section["integer_exponents"], f"{level}.integer_exponents")
        known_ops = [name for lvl, name in OPERATORS if lvl == level]
        operators = read.weights(section["operators"], f"{level}.operators", known_ops) if "operators" in section else {}
        terminals = read.weights(section["terminals"], f"{level}.terminals", TERMINALS[level]) if "terminals" in section else {}
        levels[level] = (operators, terminals, top[level])
    if "ns" not in levels["atom"][0]:
        read.fail(levels["atom"][2], "atom.operators must include 'ns': without a neighbour sum no energy depends on r")
    if "r" not in levels["pair"][1]:
        read.fail(levels["pair"][2], "pair.terminals must include 'r': without it no pair function depends on r")
    if "ns3" in levels["atom"][0] and "c" not in levels["angle"][1]:
        read.fail(levels["atom"][2], "atom.operators has 'ns3': the grammar needs an 'angle' section whose terminals "
                  "include 'c' (cos θ)")

    limits = read.mapping(top["limits"], "limits", LIMIT_KEYS) if "limits" in top else {}
    max_size = read.scalar(limits["max_size"], "limits.max_size", int) if "max_size" in limits else 40
    max_depth = read.scalar(limits["max_depth"], "limits.max_depth", int) if "max_depth" in limits else 8
    init_depth = (2, min(5, max_depth))
    if "init_depth" in limits:
        node = limits["init_depth"]
        init_depth = tuple(read.scalar(v, "limits.init_depth", int) for v in read.sequence(node, "init_depth", 2))
        if not 1 <= init_depth[0] <= init_depth[1] <= max_depth:
            read.fail(node, f"limits.init_depth must satisfy 1 <= low <= high <= max_depth ({max_depth})")
    if max_size < 3 or max_depth < 2:
        read.fail(top["limits"], "limits.max_size must be at least 3 and limits.max_depth at least 2")

    if "integer_exponents" in top:
        integers = _integer_range(read, top["integer_exponents"], "integer_exponents")
    else:
        integers = _powers(*DEFAULT_INTEGER_EXPONENTS)

    fixed = DEFAULT_FIXED_EXPONENTS
    if "fixed_exponents" in top:
        fixed = [read.scalar(v, "fixed_exponents", (str, int)) for v in read.sequence(top["fixed_exponents"], "fixed_exponents")]
    try:
        fixed = tuple(Fraction(str(q)) for q in fixed)
    except (ValueError, ZeroDivisionError):
        read.fail(top.get("fixed_exponents", root), f"fixed_exponents must be rationals like \"1/2\", got {fixed}")
    if not fixed:
        read.fail(top.get("fixed_exponents", root), "fixed_exponents must not be empty")

    constants = DEFAULT_CONSTANTS
    if "constants" in top:
        constants = tuple(read.scalar(v, "constants", float) for v in read.sequence(top["constants"], "constants", 2))
        if not constants[0] < constants[1]:
            read.fail(top["constants"], "constants is a range [low, high] with low < high")

    description = read.scalar(top["description"], "description", str) if "description" in top else ""
    return Grammar(
        name=read.scalar(top["name"], "name", str),
        pair_operators=levels["pair"][0],
        pair_terminals=levels["pair"][1],
        atom_operators=levels["atom"][0],
        atom_terminals=levels["atom"][1],
        angle_operators=levels["angle"][0],
        angle_terminals=levels["angle"][1],
        integer_exponents=integers,
        level_integer_exponents=level_integers,
        fixed_exponents=fixed,
        constants=constants,
        max_size=max_size,
        max_depth=max_depth,
        init_depth=init_depth,
        description=description,
        source=source,
    )


def _integer_range(read, node, what):
    """The integers of an inclusive range [low, high] without 0 and 1 (`_powers`)."""
    low, high = (read.scalar(v, what, int) for v in read.sequence(node, what, 2))
    if not low < high:
        read.fail(node, f"{what} is an inclusive range [low, high] with low < high")
    integers = _powers(low, high)
    if not integers:
        read.fail(node, f"{what} holds no integer but 0 and 1")
    return integers


def _powers(low, high):
    return tuple(n for n in range(low, high + 1) if n not in (0, 1))  # x**0 and x**1 are not powers
