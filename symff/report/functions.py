"""The functions of a potential in EAM language: pair function φ(r), densities g_k(r) and embeddings F_k(ρ).

In canonical form E_i = Σ_m a_m T_m(ρ_i0..ρ_iK), ρ_ik = Σ_j g_k(r_ij) f_c(r_ij) over a full neighbour list. A term
T_m = ρ_k is a pair term: together they give the pair potential φ(r) = 2 Σ a_m g_k(r) (each pair is counted from both
atoms). Every other term that depends on one density is part of that density's embedding F_k(ρ) = Σ a_m T_m(ρ).
Terms mixing densities are not EAM; they are listed but not drawn. The plots show the functions times the cutoff f_c,
over the distances and densities met in the training data. A model of several elements is drawn in its setfl form
(symff.export.alloy): pair functions per pair type, densities per centre and neighbour element, embeddings per
element.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from ..evaluate.reference import pair_functions, radial_sums
from ..expr.symbols import rho_symbol
from .figures import new_figure


@dataclass
class EamParts:
    pair: list  # [(a_m, k)]: T_m = ρ_k
    embedding: dict  # k -> [m]: nonlinear terms of ρ_k alone
    mixed: list  # [m]: terms of several densities, or of a three-body sum


def eam_parts(formula):
    # every environment sum: the radial densities, then the three-body sums (whose terms are not drawn)
    radial = len(formula.densities)
    rho = [rho_symbol(k) for k in range(formula.n_sums)]
    parts = EamParts([], {}, [])
    for m, term in enumerate(formula.terms):
        used = [k for k, symbol in enumerate(rho) if term.has(symbol)]
        if len(used) == 1 and used[0] < radial and term == rho[used[0]]:
            parts.pair.append((m, used[0]))
        elif len(used) == 1 and used[0] < radial:
            parts.embedding.setdefault(used[0], []).append(m)
        else:
            parts.mixed.append(m)
    return parts


def densities_at_atoms(model, neighbours, n_atoms):
    """ρ_ik for every atom of a data set, from its half neighbour list: (K, n_atoms)."""
    inside = neighbours.r < model.r_out
    i, j, r = neighbours.i[inside], neighbours.j[inside], neighbours.r[inside]
    return radial_sums(model, np.concatenate([i, j]), np.concatenate([r, r]), n_atoms)[0]


def functions_figure(model, neighbours, n_atoms):
    """φ(r), g_k(r) and F_k(ρ) of `model`, or None for a form with no terms to draw."""
    parts = eam_parts(model.formula)
    program, c = model.program, model.constants
    r_low = max(0.8 * float(neighbours.r.min()), 0.5) if neighbours.n_pairs else 1.0
    r = np.linspace(r_low, model.r_out, 400)
    h, _ = pair_functions(model)(r)  # g f_c
    panels = 1 + (len(parts.embedding) > 0) * 2
    figure, axes = new_figure(4.2 * panels, 4, ncols=panels)
    if parts.pair:
        phi = 2 * sum(model.linear[m] * h[k] for m, k in parts.pair)
        axes[0].plot(r, phi)
        axes[0].axhline(0, color="0.7", lw=0.8)
        axes[0].set_ylim(*_view(phi))
    else:
        axes[0].text(0.5, 0.5, "no pair terms", ha="center", va="center", transform=axes[0].transAxes)
    if parts.mixed:
        axes[0].text(0.98, 0.98, f"{len(parts.mixed)} terms of several densities not drawn", ha="right", va="top",
                     fontsize=8, transform=axes[0].transAxes)
    axes[0].set(xlabel="r (Å)", ylabel="φ(r) f_c(r) (eV)", title="pair function")
    if parts.embedding:
        rho = densities_at_atoms(model, neighbours, n_atoms)
        for k, terms in sorted(parts.embedding.items()):
            axes[1].plot(r, h[k], label=f"g{k}")
            low, high = float(rho[k].min()), float(rho[k].max())
            grid = np.zeros((program.n_sums, 400))  # the other sums at 0: F_k(ρ_k) alone
            grid[k] = np.linspace(low - 0.1 * (high - low), high + 0.1 * (high - low), 400)
            values, _ = program.terms(grid, c)
            embedding = sum(model.linear[m] * values[m] for m in terms)
            axes[2].plot(grid[k], embedding, label=f"F{k}(ρ{k})")
            axes[2].axvspan(low, high, color=f"C{k}", alpha=0.1)
        axes[1].set(xlabel="r (Å)", ylabel="g(r) f_c(r)", title="density functions")
        axes[1].set_ylim(*_view(h[sorted(parts.embedding)]))
        axes[2].set(xlabel="ρ (shaded: range in the training data)", ylabel="F(ρ) (eV)", title="embedding functions")
        for ax in axes[1:]:
            ax.legend(fontsize=8)
    return figure


def alloy_functions_figure(model, neighbours, species, elements):
    """φ_AB(r), ρ_{A←B}(r) and F_A(ρ) of an `AlloyModel` in its setfl form (symff.export.alloy; those of every file
    of a hybrid/overlay, numbered), or None where it has none. `species` (n_atoms,) indexes `elements`, the data's."""
    from ..export.alloy import analyse_alloy_form

    try:
        form = analyse_alloy_form(model)
    except ModelError:
        return None
    r_low = max(0.8 * float(neighbours.r.min()), 0.5) if neighbours.n_pairs else 1.0
    r = np.linspace(r_low, model.r_out, 400)
    figure, axes = new_figure(4.2 * 3, 4, ncols=3)
    pairs = [(a, b) for k, a in enumerate(form.elements) for b in form.elements[k:]]
    phi = np.array([form.pair(a, b, r) for a, b in pairs])
    for (a, b), values in zip(pairs, phi):
        axes[0].plot(r, values, label=f"{a}-{b}")
    axes[0].axhline(0, color="0.7", lw=0.8)
    axes[0].set_ylim(*_view(phi))
    axes[0].set(xlabel="r (Å)", ylabel="φ(r) f_c(r) (eV)", title="pair functions")
    inside = neighbours.r < model.r_out
    names = np.array(elements)[species]
    colour = 0
    for k in range(form.files):
        rho = form.atom_densities(neighbours.i[inside], neighbours.j[inside], neighbours.r[inside], names, k)
        which = f" ({k + 1})" if form.files > 1 else ""
        for a in form.elements:
            for b in form.elements:
                axes[1].plot(r, form.density(a, b, r, k), label=f"{a}←{b}{which}")
            if form.has_embedding(a, k) and np.any(names == a):
                low, high = float(rho[names == a].min()), float(rho[names == a].max())
                grid = np.linspace(low - 0.1 * (high - low), high + 0.1 * (high - low), 400)
                axes[2].plot(grid, form.embedding(a, grid, k), label=f"F_{a}(ρ){which}", color=f"C{colour}")
                axes[2].axvspan(low, high, color=f"C{colour}", alpha=0.1)
                colour += 1
    axes[1].set(xlabel="r (Å)", ylabel="ρ_{A←B}(r) f_c(r)", title="density functions")
    axes[2].set(xlabel="ρ (shaded: range in the training data)", ylabel="F(ρ) (eV)", title="embedding functions")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    return figure


def _view(values):
    """y limits that show the shape: a repulsive wall is cut at four times the depth of the well."""
    finite = np.asarray(values)[np.isfinite(values)]
    if finite.size == 0:
        return -1, 1
    low, high = min(float(finite.min()), 0.0), float(finite.max())
    if low < 0:
        high = min(high, 4 * abs(low))
    pad = 0.1 * (high - low) or 1.0
    return low - pad, high + pad
