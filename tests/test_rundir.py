"""The run directory's front marking and default member: each member's LAMMPS form in front.json and `symff show`,
and the one rule that picks the model a user gets from a run (sane, LAMMPS-runnable, complexity <= 40)."""

import json

import pytest

from symff.cli import main
from symff.errors import ModelError
from symff.integrity import write_json_checked
from symff.model import Model
from symff.rundir import default_member, load_run_model, mark_lammps_forms, write_front

FORMS = {  # expression -> its LAMMPS form
    "NS(2*0.4093*(2.338**12*r**-12 - 2.338**6*r**-6))": "lepton",
    "NS(0.5*0.012382*3.61**9*r**-9) - 0.012382*39.432*sqrt(NS(3.61**6*r**-6))": "eam/alloy",
    "NS(0.5*0.012382*3.61**9*r**-9) - 0.49*sqrt(NS(3.61**6*r**-6)) - 0.1*sqrt(NS(exp(-1.5*(r - 2.556))))":
        "hybrid/overlay",
    "NS(0.5*0.012382*3.61**9*r**-9) - 0.49*sqrt(NS(3.61**6*r**-6)) * NS(exp(-1.5*(r - 2.556)))": "symff only",
}


def models(sane):
    out = []
    for k, (text, is_sane) in enumerate(zip(FORMS, sane)):
        model = Model.from_expression(text, ["Cu"], {"Cu": -0.25})
        model.errors = {"train": {"energy_mae_mev": 10.0 - k, "force_mae": 0.1 - 0.01 * k}}
        model.metadata["sanity"] = {"sane": is_sane, "flags": [] if is_sane else ["isolated_atom"]}
        out.append(model)
    return out


def test_front_json_and_show_mark_each_members_lammps_form(tmp_path, capsys):
    write_front(tmp_path, models([True] * 4), {})
    front = json.loads((tmp_path / "front.json").read_text())["members"]
    assert [m["lammps"] for m in front] == list(FORMS.values())
    assert [bool(m["lammps_reason"]) for m in front] == [False, False, False, True]
    assert "jointly" in front[3]["lammps_reason"]
    assert main(["show", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "LAMMPS" in out and "hybrid/overlay" in out and "K 3: symff only: the term" in out
    assert "default member (symff evaluate/export/validate RUN): 2, the most accurate member that is sane" in out


def test_the_default_member_is_the_most_accurate_sane_runnable_one_of_complexity_up_to_40(tmp_path):
    write_front(tmp_path, models([True, True, False, True]), {})
    # member 3 runs only in symff, member 2 is not sane: member 1
    assert default_member(tmp_path) == 1 and load_run_model(tmp_path).energy_string() == Model.load(
        tmp_path / "models" / "1.json").energy_string()
    assert load_run_model(tmp_path, sane_only=False).complexity == Model.load(tmp_path / "models/3.json").complexity
    members = [{"index": k, "complexity": c, "sane": s, "lammps": f} for k, (c, s, f) in enumerate(
        [(5, True, "lepton"), (30, True, "eam/alloy"), (41, True, "hybrid/overlay"), (45, False, "eam/alloy")])]
    assert default_member(tmp_path, members) == 1  # 2 is too complex, 3 too and not sane
    with pytest.raises(ModelError, match="1 not sane, 2 complexity > 40.*--index K"):
        default_member(tmp_path, members[2:])


def test_front_json_of_before_the_marking_is_classified_from_its_model_files(tmp_path):
    write_front(tmp_path, models([True] * 4), {})
    front = json.loads((tmp_path / "front.json").read_text())
    members = [{k: v for k, v in m.items() if not k.startswith("lammps")} for m in front["members"]]
    assert default_member(tmp_path, members) == 2


def test_marks_of_an_older_exporter_are_renewed_from_the_model_files(tmp_path):
    write_front(tmp_path, models([True] * 4), {})
    front = json.loads((tmp_path / "front.json").read_text())
    front["members"][1]["lammps"], front["members"][1]["lammps_reason"] = "symff only", "an older exporter's reason"
    write_json_checked(tmp_path / "front.json", front)
    assert default_member(tmp_path) == 2 and "older exporter" in (tmp_path / "front.json").read_text()
    assert mark_lammps_forms(tmp_path) == [(1, "symff only", "eam/alloy")]
    renewed = json.loads((tmp_path / "front.json").read_text())["members"]
    assert [m["lammps"] for m in renewed] == list(FORMS.values()) and renewed[1]["lammps_reason"] == ""
    assert "older exporter" not in (tmp_path / "front.txt").read_text() and mark_lammps_forms(tmp_path) == []


def test_cli_says_which_member_it_took(tmp_path, capsys):
    run = tmp_path / "run"
    write_front(run, models([True, True, True, True]), {})
    assert main(["export", str(run), "--lammps", str(tmp_path / "out"), "--points", "1001"]) == 0
    out = capsys.readouterr().out
    assert f"{run}: front member 2, the most accurate member that is sane, LAMMPS-runnable" in out
    assert "LAMMPS form: hybrid/overlay" in out
    snippet = (tmp_path / "out" / "in.symff").read_text()
    assert "pair_style hybrid/overlay eam/alloy eam/alloy" in snippet
