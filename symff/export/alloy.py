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

Three-body sums. A species expansion keeps its three-body sums element blind, one bond function f and one angular
function h for every element (symff.expr.species), so each is one multi-element `meam/spline` file beside the setfl
files under `hybrid/overlay`: φ = ρ = 0, every element's f and every pair's g the same, and U_A(n) the part of E_A that
is a function of that sum (0 for an element without it). A term of a three-body sum and anything else jointly, or of
two three-body sums, is `symff only`. LAMMPS subtracts U_A(0) per atom of A; the first setfl file's F_A adds it back.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy as sp
from ase.data import atomic_masses, atomic_numbers

from ..cutoff import multiplicative_cutoff, three_body_radii
from ..errors import ModelError
from ..evaluate.angular import AngularForm, N
from ..expr.symbols import rho_symbol
from .form import DENSITY, NotExportable, _one_density_parts, _radial
from .lammps import LammpsExport, pair_commands
from .setfl import (
    DEFAULT_INNER,
    DEFAULT_POINTS,
    _block,
    _fill_nonfinite,
    _number,
    header_cutoff,
    table_energies,
    table_error,
)


@dataclass(frozen=True, eq=False)
class AlloyForm:
    """The LAMMPS pieces of an `AlloyModel`: per element pair functions g (by channel) and its embeddings, the k-th
    of every element in setfl file k (an element with fewer has F = 0 there)."""

    elements: tuple
    pair_exprs: dict  # (A, B) -> g(r) without the cutoff: the pair terms of E_A that count a neighbour of element B
    density_exprs: tuple  # per file, (A, B) -> the density g(r) at an A atom from a B neighbour, without the cutoff
    embeddings: tuple  # per file, A -> F_A in the symbol rho0 (0 for an element without embedding there)
    r_in: float
    r_out: float
    three_body: tuple = ()  # per meam/spline file, (f(r), h(c), {A: U_A(n)}) without the cutoff
    three_body_radii: tuple = ()  # (inner, outer) of the cutoff of f in the meam/spline files

    def angular_forms(self, m):
        """{A: AngularForm} of meam/spline file m (φ = ρ = 0; U_A = 0 for an element without the sum)."""
        f, h, embeddings = self.three_body[m]
        return {a: AngularForm(0, 0, f, h, embeddings.get(a, sp.Integer(0))) for a in self.elements}

    @property
    def files(self):
        """How many setfl files hold the form: one per embedding of the element with the most (at least one)."""
        return len(self.embeddings)

    def _cut(self, expr, r):
        return multiplicative_cutoff(_radial, self.r_in, self.r_out)(r, expr)[0]

    def pair(self, a, b, r):
        """φ_AB(r): the energy of one A-B pair, counted once."""
        return self._cut(self.pair_exprs[a, b] + self.pair_exprs[b, a], r)

    def density(self, a, b, r, k=0):
        """ρ_{A←B}(r) of file k."""
        return self._cut(self.density_exprs[k][a, b], r)

    def embedding(self, a, rho, k=0):
        """F_A(ρ) of file k."""
        from ..expr.program import Program

        expr = self.embeddings[k][a]
        return np.array(Program([expr], [rho_symbol(0)], [])([np.asarray(rho, dtype=float)], [])[0], dtype=float)

    def has_embedding(self, a, k=0):
        return self.embeddings[k][a] != 0

    def atom_densities(self, i, j, r, names, k=0):
        """The density ρ of file k at every atom of a half pair list (i, j, r) whose atoms are of the elements
        `names`: each pair adds ρ_{A←B}(r) at its A atom and ρ_{B←A}(r) at its B atom."""
        names = np.asarray(names)
        rho = np.zeros(len(names))
        for a in self.elements:
            for b in self.elements:
                for centre, other in ((i, j), (j, i)):
                    hit = (names[centre] == a) & (names[other] == b)
                    np.add.at(rho, centre[hit], self.density(a, b, r[hit], k))
        return rho

    def needs_fs(self, r, k=0):
        """Whether some ρ_{A←B} of file k depends on A (over the elements with an embedding there): eam/fs."""
        embedded = [a for a in self.elements if self.has_embedding(a, k)]
        for b in self.elements:
            values = [self.density(a, b, r, k) for a in embedded]
            if any(not np.allclose(v, values[0], rtol=1e-12, atol=1e-300) for v in values[1:]):
                return True
        return False


