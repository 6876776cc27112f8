"""Property targets files: the shipped Cu table, the schema, and one-line errors naming the file and entry."""

import pytest

from symff.errors import TargetsError
from symff.targets import MISSING_DEVIATION, parse_targets, read_targets, shipped_targets
from symff.validate.properties import J_PER_M2


def test_shipped_cu_targets_hold_the_poet_table():
    targets = read_targets(shipped_targets("Cu-PBE.yaml"))
    values = {t.name: t for t in targets.for_element("Cu")}
    assert values["a0"].value == pytest.approx(3.6324, abs=1e-4)
    assert values["a0_bcc"].value == pytest.approx(2.8883, abs=1e-4)
    assert [values[n].value for n in ("C11", "C12", "C44")] == [176.19, 123.13, 76.71]
    assert values["E_vac"].value == pytest.approx(1.073, abs=1e-3)
    assert values["dE_bcc_fcc"].value == pytest.approx(36.04, abs=0.01)
    assert values["dE_hcp_fcc"].value == pytest.approx(4.61, abs=0.01)
    # surface energies are given in meV/Å² and read in J/m²: 91.98 meV/Å² = 1.4737 J/m²
    assert values["gamma_100"].value == pytest.approx(91.9846e-3 / J_PER_M2, rel=1e-6)
    assert values["gamma_100"].value == pytest.approx(1.4737, abs=1e-3)
    assert sum(n.startswith("gamma_") for n in values) == 13
    assert values["C11"].tolerance == pytest.approx(0.05 * 176.19)
    assert values["dE_bcc_fcc"].tolerance == 10
    assert "Hernandez" in targets.reference


def test_loss_and_deviations():
    targets = parse_targets({"format": "symff-targets/1", "elements": {"Cu": {
        "C11": {"value": 100, "tolerance": "10%"}, "E_vac": {"value": 1.0, "tolerance": 0.1, "weight": 3}}}})
    assert targets.deviations("Cu", {"C11": 110, "E_vac": 0.95}) == pytest.approx({"C11": 1.0, "E_vac": -0.5})
    loss, worst = targets.loss("Cu", {"C11": 110, "E_vac": 0.95})
    assert loss == pytest.approx((1 * 1.0 + 3 * 0.25) / 4)
    assert worst == pytest.approx(1.0)
    # a property that could not be computed (NaN) is far outside any tolerance
    assert targets.loss("Cu", {"C11": float("nan"), "E_vac": 1.0})[1] == MISSING_DEVIATION


def _write(tmp_path, text):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("entry, message", [
    ("C13: {value: 1, tolerance: 1}", "elements.Cu.C13: unknown property"),
    ("C11: {value: abc, tolerance: 1}", "elements.Cu.C11: value must be a number"),
    ("C11: {value: .nan, tolerance: 1}", "elements.Cu.C11: value must be finite"),
    ("C11: {value: 1, tolerance: 0}", "elements.Cu.C11: the tolerance must be positive"),
    ("C11: {value: 1, tolerance: -5%}", "elements.Cu.C11: the tolerance must be positive"),
    ("C11: {value: 1}", "elements.Cu.C11: tolerance must be a number"),
    ("C11: {value: 1, tolerance: 1, weight: -1}", "elements.Cu.C11: the weight must be zero or positive"),
    ("C11: {value: 1, tolerance: 1, wieght: 1}", "elements.Cu.C11: unknown key wieght"),
    ("gamma_100: {value: 1, tolerance: 1, unit: furlong}", "elements.Cu.gamma_100: unit 'furlong' is not one of"),
])
def test_bad_entries_are_one_line_errors_naming_file_and_entry(tmp_path, entry, message):
    path = _write(tmp_path, f"format: symff-targets/1\nelements:\n  Cu:\n    {entry}\n")
    with pytest.raises(TargetsError) as error:
        read_targets(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_bad_files(tmp_path):
    with pytest.raises(TargetsError, match="no such targets file"):
        read_targets(tmp_path / "missing.yaml")
    broken = _write(tmp_path, "format: symff-targets/1\nelements: [\n")
    with pytest.raises(TargetsError, match=rf"^{broken}:3: not valid YAML: expected the node content"):
        read_targets(broken)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"elements: \xff\n")
    with pytest.raises(TargetsError, match=rf"^{binary}: cannot read the targets file: 'utf-8' codec"):
        read_targets(binary)
    with pytest.raises(TargetsError, match="not a symff targets file"):
        read_targets(_write(tmp_path, "elements: {}\n"))


def test_a_target_for_an_element_not_in_the_data():
    targets = parse_targets({"format": "symff-targets/1", "elements": {"Ni": {"C11": {"value": 1, "tolerance": 1}}}},
                            "ni.yaml")
    with pytest.raises(TargetsError, match=r"^ni.yaml: elements.Ni: no Ni in train.extxyz \(its elements: Cu\)$"):
        targets.check_elements(("Cu",), "train.extxyz")
