"""The checkpoint file: a search's complete state, written after every generation, from which it resumes exactly.

This module is the file format only. What the state is (a `symff.search.state.SearchState`: the islands' populations
as text, random generators, caches, archives, histories and the generation) is the search's business; it hands this
module plain data (`SearchState.to_checkpoint()`) and takes it back (`SearchState.from_checkpoint`).

Candidates (canonical sympy formulas with their fits) are kept as Python objects, so the checkpoint file is a pickle:
read it only from run directories you trust, as any pickle. It is written atomically (temporary file, fsync, rename),
so a kill at any moment leaves the last complete checkpoint in place. Its first line holds a sha256 checksum of the
rest, so a truncated or corrupted file is detected before it is unpickled; the previous checkpoint is kept beside it
(checkpoint.prev.pkl) and is used, with a warning, when the newest one is bad.
"""

import hashlib
import os
import pickle
import warnings
from pathlib import Path

from .errors import ConfigError, SymffWarning
from .integrity import atomic_write_bytes

CHECKPOINT_FORMAT = "symff-checkpoint/1"
CHECKPOINT_NAME = "checkpoint.pkl"
PREVIOUS_NAME = "checkpoint.prev.pkl"


# --- the checkpoint file ------------------------------------------------------------------------------------------
def write_checkpoint(run, state):
    """Write RUN/checkpoint.pkl atomically, keeping the one before as RUN/checkpoint.prev.pkl. `state`: config (dict),
    generation, elapsed, history, islands (records). Returns the size in bytes."""
    data = pickle.dumps({"format": CHECKPOINT_FORMAT} | state, protocol=pickle.HIGHEST_PROTOCOL)
    header = f"{CHECKPOINT_FORMAT} sha256:{hashlib.sha256(data).hexdigest()}\n".encode()
    run = Path(run)
    if (run / CHECKPOINT_NAME).exists():
        _keep_previous(run / CHECKPOINT_NAME, run / PREVIOUS_NAME)
    atomic_write_bytes(run / CHECKPOINT_NAME, header + data)
    return len(header) + len(data)


def _keep_previous(current, previous):
    """Make `previous` a second name of `current` (a hard link, renamed into place), so that `current` is never
    missing: a reader of a live run (`symff show`, a resume after a kill at any moment) always finds the newest whole
    checkpoint, and its own replacement by atomic_write_bytes leaves `previous` on the old content. Where hard links
    are not supported, a copy."""
    link = previous.with_name(f".{previous.name}.link")
    link.unlink(missing_ok=True)
    try:
        os.link(current, link)
    except OSError:
        atomic_write_bytes(previous, current.read_bytes())
        return
    os.replace(link, previous)


def read_checkpoint(run):
    """The newest good checkpoint of RUN: checkpoint.pkl, or checkpoint.prev.pkl (with a warning) if that is bad."""
    run = Path(run)
    problems = []
    for name in (CHECKPOINT_NAME, PREVIOUS_NAME):
        try:
            state = _load(run / name)
        except ConfigError as problem:
            problems.append(str(problem))
            continue
        if problems:
            warnings.warn(f"{problems[0]}; resuming from the previous checkpoint {run / name} instead", SymffWarning,
                          stacklevel=2)
        return state
    if all("is missing" in p for p in problems):
        raise ConfigError(f"{run}: no checkpoint to resume from ({CHECKPOINT_NAME} is missing)")
    raise ConfigError(" and ".join(p for p in problems if "is missing" not in p) + ": no good checkpoint to resume from")


def _load(path):
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: is missing") from None
    except OSError as exc:
        raise ConfigError(f"{path}: unreadable checkpoint: {exc}") from None
    header, _, data = content.partition(b"\n")
    parts = header.decode("ascii", "replace").split(" sha256:")
    if len(parts) != 2 or parts[0] != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path}: not a symff checkpoint (expected format {CHECKPOINT_FORMAT})")
    if hashlib.sha256(data).hexdigest() != parts[1]:
        raise ConfigError(f"{path}: checksum mismatch: the checkpoint is truncated or corrupted")
    try:
        state = pickle.loads(data)
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable checkpoint: {exc}") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ConfigError(f"{path}: not a symff checkpoint (expected format {CHECKPOINT_FORMAT})")
    return state
