"""A fitted potential and its model file (DESIGN.md; the contract is docs/file-formats.md).

A `Model` is a canonical `Formula` with values for all its constants, the per-element reference energies, the
elements and the cutoff. Its model file is JSON whose `"energy"` is the per-atom energy as a string that
`sympy.sympify` parses, with the symbol `r`, the function `NS` and every number inlined, e.g.
`"0.3*NS(r**(-12)) - 0.6*NS(r**(-6))"`. A three-body (angular) sum is written `NS3(f(r), g(c))`, where `c` is
cos θ_jik inside the second argument (and an ordinary name everywhere else), e.g. `"NS(r**-12) + NS3(exp(-r), (c +
1/3)**2)"`. Reading a model file parses that string back into the same canonical form, so a model file written by
hand works too; the string is checked to be arithmetic of numbers, names and the formula's functions before sympify,
which evaluates its input as Python, sees it (`_check_syntax`).

An `AlloyModel` (model file `symff-model/2`) has one per-atom energy per element, E_i = E_{Z_i}, whose neighbour sums
may be filtered by the neighbour's element: NS(g, B) sums over the neighbours of element B only (a channel), NS(g)
over all. `Model.load` and `Model.from_dict` read both versions.
"""

import ast
import math
import operator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import sympy as sp

from . import __version__
from .cutoff import DEFAULT_INNER, DEFAULT_OUTER, three_body_radii
from .errors import ModelError
from .expr.canonical import Formula, canonicalize, floats_to_constants, zero_formula
from .expr.functions import WRITTEN as WRITTEN_FUNCTIONS
from .expr.functions import WRITTEN_NAMES
from .expr.program import AlloyProgram, potential_program
from .expr.species import full_constants, shared_three_body_tie, species_formulas
from .expr.symbols import NS, NS3, C, R, Rejected, is_angular_sum, is_neighbour_sum
from .integrity import IntegrityError, read_json_checked, write_json_checked

FORMAT = "symff-model/1"
FORMAT_ALLOY = "symff-model/2"
# Names sympify would read as sympy objects (E = 2.718..., I = sqrt(-1), ...): in a formula they are constants.
SYMPY_NAMES = ("E", "I", "N", "O", "Q", "S")
# What a formula's text may call: the neighbour sums, the table's functions and sqrt (sympy writes powers of 1/2 so)
FORMULA_CALLS = frozenset({"NS", "NS3", "sqrt"}) | WRITTEN_NAMES
# Its arithmetic: + - * / ** (or ^, which sympify reads as **), signs; numbers up to LARGEST_NUMBER
LARGEST_NUMBER = 1e300
NUMBER_OPERATIONS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
                     ast.Pow: operator.pow}
FORMULA_OPERATORS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.UAdd, ast.USub)


