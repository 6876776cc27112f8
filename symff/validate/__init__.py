"""Material properties of a potential (lattice constant, elastic constants, defects, phases) against references."""
