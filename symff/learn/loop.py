"""The active-learning loop and its run directory.

Iteration k (folder `RUN/iter-00k/`):

1. fit the form on every label so far (`train.extxyz`: the start structures and the labels of iterations < k) with
   `symff.fit.given_form.fit_form` (with `search` in the configuration: the default member of a search on it,
   `search/`, started from `form` and, for one element, the front of iteration k − 1), and make its ensemble: bootstrap refits (with
   `committee_forms`, of other front members too), calibrated on that data (`model.json` holds both);
2. stop if the label budget is spent or k = `iterations` (the last model is then fitted on every label);
3. run MD with the model (symff.learn.md: LAMMPS where the model exports, ASE otherwise) and score the candidate frames by committee disagreement (`candidates.extxyz`, info
   `disagreement` in eV/Å and `energy_disagreement` in eV/atom); stop if the largest force disagreement is under
   `threshold` (converged), or if MD gave no frame at all (every run ended before its first);
4. select a batch with the diversity rule (`strategy`: by disagreement, the variance-reduction design or at random;
   `selected.extxyz`; symff.learn.select) and label it with the oracle: each label is written
   at once (`labelled.extxyz`, info `selection_index`); a frame the oracle raises on is logged to `failed.jsonl`
   and skipped;
5. write `done.json`.

Every file is written whole and renamed into place, so a killed run leaves complete files only. Run again with the
same configuration, the loop skips what its files hold: finished iterations, a fitted model, the selection, frames
already labelled or failed. It labels nothing twice, and (each step being seeded: MD by (seed, k), bootstrap by
seed + k) it reaches the state an uninterrupted run reaches. `summary.json` records each iteration and why the loop
stopped: "converged", "budget", "iterations" or "no MD frames".
"""

import json
import os
import signal
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import sympy as sp
from ase.io import read, write

from ..checkpoint import CHECKPOINT_NAME, read_checkpoint
from ..data import Dataset, read_dataset
from ..data.read import read_structures
from ..errors import ConfigError, ModelError
from ..fit.given_form import checked_form, fit_form
from ..model import Model
from ..progress import SearchProgress, counted
from ..rundir import data_record, default_member, read_config, read_front, writing
from ..sanity import is_sane
from ..search.config import SearchConfig
from ..search.start_forms import resolve_start_forms
from ..search.state import SearchState
from ..uncertainty import Ensemble, bootstrap_ensemble, calibrate, committee
from ..workflow import search_to_run
from .md import md_candidates
from .oracle import label, oracle_factory
from .select import Committee, density, disagreement, select, variance_reduction

CONFIG_FILE = "config.json"
SEARCH_RUN = "search"  # an iteration's search run directory, with `search` in the configuration


def run_learning(config, out, *, report=print, progress=False, workers=1, scheduler=None):
    """Run (or resume) the loop of `config` in the directory `out`; returns the summary. `report` takes a line per
    step; with `progress`, a search (`search` in the configuration) shows its generations on stderr. The searches run
    on `workers` processes, or on the Dask cluster at `scheduler`, as `symff search`'s do (a search of a fixed number
    of generations makes the same front on any number of them)."""
    out = Path(out)
    # every input checked before the run directory is made
    if config.search is None and (workers != 1 or scheduler):
        raise ConfigError("workers (--workers) and a scheduler (--scheduler) share out the searches of `search`, and "
                          "this configuration has none: it refits `form`")
    parallel = {"workers": workers, "scheduler": scheduler}
    checked_form(config.form, config.start_values, "form")
    make_oracle = oracle_factory(config.oracle)
    start = read_dataset(config.start)
    if start.n_structures < 2:
        raise ConfigError(f"start: {start.n_structures} structure in {', '.join(config.start)}: give at least 2 "
                          "(the committee is made of bootstrap resamples)")
    md_starts = ([start.to_atoms(s) for s in range(start.n_structures)] if not config.md_start
                 else read_structures(config.md_start))
    _prepare(out, config)
    with writing(out):  # a second loop on RUN is refused while this one runs
        return _iterations(out, config, start, md_starts, make_oracle, report, progress, parallel)


