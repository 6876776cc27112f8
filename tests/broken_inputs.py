"""A corpus of broken data files, one per failure kind, written by the tests themselves, with the exact message
the user gets for each ("{path}" stands for the file). `write_corpus(directory)` writes them all."""

from pathlib import Path

HEADER = 'Lattice="5 0 0 0 5 0 0 0 5" Properties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 pbc="T T T"'
ROWS = ["Cu 0 0 0 0.1 0 0", "Cu 2 0 0 -0.1 0 0"]


def frame(header=HEADER, rows=ROWS) -> str:
    return "\n".join([str(len(rows)), header, *rows]) + "\n"


# kind -> (file text, exact message); ASE's own words (after "cannot be parsed (") are matched as a prefix.
BROKEN = {
    "empty": ("", "{path}: no structures: the file is empty; give a file with at least one structure"),
    "truncated": (
        frame() + "3\n" + HEADER + "\n" + ROWS[0] + "\n",
        "{path}: frame 1: cannot be parsed (XYZError: ",
    ),
    "malformed": ("this is not\na structure file\n", "{path}: cannot be parsed ("),
    "no_energy": (
        frame() + frame(HEADER.replace(" energy=-1.0", "")),
        ("{path}: frame 1: no energy: the file must hold the total energy of every structure "
         "(extxyz: energy=... on the comment line)"),
    ),
    "no_forces": (
        frame(HEADER.replace(":forces:R:3", ""), ["Cu 0 0 0", "Cu 2 0 0"]),
        ("{path}: frame 0: no forces: the file must hold forces for every structure "
         "(extxyz: a 'forces' per-atom property)"),
    ),
    "forces_wrong_shape": (
        frame(HEADER.replace("forces:R:3", "forces:R:2"), ["Cu 0 0 0 0.1 0", "Cu 2 0 0 -0.1 0"]),
        ("{path}: frame 0: forces have shape (2, 2), expected (2, 3): "
         "give one force 3-vector per atom (extxyz: forces:R:3)"),
    ),
    "no_atoms": (
        frame() + frame(HEADER.replace(":forces:R:3", ""), []),
        "{path}: frame 1: no atoms: remove the empty structure",
    ),
    "energy_not_one_number": (
        frame(HEADER.replace("energy=-1.0", 'energy="-1 -2"')),
        "{path}: frame 0: energy has shape (2,): give one total energy per structure, in eV",
    ),
    "nan_energy": (
        frame(HEADER.replace("energy=-1.0", "energy=nan")),
        "{path}: frame 0: non-finite energy (nan): fix or remove the structure",
    ),
    "nan_force": (
        frame(rows=[ROWS[0], "Cu 2 0 0 -0.1 nan 0"]),
        "{path}: frame 0: non-finite force on atom 1 (nan): fix or remove the structure",
    ),
    "nan_stress": (
        frame(HEADER + ' stress="0 0 0 0 nan 0 0 0 0"'),
        "{path}: frame 0: non-finite stress (nan): fix the stress or leave it out",
    ),
    "atoms_on_top": (
        frame(rows=[ROWS[0], "Cu 0.1 0 0 0 0 0"]),
        ("{path}: frame 0: atoms 0 and 1 are 0.100 Å apart, closer than min_distance 0.5 Å: "
         "fix or remove the structure (or lower min_distance if such contacts are real)"),
    ),
    "degenerate_cell": (
        frame(HEADER.replace('Lattice="5 0 0 0 5 0 0 0 5"', 'Lattice="5 0 0 0 5 0 0 0 0"')),
        ("{path}: frame 0: the cell is degenerate along periodic directions (pbc TTT, volume 0): "
         "give lattice vectors for every periodic direction (extxyz: Lattice=...) or mark it non-periodic"),
    ),
}

# Files that are read, with a warning (kind -> (text, warning message)).
WARNED = {
    "duplicate": (
        frame() + frame(HEADER.replace("energy=-1.0", "energy=-2.0")) + frame(rows=[ROWS[0], "Cu 2.5 0 0 0 0 0"]),
        ("{path}: frame 1: the same structure as {path}: frame 0: it counts twice in the fit; "
         "remove the copy unless that is intended"),
    ),
}


def write_corpus(directory, corpus=BROKEN) -> dict:
    """Write one file per kind into `directory`; return kind -> (path, expected message with the path filled in)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for kind, (text, message) in corpus.items():
        path = directory / f"{kind}.extxyz"
        path.write_text(text)
        out[kind] = (str(path), message.format(path=path))
    return out
