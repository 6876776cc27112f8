"""The run directory a search writes, and reading it back.

    RUN/config.json     the search settings, the data, the command line, the workers and the symff version
    RUN/checkpoint.pkl  the search's state after its last complete generation (symff.checkpoint)
    RUN/front.json      the front: one entry per member (complexity, loss, formula, errors, sanity, LAMMPS form,
                        model file)
    RUN/front.txt       the front as a table of plain-text formulas
    RUN/front.tex       the front's formulas in LaTeX
    RUN/models/K.json   one model file per front member, K = 0 for the simplest
    RUN/history.jsonl   one line per generation (symff.progress)

Every JSON file here is written atomically and carries a checksum (`symff.integrity`): a truncated or altered
front.json or model file is reported as such when it is read, never half-read.

The *default member* of a run (`default_member`: what `symff evaluate/export/validate RUN` use without --index) is
the most accurate member that is physically sane (symff.sanity), runs in LAMMPS (its LAMMPS form, symff.export.form,
is not `symff only`) and has complexity <= DEFAULT_MAX_COMPLEXITY.
"""

import contextlib
import os
from pathlib import Path

from . import __version__
from .checkpoint import CHECKPOINT_NAME, PREVIOUS_NAME
from .environment import versions
from .errors import ConfigError, ModelError
from .export.form import SYMFF_ONLY, lammps_form
from .integrity import IntegrityError, atomic_write_text, read_json_checked, write_json_checked
from .model import Model
from .sanity import is_sane

RUN_FORMAT = "symff-run/1"
HISTORY_FILE = "history.jsonl"
EARLIER_RUN_FILES = (CHECKPOINT_NAME, PREVIOUS_NAME, "front.json", "front.txt", "front.tex", HISTORY_FILE)
DEFAULT_MAX_COMPLEXITY = 40
DEFAULT_RULE = f"the most accurate member that is sane, LAMMPS-runnable and of complexity <= {DEFAULT_MAX_COMPLEXITY}"


def check_run_directory(path, force=False):
    """Refuse RUN where it is not a directory, or not empty without `force`, so no earlier result is overwritten."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{path}: exists and is not a directory")
    if path.exists() and any(path.iterdir()) and not force:
        raise ConfigError(f"{path}: the run directory exists and is not empty; choose another --out or pass --force")
    if force and any((path / "models").glob("*.json")) and not (path / "config.json").is_file():
        # --force removes an earlier run's model files; these are no run's (the user's own, say): keep them
        raise ConfigError(f"{path / 'models'}: holds model files but {path} is no symff run (no config.json), so "
                          "--force would delete them; choose another --out")
    return path


@contextlib.contextmanager
def writing(path):
    """RUN held by this process while it writes there: another symff process that would write the same run directory
    (a --resume started twice, --force into a run still going, a second `symff learn` on it) is refused, instead of
    the two mixing their checkpoints and fronts. The lock is the directory's own (flock), so nothing is left behind,
    and it goes when the process ends, however it ends."""
    try:
        import fcntl
    except ImportError:  # not on this platform (Windows): unguarded
        yield
        return
    handle = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConfigError(f"{path}: another symff process is writing this run directory; wait until it ends, or "
                              "choose another --out") from None
        except OSError:  # a file system without such locks (NFS refuses them on a directory): unguarded, as before
            pass
        yield
    finally:
        os.close(handle)


def prepare_run_directory(path, force=False):
    """Create RUN after `check_run_directory`; with `force`, an earlier run's results there are removed first: its
    checkpoint, resumed beside the new run's config.json, went on with the earlier run's population on the new data,
    and its front and report stood as the new run's until that one ended."""
    path = check_run_directory(path, force)
    for name in EARLIER_RUN_FILES:
        (path / name).unlink(missing_ok=True)
    for earlier in [*(path / "models").glob("*.json"), *(path / "report").glob("*.png")]:
        earlier.unlink()
    (path / "report" / "index.html").unlink(missing_ok=True)  # the earlier run's report, until the new one's
    (path / "models").mkdir(parents=True, exist_ok=True)
    return path


