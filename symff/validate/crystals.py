"""Ground-state crystals of the elements symff knows, in one table.

A *ground state* is the crystal structure of an element at 0 K ('fcc', 'bcc' or 'diamond', the names of
`ase.build.bulk`) with a typical lattice constant (Å; the start of the lattice-constant search); its *cubic cell*
(`ase.build.bulk(..., cubic=True)`) holds ATOMS_PER_CUBIC_CELL atoms. The *other phases* of a ground state are those
`symff validate` compares it with (energy differences dE_<phase>_<ground state>, meV/atom). Elements not in the
table are taken to be fcc with a = 3.6 Å (what `symff validate` assumed before the table existed).
"""

GROUND_STATES = {  # element: (structure, typical lattice constant in Å: the mlearn DFT cells, Cu's former default)
    "Cu": ("fcc", 3.6), "Ni": ("fcc", 3.51), "Mo": ("bcc", 3.17), "Li": ("bcc", 3.44), "Si": ("diamond", 5.47),
    "Ge": ("diamond", 5.78), "Nb": ("bcc", 3.31), "Ta": ("bcc", 3.32), "W": ("bcc", 3.17),  # NbMoTaW: PBE-like
}
DEFAULT = ("fcc", 3.6)
ATOMS_PER_CUBIC_CELL = {"fcc": 4, "bcc": 2, "diamond": 8}
OTHER_PHASES = {"fcc": ("bcc", "hcp"), "bcc": ("fcc", "hcp"), "diamond": ("fcc", "bcc", "hcp")}


def ground_state(symbol):
    """The ground-state structure of element `symbol` ('fcc' when it is not in GROUND_STATES)."""
    return GROUND_STATES.get(symbol, DEFAULT)[0]


def fcc_equivalent_guess(symbol):
    """The lattice constant of the fcc crystal with the volume per atom of `symbol`'s typical ground state: the
    `guess` of `symff.validate.properties.lattice_constant`."""
    structure, a = GROUND_STATES.get(symbol, DEFAULT)
    return a * (4 / ATOMS_PER_CUBIC_CELL[structure]) ** (1 / 3)


def phase_differences(structure):
    """Names of the energy differences of `structure` to its other phases: ['dE_bcc_fcc', 'dE_hcp_fcc'] for fcc."""
    return [f"dE_{phase}_{structure}" for phase in OTHER_PHASES[structure]]
