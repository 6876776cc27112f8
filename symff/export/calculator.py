"""`SymFFCalculator`: an ASE calculator for any symff model, on symff's own kernels.

Each `calculate` builds a one-structure `Dataset` and its half neighbour list (`symff.neighbours`), then evaluates the
model with the `Evaluator` (numba kernels; by default pair functions interpolated on the 4096-point cubic-Hermite grid,
`exact=True` evaluates them at every pair). Results:

- `energy`, `free_energy`: total energy, per-element reference energies included (as in the model file);
- `forces` (eV/Å), `stress` (eV/Å³, ASE sign and Voigt order; periodic cells only);
- `energies`: per-atom energies E_i + e_ref(Z_i), which sum to `energy`.
"""

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

from ..data import Dataset
from ..evaluate.predict import model_evaluator
from ..model import Model


class SymFFCalculator(Calculator):
    implemented_properties = ("energy", "free_energy", "forces", "stress", "energies")

    def __init__(self, model, *, exact=False, **kwargs):
        """`model`: a `Model` or the path of a model file."""
        super().__init__(**kwargs)
        self.model = model if isinstance(model, Model) else Model.load(model)
        self.exact = exact

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        labelled = atoms.copy()
        labelled.calc = SinglePointCalculator(labelled, energy=0.0, forces=np.zeros((len(atoms), 3)))
        dataset = Dataset.from_atoms([labelled], elements=self.model.elements, min_distance=None)
        evaluator = model_evaluator(self.model, dataset, exact=self.exact)
        reference = self.model.reference_for(dataset.elements)
        prediction = evaluator.predict(self.model.program, self.model.constants, self.model.linear, reference)
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
