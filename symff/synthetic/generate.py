"""Synthetic data sets: structures labelled by a known potential, for ``symff rediscover``.

A *structure* here is an ASE ``Atoms`` with a ``SinglePointCalculator`` holding the reference energy, forces and stress,
and ``info['config_type']`` naming how it was made. Structures come from two sources: *lattice* structures (fcc cells,
strained, sheared, rattled, with a vacancy) and *snapshots* of Langevin (NVT) molecular dynamics run with the reference
calculator itself. Every random choice flows from one ``numpy.random.Generator`` seeded by the caller, so the same seed
gives bit-identical data on the same machine and a different seed different data.

Speed matters (the LJ rediscovery, search included, has a 20 s median budget), so the generators run the reference
calculators with matscipy's neighbour list, which returns the same pairs as ASE's about 20 times faster on these cells.
"""

import numpy as np
from ase import Atoms, units
from ase.build import bulk
from ase.calculators.singlepoint import SinglePointCalculator
from ase.constraints import FixCom
from ase.md.langevin import Langevin
from ase.neighborlist import neighbor_list
from matscipy.neighbours import neighbour_list as fast_neighbour_list
from scipy.optimize import minimize_scalar

from symff.cutoff import DEFAULT_INNER, DEFAULT_OUTER
from symff.synthetic.calculators import LennardJonesCutoff, SuttonChenCutoff

SYMBOL = "Cu"
TIMESTEP_FS = 2.0
# A 50 fs velocity relaxation time thermalises a small cell within a few hundred fs yet barely perturbs the dynamics.
FRICTION_PER_FS = 0.02


def fcc_cell(a, repeat, symbol=SYMBOL):
    """A cubic fcc supercell of ``repeat`` conventional cells per side (4 repeat³ atoms)."""
    return bulk(symbol, "fcc", a=a, cubic=True).repeat(repeat)


def strained(atoms, strain):
    """A copy with the cell and positions deformed by (I + strain), strain a symmetric 3×3 matrix."""
    deformation = np.eye(3) + np.asarray(strain, dtype=float)
    copy = atoms.copy()
    copy.set_cell(atoms.cell[:] @ deformation, scale_atoms=True)
    return copy


def rattled(atoms, stdev, rng):
    """A copy with every coordinate displaced by a normal deviate of ``stdev`` Å."""
    copy = atoms.copy()
    copy.positions += rng.normal(0.0, stdev, size=copy.positions.shape)
    return copy


def with_vacancy(atoms, rng):
    """A copy with one atom, chosen at random, removed."""
    copy = atoms.copy()
    del copy[int(rng.integers(len(copy)))]
    return copy


def minimum_distance(atoms, cutoff=3.0):
    """The shortest interatomic distance, periodic images included (``cutoff`` if none is shorter)."""
    d = neighbor_list("d", atoms, cutoff)
    return float(d.min()) if len(d) else cutoff


def labelled(atoms, calculator, config_type):
    """A clean copy (positions wrapped into the cell, no velocities) carrying the reference labels of ``calculator``."""
    structure = Atoms(atoms.get_chemical_symbols(), positions=atoms.get_positions(wrap=True), cell=atoms.cell, pbc=True)
    calculator.calculate(structure, ["energy", "forces", "stress"])
    results = calculator.results
    structure.calc = SinglePointCalculator(
        structure, energy=results["energy"], forces=results["forces"].copy(), stress=results["stress"].copy()
    )
    structure.info["config_type"] = config_type
    return structure


def maxwell_boltzmann_momenta(masses, temperature_K, rng):
    """Momenta drawn from the Maxwell-Boltzmann distribution, with the centre-of-mass momentum removed.

    Drawn here rather than by ASE, whose function for it changed name in 3.29.
    """
    momenta = rng.standard_normal((len(masses), 3)) * np.sqrt(masses * units.kB * temperature_K)[:, None]
    return momenta - masses[:, None] * momenta.sum(axis=0) / masses.sum()


def md_snapshots(atoms, calculator, rng, *, temperature_K, n_snapshots, interval, equilibration):
    """Snapshots of Langevin MD at ``temperature_K``: ``equilibration`` steps, then one every ``interval`` steps.

    Velocities start from a Maxwell-Boltzmann distribution at twice the target temperature, because in a crystal half
    of the kinetic energy flows into potential energy within a vibration period: the cell reaches its temperature
    in tens of femtoseconds instead of waiting for the thermostat.
    """
    atoms = atoms.copy()
    atoms.calc = calculator
    atoms.set_momenta(maxwell_boltzmann_momenta(atoms.get_masses(), 2.0 * temperature_K, rng))
    # ASE deprecates Langevin's own fixcm, which samples NVT slightly wrongly in small cells, in favour of FixCom.
    atoms.set_constraint(FixCom())
    dynamics = Langevin(
        atoms,
        TIMESTEP_FS * units.fs,
        temperature_K=temperature_K,
        friction=FRICTION_PER_FS / units.fs,
        fixcm=False,
        rng=rng,
    )
    dynamics.run(equilibration)
    snapshots = []
    for _ in range(n_snapshots):
        dynamics.run(interval)
        snapshots.append(atoms.copy())
    return snapshots


def equilibrium_lattice_constant(calculator, bounds=(3.0, 4.5), symbol=SYMBOL):
    """The fcc lattice constant that minimises the energy of ``calculator`` (cutoff included)."""

    def energy(a):
        primitive = bulk(symbol, "fcc", a=a)
        calculator.calculate(primitive, ["energy"])
        return calculator.results["energy"]

    return float(minimize_scalar(energy, bounds=bounds, method="bounded", options={"xatol": 1e-8}).x)