def data_record(args, train, test) -> dict:
    """The `data` section of a run's config.json (`args`: symff search's data options: data, test, split_key,
    weight_key, test_fraction, frames): what symff.cli.common.read_saved_data needs to read the same sets again
    (absolute paths: a run is resumed or reported from any directory)."""
    return {"train": _absolute(args.data), "test": _absolute(args.test or []), "split_key": args.split_key,
            "weight_key": args.weight_key, "test_fraction": args.test_fraction, "index": args.frames,
            "train_structures": train.n_structures, "test_structures": test.n_structures if test else 0,
            "train_fingerprint": train.fingerprint, "test_fingerprint": test.fingerprint if test else None}


def _absolute(paths):
    return [str(Path(p).resolve()) for p in paths]


def write_config(path, config, data, command, parallel=None):
    write_json_checked(Path(path) / "config.json", {
        "format": RUN_FORMAT, "symff_version": __version__, "command": command, "data": data,
        "search": config.to_dict(), "parallel": parallel or {}, "environment": versions(),
    })


def read_config(path):
    """RUN/config.json as written by `write_config`."""
    return _read_run_file(path, "config.json", ConfigError)


def optional_config(path):
    """RUN/config.json as `read_config` reads it, for what can do without it (the report, `SymFF.from_run`): (the
    settings, None), or ({}, what is wrong with it, one line) where it is missing or cannot be read."""
    try:
        return read_config(path), None
    except (ConfigError, IntegrityError) as exc:
        return {}, str(exc)


def _read_run_file(path, name, error):
    """A checked JSON file of the run directory `path`; problems are raised as `error` (one line)."""
    file = Path(path) / name
    if Path(path).exists() and not Path(path).is_dir():
        raise error(f"{path}: not a run directory (a file)")
    try:
        data = read_json_checked(file)
    except FileNotFoundError:
        if not Path(path).exists():
            raise error(f"{path}: no such run directory") from None
        raise error(f"{path}: not a run directory (no {name})") from None
    except OSError as exc:
        raise error(f"{file}: unreadable: {exc}") from None
    if data.get("format") != RUN_FORMAT:
        raise error(f"{file}: not a symff run (expected \"format\": \"{RUN_FORMAT}\")")
    return data


def write_front(path, models, search_summary):
    path = Path(path)
    for stale in (path / "models").glob("*.json"):
        stale.unlink()
    members, equations = [], []
    for k, model in enumerate(models):
        equations.append(model.latex_equation())
        model.save(path / "models" / f"{k}.json")
        form, reason = lammps_form(model)
        members.append({
            "index": k,
            # the search's complexity axis: a model of several elements is ranked by its element-blind form's
            "complexity": model.metadata.get("form_complexity", model.complexity),
            "loss": model.metadata.get("loss"),
            "energy": model.energy_string(),
            "formula": model.energy_string(6),
            "latex": model.latex(),
            "errors": model.errors,
            "sane": is_sane(model),
            "flags": model.metadata.get("sanity", {}).get("flags", []),
            "lammps": form,
            "lammps_reason": reason,
            "model": f"models/{k}.json",
            **({"properties": _property_summary(model.metadata["properties"])}
               if "properties" in model.metadata else {}),
        })
    write_json_checked(path / "front.json", {"format": RUN_FORMAT, "symff_version": __version__, "members": members,
                                             "search": search_summary})
    atomic_write_text(path / "front.txt", front_table(members) + "\n")
    tex = [f"% symff front, {len(members)} members"]
    tex += [f"% {m['index']}: complexity {m['complexity']}\n{equation}" for m, equation in zip(members, equations)]
    atomic_write_text(path / "front.tex", "\n".join(tex) + "\n")


def _property_summary(properties):
    """What front.json and `symff show` keep of a member's property tiers (the model file keeps the values)."""
    return {k: properties.get(k) for k in ("data_loss", "property_loss", "tier", "final", "worst_deviation", "met")}


def read_front(path):
    return _read_run_file(path, "front.json", ModelError)


def mark_lammps_forms(run):
    """Re-mark every member of the run's front.json (and front.txt) with the LAMMPS form that this version's exporter
    gives its model file (the exporter grows: a form once `symff only` may run in LAMMPS now); nothing else changes.
    Returns the members whose mark changed, as (index, old form, new form)."""
    path = Path(run)
    front = read_front(path)
    changed = []
    for m in front["members"]:
        form, reason = lammps_form(Model.load(path / m["model"]))
        if (m.get("lammps"), m.get("lammps_reason", "")) != (form, reason):
            changed.append((m["index"], m.get("lammps"), form))
        m["lammps"], m["lammps_reason"] = form, reason
    write_json_checked(path / "front.json", front)
    atomic_write_text(path / "front.txt", front_table(front["members"]) + "\n")
    return changed