def analyse_alloy_form(model, source="model") -> AlloyForm:
    """Split each element's energy of `model` into pair terms by channel and embeddings of one density each (a
    product of two sums makes squares of three, symff.export.form); a form without that shape raises ModelError
    naming the element."""
    elements = tuple(model.elements)
    pair_exprs = {(a, b): sp.Integer(0) for a in elements for b in elements}
    embedded = {}  # A -> [(density by channel B, F_A)]
    three_body = {}  # (f, h) with numbers -> {A: U_A}
    for a, formula, constants, coefficients in model.parts():
        numbers = {s: sp.Float(float(v), 17) for s, v in zip(formula.constants, constants)}
        linear = {s: sp.Float(float(v), 17) for s, v in zip(formula.linear, coefficients)}
        rho = [rho_symbol(k) for k in range(len(formula.densities))]
        angular = [rho_symbol(len(rho) + l) for l in range(len(formula.angular))]
        densities = [g.xreplace(numbers) for g in formula.densities]
        channels = formula.channels or (None,) * len(rho)
        # with numbers in place of constants two densities of one channel can coincide: they are one density
        first = {}
        alias = {rho[k]: rho[first.setdefault((g, channels[k]), k)] for k, g in enumerate(densities)}
        numbers |= linear
        groups = {}  # density key -> (weights {k: w_k}, parts), as for one element (symff.export.form)
        for coefficient, term in zip(formula.linear, formula.terms):
            term = term.xreplace(alias)
            sums = [l for l, s in enumerate(angular) if term.has(s)]
            if sums:  # a function of one three-body sum: U_A of its meam/spline file
                if len(sums) > 1 or any(term.has(s) for s in rho):
                    raise ModelError(f"{source}: cannot export the energy of {a} to LAMMPS: a term of a three-body "
                                     "sum and other sums jointly")
                f, h = (part.xreplace(numbers) for part in formula.angular[sums[0]])
                embeddings = three_body.setdefault((f, h), {})
                piece = (coefficient * term).xreplace(numbers).xreplace({angular[sums[0]]: N})
                embeddings[a] = embeddings.get(a, sp.Integer(0)) + piece
                continue
            if term in rho:
                for b, g in _by_channel({rho.index(term): 1.0}, densities, channels, elements).items():
                    pair_exprs[a, b] += linear[coefficient] * g
                continue
            try:
                split = _one_density_parts(term, rho, numbers, model, formula, densities)
            except NotExportable as refused:
                raise ModelError(f"{source}: cannot export the energy of {a} to LAMMPS: {refused.reason}") from None
            for weights, piece in split:
                key = tuple((k, float(f"{w:.12g}")) for k, w in sorted(weights.items()))
                groups.setdefault(key, (weights, []))[1].append(coefficient * piece)
        constant = sp.Add(*groups.pop((), (None, []))[1]).xreplace(numbers)
        embedded[a] = []
        for weights, pieces in groups.values():
            function = sp.Add(*pieces).xreplace(numbers)
            slope = sp.diff(function, DENSITY)
            if not slope.free_symbols and function.xreplace({DENSITY: 0}) == 0:  # F = α ρ: pair terms
                for b, g in _by_channel(weights, densities, channels, elements).items():
                    pair_exprs[a, b] += slope * g
            else:
                density = _by_channel(weights, densities, channels, elements)
                embedded[a].append((density, function.xreplace({DENSITY: rho_symbol(0)})))
        if constant != 0 or not embedded[a]:  # a constant joins the first embedding (of no density if none)
            density, function = embedded[a][0] if embedded[a] else ({b: sp.Integer(0) for b in elements}, 0)
            embedded[a][:1] = [(density, function + constant)]
    files = max(len(pieces) for pieces in embedded.values())
    density_exprs, embeddings = [], []
    for k in range(files):
        density_exprs.append({(a, b): embedded[a][k][0][b] if k < len(embedded[a]) else sp.Integer(0)
                              for a in elements for b in elements})
        embeddings.append({a: embedded[a][k][1] if k < len(embedded[a]) else sp.Integer(0) for a in elements})
    return AlloyForm(elements, pair_exprs, tuple(density_exprs), tuple(embeddings), model.r_in, model.r_out,
                     tuple((f, h, embeddings) for (f, h), embeddings in three_body.items()),
                     three_body_radii(model.r_in, model.r_out, model.three_body_cutoff))


