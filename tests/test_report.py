"""The report of a run: plots, a self-contained index.html, `symff report`, and rendering in a headless browser."""

import json
import os
import re
import shutil
import subprocess

import ase.io
import numpy as np
import pytest
from matplotlib.image import imread

from symff.cli import main
from symff.data import Dataset
from symff.integrity import write_json_checked
from symff.model import Model
from symff.neighbours import build_neighbours
from symff.report.functions import eam_parts, functions_figure
from symff.rundir import read_config
from symff.synthetic.generate import make_lj_dataset

PLOTS = ("pareto", "parity", "config_types", "functions", "convergence")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    structures = make_lj_dataset(seed=5)
    ase.io.write(folder / "train.extxyz", structures[::2])
    ase.io.write(folder / "test.extxyz", structures[1::2])
    out = folder / "run"
    code = main(["search", str(folder / "train.extxyz"), "--test", str(folder / "test.extxyz"), "--grammar", "pair",
                 "--population", "20", "--generations", "2", "--seed", "1", "--out", str(out), "--quiet",
                 "--log-json", str(folder / "log.jsonl")])
    assert code == 0
    return out


def test_a_search_writes_history_log_and_report(run_dir):
    log = (run_dir.parent / "log.jsonl").read_text().splitlines()
    history = (run_dir / "history.jsonl").read_text().splitlines()
    assert len(log) == len(history) == 3
    assert [json.loads(line)["generation"] for line in log] == [0, 1, 2]
    for name in PLOTS:
        assert (run_dir / "report" / f"{name}.png").stat().st_size > 5000, name
    page = (run_dir / "report" / "index.html").read_text()
    assert len(re.findall(r"<img src='data:image/png;base64,", page)) == len(PLOTS)
    assert "http://" not in page and "https://" not in page  # self-contained: nothing to fetch


