"""The report of a run: PNG plots and a self-contained RUN/report/index.html.

    pareto.png        loss and errors of the front against complexity           (pareto.py)
    parity.png        model against reference, energy per atom and forces       (parity.py)
    config_types.png  errors by config_type                                      (config_types.py)
    functions.png     pair, density and embedding functions of the model         (functions.py)
    convergence.png   best loss, front size and throughput over generations      (convergence.py)
    calibration.png   an ensemble's predicted spread against the actual error    (calibration.py; on request)

The plots of one model (parity, config_type, functions) show front member `index`, by default the most accurate one.
They need the data: `write_report` takes it from the search, and `symff report RUN` reads it again from the paths in
RUN/config.json (or makes it again, for a rediscovery). Plots whose data is missing are left out with a note.
The calibration plot is made when asked for (`ensemble=K`, `symff report RUN --ensemble K`): K refits of the model on
bootstrap resamples of train, calibrated on train, plotted on test.
"""

from pathlib import Path

from ..errors import NotFinite
from ..evaluate.predict import predict
from ..model import AlloyModel
from ..neighbours import build_neighbours
from ..progress import read_history
from ..rundir import HISTORY_FILE, load_run_model, optional_config, read_front
from ..uncertainty import assess, bootstrap_ensemble, calibrate
from .calibration import calibration_figure
from .config_types import config_type_figure
from .convergence import convergence_figure
from .figures import png_bytes
from .functions import alloy_functions_figure, functions_figure
from .html import report_html
from .pareto import pareto_figure
from .parity import parity_figure

REPORT_DIR = "report"
HEADINGS = ("Pareto front", "Parity", "Errors by config_type", "Functions", "Calibration", "Convergence")


def write_report(run, *, train=None, test=None, index=None, train_neighbours=None, ensemble=None, seed=0):
    """Write RUN/report/*.png and RUN/report/index.html; returns the path of index.html. With `ensemble` (a number
    of members), also the calibration plot of a bootstrap ensemble made with `seed`."""
    run = Path(run)
    front = read_front(run)
    config, problem = optional_config(run)  # the settings shown on the page
    out = run / REPORT_DIR
    out.mkdir(exist_ok=True)
    figures, notes = [], []
    if problem:
        notes.append(f"{problem}: the run's settings are not shown.")
    members = front["members"]
    if members:
        caption = "Loss and mean absolute errors against complexity; numbers are front member indices K."
        figures.append(("Pareto front", pareto_figure(members), caption))
    else:
        notes.append("The front is empty.")
    if members and train is not None:
        index = len(members) - 1 if index is None else index
        model = load_run_model(run, index)
        index %= len(members)  # a negative index counts from the most accurate member
        train_neighbours = train_neighbours or build_neighbours(train, model.r_out)
        predictions = {"train": (train, predict(model, train, neighbours=train_neighbours))}
        if test is not None and test.n_structures:
            try:
                predictions["test"] = (test, predict(model, test))
            except NotFinite as exc:  # the front member's test errors were left out for this reason too
                notes.append(f"The test set is not plotted: {exc}.")
        which = f"front member {index} (complexity {model.complexity}): {members[index]['formula']}"
        figures.append(("Parity", parity_figure(predictions), f"Model against reference for {which}."))
        figures.append(("Errors by config_type", config_type_figure(predictions), f"For {which}."))
        if isinstance(model, AlloyModel):
            functions = alloy_functions_figure(model, train_neighbours, train.species, train.elements)
        else:
            functions = functions_figure(model, train_neighbours, train.n_atoms)
        if functions is None:
            notes.append(f"The functions of {which} are not drawn: it is no eam/alloy or eam/fs form.")
        else:
            figures.append(("Functions", functions, f"Pair, density and embedding functions of {which}."))
        if ensemble and "test" in predictions:
            figures.append(_calibration(model, train, test, train_neighbours, ensemble, seed, which))
        elif ensemble:
            notes.append("No test data: the calibration plot is left out.")
    elif members:
        notes.append("No data: parity, config_type and function plots are left out.")
    history = read_history(run / HISTORY_FILE)
    if history:
        caption = ("Best loss and front size per generation; candidates scored per second and the share answered "
                   "from the cache.")
        figures.append(("Convergence", convergence_figure(history), caption))
    rendered = []
    for heading, figure, caption in figures:
        png = png_bytes(figure)
        (out / f"{_file_name(heading)}.png").write_bytes(png)
        rendered.append((heading, png, caption))
    for heading in set(HEADINGS) - {heading for heading, *_ in figures}:  # an earlier report's plot of another model
        (out / f"{_file_name(heading)}.png").unlink(missing_ok=True)
    page = out / "index.html"
    page.write_text(report_html(f"symff run {run.name}", config, front, rendered, notes))
    return page


def _calibration(model, train, test, train_neighbours, members, seed, which):
    ensemble = bootstrap_ensemble(model, train, members, seed=seed, neighbours=train_neighbours)
    calibrate(model, ensemble, train, neighbours=train_neighbours)
    caption = (f"Spread of {members} refits on bootstrap resamples of train (seed {seed}), calibrated on train "
               f"(energy x{ensemble.calibration['energy']:.3g}, force x{ensemble.calibration['force']:.3g}), "
               f"against the test errors of {which}.")
    return "Calibration", calibration_figure(assess(model, ensemble, test)), caption


def _file_name(heading):
    return {"Pareto front": "pareto", "Errors by config_type": "config_types"}.get(heading, heading.lower())