def member_lammps_form(run, member):
    """(LAMMPS form, reason) of a front.json member; decided from its model file for fronts written before
    front.json recorded it."""
    if "lammps" in member:
        return member["lammps"], member.get("lammps_reason", "")
    return lammps_form(Model.load(Path(run) / member["model"]))


def default_member(run, members=None):
    """Index of the run's default member: the most accurate (the last) that is sane, LAMMPS-runnable and of
    complexity <= DEFAULT_MAX_COMPLEXITY. ModelError, saying how many members fail each condition, if none is."""
    members = read_front(run)["members"] if members is None else members
    if not members:
        raise ModelError(f"{run}: the front is empty")
    failing = {"not sane": 0, "symff only": 0, f"complexity > {DEFAULT_MAX_COMPLEXITY}": 0}
    for m in reversed(members):
        fails = [not is_sane(m), member_lammps_form(run, m)[0] == SYMFF_ONLY, m["complexity"] > DEFAULT_MAX_COMPLEXITY]
        if not any(fails):
            return m["index"]
        for name, failed in zip(failing, fails):
            failing[name] += failed
    counts = ", ".join(f"{n} {name}" for name, n in failing.items() if n)
    raise ModelError(f"{run}: no front member is {DEFAULT_RULE.removeprefix('the most accurate member that is ')} "
                     f"({counts}; see front.json \"flags\" and \"lammps_reason\"); choose one with --index K")


def load_run_model(path, index=None, *, sane_only=True):
    """Front member `index` of the run at `path` (negative: counted from the most accurate, -1). None selects the
    default member (`default_member`); with `sane_only` False, the most accurate member of all."""
    members = read_front(path)["members"]
    if not members:
        raise ModelError(f"{path}: the front is empty")
    if index is None:
        index = default_member(path, members) if sane_only else members[-1]["index"]
    n = len(members)
    if not -n <= index < n:
        raise ModelError(f"{path}: no front member {index} (the front has {n}: 0..{n - 1}, or -{n}..-1 from the end)")
    return Model.load(Path(path) / members[index % n]["model"])  # -1: the most accurate, as in the Python API


def front_table(members):
    with_properties = any("properties" in m for m in members)
    rows = [("K", "complexity", "train E MAE", "train F MAE", "test E MAE", "test F MAE", "sane", "LAMMPS",
             *(("prop loss", "worst dev") if with_properties else ()), "formula")]
    reasons = []
    for m in members:
        train, test = m["errors"].get("train", {}), m["errors"].get("test", {})
        form = m.get("lammps", "-")
        if m.get("lammps_reason"):
            reasons.append(f"K {m['index']}: symff only: {m['lammps_reason']}")
        rows.append((
            str(m["index"]), str(m["complexity"]),
            _fmt(train.get("energy_mae_mev")), _fmt(train.get("force_mae")),
            _fmt(test.get("energy_mae_mev")), _fmt(test.get("force_mae")),
            "yes" if is_sane(m) else "no: " + ",".join(m.get("flags", [])),
            form, *(_property_cells(m.get("properties")) if with_properties else ()), m["formula"],
        ))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]) - 1)]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(r[:-1], widths)) + "  " + r[-1] for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    legend = "; prop loss *: before the last property tier" if with_properties else ""
    return "\n".join([*lines, *reasons]) + ("\n(energy errors in meV/atom, force errors in eV/Å; sane: symff.sanity "
                                            f"checks; LAMMPS: the pair style `symff export` writes{legend})")


def _property_cells(properties):
    """(property loss, worst |deviation|) of a member; '*' marks a member scored before the last tier its targets
    have (after the static tier only, or with unrelaxed defect energies: symff.search.properties; a run from before
    `final` was recorded: every tier short of relaxed)."""
    if not properties:
        return ("-", "-")
    mark = "" if properties.get("final", properties.get("tier") == "relaxed") else "*"
    return (_fmt(properties.get("property_loss")) + mark, _fmt(properties.get("worst_deviation")) + mark)


def _fmt(x):
    return "-" if x is None else f"{x:.4g}"
