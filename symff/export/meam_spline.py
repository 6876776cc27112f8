"""`pair_style meam/spline` files of an angular form (`symff.evaluate.angular.AngularForm`): one element, or several
with the same φ, ρ, f and g (`alloy_meam_spline_text`, the three-body pieces of symff.export.alloy).

A model whose formula has three-body sums NS3 (symff.evaluate.sums, the angular kind) has the meam/spline form when
E_i = Σ_k a_k NS(g_k) + U(n_i) with n_i = Σ_k w_k NS(g_k) + Σ_l v_l NS3(f, h_l) (one bond function f shared by all
three-body sums; U a function of that one combination), or E_i = Σ_k a_k NS(g_k) + Σ_l v_l NS3(f, h_l) (U(n) = n):
`angular_form_of(model)` reads its φ = 2 Σ a_k g_k, ρ = Σ w_k g_k, f, g = Σ v_l h_l and U, or raises `NotExportable`.

LAMMPS `meam/spline` (src/MANYBODY/pair_meam_spline.cpp) computes E = Σ_{i<j} φ(r_ij) + Σ_i [U(n_i) − U(0)] with
n_i = Σ_j ρ(r_ij) + Σ_{j<k} f(r_ij) f(r_ik) g(cos θ_jik): symff's angular sum, with φ, ρ and f standing for symff's
φ f_c, ρ f_c and f f_c. Each function is a clamped cubic spline (C², its end slopes given) through values at
*uniformly spaced knots* (LAMMPS refuses others), extended *linearly* with its end slopes outside the knots. So:

- φ f_c, ρ f_c and f f_c are written on knots from r_min to r_out: at r_out they and their slopes are exactly zero
  (the smooth cutoff), so they stay zero beyond, and LAMMPS's cutoff is r_out (the largest last knot). Below r_min
  they continue linearly: r_min must lie below the shortest distance the potential will see. Where f has a shorter
  cutoff of its own (`bond_cutoff`, a model's three-body cutoff), its knots end there. LAMMPS passes over every
  pair of neighbours inside its cutoff, so a piece with φ = ρ = 0 is written with the three-body cutoff as
  (r_in, r_out): the saving that cutoff is for.
- g is written on [−1, 1].
- U is written on a range of densities that must cover every n_i the potential will see (beyond it U continues
  linearly); 0 is always a knot, so the U(0) that LAMMPS subtracts per atom is exactly the form's U(0). LAMMPS energies
  are therefore symff's minus N·U(0) (`MeamSplineExport.energy_shift` = U(0) per atom), a constant per atom that a
  per-element reference energy absorbs.

File layout (the "new" format, with the element named): a comment line; `meam/spline 1 EL`; then five blocks in the
order φ, ρ, U, f, g, each `spline3eq`, the knot count N, the end slopes `d0 dN`, and N lines `x y y''` (LAMMPS
recomputes y'' from the knots and ignores the third column; symff writes the clamped spline's).

Accuracy. The spline interpolates the function between knots with an error O(h⁴ h''''), except around r_in and r_out,
where f_c'' jumps and a C² spline is off by O(h² |jump|): the default knot counts below keep LAMMPS within 1e-5
eV/atom and 1e-4 eV/Å of symff on mlearn Si and Mo (docs/angular.md has the figures per knot count). LAMMPS's cost
per evaluation does not depend on the number of knots (uniform knots: the interval is found by one multiplication).
"""

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from ase.build import bulk
from scipy.interpolate import CubicSpline

from ..cutoff import cutoff_product, smooth_cutoff, three_body_radii
from ..errors import ConfigError, ModelError
from ..evaluate.angular import AngularForm, AngularProgram
from .form import NotExportable, analyse_form

DEFAULT_RADIAL_KNOTS = 10000
DEFAULT_ANGLE_KNOTS = 200
DEFAULT_DENSITY_KNOTS = 1000
BLOCKS = ("phi", "rho", "U", "f", "g")  # the order LAMMPS reads them
# crystals whose densities give U's default range: lattice constant per nearest-neighbour distance
CRYSTALS = {"fcc": 2**0.5, "bcc": 2 / 3**0.5, "sc": 1.0, "diamond": 4 / 3**0.5}


