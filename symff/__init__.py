"""symff: symbolic regression of interatomic potentials.

Genetic programming evolves formulas over a physics grammar (pair functions of the distance r, neighbour sums with a
smooth cutoff, and functions of neighbour sums); sympy makes each one canonical, numba kernels evaluate it, and its
constants are fitted to reference energies and forces. What comes out is a Pareto front of accuracy against complexity.
"""

__version__ = "0.1.0"


def __getattr__(name):
    # `symff.SymFF` without importing numba, ASE and sympy for every `import symff` (the command line's --version).
    if name == "SymFF":
        from .api import SymFF

        return SymFF
    # The ASE calculator pulls in the evaluator and numba: import it only when asked for.
    if name == "SymFFCalculator":
        from .export.calculator import SymFFCalculator

        return SymFFCalculator
    raise AttributeError(f"module 'symff' has no attribute {name!r}")
