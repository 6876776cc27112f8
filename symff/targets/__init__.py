"""Property targets: what a potential should predict, per element, each with a value, a tolerance and a weight.

A *targets file* (YAML, schema in docs/file-formats.md) lists for each element the material properties of
`symff.validate.properties` (names and units as `symff validate` prints them: a0, C11, E_vac, gamma_111, ...):

    format: symff-targets/1
    source: "DFT (PBE), ..."
    elements:
      Cu:
        C11: {value: 176.19, tolerance: 5%}                         # relative tolerance
        dE_bcc_fcc: {value: 36.04, tolerance: 10, weight: 2}        # absolute, in the property's unit
        gamma_111: {value: 82.32, unit: meV/Å², tolerance: 10%}     # converted to symff's unit (J/m²)

A property's *deviation* is (predicted − value)/tolerance: within tolerance when |deviation| ≤ 1. The *property
loss* of a set of predictions is the weighted mean of the squared deviations (1 when every property sits at its tolerance);
a prediction that is missing or not finite counts as a deviation of MISSING_DEVIATION.

Shipped files (package data, `shipped_targets(name)`): `Cu-PBE.yaml`, the POET paper's 0 K DFT table;
`{Ni,Mo,Li,Si,Ge}-PBE.yaml`, what the mlearn DFT data's elastic strain series imply (`symff.targets.derive`).
"""

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import TargetsError
from ..validate.properties import J_PER_M2, UNITS, facet_of, unit_of
from ..yamlfile import read_yaml

FORMAT = "symff-targets/1"
MISSING_DEVIATION = 1e3
# factor from a unit a targets file may use to symff's unit of the property
CONVERSIONS = {
    "J/m²": {"meV/Å²": 1e-3 / J_PER_M2, "eV/Å²": 1 / J_PER_M2, "mJ/m²": 1e-3},
    "meV/atom": {"eV/atom": 1e3},
    "eV": {"meV": 1e-3},
    "GPa": {"Mbar": 100.0},
}
ENTRY_KEYS = {"value", "tolerance", "weight", "unit"}
# how a deviation d (in tolerances) counts in a search's property loss (`symff search --property-objective`)
PROPERTY_OBJECTIVES = {
    "weighted": lambda d: d * d,  # every deviation pulls towards the target
    "tolerance": lambda d: max(abs(d) - 1.0, 0.0) ** 2,  # only the part beyond the tolerance counts
}


@dataclass(frozen=True)
class Target:
    element: str
    name: str
    value: float  # in symff's unit of the property (`unit_of(name)`)
    tolerance: float  # absolute, same unit
    weight: float = 1.0

    def deviation(self, predicted):
        predicted = float(predicted) if predicted is not None else np.nan
        return (predicted - self.value) / self.tolerance if np.isfinite(predicted) else MISSING_DEVIATION


@dataclass(frozen=True)
class TargetSet:
    source: str  # the file it was read from
    reference: str  # where the values come from (the file's `source`)
    targets: tuple

    @property
    def elements(self):
        return tuple(dict.fromkeys(t.element for t in self.targets))

    def for_element(self, element):
        return [t for t in self.targets if t.element == element]

    def names(self, element):
        return [t.name for t in self.for_element(element)]

    def check_elements(self, elements, data_source="the data"):
        """Refuse targets for an element that `elements` (those of the data) do not hold."""
        for element in self.elements:
            if element not in elements:
                raise TargetsError(f"{self.source}: elements.{element}: no {element} in {data_source} "
                                   f"(its elements: {', '.join(elements)})")
        if len(elements) > 1:
            raise TargetsError(f"{self.source}: property targets need one-element data for now, "
                               f"{data_source} holds {', '.join(elements)}")

    def rows(self):
        """[[element, name, value, tolerance, weight], ...]: plain data for a run's settings."""
        return [[t.element, t.name, t.value, t.tolerance, t.weight] for t in self.targets]

    def deviations(self, element, predicted):
        """{name: deviation} for the targets of `element`, given {name: predicted value}."""
        return {t.name: t.deviation(predicted.get(t.name)) for t in self.for_element(element)}

    def loss(self, element, predicted):
        """(property loss, largest |deviation| among targets of positive weight) of `predicted` {name: value}."""
        targets = [t for t in self.for_element(element) if t.weight > 0]
        if not targets:
            return 0.0, 0.0
        d = np.array([t.deviation(predicted.get(t.name)) for t in targets])
        w = np.array([t.weight for t in targets])
        return float(w @ d**2 / w.sum()), float(np.abs(d).max())

    def table(self, element, predicted):
        """Rows {"property", "unit", "value", "target", "tolerance", "deviation", "met"} for `element`."""
        rows = []
        for t in self.for_element(element):
            value = predicted.get(t.name)
            d = t.deviation(value)
            rows.append({"property": t.name, "unit": unit_of(t.name),
                         "value": float(value) if value is not None else None, "target": t.value,
                         "tolerance": t.tolerance, "weight": t.weight, "deviation": d, "met": bool(abs(d) <= 1)})
        return rows


