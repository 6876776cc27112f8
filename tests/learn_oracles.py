"""Oracles for tests/test_learn.py, importable by name as a configuration names them (this folder is on sys.path)."""

import json
import os
import time
from pathlib import Path

from ase.calculators.emt import EMT


class CountingEMT(EMT):
    """EMT that appends one line per labelled structure to `record` (a file: it counts across processes)."""

    def __init__(self, record, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.record, self.delay = Path(record), float(delay)

    def calculate(self, atoms=None, properties=("energy",), system_changes=("positions",)):
        super().calculate(atoms, properties, system_changes)
        with self.record.open("a") as log:
            log.write(json.dumps({"pid": os.getpid(), "n": len(self.atoms)}) + "\n")
        time.sleep(self.delay)


class FailsOnSecondEMT(EMT):
    """EMT that raises on the second structure it is asked about, as a DFT code that does not converge."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=("positions",)):
        if "positions" in system_changes or "numbers" in system_changes or "cell" in system_changes:
            self.seen += 1
        if self.seen == 2:
            raise RuntimeError("SCF did not converge")
        super().calculate(atoms, properties, system_changes)


class MissingWhileFlaggedEMT(EMT):
    """EMT that fails as a missing program does while the file `flag` exists (a fault outside the configuration)."""

    def __init__(self, flag, **kwargs):
        super().__init__(**kwargs)
        self.flag = Path(flag)

    def calculate(self, atoms=None, properties=("energy",), system_changes=("positions",)):
        if self.flag.exists():
            raise FileNotFoundError("vasp_std: command not found")
        super().calculate(atoms, properties, system_changes)
