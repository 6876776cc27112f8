"""The command line on real files: search → run directory → show → evaluate, rediscovery, and one-line errors."""

import json
import shutil
from pathlib import Path

import ase.io
import pytest
from ase.calculators.singlepoint import SinglePointCalculator
from helpers import ctrl_c_in_generation

from symff.cli import main
from symff.model import Model
from symff.rediscover import LJ_EPSILON, LJ_SIGMA
from symff.synthetic.generate import make_lj_dataset


@pytest.fixture(scope="module")
def data_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    structures = make_lj_dataset(seed=4, epsilon=LJ_EPSILON, sigma=LJ_SIGMA)
    train, test = folder / "train.extxyz", folder / "test.extxyz"
    ase.io.write(train, structures[::2])
    ase.io.write(test, structures[1::2])
    return train, test


@pytest.fixture(scope="module")
def run_dir(data_files, tmp_path_factory):
    train, test = data_files
    out = tmp_path_factory.mktemp("runs") / "run"
    code = main(["search", str(train), "--test", str(test), "--grammar", "pair", "--population", "30",
                 "--generations", "3", "--seed", "2", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_search_writes_a_complete_run_directory(run_dir):
    for name in ("config.json", "front.json", "front.txt", "front.tex"):
        assert (run_dir / name).is_file(), name
    front = json.loads((run_dir / "front.json").read_text())
    config = json.loads((run_dir / "config.json").read_text())
    assert config["search"]["population"] == 30 and config["search"]["grammar"] == "pair"
    members = front["members"]
    assert members and [m["index"] for m in members] == list(range(len(members)))
    for m in members:
        model = Model.load(run_dir / m["model"])
        assert model.complexity == m["complexity"]
        assert set(m["errors"]) == {"train", "test"}
        assert m["errors"]["test"]["n_structures"] == 24


def test_search_keeps_the_trees_variation_made_with_no_inherit_forms(run_dir, data_files, tmp_path):
    out = tmp_path / "plain"
    assert main(["search", str(data_files[0]), "--grammar", "pair", "--population", "30", "--generations", "2",
                 "--seed", "2", "--out", str(out), "--quiet", "--no-report", "--no-inherit-forms"]) == 0
    assert json.loads((out / "config.json").read_text())["search"]["inherit_forms"] is False
    assert json.loads((run_dir / "config.json").read_text())["search"]["inherit_forms"] is True  # the default
    assert json.loads((out / "front.json").read_text())["members"]


def test_search_climbs_without_decay_neighbours_and_fits_decays_in_c_when_asked(run_dir, data_files, tmp_path):
    from symff.data import read_dataset
    from symff.search.config import SearchConfig
    from symff.search.stages import StageBuilder

    out = tmp_path / "no-decays"
    assert main(["search", str(data_files[0]), "--grammar", "pair", "--population", "30", "--generations", "2",
                 "--seed", "2", "--out", str(out), "--quiet", "--no-report", "--no-decay-neighbours",
                 "--no-log-bases"]) == 0
    written = json.loads((out / "config.json").read_text())["search"]
    assert written["decay_neighbours"] is False and written["log_bases"] is False
    default = json.loads((run_dir / "config.json").read_text())["search"]
    assert default["decay_neighbours"] is True and default["log_bases"] is True
    assert json.loads((out / "front.json").read_text())["members"]
    # the setting reaches the fits: both stages' FitOptions, each stage built for it (not shared with the default's;
    # a screen of 90 % so that this small data set has one)
    builder = StageBuilder(read_dataset([data_files[0]]))
    plain, off = (SearchConfig(**(written | {"decay_neighbours": d, "log_bases": d, "screen_fraction": 0.9}))
                  for d in (True, False))
    stages = [(builder.full(config), builder.screen(config)) for config in (plain, off)]
    assert [[stage.options.decay_neighbours for stage in pair] for pair in stages] == [[True, True], [False, False]]
    assert [[stage.options.log_bases for stage in pair] for pair in stages] == [[True, True], [False, False]]


def test_a_run_written_before_a_setting_existed_resumes_as_it_began(run_dir):
    # config.json of a run from before the decay neighbours and the fits in logarithms: it goes on without them,
    # whatever today's defaults are; a setting it wrote is taken as written
    from symff.search.config import UNWRITTEN_BEFORE, SearchConfig

    written = json.loads((run_dir / "config.json").read_text())["search"]
    old = {key: value for key, value in written.items() if key not in UNWRITTEN_BEFORE}
    resumed = SearchConfig.saved(old)
    assert (resumed.decay_neighbours, resumed.log_bases) == (False, False)
    assert (SearchConfig().decay_neighbours, SearchConfig().log_bases) == (True, True)  # today's, which it lacked
    assert SearchConfig.saved(written) == SearchConfig(**written)


def test_show_prints_the_front(run_dir, capsys):
    assert main(["show", str(run_dir)]) == 0
    table = capsys.readouterr().out
    members = json.loads((run_dir / "front.json").read_text())["members"]
    assert len([line for line in table.splitlines() if line.strip()[:1].isdigit()]) == len(members)
    assert main(["show", str(run_dir), "--latex"]) == 0
    assert "\\operatorname{NS}" in capsys.readouterr().out


def test_a_run_without_a_default_member_says_why_and_takes_an_index(run_dir, data_files, tmp_path, capsys):
    # every member failing a sanity check (a search with --no-sanity can end so): `show` says there is no default
    # member and why, `evaluate RUN` refuses in one line and names the way out, `--index K` still evaluates
    import shutil

    from symff.integrity import write_json_checked
    from symff.rundir import read_front

    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    front = read_front(run)
    members = [m | {"sane": False, "flags": ["dimer_wall"]} for m in front["members"]]
    write_json_checked(run / "front.json", front | {"members": members})
    assert main(["show", str(run)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == (f"no default member: no front member is sane, LAMMPS-runnable and of complexity <= 40 "
                       f"({len(members)} not sane; see front.json \"flags\" and \"lammps_reason\"); choose one with "
                       "--index K")
    assert main(["evaluate", str(run), str(data_files[1])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"symff evaluate: error: {run}: no front member is sane")
    assert main(["evaluate", str(run), "--index", "0", str(data_files[1]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["n_structures"] > 0


def test_evaluate_reproduces_the_test_errors_in_the_run(run_dir, data_files, capsys):
    members = json.loads((run_dir / "front.json").read_text())["members"]
    last = members[-1]
    assert main(["evaluate", str(run_dir / last["model"]), str(data_files[1]), "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)
    for key in ("energy_mae_mev", "energy_rmse_mev", "force_mae", "force_rmse", "n_structures", "n_atoms"):
        assert errors[key] == pytest.approx(last["errors"]["test"][key], rel=1e-9), key
    assert main(["evaluate", str(run_dir), "--index", "0", str(data_files[1])]) == 0
    assert "energy  MAE" in capsys.readouterr().out
    # a negative K counts from the most accurate member, as in the Python API
    assert main(["evaluate", str(run_dir), "--index", "-1", str(data_files[1]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == errors
    n = len(members)
    assert main(["evaluate", str(run_dir), "--index", str(-n - 1), str(data_files[1])]) == 2
    assert capsys.readouterr().err.strip() == (f"symff evaluate: error: {run_dir}: no front member {-n - 1} (the front "
                                               f"has {n}: 0..{n - 1}, or -{n}..-1 from the end)")


def test_evaluate_refit_reference_absorbs_another_codes_energy_zero(run_dir, data_files, tmp_path, capsys):
    # the same structures labelled with energies 0.5 eV per atom higher (another code's zero of energy): the model's
    # own reference misses them by 500 meV/atom; --refit-reference fits the reference on DATA and, a shift per atom
    # being exactly a reference energy, gives back the errors on the unshifted data
    model = run_dir / "models" / "0.json"
    shifted = []
    for atoms in ase.io.read(data_files[1], ":"):
        energy, forces = atoms.get_potential_energy() + 0.5 * len(atoms), atoms.get_forces()
        atoms.calc = SinglePointCalculator(atoms, energy=energy, forces=forces)
        shifted.append(atoms)
    moved = tmp_path / "shifted.extxyz"
    ase.io.write(moved, shifted)
    errors = {}
    for name, data, options in (("plain", data_files[1], []), ("shifted", moved, []),
                                ("refitted", moved, ["--refit-reference"]), ("refitted plain", data_files[1],
                                                                             ["--refit-reference"])):
        assert main(["evaluate", str(model), str(data), "--json", *options]) == 0
        errors[name] = json.loads(capsys.readouterr().out)
    assert errors["shifted"]["energy_mae_mev"] > 400
    assert errors["refitted"]["energy_mae_mev"] == pytest.approx(errors["refitted plain"]["energy_mae_mev"], abs=1e-6)
    assert errors["refitted"]["force_mae"] == pytest.approx(errors["plain"]["force_mae"], rel=1e-12)


def test_errors_are_one_line_with_status_2(run_dir, data_files, tmp_path, capsys):
    bad = tmp_path / "broken.extxyz"
    bad.write_text("3\nLattice=\"1 0 0 0 1 0 0 0 1\"\nCu 0 0\n")
    cases = [
        ["search", str(bad), "--out", str(tmp_path / "r1")],
        ["search", str(data_files[0]), "--out", str(run_dir)],  # the run directory exists and is not empty
        ["evaluate", str(run_dir), "--index", "99", str(data_files[1])],
        ["evaluate", str(tmp_path / "absent.json"), str(data_files[1])],
        ["search", str(data_files[0]), "--cutoff", "2", "--cutoff-inner", "3", "--out", str(tmp_path / "r2")],
        ["rediscover", "lj", "--workers", "-1", "--out", str(tmp_path / "r3")],
        ["search", str(data_files[0]), "--islands", "0", "--out", str(tmp_path / "r4")],
        # migration acts between islands: with one it would be ignored
        ["search", str(data_files[0]), "--islands", "1", "--topology", "all", "--out", str(tmp_path / "r6")],
        ["search", str(data_files[0]), "--population", "40", "--migration-size", "3", "--out", str(tmp_path / "r7")],
        # the three-body options act on NS3 sums, which the eam grammar has not
        ["search", str(data_files[0]), "--angle-splits", "4", "--out", str(tmp_path / "r8")],
        ["search", str(data_files[0]), "--grammar", "pair", "--max-three-body-sums", "1", "--out", str(tmp_path / "r9")],
        ["rediscover", "lj", "--population", "0", "--out", str(tmp_path / "r5")],  # not taken for the case's own
        # --index names a member of a run directory: with a model file it would be ignored
        ["evaluate", str(run_dir / "models" / "0.json"), "--index", "0", str(data_files[1])],
        ["validate", "Cu_mishin1.eam.alloy", "--index", "0"],
        # output paths the file system refuses: below a file, or a file where a folder must be
        ["export", str(run_dir), "--lammps", str(data_files[1] / "lammps")],
        ["export", str(run_dir), "--lammps", str(data_files[1])],
        ["fit", "a*NS(r**-b)", str(data_files[0]), "--out", str(data_files[1] / "model.json")],
        ["search", str(data_files[0]), "--out", str(data_files[1] / "run")],
    ]
    for argv in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and err.startswith(f"symff {argv[0]}: error: "), err
    for refused in ("r1", "r3", "r4", "r5", "r6", "r7", "r8", "r9"):  # a refused input leaves nothing behind
        assert not (tmp_path / refused).exists()


def test_validate_refuses_a_bad_targets_file_before_it_chooses_a_member(run_dir, tmp_path, capsys):
    missing = tmp_path / "absent.yaml"
    assert main(["validate", str(run_dir), "--properties", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and str(missing) in captured.err and len(captured.err.splitlines()) == 1


def test_search_with_force_removes_the_earlier_runs_results_before_it_starts(run_dir, data_files, tmp_path, capsys,
                                                                               monkeypatch):
    """A search with --force into an earlier run, killed before its first checkpoint, left the earlier checkpoint
    beside its own config.json: --resume went on with the earlier run's population on the new data."""
    from symff.checkpoint import CHECKPOINT_NAME
    from symff.search.islands import IslandSearch

    earlier = tmp_path / "earlier"
    shutil.copytree(run_dir, earlier)
    (earlier / "notes.txt").write_text("the user's")
    assert (earlier / CHECKPOINT_NAME).is_file()

    def killed(self):
        raise SystemExit(137)  # as a SIGKILL before the first generation leaves it

    monkeypatch.setattr(IslandSearch, "run", killed)
    with pytest.raises(SystemExit):
        main(["search", str(data_files[1]), "--grammar", "pair", "--out", str(earlier), "--force", "--quiet",
              "--workers", "1"])
    left = sorted(p.name for p in earlier.iterdir())
    assert left == ["config.json", "models", "notes.txt", "report"] and not list((earlier / "models").iterdir())
    assert not list((earlier / "report").iterdir())  # nor the earlier run's report
    assert json.loads((earlier / "config.json").read_text())["data"]["train"] == [str(data_files[1])]
    capsys.readouterr()
    assert main(["search", "--resume", str(earlier)]) == 2
    assert "checkpoint" in capsys.readouterr().err


def test_search_with_force_keeps_model_files_that_are_no_runs(data_files, tmp_path, capsys):
    """--force into a directory that is no run: its models/*.json (the user's own) were deleted as an earlier run's."""
    mine = tmp_path / "project"
    (mine / "models").mkdir(parents=True)
    (mine / "models" / "Cu.json").write_text("{}")
    assert main(["search", str(data_files[0]), "--grammar", "pair", "--out", str(mine), "--force", "--quiet",
                 "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no symff run" in err and str(mine / "models") in err
    assert sorted(p.name for p in mine.rglob("*")) == ["Cu.json", "models"]


def test_a_resumed_search_adds_its_generations_to_the_json_log(data_files, tmp_path, capsys, monkeypatch):
    ctrl_c_in_generation(monkeypatch, 2)
    run, log = tmp_path / "run", tmp_path / "log.jsonl"
    assert main(["search", str(data_files[0]), "--grammar", "pair", "--population", "8", "--generations", "3",
                 "--out", str(run), "--quiet", "--no-report", "--workers", "1", "--log-json", str(log)]) == 130
    assert [json.loads(line)["generation"] for line in log.read_text().splitlines()] == [0, 1]
    monkeypatch.undo()
    assert main(["search", "--resume", str(run), "--quiet", "--no-report", "--workers", "1",
                 "--log-json", str(log)]) == 0
    # the earlier lines kept (the log was written anew, losing them)
    assert [json.loads(line)["generation"] for line in log.read_text().splitlines()] == [0, 1, 2, 3]


def test_a_run_directory_another_process_writes_is_refused(run_dir, data_files, tmp_path, capsys):
    """A --resume started twice, or --force into a run still going, mixed two searches' checkpoints and fronts (and
    --force removed the running search's files)."""
    from symff.rundir import writing

    busy = tmp_path / "busy"
    shutil.copytree(run_dir, busy)
    before = {p.name: p.read_bytes() for p in busy.iterdir() if p.is_file()}
    with writing(busy):  # as the process that runs the search holds it
        for argv in (["search", "--resume", str(busy), "--workers", "1"],
                     ["search", str(data_files[0]), "--grammar", "pair", "--out", str(busy), "--force", "--workers",
                      "1"]):
            assert main([*argv, "--quiet"]) == 2
            captured = capsys.readouterr()
            assert captured.err.strip() == (f"symff search: error: {busy}: another symff process is writing this run "
                                            "directory; wait until it ends, or choose another --out")
            assert "resuming" not in captured.out  # refused before it says it resumes
            assert {p.name: p.read_bytes() for p in busy.iterdir() if p.is_file()} == before
    # once it has ended, the directory is free
    assert main(["search", "--resume", str(busy), "--workers", "1", "--quiet", "--no-report"]) == 0


def test_rediscover_lj_ends_with_recovered_yes(tmp_path, capsys):
    code = main(["rediscover", "lj", "--seed", "1", "--out", str(tmp_path / "lj"), "--quiet"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1] == "recovered: yes" and code == 0
    assert (tmp_path / "lj" / "front.json").is_file()


def test_rediscover_stopped_by_ctrl_c_writes_its_front_so_far_and_exits_130(tmp_path, capsys, monkeypatch):
    ctrl_c_in_generation(monkeypatch, 2)
    code = main(["rediscover", "lj", "--seed", "1", "--population", "12", "--out", str(tmp_path / "lj"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 130 and "after 1 generation (interrupted)" in out and "\nrecovered: " in out
    assert json.loads((tmp_path / "lj" / "front.json").read_text())["search"]["stop_reason"] == "interrupted"


def test_rediscover_takes_the_time_limit_of_the_command_line(tmp_path, capsys):
    # the Sutton–Chen case sets its own limit (480 s); --time-limit must replace it, not be dropped
    main(["rediscover", "sutton-chen", "--seed", "1", "--generations", "2", "--population", "8",
          "--time-limit", "0.01", "--out", str(tmp_path / "sc"), "--quiet"])
    out = capsys.readouterr().out
    assert json.loads((tmp_path / "sc" / "config.json").read_text())["search"]["time_limit"] == 0.01
    assert "(time limit)" in out


def test_a_run_made_with_relative_data_paths_resumes_and_reports_from_another_directory(data_files, tmp_path,
                                                                                        monkeypatch):
    work, elsewhere = tmp_path / "work", tmp_path / "elsewhere"
    (work / "data").mkdir(parents=True)
    elsewhere.mkdir()
    for name, source in (("train.extxyz", data_files[0]), ("test.extxyz", data_files[1])):
        (work / "data" / name).write_bytes(Path(source).read_bytes())
    monkeypatch.chdir(work)
    assert main(["search", "data/train.extxyz", "--test", "data/test.extxyz", "--grammar", "pair", "--population",
                 "12", "--generations", "1", "--seed", "2", "--out", "run", "--quiet", "--no-report"]) == 0
    data = json.loads((work / "run" / "config.json").read_text())["data"]
    assert data["train"] == [str(work / "data" / "train.extxyz")]
    assert data["test"] == [str(work / "data" / "test.extxyz")]
    monkeypatch.chdir(elsewhere)  # where data/train.extxyz is nothing
    assert main(["search", "--resume", str(work / "run"), "--quiet", "--no-report"]) == 0
    assert main(["report", str(work / "run")]) == 0


def test_search_reads_its_weights_again_for_resume_and_report(data_files, tmp_path, capsys):
    from symff.cli.common import read_saved_data

    structures = ase.io.read(data_files[0], ":")
    for k, atoms in enumerate(structures):
        atoms.info["weight"] = float(k % 3)
    train = tmp_path / "weighted.extxyz"
    ase.io.write(train, structures)
    out = tmp_path / "weighted"
    assert main(["search", str(train), "--weight-key", "weight", "--test", str(data_files[1]), "--grammar", "pair",
                 "--population", "20", "--generations", "1", "--seed", "2", "--out", str(out), "--quiet",
                 "--no-report"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["weight_key"] == "weight"
    # the record `symff search --resume` and `symff report` read the sets from: the same weights (the test set's
    # file has none and needs none)
    again, test = read_saved_data(config["data"], config["search"]["seed"])
    assert list(again.weights) == [float(k % 3) for k in range(len(structures))]
    assert test.n_structures == config["data"]["test_structures"] == 24
    # the search goes on from its checkpoint only with its own settings and on the data it started with: a setting
    # given beside --resume (it would be ignored) and a changed label are refused, naming them
    assert main(["search", "--resume", str(out), "--quiet", "--no-report"]) == 0
    assert main(["search", "--resume", str(out), "--time-limit", "60", "--quiet"]) == 2
    structures[0].calc.results["energy"] += 0.1
    ase.io.write(train, structures)
    assert main(["search", "--resume", str(out), "--quiet", "--no-report"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[-2].startswith(f"symff search: error: --resume {out} goes on with the data and settings of its "
                                 "config.json: --time-limit cannot be changed there")
    assert errors[-1] == (f"symff search: error: {out}: the train data read from {train} differ from those the run "
                          "started with (structures or labels changed): restore them, or start a new run")
    # a report is still written, from the data as they are now, with a warning that says so
    assert main(["report", str(out)]) == 0
    assert (f"symff report: warning: {out}: the train data read from {train} differ from those the run started with "
            "(structures or labels changed): the report's errors are those of the data as they are now"
            in capsys.readouterr().err)


def test_a_run_records_the_versions_it_ran_with_and_resume_names_those_that_changed(data_files, tmp_path, capsys):
    from symff.environment import versions
    from symff.integrity import read_json_checked, write_json_checked

    out = tmp_path / "run"
    assert main(["search", str(data_files[0]), "--grammar", "pair", "--population", "12", "--generations", "1", "--seed",
                 "2", "--out", str(out), "--quiet", "--no-report"]) == 0
    config = read_json_checked(out / "config.json")
    assert config["environment"] == versions() and {"python", "numpy", "numba", "processor"} <= set(versions())
    assert main(["search", "--resume", str(out), "--quiet", "--no-report"]) == 0
    assert "note:" not in capsys.readouterr().out  # the same installation: nothing to say
    config["environment"]["numpy"] = "1.0.0"
    write_json_checked(out / "config.json", config)
    assert main(["search", "--resume", str(out), "--quiet", "--no-report"]) == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    moved = f"numpy 1.0.0 → {versions()['numpy']}"
    note = (f"note: {out} was started with other versions ({moved}); the search goes on, but its fits may not "
            "repeat those of an uninterrupted run")
    assert notes == [note]
