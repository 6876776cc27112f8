"""A minimal ASE calculator for a symff `Model`, used by the property calculations of `symff validate`.

Each call builds a one-structure `Dataset`, its neighbour list and an exact `Evaluator` (no tabulation): slow per call
but small and obviously right. The shared calculator of the package replaces it when the branches meet.
"""

from typing import ClassVar

import numpy as np
from ase.calculators.calculator import Calculator, all_changes
from ase.calculators.singlepoint import SinglePointCalculator

from ..data import Dataset
from ..evaluate.evaluator import Evaluator
from ..expr.symbols import Rejected
from ..neighbours import build_neighbours


class _ModelCalculator(Calculator):
    implemented_properties: ClassVar[list[str]] = ["energy", "free_energy", "forces", "stress", "energies"]

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        self.model = model

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        structure = self.atoms.copy()
        structure.calc = SinglePointCalculator(structure, energy=0.0, forces=np.zeros((len(structure), 3)))
        data = Dataset.from_atoms([structure], elements=self.model.elements, min_distance=None)
        model = self.model
        evaluator = Evaluator(data, build_neighbours(data, model.r_out), r_in=model.r_in, r_out=model.r_out, exact=True)
        reference = model.reference_for(data.elements)
        try:
            prediction = evaluator.predict(model.program, model.constants, model.linear, reference)
        except Rejected:
            self.results = self._energy_only(evaluator, reference[data.species])
            return
        energy = float(prediction.energy[0])
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": prediction.forces.copy(),
            "energies": prediction.atom_energy + reference[data.species],
        }
        if self.atoms.cell.rank == 3 and self.atoms.pbc.all():
            self.results["stress"] = prediction.stress[0].copy()

    def _energy_only(self, evaluator, reference):
        """Where the forces are not finite (e.g. sqrt of a zero density), the energy may still be (or be infinite,
        e.g. 1/NS for a lone atom, which is what the property should then show): forces and stress are NaN."""
        model = self.model
        with np.errstate(all="ignore"):
            rho, *_ = evaluator.neighbour_sums(model.program, model.constants)
            terms, _ = model.program.terms(rho, model.constants)
            energies = np.asarray(model.linear) @ terms + reference
        energy = float(energies.sum())
        n = len(self.atoms)
        return {"energy": energy, "free_energy": energy, "energies": energies, "forces": np.full((n, 3), np.nan),
                "stress": np.full(6, np.nan)}