def _by_channel(weights, densities, channels, elements):
    """{B: Σ w_k g_k over the sums k that count a B neighbour}: the density {k: w_k} as element B's neighbours add it."""
    return {b: sp.Add(*(sp.Float(w, 17) * densities[k] for k, w in weights.items() if channels[k] in (None, b)))
            for b in elements}


def setfl_grid(cutoff, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER):
    """(r, held): the setfl file's r grid, k·dr up to the cutoff, and the distances its functions are evaluated at
    (held at r_lo below it)."""
    r = np.arange(points) * (cutoff / (points - 1))
    return r, np.maximum(r, r_lo)


def setfl_style(form, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER, k=0):
    """"eam/fs" where some density of file k depends on the element of the atom too (on the file's grid), else
    "eam/alloy"."""
    return "eam/fs" if form.needs_fs(setfl_grid(form.r_out, points, r_lo)[1], k) else "eam/alloy"


def lammps_style(form, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER, source="model"):
    """The LAMMPS form of an AlloyForm: its one file's setfl style, or "hybrid/overlay" of several files; ModelError
    where the default tables do not hold it (`check_tables`)."""
    check_tables(form, [density_bound(form, k, source=source) for k in range(form.files)], points, r_lo, source)
    return setfl_style(form, points, r_lo) if form.files == 1 and not form.three_body else "hybrid/overlay"


def check_tables(form, bounds, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER, source="model"):
    """Raise ModelError unless LAMMPS's energy per atom from the setfl tables of `form` is within TABLE_TOLERANCE of
    the form's own in each element's ground-state crystal (`crystal_energies`)."""
    for a, scale, lattice, exact, tabulated in crystal_energies(form, bounds, points, r_lo):
        reason = table_error(f"{a} crystal ({scale:g} × a = {lattice:g} Å)", exact, tabulated)
        if reason:
            raise ModelError(f"{source}: {reason}")


def crystal_energies(form, bounds, points=DEFAULT_POINTS, r_lo=DEFAULT_INNER):
    """[(element A, scale, lattice constant, form's energy per atom, LAMMPS's from the setfl tables)] in A's
    ground-state crystal at its typical lattice constant and compressed to 0.9 of it (`_crystal_neighbours`), the
    reference energy left out (`setfl.table_energies`; density grid k up to bounds[k])."""
    energies = []
    scales = (1.0, 0.9)
    for a in form.elements:
        embedded = [k for k in range(form.files) if form.has_embedding(a, k)]
        crystals = [_crystal_neighbours(a, scale, form.r_out) for scale in scales]
        found = table_energies(
            [r for _, r in crystals], lambda r, a=a: form.pair(a, a, r),
            [lambda r, a=a, k=k: form.density(a, a, r, k) for k in embedded],
            [lambda rho, a=a, k=k: form.embedding(a, rho, k) for k in embedded], [bounds[k] for k in embedded],
            form.r_out, points, r_lo)
        energies += [(a, scale, lattice, exact, tabulated)
                     for scale, (lattice, _), (exact, tabulated) in zip(scales, crystals, found)]
    return energies


