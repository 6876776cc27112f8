"""Which angular functions a search's three-body sums had: counted over every distinct form the runs scored.

    python benchmarks/angular_functions.py RUN [RUN ...]     # run directories, e.g. those of rediscover.py --runs

Reads each run's checkpoint (its islands' caches of canonical forms, symff.search.state) and sorts the angular
function g of every NS3(f, g) into monomials (1, c, c^n), forms with a shifted factor (c + k), and exactly (c + k)^2,
the Stillinger-Weber shape. The last line sums the runs.
"""

import argparse
import collections
import re
from pathlib import Path

from symff.checkpoint import read_checkpoint

MONOMIAL = re.compile(r"c|1|Pow\(c,\d+\)")
SQUARE = re.compile(r"Pow\(Add\(C,(Mul\(-1,c\)|c)\),2\)")


def angular_functions(key):
    """The second arguments of the NS3(…) in a canonical form key, e.g. 'Pow(c,2)'."""
    found, i = [], 0
    while (i := key.find("NS3(", i)) >= 0:
        j, depth, start, arguments = i + 4, 1, i + 4, []
        while depth:
            depth += {"(": 1, ")": -1}.get(key[j], 0)
            if key[j] == "," and depth == 1:
                arguments.append(key[start:j])
                start = j + 1
            j += 1
        arguments.append(key[start:j - 1])
        found.append(arguments[1])
        i = j
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    total = collections.Counter()
    for run in parser.parse_args().runs:
        keys = [key for island in read_checkpoint(run)["islands"] for key, _ in island["cache"]]
        angles = [g for key in keys for g in angular_functions(key)]
        counts = {"forms": len(keys), "with NS3": sum("NS3(" in key for key in keys), "angular functions": len(angles),
                  "monomials": sum(bool(MONOMIAL.fullmatch(g)) for g in angles),
                  "shifted (c + k)": sum("Add(C," in g for g in angles),
                  "exactly (c + k)^2": sum(bool(SQUARE.fullmatch(g)) for g in angles)}
        total.update(counts)
        print(f"{run}: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    print("all: " + ", ".join(f"{v} {k}" for k, v in total.items()))


if __name__ == "__main__":
    main()
