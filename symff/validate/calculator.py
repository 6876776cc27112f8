"""The ASE calculator of `symff validate`: `SymFFCalculator` with exact evaluation, which also answers where a
model's energy or forces are not finite (a lone atom under 1/NS) with the energy alone.

Property calculations visit isolated atoms and clusters that training data never holds; there the energy may still be
finite, or infinite (which is what the property should then show), so it is reported with NaN forces and stress
instead of an error.
"""

import numpy as np

from ..evaluate.reference import calculate
from ..export.calculator import SymFFCalculator


class _ModelCalculator(SymFFCalculator):
    def __init__(self, model, **kwargs):
        super().__init__(model, exact=True, ensemble=False, **kwargs)  # properties need no spread

    def _not_finite(self, rejected):
        results = calculate(self.model, self.atoms)  # the numpy reference: energies even where forces are not finite
        n = len(self.atoms)
        return {"energy": results["energy"], "free_energy": results["energy"], "energies": results["energies"],
                "forces": np.full((n, 3), np.nan), "stress": np.full(6, np.nan)}
