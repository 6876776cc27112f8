"""Material properties of several potentials side by side, as the markdown table of docs/discovery.md.

    python benchmarks/validate_table.py "Mishin EAM=Cu_mishin1.eam.alloy" "GP1 refit=model.json" ...

Each argument is LABEL=MODEL with MODEL as for `symff validate` (a model file, a run directory, or an EAM file run
through LAMMPS). The last two columns are the Cu references of `symff.validate.references`.
"""

import argparse
import math
import sys

from symff.cli.validate import calculator_for, model_at
from symff.validate.properties import UNITS, material_properties
from symff.validate.references import references_for


def cell(value, reference=None):
    if value is None or not math.isfinite(value):
        return "∞" if value == math.inf else "–"
    text = f"{value:.4g}"
    if reference is not None:
        text += f" ({100 * (value - reference) / abs(reference):+.1f} %)"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", metavar="LABEL=MODEL")
    parser.add_argument("--element", default="Cu")
    args = parser.parse_args()
    references = references_for(args.element)
    dft = references.get("DFT", {}).get("values", {})
    columns = {}
    for item in args.models:
        label, _, path = item.partition("=")
        model = model_at(path, None, sys.stderr)  # stdout holds only the table
        calculator, symbol = calculator_for(argparse.Namespace(model=path, element=args.element), model)
        columns[label] = material_properties(calculator, symbol)
    labels = list(columns)
    print("| property | unit | " + " | ".join(labels) + " | " + " | ".join(references) + " |")
    print("|---" * (2 + len(labels) + len(references)) + "|")
    for name in columns[labels[0]]:  # the properties of the element's ground state, in validate's order
        unit = UNITS[name]
        values = [cell(float(columns[label][name]), dft.get(name)) for label in labels]
        refs = [cell(ref["values"][name]) if name in ref["values"] else "" for ref in references.values()]
        print(f"| {name} | {unit} | " + " | ".join(values) + " | " + " | ".join(refs) + " |")
    print("\nIn parentheses: relative error against the DFT reference. "
          + " ".join(f"{label}: {ref['source']}." for label, ref in references.items()))


if __name__ == "__main__":
    main()