@dataclass(eq=False)
class Model:
    formula: Formula
    constants: np.ndarray
    linear: np.ndarray
    elements: tuple
    reference_energy: dict  # element -> eV
    r_in: float = DEFAULT_INNER
    r_out: float = DEFAULT_OUTER
    three_body_cutoff: tuple | None = None  # (inner, outer) of the three-body sums; None: (r_in, r_out)
    errors: dict = field(default_factory=dict)  # {"train": {...}, "test": {...}}
    metadata: dict = field(default_factory=dict)  # provenance, loss, ...

    @cached_property
    def program(self):
        return potential_program(self.formula)

    def refit_program(self):
        """(program, constants) that a refit of this model's constants fits in (`program.full_constants` gives the
        model's constants back from the fitted ones): for one element its program and constants."""
        return self.program, self.constants

    @property
    def complexity(self):
        return self.formula.complexity

    def expression(self, digits=17):
        """The per-atom energy with numbers in place of constants (17 digits: floats survive a round trip)."""
        subs = dict(zip(self.formula.constants, self.constants)) | dict(zip(self.formula.linear, self.linear))
        return self.formula.energy.xreplace({s: sp.Float(float(v), digits) for s, v in subs.items()})

    def energy_string(self, digits=17):
        return str(self.expression(digits))

    def equation(self, digits=6):
        """"E_i = ..." (for people: a model of several elements gives one equation per element)."""
        return f"E_i = {self.energy_string(digits)}"

    def latex(self, digits=4):
        return sp.latex(self.expression(digits))

    def latex_equation(self, digits=4):
        return f"E_i = {self.latex(digits)}"

    def numpy_function(self):
        """E_i(neighbour distances) as a numpy function (see `symff.export.readable.numpy_function`)."""
        from .export.readable import numpy_function

        return numpy_function(self)

    def reference_for(self, elements):
        """Reference energies in the order of `elements`; an element the model does not cover is an error."""
        return _reference_for(self, elements)

    # --- model files ----------------------------------------------------------------------------------------------
    def to_dict(self):
        return {
            "format": FORMAT,
            "elements": list(self.elements),
            "cutoff": _cutoff_entry(self),
            "energy": self.energy_string(),
            "reference_energy": {e: float(v) for e, v in self.reference_energy.items()},
            "complexity": int(self.complexity),
            "errors": self.errors,
            "formula": {"text": self.energy_string(6), "latex": self.latex()},
            "symff_version": self.metadata.get("symff_version", __version__),
            **{k: v for k, v in self.metadata.items() if k != "symff_version"},
        }

    def save(self, path):
        """Write the model file atomically, with a checksum that `load` verifies."""
        return write_json_checked(path, self.to_dict())

    @classmethod
    def from_dict(cls, data, source="model"):
        """The model of a model file's contents: a `Model` (symff-model/1) or an `AlloyModel` (symff-model/2)."""
        if isinstance(data, dict) and data.get("format") == FORMAT_ALLOY:
            return AlloyModel.from_dict(data, source)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"{source}: not a symff model file (expected \"format\": \"{FORMAT}\" or "
                             f"\"{FORMAT_ALLOY}\")")
        r_in, r_out, three_body = _read_header(data, source)
        model = cls.from_expression(data["energy"], data["elements"], data["reference_energy"], r_in, r_out, source)
        model.three_body_cutoff = three_body
        model.errors = data.get("errors", {})
        known = {"format", "elements", "cutoff", "energy", "reference_energy", "complexity", "errors", "formula"}
        model.metadata = {k: v for k, v in data.items() if k not in known}
        return model

    @classmethod
    def from_expression(cls, text, elements, reference_energy, r_in=DEFAULT_INNER, r_out=DEFAULT_OUTER,
                        source="model"):
        """A model from an energy string with numbers inlined, e.g. "NS(2.0*(r**-12 - r**-6))"."""
        formula, _ = parse_formula(text, source, numbers_are_constants=True)
        elements = tuple(elements)
        if isinstance(reference_energy, dict):
            reference = {str(k): float(v) for k, v in reference_energy.items()}
        else:
            reference = dict(zip(elements, map(float, reference_energy)))
        return cls(formula, formula.initial.copy(), formula.linear_initial.copy(), elements, reference, r_in, r_out)

    @classmethod
    def load(cls, path):
        path = Path(path)
        try:
            data = read_json_checked(path)
        except FileNotFoundError:
            raise ModelError(f"{path}: no such model file") from None
        except OSError as exc:
            raise ModelError(f"{path}: not a readable JSON model file: {exc}") from None
        except IntegrityError as exc:  # a model error to its callers, whatever the cause
            if not _looks_like_json(path):  # a data file given in a model's place is not a corrupt model file
                raise ModelError(f"{path}: not a symff model file (a model file is a JSON object)") from None
            raise ModelError(str(exc)) from None
        return cls.from_dict(data, str(path))


def _looks_like_json(path):
    """Whether the file's text begins as a JSON object does (a truncated model file does; a data file does not)."""
    with open(path, "rb") as handle:
        return handle.read(4096).lstrip().startswith(b"{")


def _cutoff_entry(model):
    """A model file's "cutoff": inner and outer, and the three-body sums' own where they have one."""
    entry = {"inner": model.r_in, "outer": model.r_out}
    if model.three_body_cutoff is not None:
        entry["three_body"] = dict(zip(("inner", "outer"), map(float, model.three_body_cutoff)))
    return entry