@dataclass(frozen=True)
class Spline:
    """One spline block: uniform knots x, values y and the end slopes."""

    x: np.ndarray
    y: np.ndarray
    slope_first: float
    slope_last: float

    def second_derivatives(self):
        spline = CubicSpline(self.x, self.y, bc_type=((1, self.slope_first), (1, self.slope_last)))
        return spline(self.x, 2)

    def text(self):
        lines = ["spline3eq", str(self.x.size), f"{self.slope_first!r} {self.slope_last!r}"]
        lines += [f"{x!r} {y!r} {y2!r}" for x, y, y2 in zip(self.x.tolist(), self.y.tolist(),
                                                            self.second_derivatives().tolist())]
        return "\n".join(lines)


@dataclass(frozen=True)
class MeamSplineExport:
    path: Path
    element: str
    energy_shift: float  # U(0): LAMMPS energies are symff's minus energy_shift per atom
    splines: dict  # name -> Spline, names as in BLOCKS

    @property
    def pair_style(self):
        return "pair_style meam/spline"

    def commands(self):
        """The pair_style and pair_coeff commands with the absolute file name (one atom type: the element)."""
        return [self.pair_style, f"pair_coeff * * {Path(self.path).resolve()} {self.element}"]


def meam_spline_splines(form: AngularForm, *, r_in, r_out, r_min, density_range, radial_knots=DEFAULT_RADIAL_KNOTS,
                        angle_knots=DEFAULT_ANGLE_KNOTS, density_knots=DEFAULT_DENSITY_KNOTS, bond_cutoff=None) -> dict:
    """The five spline blocks of `form` (see the module docstring for the ranges); `bond_cutoff` (inner, outer): f's
    own cutoff (None: r_in, r_out)."""
    bond_cutoff = three_body_radii(r_in, r_out, bond_cutoff)
    if not 0 < r_min < min(r_in, bond_cutoff[0]) <= r_out:
        raise ConfigError(f"meam/spline export: need 0 < r_min < r_in <= r_out, got {r_min}, "
                          f"{min(r_in, bond_cutoff[0])}, {r_out}")
    for name, count in (("radial", radial_knots), ("angle", angle_knots), ("density", density_knots)):
        if count < 4:
            raise ConfigError(f"meam/spline export: {name} knots must be at least 4, got {count}")
    program = AngularProgram(form)
    splines = {}

    for k, name in enumerate(("phi", "rho", "f")):
        inner, outer = bond_cutoff if name == "f" else (r_in, r_out)
        r = np.linspace(r_min, outer, radial_knots)
        value, slope = program.radial(r)
        h, dh = cutoff_product(value[k], slope[k], *smooth_cutoff(r, inner, outer))
        h[-1] = dh[-1] = 0.0  # exactly zero at the cutoff, whatever the function does there
        _check_finite(name, h, dh, f"on [{r_min}, {outer}] Å")
        splines[name] = Spline(r, h, float(dh[0]), 0.0)

    c = np.linspace(-1.0, 1.0, angle_knots)
    g, g_slope = program.angular(c)
    _check_finite("g", g, g_slope, "on [-1, 1]")
    splines["g"] = Spline(c, g, float(g_slope[0]), float(g_slope[-1]))

    splines["U"] = _embedding_spline(program, density_range, density_knots)
    return splines


def _embedding_spline(program, density_range, knots):
    """U on uniform knots covering `density_range` and 0, with 0 on a knot."""
    low, high = (float(v) for v in density_range)
    low, high = min(low, 0.0), max(high, 0.0)
    if not (np.isfinite(low) and np.isfinite(high) and high > low):
        raise ConfigError(f"meam/spline export: the density range must be finite and nonempty, got {density_range}")
    step = (high - low) / (knots - 2)
    first = np.floor(low / step) * step  # a multiple of the step: 0 falls on a knot
    n = first + step * np.arange(knots)
    n[np.argmin(np.abs(n))] = 0.0
    u, u_slope = program.embedding(n)
    _check_finite("U", u, u_slope, f"on [{n[0]:.6g}, {n[-1]:.6g}]")
    return Spline(n, np.array(u, dtype=float), float(u_slope[0]), float(u_slope[-1]))


