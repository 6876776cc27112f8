"""Files that survive a crash whole, and JSON documents that carry their own checksum.

Two ideas, usable by any module that writes into a run directory (model files, front.json, checkpoints):

- *Atomic write*: the bytes go to a temporary file in the same directory, which is flushed and fsync'ed and then
  renamed over the target (``os.replace`` is atomic on POSIX and Windows). A reader sees the old file or the new one,
  never half of one; a crash leaves at most a stray ``.NAME.*.tmp`` file.
- *Checksummed JSON*: ``dumps_checked`` adds a top-level ``"checksum": "sha256:<hex>"`` computed over the document's
  canonical JSON (sorted keys, no whitespace, the checksum field left out), so it does not depend on indentation.
  ``loads_checked`` recomputes it and raises ``IntegrityError`` when the file was truncated, corrupted or edited. A
  document without a checksum (written by hand, or by an older symff) is accepted as it is: ``required=True`` refuses
  it instead (a checkpoint, which only symff writes, should require one).
"""

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path

from .errors import SymffError

CHECKSUM_KEY = "checksum"
ALGORITHM = "sha256"


class IntegrityError(SymffError):
    """A file symff wrote is truncated, corrupted or altered (its checksum does not match)."""


def atomic_write_bytes(path, data: bytes):
    """Write `data` to `path` so that `path` holds either its old content or all of `data`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


def atomic_write_text(path, text: str):
    return atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def finite_json(obj):
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def checksum(document: dict) -> str:
    """"sha256:<hex>" of the canonical JSON of `document` without its checksum field."""
    body = {k: v for k, v in document.items() if k != CHECKSUM_KEY}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return f"{ALGORITHM}:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def dumps_checked(document: dict) -> str:
    """`document` (non-finite floats as null) as indented JSON text with its checksum as the last field."""
    body = finite_json({k: v for k, v in document.items() if k != CHECKSUM_KEY})
    return json.dumps(body | {CHECKSUM_KEY: checksum(body)}, indent=2, allow_nan=False) + "\n"


def write_json_checked(path, document: dict):
    """Write `document` atomically with an embedded checksum."""
    return atomic_write_text(path, dumps_checked(document))


def loads_checked(text: str, source, required=False) -> dict:
    """The JSON document in `text`, its checksum verified; `source` names the file in messages.

    Raises IntegrityError (one line) for text that is not a JSON object, a checksum that does not match, or, with
    `required`, no checksum. The checksum field is removed from the result.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise IntegrityError(f"{source}: corrupt or truncated JSON ({exc}): restore the file or write it again") from None
    if not isinstance(document, dict):
        raise IntegrityError(f"{source}: not a JSON object: restore the file or write it again")
    stored = document.pop(CHECKSUM_KEY, None)
    if stored is None:
        if required:
            raise IntegrityError(f"{source}: no checksum: the file was not written by symff; write it again")
        return document
    if stored != checksum(document):
        raise IntegrityError(f"{source}: checksum mismatch: the file is corrupted or was edited; restore it or "
                             "write it again (to keep a deliberate edit, delete its \"checksum\" line)")
    return document


def read_json_checked(path, required=False) -> dict:
    """Read and verify a JSON document written by `write_json_checked` (FileNotFoundError propagates)."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntegrityError(f"{path}: corrupt: not UTF-8 text ({exc.reason}): restore the file or write it again") \
            from None
    return loads_checked(text, path, required=required)
