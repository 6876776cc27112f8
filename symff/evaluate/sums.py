"""Environment sums: the registry of the kinds of per-atom sums over neighbours that a potential is built from.

An *environment sum* of atom i is a sum over its neighbourhood of functions that a candidate evolves; its *kind* says
over what it runs and how it is evaluated. The radial sum NS(g) = Σ_j g(r_ij) f_c(r_ij) is the first kind, the sum
filtered by the neighbour's element, NS(g, B), the second; the angular (three-body) sum of meam/spline is meant to be
a further entry of `ENVIRONMENT_SUMS`, without branches elsewhere. A program names the kind that evaluates it
(`program.sum_kind`).

Contract of a kind (an `EnvironmentSum`):

- `name`: the key in `ENVIRONMENT_SUMS`, and the `sum_kind` of its grammar operator in symff.grammar.operators (the
  table of primitives), which gives its typed signature (for the radial sum: one Pair argument, an Atom result).
- `head`: its sympy head, `symff.expr.symbols.SUM_HEADS[name]` (NS for the radial sum): how canonical forms, model
  files and exports write it. Its arguments are the functions it sums (one g(r) for the radial sum).
- `neighbour_data`: the class holding, once per data set, what its kernels read (for the radial sum `GridPairs`: a
  half pair list inside r_out, atom-major, each pair's place on the radial grid). `neighbour_data.inside(neighbours,
  atom_start, r_out, tabulation)` builds it from a `symff.neighbours.Neighbours`.
- `tabulation`: the class that tabulates its functions once per candidate (`RadialGrid`: cubic Hermite tables of
  h = g f_c on a uniform r grid, `covering(r_min, r_in, r_out, points)`, `tabulate(g, g')`).
- `sums(data, table, pair_values, n_functions, ranges)` -> (per-atom sums (K, n_atoms), the slopes each force pass
  needs): its kernel wrapper (numba kernel `_name`, Python wrapper `name`, as in symff.evaluate.kernels);
  `forces_and_virials(data, slopes, dependencies, dE_dsum, n_terms, ranges)` -> (forces (M, n_atoms, 3), virials
  (M, n_structures, 6)): the backward pass, given ∂T_m/∂sum_k at every atom, a row of dE_dsum (D, n_atoms) per
  (m, k) of `dependencies` (every other is zero).
- `reference`: its slow numpy oracle (symff.evaluate.reference for the radial sum), which the kernels are tested
  against, with forces = -gradient and stress = strain derivative checked on random triclinic cells.
- `lammps_styles`: the LAMMPS forms (symff.export.form.LAMMPS_FORMS) that can hold it; a kind with none runs in
  symff and its ASE calculator only.

A new kind thus brings: its head in SUM_HEADS, its grammar operator (with argument types of its own), an entry here
with its neighbour data, tables, kernels and reference, and its LAMMPS styles.

The three-body (angular) sum NS3(f, h) = Σ_{j<k} f(r_ij) f_c(r_ij) f(r_ik) f_c(r_ik) h(cos θ_jik) is the second kind,
`ANGULAR`: its neighbour data are `Triplets` (the same half list's `GridPairs` and their bonds; the kernels enumerate
the triplets, so there is no second neighbour search), f is tabulated on the radial grid and h on an `AngularGrid`
(cubic Hermite tables on c ∈ [−1, 1]); `sums(data, table, pair_values, angle_tables, triplet_values, n_functions,
ranges)` takes both tables (or exact values), and the backward pass takes the slopes per sum. The sums of a formula
are ordered radial first, then three-body (rho_K .. rho_{K+L-1}). Its LAMMPS style is `meam/spline` (E_i =
NS(φ/2) + U(NS(ρ) + NS3(f, h)), U(n) = n included: `symff.export.meam_spline.angular_form_of`), `hybrid/overlay` for
several such pieces. In a model of several elements it stays element blind, its functions one for all elements
(symff.expr.species; an `AlloyProgram` lists the distinct ones after the species-filtered sums), each a
multi-element meam/spline file (symff.export.alloy).
"""

from dataclasses import dataclass

from ..expr.symbols import SUM_HEADS
from . import reference
from .angular import AngularGrid, Triplets, three_body_forces_and_virials, three_body_sums
from .grid import RadialGrid
from .kernels import forces_and_virials, neighbour_sums
from .pairs import GridPairs
from .species import species_forces_and_virials, species_sums


@dataclass(frozen=True)
class EnvironmentSum:
    name: str
    head: object  # sympy function
    neighbour_data: type
    tabulation: type
    sums: object  # callable: the kernel wrapper of the forward pass
    forces_and_virials: object  # callable: the kernel wrapper of the backward pass
    reference: object  # module or callable: the numpy oracle
    lammps_styles: tuple


RADIAL = EnvironmentSum(
    name="radial",
    head=SUM_HEADS["radial"],
    neighbour_data=GridPairs,
    tabulation=RadialGrid,
    sums=neighbour_sums,
    forces_and_virials=forces_and_virials,
    reference=reference,
    lammps_styles=("lepton", "table", "eam/alloy", "hybrid/overlay"),
)

# NS(g, B): the radial sum over the neighbours of element B only (symff.evaluate.species). Its kernels take two more
# arguments than the radial ones, `species` (n_atoms,) and `channel` (K,); its programs (symff.expr.program.
# AlloyProgram) give E_i per element of atom i. eam/alloy holds it where each density's channel is the neighbour's
# element alone; eam/fs where it depends on both elements; hybrid/overlay of such files for several embeddings
# (symff.export.alloy).
SPECIES = EnvironmentSum(
    name="species",
    head=SUM_HEADS["species"],
    neighbour_data=GridPairs,
    tabulation=RadialGrid,
    sums=species_sums,
    forces_and_virials=species_forces_and_virials,
    reference=reference,
    lammps_styles=("eam/alloy", "eam/fs", "hybrid/overlay"),
)

ANGULAR = EnvironmentSum(
    name="angular",
    head=SUM_HEADS["angular"],
    neighbour_data=Triplets,
    tabulation=AngularGrid,
    sums=three_body_sums,
    forces_and_virials=three_body_forces_and_virials,
    reference=reference.angular_sums,
    lammps_styles=("meam/spline", "hybrid/overlay"),
)

ENVIRONMENT_SUMS = {kind.name: kind for kind in (RADIAL, SPECIES, ANGULAR)}