def _crystal_neighbours(element, scale, cutoff):
    """(typical lattice constant, distances to the neighbours of one atom within `cutoff`) of `element`'s
    ground-state crystal (symff.validate.crystals) at `scale` × that lattice constant."""
    from ase.build import bulk
    from ase.neighborlist import neighbor_list

    from ..validate.crystals import DEFAULT, GROUND_STATES

    structure, lattice = GROUND_STATES.get(element, DEFAULT)
    centre, distances = neighbor_list("id", bulk(element, structure, a=scale * lattice, cubic=True), cutoff)
    return lattice, distances[centre == 0]


def density_bound(form, k=0, compression=0.85, margin=1.5, source="model"):
    """A density of file k no MD near equilibrium reaches (the default top of its density grid): `margin` × the
    largest density at an atom of element A in A's ground-state crystal (symff.validate.crystals, at its typical
    lattice constant) compressed to `compression` × its distances, with every neighbour of element B, over all A and
    B: the densest surroundings an A atom meets near equilibrium, whatever its neighbours' elements. Elements without
    an embedding there read no density."""
    embedded = [a for a in form.elements if form.has_embedding(a, k)]
    if not embedded:
        return 1.0  # pair terms only: F = 0 on any grid
    top = 0.0
    for a in embedded:
        r = _crystal_neighbours(a, compression, form.r_out)[1]
        top = max(top, *(float(form.density(a, b, r, k).sum()) for b in form.elements))
    if not (np.isfinite(top) and top > 0):
        raise ModelError(f"{source}: cannot bound the densities from the elements' crystals: give --rho-max")
    return margin * top


def export_alloy_setfl(model, directory, *, rho_max=None, style=None, r_lo=DEFAULT_INNER, points=DEFAULT_POINTS,
                       source="model") -> LammpsExport:
    """Write `model` (an `AlloyModel`) as setfl files in `directory`: one, `eam/alloy` where its densities depend on
    the neighbour's element only, else `eam/fs`; or, where an element embeds several densities, one per embedding
    (each eam/alloy or eam/fs) under `pair_style hybrid/overlay`, φ and the reference energies in the first.
    `style`: "eam/alloy" for a form that needs eam/fs, or either for a form of several files, is an error;
    "eam/fs" writes a form that eam/alloy holds as eam/fs. `rho_max`: the top of every density grid (above it LAMMPS
    extrapolates F linearly; None: `density_bound` of each file)."""
    form = analyse_alloy_form(model, source)
    several = form.files > 1 or bool(form.three_body)
    elements = form.elements
    if style in ("eam/alloy", "eam/fs") and several:
        why = (f"three-body sums ({len(form.three_body)} meam/spline files)" if form.three_body else
               f"an element's energy embeds several densities ({form.files} setfl files)")
        raise ModelError(f"{source}: cannot export as {style}: {why}; export it as hybrid/overlay")
    substyles, bounds = [], []
    for k in range(form.files):
        fs = style == "eam/fs" or setfl_style(form, points, r_lo, k) == "eam/fs"
        if style == "eam/alloy" and fs:
            pairs = [f"{a}-{b}" for b in elements for a in elements]
            raise ModelError(f"{source}: cannot export as eam/alloy: the density a neighbour adds depends on the "
                             f"element of the atom too (elements {', '.join(elements)}; pairs {', '.join(pairs)}); "
                             f"export it as eam/fs")
        substyles.append("eam/fs" if fs else "eam/alloy")
        bounds.append(rho_max if rho_max is not None else density_bound(form, k, source=source))
    check_tables(form, bounds, points, r_lo, source)
    angular = [_meam_spline_text(form, m, r_lo, source) for m in range(len(form.three_body))]
    # LAMMPS's meam/spline subtracts U_A(0) per atom of A: the first setfl file's F_A adds it back
    reference = {a: float(model.reference_energy[a]) + sum(shift[a] for _, shift in angular) for a in elements}
    texts = ["\n".join(_setfl_lines(form, k, reference, substyle, bound, r_lo, points, source)) + "\n"
             for k, (substyle, bound) in enumerate(zip(substyles, bounds))]
    texts += [text for text, _ in angular]
    substyles += ["meam/spline"] * len(angular)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = [directory / ("symff." + (f"{k + 1}." if several else "") + substyle.replace("/", "."))
             for k, substyle in enumerate(substyles)]
    for path, text in zip(files, texts):
        path.write_text(text)
    pair_style, pair_coeff = pair_commands(list(zip(substyles, files)), elements)
    snippet = directory / "in.symff"
    snippet.write_text("\n".join([pair_style, *pair_coeff]) + "\n")
    return LammpsExport(style="hybrid/overlay" if several else substyles[0], files=tuple(files), input=snippet,
                        readme=snippet, pair_style=pair_style, pair_coeff=tuple(pair_coeff), rho_max=tuple(bounds))