def _iterations(out, config, start, md_starts, make_oracle, report, progress, parallel):
    """The loop's iterations in `out` (see the module's docstring); returns the summary."""
    oracle = None
    labels = []  # Datasets of the labels of finished iterations
    iterations = []
    stop = None
    for k in range(config.iterations + 1):
        folder = out / f"iter-{k:03d}"
        folder.mkdir(exist_ok=True)
        train = Dataset.concatenate([start, *labels])
        model = _fitted(folder, config, train, k, report, progress, parallel)
        used = sum(d.n_structures for d in labels)
        record = {"iteration": k, "train_structures": train.n_structures, "labels_used": used,
                  "errors": model.errors.get("train", {})}
        if used >= config.budget or k == config.iterations:
            stop = "budget" if used >= config.budget else "iterations"
            iterations.append(record)
            break
        selected, largest = _selection(folder, config, model, md_starts, k, report)
        record["largest_disagreement"] = largest
        if largest is None:  # every MD run ended before its first frame: nothing to judge or to label
            stop = "no MD frames"
            iterations.append(record)
            break
        if largest < config.threshold:
            stop = "converged"
            iterations.append(record)
            break
        if oracle is None:
            oracle = make_oracle()
        batch = selected[: config.budget - used]
        new = _labelled(folder, batch, oracle, k, report, config.oracle_timeout)
        if len(batch) >= 2 and not new and not labels:  # no label in the run: the oracle is at fault, not the frames
            failing = _oracle_failing(folder, k, len(batch))
            if failing:
                raise failing
        record["labelled"], record["failed"] = len(new), len(batch) - len(new)
        _write_json(folder / "done.json", record)
        iterations.append(record)
        if new:
            labels.append(Dataset.from_atoms(new, names=[f"{folder / 'labelled.extxyz'}:{i}" for i in range(len(new))],
                                             elements=start.elements))
    summary = {"stop": stop, "labels": sum(d.n_structures for d in labels), "iterations": iterations,
               "model": str(out / f"iter-{len(iterations) - 1:03d}" / "model.json")}
    _write_json(out / "summary.json", summary)
    report(f"stopped: {stop} after {counted(len(iterations), 'iteration')}, {counted(summary['labels'], 'label')}; "
           f"model {summary['model']}")
    return summary


def _prepare(out, config):
    settings = config.to_dict()
    if (out / CONFIG_FILE).is_file():
        if json.loads((out / CONFIG_FILE).read_text()) != settings:
            raise ConfigError(f"{out}: holds a run of another configuration: choose another --out to start anew")
        return
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out}: exists and is not an active-learning run: choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    _write_json(out / CONFIG_FILE, settings)


def _fitted(folder, config, train, k, report, progress=False, parallel=None):
    """The model of iteration k with its ensemble: read from model.json, or fitted and written there (a search's
    processes as `parallel` says: search_to_run's workers and scheduler)."""
    path = folder / "model.json"
    if path.is_file():
        return Model.load(path)
    _write_frames(folder / "train.extxyz", [train.to_atoms(s) for s in range(train.n_structures)])
    previous = folder.parent / f"iter-{k - 1:03d}" / "model.json"

    def fitted_form():
        start_values = dict(config.start_values)
        if k > 0 and previous.is_file() and config.search is None:  # the last fit's values of the same symbols
            start_values |= Model.load(previous).metadata.get("parameters") or {}
        return fit_form(config.form, train, starts=config.fit_starts, seed=config.seed + k, start_values=start_values,
                        r_in=config.r_in, r_out=config.r_out, source="form").model

    others = []  # the committee's other forms
    if config.search is None:
        model = fitted_form()
    else:
        model, others = _searched(folder, config, _start_forms(config, train, previous.parent, k), report,
                                  progress, parallel)
        if model is None:
            runs = " and runs in LAMMPS (md_engine: lammps)" if config.md_engine == "lammps" else ""
            report(f"{folder.name}: no member of the search's front is sane{runs}: the model is `form` fitted on the "
                   "same data")
            model = fitted_form()
    members = committee([model, *others], train, config.members, seed=config.seed + k) if others else \
        bootstrap_ensemble(model, train, config.members, seed=config.seed + k)
    ensemble = calibrate(model, members, train)
    ensemble.attach(model).save(path)
    errors = model.errors["train"]
    report(f"iteration {k}: fitted on {train.n_structures} structures: energy MAE {errors['energy_mae_mev']:.3g} "
           f"meV/atom, force MAE {errors['force_mae']:.3g} eV/Å")
    return model


