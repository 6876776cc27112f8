"""`SymFFCalculator`: an ASE calculator for any symff model, on symff's own kernels, made for molecular dynamics.

The calculator keeps what does not change between MD steps: the model's compiled program, a one-structure `Dataset`
of the atoms (their elements, cell and periodicity), a *skin list* of the pairs closer than r_out + skin
(`symff.evaluate.skin`) and the radial grid that covers them. A call after the atoms moved recomputes only the pair
vectors of the listed pairs; the list is rebuilt when some atom has moved skin/2 from where it was built, and
everything is rebuilt when the atoms, the cell or the periodicity change. The pair functions are evaluated by the
`Evaluator` (numba kernels; interpolated on the 4096-point cubic-Hermite grid by default, `exact=True` evaluates
them at every pair), so a call gives what a fresh evaluation of the same atoms gives, up to rounding (the tests
check it). Results:

- `energy`, `free_energy`: total energy, per-element reference energies included (as in the model file);
- `forces` (eV/Å), `stress` (eV/Å³, ASE sign and Voigt order; periodic cells only);
- `energies`: per-atom energies E_i + e_ref(Z_i), which sum to `energy`;
- with an ensemble (`symff.uncertainty`; the model file's, or one given): `energy_std` (eV, total energy),
  `energy_per_atom_std` (eV/atom) and `forces_std` (eV/Å, per component), the committee's standard deviations
  times the ensemble's calibration factors.

Where the model is not finite for the atoms (a 1/NS term on a lone atom, an overflow) a call raises `NotFiniteHere`:
ASE's `CalculationFailed` for code that drives ASE, symff's `Rejected` for MD and relaxations inside symff.
"""

import numpy as np
from ase.calculators.calculator import CalculationFailed, Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

from ..data import Dataset
from ..evaluate.evaluator import Evaluator
from ..evaluate.skin import DEFAULT_SKIN, SkinList
from ..expr.symbols import Rejected
from ..model import AlloyModel, Model
from ..neighbours import Neighbours


class NotFiniteHere(Rejected, CalculationFailed):
    """The model's energy or forces are not finite for the atoms of a call."""


class SymFFCalculator(Calculator):
    implemented_properties = ("energy", "free_energy", "forces", "stress", "energies", "energy_std",
                              "energy_per_atom_std", "forces_std")

    def __init__(self, model, *, exact=False, skin=DEFAULT_SKIN, ensemble=None, **kwargs):
        """`model`: a `Model`, an `AlloyModel` or the path of a model file. `skin` (Å): the neighbour-list skin (0 rebuilds the list
        at every call). `ensemble`: None uses the model file's ensemble if it has one; False uses none; an integer K
        uses the first K members of the model file's; or an `Ensemble`."""
        super().__init__(**kwargs)
        from ..uncertainty import Ensemble  # uncertainty builds on the fitter, which the calculator need not load

        is_model = isinstance(model, (Model, AlloyModel))
        self.model = model if is_model else Model.load(model)
        self.exact = exact
        self.skin = float(skin)
        self.ensemble = Ensemble.for_calculator(self.model, ensemble)
        self._frame = None  # what is kept between calls (see _Frame)

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        evaluator = self._evaluator(atoms)
        model, dataset = self.model, evaluator.dataset
        reference = model.reference_for(dataset.elements)
        try:
            prediction = evaluator.predict(model.program, model.constants, model.linear, reference)
        except Rejected as exc:
            self.results = self._not_finite(exc)
            return
        energies = prediction.atom_energy + reference[dataset.species]
        energy = float(prediction.energy[0])
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": prediction.forces.copy(),
            "energies": energies,
        }
        if atoms.cell.rank == 3 and np.all(atoms.pbc):
            self.results["stress"] = prediction.stress[0].copy()
        if self.ensemble is not None:
            spread = self.ensemble.spread(evaluator)
            self.results |= {"energy_std": float(spread.energy[0]), "energy_per_atom_std": float(spread.energy[0])
                             / len(atoms), "forces_std": spread.forces}

    def _not_finite(self, rejected):
        """The results where the model's energy or forces are not finite for the atoms: none, `NotFiniteHere` is
        raised (symff validate's calculator answers with the energy alone instead)."""
        raise NotFiniteHere(rejected.kind, rejected.detail) from rejected

    def _evaluator(self, atoms):
        """The evaluator at the atoms' current positions, rebuilding only what the change since the last call needs."""
        frame = self._frame
        if frame is None or not frame.holds(atoms) or frame.skin_list.stale(atoms.positions):
            frame = self._frame = _Frame(atoms, self.model, self.skin, self.exact)
        return frame.evaluator_at(atoms.positions)


class _Frame:
    """The atoms' data set, skin list, grid and evaluator, valid while the atoms, cell and periodicity stay."""

    def __init__(self, atoms, model, skin, exact):
        self.numbers = atoms.numbers.copy()
        self.cell = atoms.cell.array.copy()
        self.pbc = atoms.pbc.copy()
        labelled = atoms.copy()
        labelled.calc = SinglePointCalculator(labelled, energy=0.0, forces=np.zeros((len(atoms), 3)))
        dataset = Dataset.from_atoms([labelled], elements=model.elements, min_distance=None)
        self.skin_list = SkinList.build(dataset.positions, dataset.cells, dataset.pbc, dataset.atom_start, model.r_out,
                                        skin)
        self.grid = self.skin_list.covering_grid(model.r_in)
        no_pairs = Neighbours(cutoff=model.r_out, i=np.zeros(0, np.int64), j=np.zeros(0, np.int64), r=np.zeros(0),
                              D=np.zeros((0, 3)), structure=np.zeros(0, np.int64),
                              pair_start=np.zeros(2, np.int64))
        self.evaluator = Evaluator(dataset, no_pairs, r_in=model.r_in, r_out=model.r_out, exact=exact,
                                   three_body_cutoff=model.three_body_cutoff)

    def holds(self, atoms):
        return (len(atoms) == self.numbers.size and np.array_equal(atoms.numbers, self.numbers)
                and np.array_equal(atoms.cell.array, self.cell) and np.array_equal(atoms.pbc, self.pbc))

    def evaluator_at(self, positions):
        return self.evaluator.with_pairs(self.skin_list.pairs(positions, self.grid), self.grid)