def targets_from_rows(rows, source="targets") -> TargetSet:
    """A TargetSet from `TargetSet.rows()` (what a run's config.json holds)."""
    return TargetSet(source, "", tuple(Target(str(e), str(n), float(v), float(t), float(w)) for e, n, v, t, w in rows))


def known_property(name):
    return name in UNITS or facet_of(name) is not None


def read_targets(path) -> TargetSet:
    """Read and check a targets file; every problem is a TargetsError naming the file and the entry."""
    return parse_targets(read_yaml(path, TargetsError, "targets file"), str(path))


def shipped_targets(name):
    """The path of a targets file shipped with symff, e.g. shipped_targets('Cu-PBE.yaml')."""
    return Path(str(resources.files(__package__) / name))


def parse_targets(data, source="targets") -> TargetSet:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TargetsError(f"{source}: not a symff targets file (expected \"format: {FORMAT}\")")
    elements = data.get("elements")
    if not isinstance(elements, dict) or not elements:
        raise TargetsError(f"{source}: \"elements\" must map element symbols to their properties")
    targets = []
    for element, properties in elements.items():
        if not isinstance(properties, dict) or not properties:
            raise TargetsError(f"{source}: elements.{element}: must map property names to {{value, tolerance}}")
        for name, entry in properties.items():
            targets.append(_target(source, str(element), str(name), entry))
    return TargetSet(source, str(data.get("source", "")), tuple(targets))


def _target(source, element, name, entry):
    where = f"{source}: elements.{element}.{name}"
    if not known_property(name):
        raise TargetsError(f"{where}: unknown property (known: {', '.join(UNITS)}, gamma_hkl for any facet)")
    if not isinstance(entry, dict):
        raise TargetsError(f"{where}: must be {{value: NUMBER, tolerance: NUMBER or PERCENT%}}")
    extra = set(entry) - ENTRY_KEYS
    if extra:
        raise TargetsError(f"{where}: unknown key {', '.join(sorted(map(str, extra)))} (keys: value, tolerance, "
                           f"weight, unit)")
    unit = unit_of(name)
    factor = 1.0
    if "unit" in entry and entry["unit"] != unit:
        factor = CONVERSIONS.get(unit, {}).get(entry["unit"])
        if factor is None:
            accepted = [unit, *CONVERSIONS.get(unit, {})]
            raise TargetsError(f"{where}: unit {entry['unit']!r} is not one of {', '.join(accepted)}")
    value = _number(entry.get("value"), where, "value")
    tolerance = entry.get("tolerance")
    if isinstance(tolerance, str) and tolerance.strip().endswith("%"):
        fraction = _number(tolerance.strip()[:-1], where, "tolerance") / 100
        tolerance = fraction * abs(value)
    else:
        tolerance = _number(tolerance, where, "tolerance")
    if not tolerance > 0:
        raise TargetsError(f"{where}: the tolerance must be positive (a number in {entry.get('unit', unit)} "
                           f"or a percentage like 5%), got {entry.get('tolerance')!r}")
    weight = _number(entry.get("weight", 1.0), where, "weight")
    if weight < 0:
        raise TargetsError(f"{where}: the weight must be zero or positive, got {weight}")
    return Target(element, name, value * factor, tolerance * factor, weight)


def _number(value, where, key):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TargetsError(f"{where}: {key} must be a number, got {value!r}") from None
    if not np.isfinite(number):
        raise TargetsError(f"{where}: {key} must be finite, got {value!r}")
    return number
