"""The validation table: computed properties beside reference values with relative errors."""

from .properties import unit_of


def relative_error(value, reference):
    return (value - reference) / abs(reference) if reference else float("nan")


def validation_rows(properties, references):
    """[{"property", "unit", "value", label: reference, label + "_err": relative error, ...}] per property."""
    rows = []
    for name, value in properties.items():
        row = {"property": name, "unit": unit_of(name), "value": float(value)}
        for label, ref in references.items():
            if name in ref["values"]:
                row[label] = ref["values"][name]
                row[f"{label}_err"] = relative_error(float(value), ref["values"][name])
        rows.append(row)
    return rows


def validation_table(properties, references):
    labels = list(references)
    header = f"{'property':<11} {'unit':<9} {'value':>9}" + "".join(f" {label:>9} {'err':>7}" for label in labels)
    lines = [header]
    for row in validation_rows(properties, references):
        line = f"{row['property']:<11} {row['unit']:<9} {row['value']:9.4g}"
        for label in labels:
            if label in row:
                line += f" {row[label]:9.4g} {100 * row[label + '_err']:+6.1f}%"
            else:
                line += f" {'':>9} {'':>7}"
        lines.append(line)
    lines += [f"{label}: {ref['source']}" for label, ref in references.items()]
    return "\n".join(lines)
