"""How much memory a data set needs, checked before any work starts (docs/robustness.md).

Nearly all of a search's memory is per *pair* of neighbours (a half list holds each unordered pair once). The pair count
is estimated without building the list: a periodic structure of N atoms in volume V has about N²/(2V) · (4/3)π r_c³
half pairs (599,428 against the real 601,935 on mlearn Cu train at 5 Å). Bytes per half pair, measured with
tracemalloc on a quarter of mlearn Cu train (150,000 pairs):

- ``NEIGHBOUR_BYTES`` = 56: the ``Neighbours`` arrays i, j, structure (int64), r (float64) and D (3 float64).
- ``EVALUATOR_BYTES`` = 140: an ``Evaluator``'s copies of those arrays (57) plus the peak of one interpolated
  evaluation (kernel buffers, basis).
- ``FIXED_TERM_BYTES`` = 12: the columns of fixed terms (NS(r), NS(1)) an ``Evaluator`` keeps between a fit's passes
  (a bound it keeps to, not a measurement: eight terms' energies, forces and stresses on mlearn Cu train).
- ``EXACT_BYTES`` = 220: the peak of one exact evaluation (per-pair g, g', cutoff and program temporaries; three
  densities), used for the errors of the final front.

A search holds the neighbour list and evaluator of the training set, those of the screening subset (a quarter of the
structures by default) and, at the end, an exact evaluator: ``SEARCH_BYTES_PER_PAIR`` in all, plus ``BASE_BYTES`` for
the interpreter and its libraries. ``check_memory`` refuses a data set whose estimate exceeds the available memory
(MemAvailable in /proc/meminfo, else the free physical pages) with a one-line ``DataError``; the environment variable
``SYMFF_MEMORY_LIMIT`` (bytes, with an optional K/M/G/T suffix, or ``off``) replaces the available memory.
"""

import math
import os

import numpy as np

from .errors import ConfigError, DataError

NEIGHBOUR_BYTES = 56
EVALUATOR_BYTES = 140
FIXED_TERM_BYTES = 12
EXACT_BYTES = 220
SCREEN_SHARE = 0.25
SEARCH_BYTES_PER_PAIR = int(NEIGHBOUR_BYTES + EVALUATOR_BYTES + FIXED_TERM_BYTES
                            + SCREEN_SHARE * (NEIGHBOUR_BYTES + EVALUATOR_BYTES + FIXED_TERM_BYTES)
                            + EXACT_BYTES)
BASE_BYTES = 300 * 2**20  # Python, numpy, numba, sympy, DEAP, ASE
LIMIT_VARIABLE = "SYMFF_MEMORY_LIMIT"
_SUFFIXES = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def estimated_pairs(dataset, cutoff: float) -> int:
    """About how many half pairs `dataset` has within `cutoff` Å (uniform density in each cell)."""
    if dataset.n_structures == 0:
        return 0
    n = dataset.atoms_per_structure.astype(float)
    volumes = dataset.volumes
    sphere = 4.0 / 3.0 * math.pi * float(cutoff) ** 3
    return int(np.ceil(np.sum(n * n / (2.0 * volumes) * sphere)))


def search_memory(dataset, cutoff: float) -> int:
    """Estimated peak bytes of a search over `dataset` at `cutoff`."""
    return BASE_BYTES + SEARCH_BYTES_PER_PAIR * estimated_pairs(dataset, cutoff)


def available_memory() -> int | None:
    """Bytes of memory this process can still get (None when the system does not say)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def memory_limit(environ=None) -> int | None:
    """The limit to check against: SYMFF_MEMORY_LIMIT if set ("off": None), else the available memory."""
    text = (os.environ if environ is None else environ).get(LIMIT_VARIABLE, "").strip()
    if not text:
        return available_memory()
    if text.lower() == "off":
        return None
    suffix = text[-1].upper()
    number, scale = (text[:-1], _SUFFIXES[suffix]) if suffix in _SUFFIXES else (text, 1)
    try:
        value = float(number) * scale
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{LIMIT_VARIABLE}={text}: give a number of bytes such as 8G or 500M, or 'off'")
    return int(value)


def check_memory(dataset, cutoff: float, limit: int | None = None):
    """Refuse `dataset` when a search at `cutoff` would need more than `limit` bytes (default: `memory_limit()`)."""
    limit = memory_limit() if limit is None else limit
    need = search_memory(dataset, cutoff)
    if limit is None or need <= limit:
        return need
    raise DataError(
        f"{dataset.n_structures} structures, {dataset.n_atoms} atoms: about {estimated_pairs(dataset, cutoff):,} "
        f"pairs within {float(cutoff):g} Å need about {_size(need)} ({SEARCH_BYTES_PER_PAIR} bytes per pair), more "
        f"than the {_size(limit)} available: use fewer structures (--frames) or a shorter --cutoff, or set "
        f"{LIMIT_VARIABLE} (e.g. {LIMIT_VARIABLE}=off) to try anyway"
    )


def _size(n_bytes: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes} B"
