"""Multi-element setfl files (`eam/alloy`, `eam/fs`) of a model with one energy per element (symff-model/2).

Vocabulary. Element A's energy E_A is split as for one element (symff.export.form): its *pair terms* a NS(g, B) and
at most one *embedding* F_A of one density Σ_k w_k NS(g_k, B_k), every sum filtered by a channel B (or by none: all
elements). Then, with h = g f_c,

- the pair energy of an A-B pair, counted once, is φ_AB = Σ over E_A's pair terms of channel B or none of a h
  plus the same over E_B's of channel A (for A = B: twice E_A's);
- the density that a neighbour of element B adds at an atom of element A is ρ_{A←B} = Σ over E_A's embedding
  densities of channel B or none of w h.

`eam/alloy` holds the form when ρ_{A←B} does not depend on A (over the elements with an embedding): one ρ_B per
element. `eam/fs` holds any: the section of element B of its file lists ρ_{A←B} for every A (LAMMPS's pair_eam_fs
reads the density of a J neighbour at an I atom from section J, entry I). The reference energy of element A is added
to F_A, so LAMMPS energies are symff's total energies. The element order of the file is the model's, the one that
`pair_coeff` names.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp
from ase.data import atomic_masses, atomic_numbers

from ..cutoff import multiplicative_cutoff
from ..errors import ModelError
from ..expr.symbols import rho_symbol
from .form import DENSITY, _one_density_parts, _radial
from .lammps import LammpsExport
from .setfl import DEFAULT_INNER, DEFAULT_POINTS, _block, _fill_nonfinite, _number


@dataclass(frozen=True, eq=False)
class AlloyForm:
    """The LAMMPS pieces of an `AlloyModel`: per element pair functions g (by channel) and one embedding."""

    elements: tuple
    pair_exprs: dict  # (A, B) -> g(r) without the cutoff: the pair terms of E_A that count a neighbour of element B
    density_exprs: dict  # (A, B) -> the density g(r) at an A atom from a B neighbour, without the cutoff
    embeddings: dict  # A -> F_A in the symbol rho0 (0 for an element without embedding)
    r_in: float
    r_out: float

    def _cut(self, expr, r):
        return multiplicative_cutoff(_radial, self.r_in, self.r_out)(r, expr)[0]

    def pair(self, a, b, r):
        """φ_AB(r): the energy of one A-B pair, counted once."""
        return self._cut(self.pair_exprs[a, b] + self.pair_exprs[b, a], r)

    def density(self, a, b, r):
        """ρ_{A←B}(r)."""
        return self._cut(self.density_exprs[a, b], r)

    def embedding(self, a, rho):
        expr = self.embeddings[a]
        from ..expr.program import Program

        return np.array(Program([expr], [rho_symbol(0)], [])([np.asarray(rho, dtype=float)], [])[0], dtype=float)

    def has_embedding(self, a):
        return self.embeddings[a] != 0

    def atom_densities(self, i, j, r, names):
        """The density ρ at every atom of a half pair list (i, j, r) whose atoms are of the elements `names`: each
        pair adds ρ_{A←B}(r) at its A atom and ρ_{B←A}(r) at its B atom."""
        names = np.asarray(names)
        rho = np.zeros(len(names))
        for a in self.elements:
            for b in self.elements:
                for centre, other in ((i, j), (j, i)):
                    hit = (names[centre] == a) & (names[other] == b)
                    np.add.at(rho, centre[hit], self.density(a, b, r[hit]))
        return rho

    def needs_fs(self, r):
        """Whether some ρ_{A←B} depends on A (over the elements with an embedding): the form needs eam/fs."""
        embedded = [a for a in self.elements if self.has_embedding(a)]
        for b in self.elements:
            values = [self.density(a, b, r) for a in embedded]
            if any(not np.allclose(v, values[0], rtol=1e-12, atol=1e-300) for v in values[1:]):
                return True
        return False


def analyse_alloy_form(model, source="model") -> AlloyForm:
    """Split each element's energy of `model` into pair terms by channel and one embedding; a form without that
    shape raises ModelError naming the element."""
    elements = tuple(model.elements)
    pair_exprs = {(a, b): sp.Integer(0) for a in elements for b in elements}
    density_exprs = dict(pair_exprs)
    embeddings = {}
    for a, formula, constants, coefficients in model.parts():
        numbers = {s: sp.Float(float(v), 17) for s, v in zip(formula.constants, constants)}
        linear = {s: sp.Float(float(v), 17) for s, v in zip(formula.linear, coefficients)}
        rho = [rho_symbol(k) for k in range(len(formula.densities))]
        densities = [g.xreplace(numbers) for g in formula.densities]
        channels = formula.channels or (None,) * len(rho)
        # with numbers in place of constants two densities of one channel can coincide: they are one density
        first = {}
        alias = {rho[k]: rho[first.setdefault((g, channels[k]), k)] for k, g in enumerate(densities)}
        parts = []
        numbers |= linear
        for coefficient, term in zip(formula.linear, formula.terms):
            term = term.xreplace(alias)
            if term in rho:
                k = rho.index(term)
                for b in elements:
                    if channels[k] in (None, b):
                        pair_exprs[a, b] += linear[coefficient] * densities[k]
            else:
                parts.append(coefficient * term)
        groups = {}  # density key -> (weights {k: w_k}, parts), as for one element (symff.export.form)
        for part in parts:
            for weights, piece in _one_density_parts(part, rho, numbers, model, densities):
                key = tuple((k, float(f"{w:.12g}")) for k, w in sorted(weights.items()))
                groups.setdefault(key, (weights, []))[1].append(piece)
        constant = groups.pop((), (None, []))[1]
        if len(groups) > 1:
            raise ModelError(f"{source}: cannot export the energy of {a} as eam/alloy or eam/fs: it embeds "
                             f"{len(groups)} densities (a sum of embeddings needs hybrid/overlay, not written yet)")
        if not groups:
            embeddings[a] = sp.Add(*constant).xreplace(numbers) if constant else sp.Integer(0)
            continue
        weights, pieces = next(iter(groups.values()))
        embeddings[a] = sp.Add(*pieces, *constant).xreplace(numbers).xreplace({DENSITY: rho_symbol(0)})
        for k, w in weights.items():
            for b in elements:
                if channels[k] in (None, b):
                    density_exprs[a, b] += sp.Float(w, 17) * densities[k]
    return AlloyForm(elements, pair_exprs, density_exprs, embeddings, model.r_in, model.r_out)


def setfl_grid(cutoff, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER):
    """(r, held): the setfl file's r grid, k·dr up to the cutoff, and the distances its functions are evaluated at
    (held at r_lo below it)."""
    r = np.arange(points) * (cutoff / (points - 1))
    return r, np.maximum(r, r_lo)


def setfl_style(form, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER):
    """"eam/fs" where some density depends on the element of the atom too (on the file's grid), else "eam/alloy"."""
    return "eam/fs" if form.needs_fs(setfl_grid(form.r_out, points, r_lo)[1]) else "eam/alloy"


def density_bound(form, compression=0.85, margin=1.5, source="model"):
    """A density no MD near equilibrium reaches (the default top of the setfl density grid): `margin` × the largest
    density at an atom of element A in A's ground-state crystal (symff.validate.crystals, at its typical lattice
    constant) compressed to `compression` × its distances, with every neighbour of element B, over all A and B: the
    densest surroundings an A atom meets near equilibrium, whatever its neighbours' elements. Elements without an
    embedding read no density."""
    from ase.build import bulk
    from ase.neighborlist import neighbor_list

    from ..validate.crystals import DEFAULT, GROUND_STATES

    embedded = [a for a in form.elements if form.has_embedding(a)]
    if not embedded:
        return 1.0  # pair terms only: F = 0 on any grid
    top = 0.0
    for a in embedded:
        structure, lattice = GROUND_STATES.get(a, DEFAULT)
        centre, distances = neighbor_list("id", bulk(a, structure, a=lattice, cubic=True), form.r_out / compression)
        r = compression * distances[centre == 0]
        top = max(top, *(float(form.density(a, b, r).sum()) for b in form.elements))
    if not (np.isfinite(top) and top > 0):
        raise ModelError(f"{source}: cannot bound the densities from the elements' crystals: give --rho-max")
    return margin * top


def export_alloy_setfl(model, directory, *, rho_max=None, style=None, r_lo=DEFAULT_INNER, points=DEFAULT_POINTS,
                       source="model") -> LammpsExport:
    """Write `model` (an `AlloyModel`) as one setfl file in `directory`: `eam/alloy` where its densities depend on
    the neighbour's element only, else `eam/fs`; `style="eam/alloy"` for a form that needs eam/fs is an error.
    `rho_max`: the top of the density grid (above it LAMMPS extrapolates F linearly; None: `density_bound`)."""
    form = analyse_alloy_form(model, source)
    if rho_max is None:
        rho_max = density_bound(form, source=source)
    cutoff = form.r_out
    dr, drho = cutoff / (points - 1), rho_max / (points - 1)
    (r, held), rho = setfl_grid(cutoff, points, r_lo), np.arange(points) * drho
    fs = setfl_style(form, points, r_lo) == "eam/fs"
    if style == "eam/alloy" and fs:
        pairs = [f"{a}-{b}" for b in form.elements for a in form.elements]
        raise ModelError(f"{source}: cannot export as eam/alloy: the density a neighbour adds depends on the element "
                         f"of the atom too (elements {', '.join(form.elements)}; pairs {', '.join(pairs)}); "
                         f"export it as eam/fs")
    style = "eam/fs" if fs else "eam/alloy"
    elements = form.elements
    embedded = [a for a in elements if form.has_embedding(a)] or [elements[0]]
    lines = ["symff " + style + " export", "F(rho) includes the per-element reference energy",
             "third block is r*phi(r)", f"{len(elements)} " + " ".join(elements),
             f"{points} {_number(drho)} {points} {_number(dr)} {_number(cutoff)}"]
    for b in elements:
        z = atomic_numbers[b]
        lines.append(f"{z} {atomic_masses[z]:.6f} 0.0 none")
        lines += _block(_fill_nonfinite(form.embedding(b, rho)) + float(model.reference_energy[b]))
        centres = elements if fs else embedded[:1]
        for a in centres:  # eam/fs: the density at an A atom from this B neighbour, for every A
            values = form.density(a, b, held)
            if not np.isfinite(values).all():
                raise ModelError(f"{source}: the density of {b} at {a} is not finite on [{r_lo}, {cutoff}] Å")
            lines += _block(values)
    for i, a in enumerate(elements):
        for b in elements[:i + 1]:
            values = r * form.pair(a, b, held)
            if not np.isfinite(values).all():
                raise ModelError(f"{source}: the {a}-{b} pair energy is not finite on [{r_lo}, {cutoff}] Å")
            lines += _block(values)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = "symff." + style.replace("/", ".")
    path = directory / name
    path.write_text("\n".join(lines) + "\n")
    pair_style = f"pair_style {style}"
    pair_coeff = (f"pair_coeff * * {name} {' '.join(elements)}",)
    snippet = directory / "in.symff"
    snippet.write_text(f"{pair_style}\n{pair_coeff[0]}\n")
    return LammpsExport(style=style, files=(path,), input=snippet, readme=snippet, pair_style=pair_style,
                        pair_coeff=pair_coeff, rho_max=(rho_max,))
