"""Ground-state crystals of the elements symff knows, in one table.

A *ground state* is the crystal structure of an element at 0 K ('fcc', 'bcc' or 'diamond', the names of
`ase.build.bulk`); its *cubic cell* (`ase.build.bulk(..., cubic=True)`) holds ATOMS_PER_CUBIC_CELL atoms. Elements
not in the table are taken to be fcc (what `symff validate` assumed before the table existed).
"""

GROUND_STATES = {"Cu": "fcc", "Ni": "fcc", "Mo": "bcc", "Li": "bcc", "Si": "diamond", "Ge": "diamond"}
ATOMS_PER_CUBIC_CELL = {"fcc": 4, "bcc": 2, "diamond": 8}
DEFAULT_STRUCTURE = "fcc"


def ground_state(symbol):
    """The ground-state structure of element `symbol` ('fcc' when it is not in GROUND_STATES)."""
    return GROUND_STATES.get(symbol, DEFAULT_STRUCTURE)