def _check_finite(name, value, slope, where):
    bad = ~(np.isfinite(value) & np.isfinite(slope))
    if bad.any():
        raise ModelError(f"meam/spline export: {name} is not finite {where} (first at knot {int(np.argmax(bad))})")


def write_meam_spline(path, form: AngularForm, element, *, r_in, r_out, r_min, density_range, comment="",
                      bond_cutoff=None, **knots) -> MeamSplineExport:
    """Write `form` as a `meam/spline` file for `element`; `bond_cutoff` and `knots` as in `meam_spline_splines`."""
    splines = meam_spline_splines(form, r_in=r_in, r_out=r_out, r_min=r_min, density_range=density_range,
                                  bond_cutoff=bond_cutoff, **knots)
    energy_shift = float(program_u0(form))
    path = Path(path)
    bond = "" if bond_cutoff is None else f", f f_c{tuple(float(v) for v in bond_cutoff)}"
    header = (f"# symff angular form, f_c({r_in}, {r_out}){bond}; LAMMPS energy = symff energy - {energy_shift!r} eV per "
              f"atom (U(0)). {comment}".strip())
    blocks = [splines[name].text() for name in BLOCKS]
    path.write_text("\n".join([header, f"meam/spline 1 {element}", *blocks]) + "\n")
    return MeamSplineExport(path=path, element=element, energy_shift=energy_shift, splines=splines)


def alloy_meam_spline_text(forms, *, r_in, r_out, r_min, density_range, comment="", **knots):
    """(file text, {element: U(0)}) of a multi-element meam/spline file, the "new" format's `meam/spline N EL ...`:
    `forms` {element: AngularForm} share φ, ρ, f and g (symff's alloy pieces: symff.export.alloy) and differ in U.
    LAMMPS reads φ for every pair of elements, then ρ, U and f for every element, then g for every pair (its
    pair_meam_spline.cpp); φ, f and g are written once per slot, the same in each."""
    elements = list(forms)
    first = meam_spline_splines(forms[elements[0]], r_in=r_in, r_out=r_out, r_min=r_min, density_range=density_range,
                                **knots)
    density_knots = knots.get("density_knots", DEFAULT_DENSITY_KNOTS)
    embeddings = [first["U"], *(_embedding_spline(AngularProgram(forms[e]), density_range, density_knots)
                                for e in elements[1:])]
    pairs = len(elements) * (len(elements) + 1) // 2
    blocks = ([first["phi"].text()] * pairs + [first["rho"].text()] * len(elements)
              + [u.text() for u in embeddings] + [first["f"].text()] * len(elements) + [first["g"].text()] * pairs)
    shift = {e: float(program_u0(form)) for e, form in forms.items()}
    header = (f"# symff three-body piece, f_c({r_in}, {r_out}); LAMMPS energy = symff energy - U_A(0) per atom of A, "
              f"{', '.join(f'{e} {v!r}' for e, v in shift.items())} eV. {comment}".strip())
    return "\n".join([header, f"meam/spline {len(elements)} {' '.join(elements)}", *blocks]) + "\n", shift


def angular_form_of(model) -> AngularForm:
    """The meam/spline form (φ, ρ, f, g, U) of a model with three-body sums, numbers in place of constants: the one
    piece of its LAMMPS split (`symff.export.form.analyse_form`) with φ in it; a model of another shape raises
    `NotExportable` (see the module docstring)."""
    form = analyse_form(model)
    if form.kind != "meam":
        why = f"it is {len(form.three_body)} three-body pieces and {len(form.embeddings)} radial embeddings"
        raise NotExportable(f"cannot export {model.energy_string(6)} to LAMMPS meam/spline: {why}; meam/spline holds "
                            "E_i = Σ a NS(φ) + U(Σ w NS(ρ) + Σ v NS3(f, g)) with one f", why)
    return meam_form(form)


def meam_form(form) -> AngularForm:
    """The AngularForm of a one-piece split (`ExportForm` of kind "meam"): its three-body piece with the pair terms
    as φ."""
    return replace(form.three_body[0], phi=2 * form.pair_expr)


def program_u0(form: AngularForm):
    """U(0) of the form."""
    return AngularProgram(form).embedding(np.zeros(1))[0][0]