def _start_forms(config, train, previous, k):
    """What an iteration's search starts from: `form` with its start values (1 where none is given) and, for one
    element, the front of iteration k − 1 (`previous`). A front of several elements holds a model per element, which
    no search of one energy for every atom can start from."""
    expr, symbols = checked_form(config.form, config.start_values, "form")
    form = expr.xreplace({s: sp.Float(float(config.start_values.get(s.name, 1.0))) for s in symbols})
    front = resolve_start_forms(previous / SEARCH_RUN) if k > 0 and len(train.elements) == 1 else []
    return [["`form`", str(form)], *front]


def _searched(folder, config, start_forms, report, progress=False, parallel=None):
    """(the model, [the committee's other forms]): the model a search on the iteration's train.extxyz gives by
    default (symff.rundir.default_member; where no member runs in LAMMPS, the most accurate sane one unless MD must
    run in LAMMPS; else None) and `committee_forms` other sane members, nearest to it in complexity. The search's run
    is `folder`/search; one killed after a generation goes on from its checkpoint."""
    run, train_file = folder / SEARCH_RUN, folder / "train.extxyz"
    if not _search_finished(run):
        train = read_dataset([train_file])  # as the run's config.json records it: `symff search --resume` reads it
        if (run / CHECKPOINT_NAME).is_file():  # killed: its settings and state as it left them
            state = SearchState.from_checkpoint(read_checkpoint(run))
            settings = SearchConfig.saved(read_config(run)["search"])
        else:
            state, settings = None, config.search_config(start_forms)
        report(f"{folder.name}: searching on {train.n_structures} structures ({run})")
        files = SimpleNamespace(data=[train_file], test=[], split_key=None, weight_key=None, test_fraction=None,
                                frames=":")
        with SearchProgress(settings, quiet=not progress) as shown:
            result, _ = search_to_run(settings, train, None, run, command=f"symff learn ({folder.name})",
                                      data=data_record(files, train, None), force=True, progress=shown, report=False,
                                      resume=state, **(parallel or {}))
        if result.stop_reason == "interrupted":  # a Ctrl-C the search took as its stop ends the loop (resumable)
            raise KeyboardInterrupt
    members = read_front(run)["members"]
    try:
        index = default_member(run, members)
    except ModelError:  # MD in ASE takes any sane member; `md_engine: lammps` only one LAMMPS runs
        sane = [m["index"] for m in members if is_sane(m) and config.md_engine != "lammps"]
        if not sane:
            return None, []
        index = sane[-1]
    model = Model.load(run / members[index]["model"])
    report(f"{folder.name}: searched ({len(members)} front members); member {index}: {model.energy_string(4)}")
    others = sorted((m for m in members if m["index"] != index and is_sane(m)),
                    key=lambda m: (abs(m["complexity"] - members[index]["complexity"]), m["index"]))
    return model, [Model.load(run / m["model"]) for m in others[:config.committee_forms]]


def _search_finished(run):
    """Whether an iteration's search ran to its end: a search stopped by Ctrl-C writes its front too (the front so
    far), and goes on from its checkpoint when the loop is resumed."""
    return (run / "front.json").is_file() and read_front(run).get("search", {}).get("stop_reason") != "interrupted"


def _selection(folder, config, model, md_starts, k, report):
    """(selected frames, largest disagreement): read back, or made by MD and written."""
    selection = folder / "selection.json"
    if selection.is_file():
        largest = json.loads(selection.read_text())["largest_disagreement"]
        chosen = folder / "selected.extxyz"
        selected = read(chosen, ":") if chosen.stat().st_size else []
        return selected, largest
    ensemble = Ensemble.of(model)
    rng = np.random.default_rng([config.seed, k])
    frames = md_candidates(model, md_starts, config, rng)
    committee = Committee.predict(ensemble, model, frames)
    scores, energy_scores = disagreement(committee)
    for frame, score, energy_score in zip(frames, scores, energy_scores):
        frame.info["disagreement"], frame.info["energy_disagreement"] = float(score), float(energy_score)
    if config.strategy == "variance_reduction":
        train = model.errors["train"]  # the noise of a label: what the form cannot fit (floored: a perfect fit)
        chosen = variance_reduction(frames, committee, config.batch, config.per_run, config.per_start,
                                    energy_noise=max(train["energy_rmse_mev"] / 1000, 1e-6),
                                    force_noise=max(train["force_rmse"], 1e-4))
    else:
        if config.strategy == "disagreement":
            ranking = {"force": scores, "energy": energy_scores}[config.rank_by]
            if config.density_weight:
                ranking = ranking * density(frames, config.r_out) ** config.density_weight
        else:  # the random baseline ranks by a random draw instead, under the same diversity rule
            ranking = rng.random(len(frames))
        chosen = select(frames, ranking, config.batch, config.per_run, config.per_start)
    selected = [frames[i] for i in chosen]
    for n, frame in enumerate(selected):
        frame.info["selection_index"] = n
    # none without frames: a disagreement of 0 would read as converged (MD that the model ends at once, e.g.
    # atoms closer than it allows, gives no frame)
    largest = float(scores.max()) if scores.size else None
    _write_frames(folder / "candidates.extxyz", frames)
    _write_frames(folder / "selected.extxyz", selected)
    _write_json(selection, {"candidates": len(frames), "selected": chosen, "largest_disagreement": largest})
    if largest is None:
        report(f"iteration {k}: MD gave no frames: every run ended before its first frame (the model refused its "
               "atoms' positions); the loop stops")
    else:
        report(f"iteration {k}: {len(frames)} MD frames, largest disagreement {largest:.3g} eV/Å, selected "
               f"{len(selected)}")
    # the oracle labels the positions as stored (extxyz rounds them), in a fresh run as in a resumed one
    return _selection(folder, config, model, md_starts, k, report)