def _lattice_structures(a, calculator, rng):
    """Rattled fcc cells (32 atoms) under isotropic strains, uniaxial strains and shears."""
    cell = fcc_cell(a, 2)
    structures = []
    for s in (-0.04, -0.02, -0.01, 0.0, 0.01, 0.02, 0.04, 0.06):
        strain = s * np.eye(3)
        structures.append(labelled(rattled(strained(cell, strain), 0.03, rng), calculator, "fcc_strain"))
    shears = [((0, 1), 0.03), ((0, 1), -0.03), ((1, 2), 0.04), ((0, 2), -0.04), ((0, 0), 0.03), ((2, 2), -0.03)]
    for (k, m), s in shears:
        strain = np.zeros((3, 3))
        strain[k, m] = strain[m, k] = s
        structures.append(labelled(rattled(strained(cell, strain), 0.03, rng), calculator, "fcc_shear"))
    return structures


def _md_structures(atoms, calculator, rng, config_type, **md):
    return [labelled(snapshot, calculator, config_type) for snapshot in md_snapshots(atoms, calculator, rng, **md)]


def make_stillinger_weber_dataset(seed, *, r_in=DEFAULT_INNER, r_out=DEFAULT_OUTER, temperatures=(300, 1200, 2500),
                                  snapshots_per_temperature=12, interval=40, equilibration=200, repeat=2):
    """NVT MD snapshots of a diamond Si cell (8 repeat³ atoms, a = 5.43 Å) labelled by the Stillinger–Weber-like form
    of `symff.synthetic.angular_forms` (additive three-body terms, U(n) = n) × f_c, evaluated by symff's own
    calculator. ``config_type`` is ``md_<T>K``."""
    from symff.export.calculator import SymFFCalculator
    from symff.model import Model
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY

    rng = np.random.default_rng(seed)
    model = Model.from_expression(STILLINGER_WEBER_ENERGY, ("Si",), {"Si": 0.0}, r_in, r_out)
    calculator = SymFFCalculator(model, exact=True)
    cell = bulk("Si", "diamond", a=5.43, cubic=True).repeat(repeat)
    structures = []
    for temperature in temperatures:
        md = {"n_snapshots": snapshots_per_temperature, "interval": interval, "equilibration": equilibration}
        structures += _md_structures(cell, calculator, rng, f"md_{temperature:g}K", temperature_K=temperature, **md)
    return structures


def make_lj_dataset(seed, *, epsilon=0.4093, sigma=2.338, r_in=DEFAULT_INNER, r_out=DEFAULT_OUTER):
    """48 Cu structures labelled by Lennard-Jones × f_c (Halicioglu & Pound 1975 parameters by default).

    The fcc lattice constant is the equilibrium one of the potential with its cutoff (3.642 Å for the defaults), so
    the strains sample both sides of the minimum. Langevin MD adds thermal disorder: 300 K in a 108-atom cell,
    1500 K in 32 atoms, a 31-atom cell with a vacancy at 1000 K, and a liquid at 6000 K (above the LJ melting
    temperature, about 0.7 ε/k_B = 3300 K) in a cell expanded by 8 %, which samples short distances.
    """
    rng = np.random.default_rng(seed)
    calculator = LennardJonesCutoff(
        epsilon=epsilon, sigma=sigma, r_in=r_in, r_out=r_out, neighbour_list=fast_neighbour_list
    )
    a = equilibrium_lattice_constant(calculator, bounds=(1.2 * sigma, 1.9 * sigma))
    small, large = fcc_cell(a, 2), fcc_cell(a, 3)
    structures = _lattice_structures(a, calculator, rng)
    runs = [
        (large, "md_300K", {"temperature_K": 300, "n_snapshots": 8, "interval": 20, "equilibration": 40}),
        (small, "md_1500K", {"temperature_K": 1500, "n_snapshots": 10, "interval": 20, "equilibration": 40}),
        (
            with_vacancy(small, rng),
            "vacancy_md_1000K",
            {"temperature_K": 1000, "n_snapshots": 8, "interval": 20, "equilibration": 40},
        ),
        (
            strained(small, 0.08 * np.eye(3)),
            "liquid_6000K",
            {"temperature_K": 6000, "n_snapshots": 8, "interval": 25, "equilibration": 250},
        ),
    ]
    for atoms, config_type, md in runs:
        structures += _md_structures(atoms, calculator, rng, config_type, **md)
    return structures


def make_sutton_chen_dataset(
    seed,
    *,
    r_in=DEFAULT_INNER,
    r_out=DEFAULT_OUTER,
    temperatures=(300, 1600, 3800),
    snapshots_per_temperature=30,
    interval=50,
    equilibration=250,
    a=3.61,
):
    """NVT MD snapshots of a 32-atom fcc Cu cell labelled by Sutton-Chen × f_c, as in the POET paper.

    One Langevin run per temperature from the perfect 2×2×2 conventional cell of lattice constant ``a`` (fixed
    volume); ``equilibration`` steps of 2 fs, then a snapshot every ``interval`` steps (100 fs by default, about the
    velocity decorrelation time of Cu). ``config_type`` is ``md_<T>K``.
    """
    rng = np.random.default_rng(seed)
    calculator = SuttonChenCutoff(r_in=r_in, r_out=r_out, neighbour_list=fast_neighbour_list)
    cell = fcc_cell(a, 2)
    structures = []
    for temperature in temperatures:
        md = {"n_snapshots": snapshots_per_temperature, "interval": interval, "equilibration": equilibration}
        structures += _md_structures(cell, calculator, rng, f"md_{temperature:g}K", temperature_K=temperature, **md)
    return structures