def _read_header(data, source):
    """(r_in, r_out, the three-body cutoff or None) of a model file's contents, after checking the keys every version
    has."""
    for key in ("elements", "energy", "reference_energy"):
        if key not in data:
            raise ModelError(f"{source}: the model file has no \"{key}\"")
    elements = data["elements"]
    if not isinstance(elements, list) or not elements or not all(isinstance(e, str) for e in elements):
        raise ModelError(f"{source}: \"elements\" must be a list of element symbols, e.g. [\"Cu\"], got {elements!r}")
    reference = data["reference_energy"]
    if isinstance(reference, list) and len(reference) == len(elements):  # one per element, in order
        reference = dict(zip(elements, reference))
    for element in elements:
        value = reference.get(element) if isinstance(reference, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ModelError(f"{source}: \"reference_energy\" must give a finite number of eV for each element "
                             f"({', '.join(elements)}); {element}: {value!r}")
    cutoff = data.get("cutoff", {})
    try:
        r_in = float(cutoff.get("inner", DEFAULT_INNER))
        r_out = float(cutoff.get("outer", DEFAULT_OUTER))
    except (TypeError, ValueError, AttributeError):
        raise ModelError(f"{source}: \"cutoff\" must hold numbers \"inner\" and \"outer\"") from None
    if not 0 < r_in < r_out:
        raise ModelError(f"{source}: the cutoff must satisfy 0 < inner < outer, got {r_in} and {r_out}")
    three_body = cutoff.get("three_body")
    if three_body is None:
        return r_in, r_out, None
    try:
        three_body = (float(three_body["inner"]), float(three_body["outer"]))
    except (TypeError, ValueError, KeyError, IndexError):
        raise ModelError(f"{source}: \"cutoff\": \"three_body\" must hold numbers \"inner\" and \"outer\"") from None
    try:
        three_body_radii(r_in, r_out, three_body)
    except ValueError as exc:
        raise ModelError(f"{source}: {exc}") from None
    return r_in, r_out, three_body


def _reference_for(model, elements):
    missing = [e for e in elements if e not in model.reference_energy]
    if missing:
        raise ModelError(f"the model covers {', '.join(model.elements)}, not {', '.join(missing)}")
    return np.array([model.reference_energy[e] for e in elements])


@dataclass(eq=False)
class AlloyModel:
    """A fitted potential with one per-atom energy per element (model file `symff-model/2`)."""

    formulas: dict  # element -> Formula; its neighbour sums may be filtered, NS(g, B)
    constants: np.ndarray  # the constants of every element's formula, in the order of `formulas`
    linear: np.ndarray  # the coefficients a_m likewise
    elements: tuple
    reference_energy: dict  # element -> eV
    r_in: float = DEFAULT_INNER
    r_out: float = DEFAULT_OUTER
    three_body_cutoff: tuple | None = None  # (inner, outer) of the three-body sums; None: (r_in, r_out)
    errors: dict = field(default_factory=dict)
    metadata: dict = field(default_factory=dict)

    @cached_property
    def program(self):
        return AlloyProgram(self.formulas)

    def refit_program(self):
        """(program, constants) that a refit of this model's constants fits in: its program with the three-body
        functions that the elements share (equal in form and values, as a search writes them) fitted once for all
        (symff.expr.species.shared_three_body_tie), and the free constants. `program` (each element's constants its
        own) evaluates the model; this one keeps a refit in the model's class. `program.full_constants` gives every
        element's constants back."""
        tie = shared_three_body_tie(self.formulas, self.constants)
        if tie is None:
            return self.program, self.constants
        first = np.unique(tie, return_index=True)[1]
        return AlloyProgram(self.formulas, tie), self.constants[first]

    @property
    def complexity(self):
        return sum(f.complexity for f in self.formulas.values())

    def parts(self):
        """(element, its Formula, its constants, its coefficients) for each element, in order."""
        c = m = 0
        for element, formula in self.formulas.items():
            n_c, n_m = len(formula.constants), len(formula.linear)
            yield element, formula, self.constants[c:c + n_c], self.linear[m:m + n_m]
            c, m = c + n_c, m + n_m

    def expressions(self, digits=17):
        """{element: its per-atom energy with numbers in place of constants}."""
        out = {}
        for element, formula, constants, linear in self.parts():
            out[element] = formula.with_values(constants, linear)
            if digits != 17:
                out[element] = out[element].xreplace({f: sp.Float(f, digits) for f in out[element].atoms(sp.Float)})
        return out

    def energy_strings(self, digits=17):
        return {e: str(x) for e, x in self.expressions(digits).items()}

    def energy_string(self, digits=17):
        """The energies in one line, "E_Nb = ...; E_Mo = ..." (for people; the model file keeps them apart)."""
        return "; ".join(f"E_{e} = {x}" for e, x in self.energy_strings(digits).items())

    def latex(self, digits=4):
        return r"; \quad ".join(rf"E_{{\mathrm{{{e}}}}} = {sp.latex(x)}" for e, x in self.expressions(digits).items())

    def equation(self, digits=6):
        return self.energy_string(digits)  # already "E_Nb = ...; E_Mo = ..."

    def latex_equation(self, digits=4):
        return self.latex(digits)

    def reference_for(self, elements):
        """Reference energies in the order of `elements`; an element the model does not cover is an error."""
        return _reference_for(self, elements)

    def to_dict(self):
        return {
            "format": FORMAT_ALLOY,
            "elements": list(self.elements),
            "cutoff": _cutoff_entry(self),
            "energy": self.energy_strings(),
            "reference_energy": {e: float(v) for e, v in self.reference_energy.items()},
            "complexity": int(self.complexity),
            "errors": self.errors,
            "formula": {"text": self.energy_strings(6)},
            "symff_version": self.metadata.get("symff_version", __version__),
            **{k: v for k, v in self.metadata.items() if k != "symff_version"},
        }

    def save(self, path):
        """Write the model file atomically, with a checksum that `Model.load` verifies."""
        return write_json_checked(path, self.to_dict())

    def element_model(self, element):
        """The model of pure `element` (symff-model/1): its energy with the sums over its own element unfiltered and
        those over the others dropped, as they are empty in a structure of `element` alone. Raises Rejected where
        nothing is left that depends on the positions."""
        [(own, constants, linear)] = [(f, c, a) for e, f, c, a in self.parts() if e == element]
        # the constants stay symbols with values: numbers put into the expression make sympy evaluate powers of sums
        # of them, which for some fitted values (coefficients of 1e15) ran for more than 20 minutes in a search
        values = own.values(constants, linear)
        # a term whose coefficient was fitted to exactly 0 (no pair of its type in the data) is no term: canonicalize
        # would start its coefficient at 1
        zero = {a: sp.Integer(0) for a, value in zip(own.linear, linear) if value == 0}
        expression = own.energy.xreplace(zero).replace(
            lambda e: is_neighbour_sum(e) and len(e.args) == 2,
            lambda e: NS(e.args[0]) if str(e.args[1]) == element else sp.Integer(0))
        formula = canonicalize(expression, values)
        return Model(formula, formula.initial.copy(), formula.linear_initial.copy(), (element,),
                     {element: self.reference_energy.get(element, 0.0)}, self.r_in, self.r_out, self.three_body_cutoff)

    @classmethod
    def from_dict(cls, data, source="model"):
        r_in, r_out, three_body = _read_header(data, source)
        model = cls.from_expressions(data["energy"], data["elements"], data["reference_energy"], r_in, r_out, source)
        model.three_body_cutoff = three_body
        model.errors = data.get("errors", {})
        known = {"format", "elements", "cutoff", "energy", "reference_energy", "complexity", "errors", "formula"}
        model.metadata = {k: v for k, v in data.items() if k not in known}
        return model

    @classmethod
    def from_expressions(cls, energies, elements, reference_energy, r_in=DEFAULT_INNER, r_out=DEFAULT_OUTER,
                         source="model"):
        """A model from {element: energy string with numbers inlined}, e.g. {"Nb": "NS(r**-6, Mo) + ...", ...}."""
        elements = tuple(str(e) for e in elements)
        if not isinstance(energies, dict):
            raise ModelError(f"{source}: \"energy\" must map each element to its per-atom energy")
        if set(energies) != set(elements):
            raise ModelError(f"{source}: \"energy\" gives the elements {', '.join(sorted(energies)) or 'none'}, "
                             f"\"elements\" lists {', '.join(elements)}: they must agree")
        formulas = {e: _element_formula(energies[e], f"{source} (energy of {e})", elements) for e in elements}
        if isinstance(reference_energy, dict):
            reference = {str(k): float(v) for k, v in reference_energy.items()}
        else:
            reference = dict(zip(elements, map(float, reference_energy)))
        constants = np.concatenate([f.initial for f in formulas.values()])
        linear = np.concatenate([f.linear_initial for f in formulas.values()])
        return cls(formulas, constants, linear, elements, reference, r_in, r_out)


def _element_formula(text, source, elements):
    """One element's energy in an alloy model file. There, unlike for a whole model, "0" is a potential: an element
    whose every term was fitted to zero (e.g. the pair term of a pair type that the training data never hold) keeps
    its reference energy and what the other elements' sums give its atoms."""
    if _sympify_formula(text, source, elements) == 0:
        return zero_formula()
    return parse_formula(text, source, numbers_are_constants=True, elements=elements)[0]


def form_model(formula, constants, linear, elements, **fields):
    """The model of a fitted form of a search or fit: a `Model` for one element; for several, the `AlloyModel` of
    its species expansion (symff.expr.species), whose constants `constants` and `linear` are, with the form's own
    complexity in `metadata["form_complexity"]` (the search's complexity axis; the model's is its formulas' sum)."""
    if len(elements) > 1:
        model = AlloyModel(species_formulas(formula, elements), full_constants(formula, elements, constants), linear,
                           tuple(elements), {}, **fields)
        model.metadata = {**model.metadata, "form_complexity": int(formula.complexity)}
        return model
    return Model(formula, constants, linear, tuple(elements), {}, **fields)


def parse_formula(text, source="formula", numbers_are_constants=False, elements=()):
    """Parse a formula in the model-file syntax into its canonical form.

    With `numbers_are_constants`, every float becomes a constant with that value (a model file). Otherwise free
    symbols other than r are the constants (a form to fit, e.g. "NS(A*r**-12 + B*r**-6)"), starting at 1.
    `elements`: the elements a neighbour sum may be filtered by, NS(g, B) (none: only NS(g) is allowed).
    Returns (formula, names of the free symbols in canonical order).
    """
    expr = _sympify_formula(text, source, elements)
    if numbers_are_constants:
        expr, values = floats_to_constants(expr)
    else:
        values = {}
    channels = {ns.args[1] for ns in expr.atoms(sp.core.function.AppliedUndef) if ns.func == NS and len(ns.args) > 1}
    free = sorted((s for s in expr.free_symbols if s not in (R, C) and s not in values and s not in channels), key=str)
    real = {s: sp.Symbol(s.name, real=True) for s in free}
    expr = expr.xreplace(real)
    values |= {real[s]: 1.0 for s in free}
    try:
        formula = canonicalize(expr, values)
    except Rejected as exc:
        raise ModelError(f"{source}: the formula {text!r} is not a usable potential ({exc})") from None
    return formula, [s.name for s in free]


def parse_form(text, source="formula"):
    """A form to fit: (sympy expression, its free symbols other than r as real symbols, sorted by name).

    Numbers stay numbers; `canonicalize(expr, {symbol: value})` gives the canonical form at any values of the symbols.
    """
    expr = _sympify_formula(text, source)
    real = {s: sp.Symbol(s.name, real=True) for s in sorted(expr.free_symbols - {R, C}, key=str)}
    return expr.xreplace(real), list(real.values())


def _sympify_formula(text, source, elements=()):
    if not isinstance(text, str) or not text.strip():
        raise ModelError(f"{source}: the energy must be a non-empty formula string")
    _check_syntax(text, source, elements)
    try:
        expr = sp.sympify(text, locals={"NS": NS, "NS3": NS3, "r": R, **{n: sp.Symbol(n) for n in SYMPY_NAMES}})
    except (sp.SympifyError, SyntaxError, TypeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__  # sympy's last line
        raise ModelError(f"{source}: cannot parse the formula {text!r}: {reason}") from None
    if not isinstance(expr, sp.Expr):
        raise ModelError(f"{source}: the formula {text!r} is not an expression")
    _check_neighbour_sums(expr, text, source, elements)
    # c is cos θ in the angular function of NS3 (and a constant's name elsewhere)
    return expr.replace(is_angular_sum, lambda call: NS3(call.args[0], call.args[1].xreplace({sp.Symbol("c"): C})))


def _check_syntax(text, source, elements):
    """Refuse, before sympify evaluates it (with Python's eval), any text but arithmetic of numbers and names and
    calls of FORMULA_CALLS: a model file's energy is data, and running it as code would let a shared model file run
    anything."""
    try:
        parsed = text.strip().replace("^", "**")  # sympify reads ^ as ** (not with XOR's precedence)
        tree = ast.parse(parsed, mode="eval")
        _check_numbers(tree.body, parsed, source)
    except SyntaxError as exc:
        raise ModelError(f"{source}: cannot parse the formula {text!r}: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ModelError(f"{source}: the formula {text[:60]!r}... is nested too deeply to parse") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FORMULA_CALLS:
                if isinstance(getattr(sp, name or "", None), sp.FunctionClass):
                    raise ModelError(f"{source}: unsupported function {name} in {text!r}")
                _unknown_function(name or ast.unparse(node.func), text, source, elements)
            if node.keywords:
                raise ModelError(f"{source}: {name}(...) takes no keyword arguments in {text!r}")
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ModelError(f"{source}: the name {node.id} in {text!r} is no symbol: a symbol's name starts "
                                 "with a letter")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ModelError(f"{source}: {node.value!r} in {text!r} is no number")
        elif not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Load, *FORMULA_OPERATORS)):
            raise ModelError(f"{source}: the formula {text!r} is not an expression of numbers and symbols: "
                             f"{ast.unparse(node) if isinstance(node, ast.expr) else type(node).__name__} is none of "
                             "+ - * / **, a number, a symbol or a function's call")


def _check_numbers(node, text, source):
    """The value of `node` where it is numbers alone (None where it holds a name or a call), refusing one beyond
    LARGEST_NUMBER: sympy computes powers of integers exactly, and 9**9**9**9 would take it forever."""
    if isinstance(node, ast.Constant):
        value = _as_float(node.value) if type(node.value) in (int, float) else None
    elif isinstance(node, ast.UnaryOp):
        value = _check_numbers(node.operand, text, source)
        value = -value if value is not None and isinstance(node.op, ast.USub) else value
    elif isinstance(node, ast.BinOp):
        a, b = _check_numbers(node.left, text, source), _check_numbers(node.right, text, source)
        operation = NUMBER_OPERATIONS.get(type(node.op))
        if a is None or b is None or operation is None:
            return None
        try:
            value = operation(a, b)
        except ZeroDivisionError:
            return None  # 1/0: sympy's zoo, refused later as no usable potential
        except OverflowError:
            value = math.inf
        if isinstance(value, complex):
            return None  # a negative number to a fractional power: sympy's to judge
    else:
        for child in ast.iter_child_nodes(node):
            _check_numbers(child, text, source)
        return None
    if value is not None and not abs(value) <= LARGEST_NUMBER:
        raise ModelError(f"{source}: the number {ast.get_source_segment(text, node)[:60]} in {text[:200]!r} is beyond "
                         f"{LARGEST_NUMBER:g}: no potential's constant")
    return value


def _as_float(number):
    try:
        return float(number)
    except OverflowError:  # an integer of hundreds of digits
        return math.inf


def _unknown_function(name, text, source, elements):
    known = "NS(g(r)), NS(g(r), B) and NS3(f(r), g(c)) are" if elements else "only NS(g(r)) and NS3(f(r), g(c)) are"
    raise ModelError(f"{source}: unknown function {name} in {text!r}: {known} known")


def _check_neighbour_sums(expr, text, source, elements):
    for call in expr.atoms(sp.core.function.AppliedUndef):
        angular = (call.func, len(call.args)) == (NS3, 2)
        if not angular and (call.func != NS or not 1 <= len(call.args) <= 2):
            _unknown_function(call.func, text, source, elements)
        if not angular and len(call.args) == 2 and not (call.args[1].is_Symbol and str(call.args[1]) in elements):
            allowed = (f"one of the model's elements {', '.join(elements)}" if elements
                       else "allowed in a symff-model/2 file only")
            raise ModelError(f"{source}: the neighbour-sum filter {call.args[1]} in {text!r} is not an element: "
                             f"a filter NS(g(r), B) is {allowed}")
        if any(a.has(NS, NS3) for a in call.args):
            raise ModelError(f"{source}: neighbour sums cannot be nested in {text!r}")
        if call.func == NS3 and call.args[1].has(R):
            raise ModelError(f"{source}: the angular function of NS3 depends on c = cos θ only, not on r, in {text!r}")
        if call.func == NS3 and call.args[0].has(sp.Symbol("c")):
            raise ModelError(f"{source}: the bond function of NS3 depends on r only, not on c, in {text!r}")
    if R in _outside_neighbour_sums(expr):
        raise ModelError(f"{source}: r appears outside a neighbour sum in {text!r}: write pair terms as NS(g(r))")
    functions = {type(f) for f in expr.atoms(sp.Function) if not isinstance(f, sp.core.function.AppliedUndef)}
    unsupported = functions - WRITTEN_FUNCTIONS
    if unsupported:
        names = ", ".join(sorted(f.__name__ for f in unsupported))
        raise ModelError(f"{source}: unsupported function {names} in {text!r}")


def _outside_neighbour_sums(expr):
    if isinstance(expr, sp.core.function.AppliedUndef):
        return set()
    if expr == R:
        return {R}
    found = set()
    for a in expr.args:
        found |= _outside_neighbour_sums(a)
    return found