def default_density_range(form: AngularForm, element, *, r_in, r_out, whole=None, compression=0.85, margin=0.2,
                          points=48, bond_cutoff=None):
    """U's knot range when none is given: the densities n_i of `element`'s fcc, bcc, simple cubic and diamond
    crystals (CRYSTALS) from `compression` × each one's equilibrium nearest-neighbour distance (the minimum of an
    energy scan from 0.4 r_in to r_out; 0.85 r_in where it has none) out to r_out, where n is 0, widened by `margin`
    of the span above (and below, where some n is negative). The energy scanned is the form's, or, when the form is
    one piece of a hybrid/overlay export, the sum of the AngularForms `whole` (every piece); f has the cutoff
    `bond_cutoff` (None: r_in, r_out). Beyond its knots LAMMPS continues U linearly: an MD run that compresses the
    crystal further than this should give the range (`--density-range`) from its own structures."""
    from ase.calculators.singlepoint import SinglePointCalculator

    from ..data import Dataset
    from ..evaluate.angular import AngularEvaluator
    from ..neighbours import build_neighbours

    nearest = np.linspace(0.4 * r_in, r_out, points)
    crystals = []
    for lattice, a_per_nearest in CRYSTALS.items():
        for d in nearest:
            atoms = bulk(element, lattice, a=a_per_nearest * d)
            atoms.calc = SinglePointCalculator(atoms, energy=0.0, forces=np.zeros((len(atoms), 3)))
            crystals.append(atoms)
    data = Dataset.from_atoms(crystals, elements=(element,), min_distance=None)
    evaluator = AngularEvaluator(data, build_neighbours(data, r_out), r_in=r_in, r_out=r_out, bond_cutoff=bond_cutoff)
    with np.errstate(all="ignore"):
        if whole is None:
            energy = evaluator.predict(form).energy / np.diff(data.atom_start)
        else:  # Σ U(n) over the pieces, from their densities (no forces: a U' that is infinite somewhere is no matter)
            per_atom = sum(AngularProgram(piece).embedding(evaluator.densities(piece))[0] for piece in whole)
            energy = np.add.reduceat(per_atom, data.atom_start[:-1]) / np.diff(data.atom_start)
        density = evaluator.densities(form)
    low, high = 0.0, 0.0
    for k in range(len(CRYSTALS)):
        scan = slice(k * points, (k + 1) * points)
        e = np.where(np.isfinite(energy[scan]), energy[scan], np.inf)
        best = int(np.argmin(e))
        equilibrium = nearest[best] if 0 < best < points - 1 else 0.85 * r_in
        atoms = slice(data.atom_start[k * points], data.atom_start[(k + 1) * points])
        per_atom = np.repeat(nearest, np.diff(data.atom_start[k * points:(k + 1) * points + 1]))
        n = density[atoms][per_atom >= compression * equilibrium]
        n = n[np.isfinite(n)]
        if n.size:
            low, high = min(low, n.min()), max(high, n.max())
    span = high - low
    if not span > 0:
        raise ModelError(f"meam/spline export: the densities of {element}'s crystals do not vary; give the range "
                         "(--density-range)")
    # widened at the low end only below 0: n = 0 (a lone atom) is reached exactly, and U may not exist below it
    return (low - margin * span if low < 0 else low), high + margin * span


def lammps_agreement(export: MeamSplineExport, dataset, prediction):
    """Worst (|ΔE| per atom eV, |ΔF| eV/Å, |Δσ| eV/Å³) over the structures of `dataset` between the real LAMMPS
    running `export` and `prediction` (symff's energies, forces and stresses of the same form, no reference
    energy), LAMMPS energies shifted back by `energy_shift` per atom."""
    from .lammps_run import LammpsPotential

    lammps = LammpsPotential(export, [export.element])
    worst = np.zeros(3)
    try:
        for s in range(dataset.n_structures):
            atoms = dataset.to_atoms(s)
            energy, forces, stress = lammps.compute(atoms)
            atoms_of_s = slice(dataset.atom_start[s], dataset.atom_start[s + 1])
            worst = np.maximum(worst, [
                abs(energy + len(atoms) * export.energy_shift - prediction.energy[s]) / len(atoms),
                np.abs(forces - prediction.forces[atoms_of_s]).max(),
                np.abs(stress - prediction.stress[s]).max(),
            ])
    finally:
        lammps.close()
    return worst