def test_symff_report_writes_the_report_again(run_dir, capsys):
    (run_dir / "report" / "parity.png").unlink()
    assert main(["report", str(run_dir), "--index", "0"]) == 0
    assert (run_dir / "report" / "parity.png").is_file()
    assert "front member 0" in (run_dir / "report" / "index.html").read_text()
    last = len(json.loads((run_dir / "front.json").read_text())["members"]) - 1
    assert main(["report", str(run_dir), "--index", "-1"]) == 0  # counted from the most accurate member
    assert f"front member {last} " in (run_dir / "report" / "index.html").read_text()
    assert main(["report", str(run_dir.parent)]) == 2
    assert capsys.readouterr().err.strip() == f"symff report: error: {run_dir.parent}: not a run directory (no front.json)"
    assert main(["report", str(run_dir / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == f"symff report: error: {run_dir / 'nowhere'}: no such run directory"
    model = run_dir / "models" / "0.json"  # a file given for the run directory
    for command in (["report", str(model)], ["search", "--resume", str(model)]):
        assert main(command) == 2
        assert capsys.readouterr().err.strip() == f"symff {command[0]}: error: {model}: not a run directory (a file)"


def test_symff_report_remakes_a_rediscovery_s_data_and_says_when_it_has_none(run_dir, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(run_dir, run)
    config = read_config(run)
    # a rediscovery's run directory names no files: its data are made again from the case and the seed
    write_json_checked(run / "config.json", config | {"data": {"rediscover": "lj", "seed": 5}})
    shutil.rmtree(run / "report")
    assert main(["report", str(run)]) == 0
    assert all((run / "report" / f"{name}.png").is_file() for name in PLOTS)
    assert capsys.readouterr().err == ""
    # --no-data: the plots of the front and the convergence alone, silently (and the earlier report's plots of the
    # data gone: they stood beside a page that no longer showed them)
    assert main(["report", str(run), "--no-data"]) == 0
    assert {p.stem for p in (run / "report").glob("*.png")} == {"pareto", "convergence"}
    assert capsys.readouterr().err == ""
    # a config.json that cannot be read (truncated, edited): the same report, and a warning that names the file
    text = (run / "config.json").read_text()
    for broken, problem in ((text[:40], "corrupt or truncated JSON"), (text.replace('"lj"', '"sc"'), "checksum mismatch")):
        shutil.rmtree(run / "report")
        (run / "config.json").write_text(broken)
        assert main(["report", str(run)]) == 0
        assert {p.stem for p in (run / "report").glob("*.png")} == {"pareto", "convergence"}
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"symff report: warning: {run / 'config.json'}: {problem}")
        assert err[0].endswith("the report has no plots of the data")
        assert f"{problem}" in (run / "report" / "index.html").read_text()


def test_eam_functions_are_split_into_pair_density_and_embedding():
    model = Model.from_expression("NS(3000.0*r**-9) - 2.0*NS(exp(-1.5*r))**0.5", ("Cu",), {"Cu": 0.0})
    parts = eam_parts(model.formula)
    assert len(parts.pair) == 1 and len(parts.embedding) == 1 and not parts.mixed
    train = Dataset.from_atoms(make_lj_dataset(seed=0)[:4])
    figure = functions_figure(model, build_neighbours(train, model.r_out), train.n_atoms)
    assert len(figure.axes) == 3


def test_a_form_with_a_three_body_sum_draws_its_radial_functions():
    """The embedding grid holds a row per environment sum (it had one per radial density: an IndexError ended
    `symff rediscover stillinger-weber` in its report); the three-body term is not drawn as a pair or embedding."""
    model = Model.from_expression("NS(3000.0*r**-9) - 2.0*NS(exp(-1.5*r))**0.5 + 0.6*NS3(exp(-1.2*r), (c + 1/3)**2)",
                                  ("Cu",), {"Cu": 0.0})
    parts = eam_parts(model.formula)
    assert len(parts.pair) == 1 and len(parts.embedding) == 1 and len(parts.mixed) == 1
    train = Dataset.from_atoms(make_lj_dataset(seed=0)[:4])
    figure = functions_figure(model, build_neighbours(train, model.r_out), train.n_atoms)
    assert len(figure.axes) == 3


def test_symff_report_adds_the_calibration_plot_on_request(run_dir, capsys):
    assert main(["report", str(run_dir), "--ensemble", "1"]) == 2
    assert "--ensemble must be at least 2" in capsys.readouterr().err
    assert main(["report", str(run_dir), "--ensemble", "3", "--seed", "2"]) == 0
    assert (run_dir / "report" / "calibration.png").stat().st_size > 5000
    page = (run_dir / "report" / "index.html").read_text()
    assert "3 refits on bootstrap resamples of train (seed 2)" in page
    assert len(re.findall(r"<img src='data:image/png;base64,", page)) == len(PLOTS) + 1


# CI (.ci/run) installs Debian's chromium and sets SYMFF_CI=1, which turns its absence into a failure, not a skip.
@pytest.mark.skipif(shutil.which("chromium") is None and not os.environ.get("SYMFF_CI"),
                    reason="needs Debian's chromium (.ci/run installs it)")
def test_the_report_renders_with_its_images_in_chromium(run_dir, tmp_path):
    assert main(["report", str(run_dir), "--ensemble", "3"]) == 0  # the calibration plot included
    page = (run_dir / "report" / "index.html").read_text()
    # The same page plus a probe that records each image's natural width once the page has loaded.
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", "<script>addEventListener('load', () => document.body.setAttribute("
                                  "'data-widths', [...document.images].map(i => i.naturalWidth).join(',')))"
                                  "</script></body>"))
    chromium = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    dom = subprocess.run([*chromium, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    widths = [int(w) for w in re.search(r'data-widths="([^"]*)"', dom).group(1).split(",")]
    assert len(widths) == len(PLOTS) + 1 and min(widths) > 300
    shot = tmp_path / "shot.png"
    subprocess.run([*chromium, "--window-size=1200,2400", f"--screenshot={shot}", (run_dir / "report" /
                    "index.html").as_uri()], capture_output=True, timeout=120, check=True)
    pixels = imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    assert pixels.std() > 0.1  # not blank: text and plots on white
    assert np.mean(pixels.min(axis=2) < 0.5) > 0.01  # a share of dark pixels: text, axes, points