def _labelled(folder, batch, oracle, k, report, timeout=0.0):
    """The oracle's labels of `batch`, those already in labelled.extxyz kept; failures logged and skipped."""
    path, failures = folder / "labelled.extxyz", folder / "failed.jsonl"
    done = read(path, ":") if path.is_file() and path.stat().st_size else []
    skip = {int(a.info["selection_index"]) for a in done} | _failed(failures)
    for frame in batch:
        index = int(frame.info["selection_index"])
        if index in skip:
            continue
        try:
            with time_limit(timeout):
                labelled = label(frame, oracle)
        except Exception as exc:  # noqa: BLE001 -- any oracle failure (DFT not converged, a crash, a timeout): log, skip, go on
            entry = {"iteration": k, "selection_index": index, "error": f"{type(exc).__name__}: {exc}",
                     "traceback": traceback.format_exc(limit=3)}
            with failures.open("a") as log:
                log.write(json.dumps(entry) + "\n")
            report(f"iteration {k}: the oracle failed on selected frame {index}: {entry['error']} (skipped)")
            continue
        labelled.info = dict(frame.info)
        done.append(labelled)
        _write_frames(path, done)
    report(f"iteration {k}: labelled {len(done)} of {len(batch)} selected frames")
    return done


def _oracle_failing(folder, k, tried):
    """The error that stops a loop whose oracle has failed on every frame it was given (a missing executable or
    potential file, a wrong setting): going on would run MD and fits for no label. Its failures move from
    failed.jsonl, whose frames are not tried again, to oracle-stopped.jsonl, so that the same command, run once the
    oracle is mended, labels them. None where the same frames stopped the loop before: then they are skipped as
    failed, so that frames that fail on their own do not stop the loop for ever."""
    failures, kept = folder / "failed.jsonl", folder / "oracle-stopped.jsonl"
    if _failed(failures) <= _failed(kept):  # they stopped the loop before and fail again: theirs, skipped as failed
        return None
    lines = failures.read_text().splitlines(keepends=True)
    with kept.open("a") as log:
        log.writelines(lines)
    failures.unlink()
    first = json.loads(lines[0])["error"] if lines else "no error recorded"
    return ConfigError(f"the oracle failed on every frame it was given ({tried} in iteration {k}; the first: {first}) "
                       "and has labelled none in this run: check it (its program, files and settings); mended outside "
                       "the configuration, the same command tries these frames again, and a changed configuration "
                       f"starts anew in another --out (the errors are in {kept})")


@contextmanager
def time_limit(seconds):
    """Raise TimeoutError in the block after `seconds` (0: no limit). A signal timer: the main thread of a Unix
    process only, where the command line runs; elsewhere the block runs without a limit."""
    usable = seconds > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise TimeoutError(f"the oracle took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _failed(failures):
    """Selection indices logged as failed (a line cut short by a kill is no record: that frame is tried again)."""
    indices = set()
    for line in failures.read_text().splitlines() if failures.is_file() else []:
        try:
            indices.add(json.loads(line)["selection_index"])
        except (json.JSONDecodeError, KeyError):
            continue
    return indices


def _write_frames(path, frames):
    temporary = path.with_name(path.name + ".tmp")
    if frames:
        write(temporary, frames, format="extxyz")
    else:
        temporary.write_text("")
    os.replace(temporary, path)


def _write_json(path, data):
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=1))
    os.replace(temporary, path)
