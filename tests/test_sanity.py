"""Physical sanity checks (symff.sanity): the known potentials pass, formulas without a wall or finite limits fail,
and a run directory's model selection skips flagged members."""

import json

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from symff.model import Model
from symff.rediscover import LJ_EPSILON, LJ_SIGMA, SC_A, SC_C, SC_EPSILON, lennard_jones_form, sutton_chen_form
from symff.rundir import load_run_model, write_front
from symff.sanity import CLUSTERS, ClusterEnergy, atom_classes, is_sane, sanity_report
from symff.synthetic.calculators import LennardJonesCutoff, SuttonChenCutoff

GP1 = "NS(r**(10.21 - 5.47*r) - 0.21**r) + 0.97/NS(0.33**r)"  # POET's GP1: no wall, infinite for a lone atom


def model(text):
    return Model.from_expression(text, ("Cu",), {"Cu": 0.0})


@pytest.mark.parametrize("text", [lennard_jones_form(LJ_EPSILON, LJ_SIGMA), sutton_chen_form(SC_EPSILON, SC_A, SC_C),
                                  "NS(0.5**r)"])
def test_physical_potentials_are_sane(text):
    report = sanity_report(model(text))
    assert report["sane"], report
    assert report["flags"] == [] and set(report["checks"]) == {"dimer_wall", "fcc_wall", "isolated_atom", "clusters"}
    json.dumps(report)  # stored in model files


def test_gp1_is_flagged():
    report = sanity_report(model(GP1))
    assert not report["sane"]
    assert {"dimer_wall", "isolated_atom", "clusters"} <= set(report["flags"])


def test_attraction_without_wall_is_flagged():
    assert set(sanity_report(model("NS(-r**-6)"))["flags"]) == {"dimer_wall", "fcc_wall"}


def test_a_kink_is_not_smooth():
    report = sanity_report(model("NS(Abs(r - 2.5)) + NS(r**-12)"))
    assert "clusters" in report["flags"]


def test_a_steep_smooth_energy_is_continuous_where_its_last_pair_leaves():
    """The Stillinger–Weber-like form: its icosahedron, scaled until the farthest pair leaves the cutoff, is steep
    there (~-370 eV/Å, from the nearest pairs deep in the wall), but smooth: sane."""
    from symff.synthetic.angular_forms import STILLINGER_WEBER_ENERGY

    sw = Model.from_expression(STILLINGER_WEBER_ENERGY, ("Si",), {"Si": 0.0})
    report = sanity_report(sw)
    assert report["checks"]["clusters"]["passed"], report


def test_a_force_that_diverges_where_the_density_vanishes_is_flagged():
    # the dimer's density vanishes like (r_out - r)**2 where its pair leaves: its cube root has an infinite slope
    report = sanity_report(model("NS(r**-6)**(1/3) + NS(r**-12)"))
    assert "clusters" in report["flags"]
    assert "where its last pair leaves the cutoff" in report["checks"]["clusters"]["detail"]


@pytest.mark.parametrize("make, calculator", [
    (lambda: model(sutton_chen_form(SC_EPSILON, SC_A, SC_C)), SuttonChenCutoff()),
    (lambda: model(lennard_jones_form(LJ_EPSILON, LJ_SIGMA)), LennardJonesCutoff(epsilon=LJ_EPSILON, sigma=LJ_SIGMA)),
])
def test_cluster_and_lattice_energies_match_the_reference_calculators(make, calculator):
    energy = ClusterEnergy(make())
    atoms = Atoms("Cu3", positions=[[0, 0, 0], [2.4, 0, 0], [1.0, 2.1, 0.3]])
    atoms.calc = calculator
    nearest = min(atoms.get_distance(i, j) for i in range(3) for j in range(i))
    got, _ = energy.cluster(atoms.positions, [nearest])
    assert got[0] == pytest.approx(atoms.get_potential_energy(), rel=1e-10)
    fcc = bulk("Cu", "fcc", a=3.6)
    fcc.calc = calculator
    assert energy.fcc([3.6 / np.sqrt(2)])[0] == pytest.approx(fcc.get_potential_energy(), rel=1e-10)


def test_atoms_of_a_cluster_fall_into_the_classes_its_symmetry_makes():
    classes = {name: [(int(a), size) for a, size in zip(*atom_classes(unit))] for name, unit in CLUSTERS.items()}
    assert classes == {"dimer": [(0, 2)], "trimer": [(0, 3)], "linear trimer": [(0, 2), (1, 1)],
                       "tetrahedron": [(0, 4)], "octahedron": [(0, 6)], "icosahedron": [(0, 1), (1, 12)]}
    # one atom of another element (the first: an end of the linear trimer, a vertex of the octahedron) splits them
    mixed = {name: sorted(size for size in atom_classes(unit, ("B",) + ("A",) * (len(unit) - 1))[1])
             for name, unit in CLUSTERS.items()}
    assert mixed == {"dimer": [1, 1], "trimer": [1, 2], "linear trimer": [1, 1, 1], "tetrahedron": [1, 3],
                     "octahedron": [1, 1, 4], "icosahedron": [1, 12]}


@pytest.mark.parametrize("make, calculator", [
    (lambda: model(sutton_chen_form(SC_EPSILON, SC_A, SC_C)), SuttonChenCutoff()),
    (lambda: model(lennard_jones_form(LJ_EPSILON, LJ_SIGMA)), LennardJonesCutoff(epsilon=LJ_EPSILON, sigma=LJ_SIGMA)),
])
def test_each_cluster_from_one_atom_of_each_class_is_the_calculators_whole_cluster(make, calculator):
    """The clusters check evaluates one atom of each class: the cluster's energy and its rate along the scaling
    (dE/ds = -Σ_i F_i·x_i / s) are still those of every atom, by an independent calculator."""
    energy = ClusterEnergy(make())
    scales = np.array([2.2, 2.6, 3.1])
    for name, unit in CLUSTERS.items():
        got, rate = energy.cluster(unit, scales)
        d = np.linalg.norm(unit[:, None] - unit[None], axis=-1)
        for s, e, de_ds in zip(scales, got, rate):
            atoms = Atoms(f"Cu{len(unit)}", positions=unit / d[d > 0].min() * s)
            atoms.calc = calculator
            assert e == pytest.approx(atoms.get_potential_energy(), rel=1e-10, abs=1e-12), name
            expected = -np.sum(atoms.get_forces() * atoms.positions) / s
            assert de_ds == pytest.approx(expected, rel=1e-8, abs=1e-10), name


def test_selection_skips_flagged_members(tmp_path):
    good, bad = model(lennard_jones_form(LJ_EPSILON, LJ_SIGMA)), model(GP1)
    for m in (good, bad):
        m.errors = {"train": {"energy_mae_mev": 1.0, "force_mae": 0.1}}
        m.metadata["sanity"] = sanity_report(m)
    write_front(tmp_path, [good, bad], {})
    front = json.loads((tmp_path / "front.json").read_text())["members"]
    assert [m["sane"] for m in front] == [True, False] and "isolated_atom" in front[1]["flags"]
    assert load_run_model(tmp_path).complexity == good.complexity
    assert load_run_model(tmp_path, sane_only=False).complexity == bad.complexity
    assert load_run_model(tmp_path, 1).complexity == bad.complexity
    assert is_sane(Model.load(tmp_path / "models" / "0.json")) and not is_sane(Model.load(tmp_path / "models/1.json"))
