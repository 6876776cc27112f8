"""The ASE calculator of `symff validate`: `SymFFCalculator` with exact evaluation, which also answers where a
model's forces are not finite (a lone atom under sqrt(NS) or 1/NS) with the energy alone.

Property calculations visit isolated atoms and clusters that training data never holds; there the energy may still be
finite, or infinite (which is what the property should then show), so it is reported with NaN forces and stress
instead of an error.
"""

import numpy as np
from ase.calculators.calculator import all_changes
from ase.calculators.singlepoint import SinglePointCalculator

from ..data import Dataset
from ..evaluate.predict import model_evaluator
from ..export.calculator import SymFFCalculator
from ..expr.symbols import Rejected


class _ModelCalculator(SymFFCalculator):
    def __init__(self, model, **kwargs):
        super().__init__(model, exact=True, ensemble=False, **kwargs)  # properties need no spread

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        try:
            super().calculate(atoms, properties, system_changes)
        except Rejected:
            self.results = self._energy_only()

    def _energy_only(self):
        model, atoms = self.model, self.atoms
        data = Dataset.from_atoms([_labelled(atoms)], elements=model.elements, min_distance=None)
        evaluator = model_evaluator(model, data, exact=True)
        reference = model.reference_for(data.elements)[data.species]
        with np.errstate(all="ignore"):
            rho, *_ = evaluator.neighbour_sums(model.program, model.constants)
            terms, _ = model.program.terms(rho, model.constants)
            energies = np.asarray(model.linear) @ terms + reference
        energy = float(energies.sum())
        n = len(atoms)
        return {"energy": energy, "free_energy": energy, "energies": energies, "forces": np.full((n, 3), np.nan),
                "stress": np.full(6, np.nan)}


def _labelled(atoms):
    copy = atoms.copy()
    copy.calc = SinglePointCalculator(copy, energy=0.0, forces=np.zeros((len(atoms), 3)))
    return copy