def _meam_spline_text(form, m, r_min, source):
    """(text of meam/spline file m of `form`, {A: U_A(0)}): its five blocks per element or pair of elements, U on each
    element's crystals' densities (`meam_spline.default_density_range`, widened to every element's)."""
    from .meam_spline import alloy_meam_spline_text, default_density_range

    forms = form.angular_forms(m)
    r_in, r_out = form.three_body_radii  # φ = ρ = 0: f, the only radial function, sets LAMMPS's cutoff
    try:
        ranges = [default_density_range(angular, a, r_in=form.r_in, r_out=form.r_out, bond_cutoff=(r_in, r_out))
                  for a, angular in forms.items()]
        low, high = min(r[0] for r in ranges), max(r[1] for r in ranges)
        return alloy_meam_spline_text(forms, r_in=r_in, r_out=r_out, r_min=r_min, density_range=(low, high),
                                      comment=f"(three-body piece {m + 1} of {len(form.three_body)})")
    except ValueError as exc:  # a function that is not finite on its knots
        raise ModelError(f"{source}: cannot export the three-body sum {m + 1} to LAMMPS meam/spline: {exc}") from None


def _setfl_lines(form, k, reference_energy, style, rho_max, r_lo, points, source):
    """The lines of setfl file k of `form` in `style`: φ and the reference energies (added to F) in file 0 only."""
    cutoff = form.r_out
    dr, drho = cutoff / (points - 1), rho_max / (points - 1)
    (r, held), rho = setfl_grid(cutoff, points, r_lo), np.arange(points) * drho
    elements = form.elements
    embedded = [a for a in elements if form.has_embedding(a, k)] or [elements[0]]
    which = f" (embedding {k + 1} of {form.files})" if form.files > 1 else ""
    lines = [f"symff {style} export{which}", "F(rho) includes the per-element reference energy" if k == 0 else
             "F(rho) without reference energies (they are in file 1)", "third block is r*phi(r)",
             f"{len(elements)} " + " ".join(elements), f"{points} {_number(drho)} {points} {_number(dr)} {_number(header_cutoff(cutoff, k))}"]
    for b in elements:
        z = atomic_numbers[b]
        lines.append(f"{z} {atomic_masses[z]:.6f} 0.0 none")
        lines += _block(_fill_nonfinite(form.embedding(b, rho, k)) + (float(reference_energy[b]) if k == 0 else 0.0))
        centres = elements if style == "eam/fs" else embedded[:1]
        for a in centres:  # eam/fs: the density at an A atom from this B neighbour, for every A
            values = form.density(a, b, held, k)
            if not np.isfinite(values).all():
                raise ModelError(f"{source}: the density of {b} at {a} is not finite on [{r_lo}, {cutoff}] Å")
            lines += _block(values)
    for i, a in enumerate(elements):
        for b in elements[:i + 1]:
            values = r * form.pair(a, b, held) if k == 0 else np.zeros(points)
            if not np.isfinite(values).all():
                raise ModelError(f"{source}: the {a}-{b} pair energy is not finite on [{r_lo}, {cutoff}] Å")
            lines += _block(values)
    return lines
