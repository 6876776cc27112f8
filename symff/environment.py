"""The versions of Python and of the libraries a result depends on, recorded beside it.

A fit's path through its local minima depends on floating-point details below symff (the libraries' algorithms and
the instructions numba compiles for the processor): the same code fitted POET's GP1 form on mlearn Cu to a loss of
40.0092 on 2026-11-30 and to 40.4876 on the machine and installation of 2026-12-06 (docs/performance.md). So a run
directory's config.json records these versions and the processor, `symff search --resume` says where they changed,
and the benchmarks print them beside their figures.
"""

import importlib.metadata
import platform
from pathlib import Path

# the distributions whose numbers reach a fit, a search or an exported model
LIBRARIES = ("numpy", "scipy", "sympy", "numba", "llvmlite", "deap", "ase")


def versions():
    """{"python": version, library: version or "missing", "processor": model} for the interpreter, LIBRARIES and
    the processor numba compiles for."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = "missing"
    found["processor"] = _processor()
    return found


def _processor():
    """The processor's model name (Linux: /proc/cpuinfo), else its architecture."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.machine() or "unknown"


def describe():
    """One line: "python 3.11.9, numpy 2.4.6, ..., processor ..." of this installation."""
    return ", ".join(f"{name} {version}" for name, version in versions().items())


def changed_versions(recorded):
    """["numpy 2.3.1 → 2.4.6", ...]: the entries of `recorded` (a `versions()` dict kept with a result) that differ
    from this installation's; empty where they agree or nothing was recorded."""
    current = versions()
    return [f"{name} {version} → {current.get(name, 'missing')}" for name, version in (recorded or {}).items()
            if current.get(name, "missing") != version]
