"""Progress of a running search, for people (a live display on stderr) and for machines (JSON lines).

A *generation summary* is a plain dict made from one `GenerationReport` and the search settings: the generation, the
elapsed time and an estimate of the time left (ETA), candidates scored per second since the last report, the share of
candidates answered from the canonical-form cache, and the front in brief (the lowest loss at each complexity).
`SearchProgress` is the callback `run_search` calls once per generation: it shows the summary with `rich` (a live panel
on a terminal, one line per generation otherwise) and appends it as one JSON line to a log file when asked. The run
directory keeps the same lines in `history.jsonl`, which the report's convergence plot reads.
"""

import json
import math
import sys
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

FRONT_BRIEF = 6  # complexities shown in the brief front


def counted(n, noun):
    """"1 generation", "3 generations": `n` and the noun, plural unless n is 1 (the noun's plural adds an s)."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def eta_seconds(generation, elapsed, config):
    """Seconds left until the search stops by its generation count or its time limit, whichever comes first.

    An upper bound: a search with a target loss may stop earlier. None before the first generation has a time.
    """
    left = []
    if config.generations is not None and generation > 0:
        left.append(elapsed / generation * max(config.generations - generation, 0))
    if config.time_limit is not None:
        left.append(max(config.time_limit - elapsed, 0.0))
    return min(left) if left else None


def brief_front(front, n=FRONT_BRIEF):
    """At most `n` (complexity, loss) pairs spread over the front, always with its simplest and its most accurate."""
    front = list(front)
    if len(front) <= n:
        return front
    picks = sorted({round(k * (len(front) - 1) / (n - 1)) for k in range(n)})
    return [front[k] for k in picks]


def generation_summary(report, config=None, previous=None):
    """The JSON-ready summary of a `GenerationReport` (see the module docstring); `previous` is the last report."""
    if previous is not None and report.elapsed > previous.elapsed:
        rate = (report.trees - previous.trees) / (report.elapsed - previous.elapsed)
    else:
        rate = report.trees / report.elapsed if report.elapsed > 0 else 0.0
    return {
        "generation": report.generation,
        "generations": config.generations if config else None,
        "elapsed_s": round(report.elapsed, 3),
        "eta_s": None if config is None else _rounded(eta_seconds(report.generation, report.elapsed, config)),
        "candidates": report.trees,
        "candidates_per_s": round(rate, 2),
        "cache_hit_rate": round(report.cache_hits / report.trees, 4) if report.trees else 0.0,
        "fits": report.fits,
        "evaluations": report.evaluations,
        "rejected": dict(report.rejected),
        # forms the sanity tier turned away (symff.search.batch): they never enter the front
        "insane": sum(n for kind, n in report.rejected.items() if kind.startswith("sanity_")),
        "best_loss": _finite(report.best_loss),
        "front": [[int(c), _finite(loss)] for c, loss in report.front],
        # candidates that reached each property tier (searches with --properties)
        **({"tiers": dict(report.tiers)} if getattr(report, "tiers", None) else {}),
    }


def write_history(path, history, config=None):
    """RUN/history.jsonl: one generation summary per line, from a search result's `history`."""
    lines, previous = [], None
    for report in history:
        lines.append(json.dumps(generation_summary(report, config, previous)))
        previous = report
    Path(path).write_text("".join(line + "\n" for line in lines))


def read_history(path):
    """The generation summaries in a history or --log-json file; [] if there is none."""
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class SearchProgress:
    """The progress callback of a search: display (unless `quiet`) and JSON log (if `log_json`).

    Use as a context manager, so the live display and the log file are closed when the search ends or fails:

        with SearchProgress(config, log_json="log.jsonl") as progress:
            run_search(config, train, progress=progress)
    """

    def __init__(self, config, *, quiet=False, log_json=None, append=False, console=None):
        self.config = config
        self.quiet = quiet
        self.log_path = Path(log_json) if log_json else None
        self.append = append  # a resumed run adds its generations to the log of the run's first part
        self.console = console or Console(file=sys.stderr, highlight=False)
        self.previous = None
        self._log = None
        self._live = None

    def __enter__(self):
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("a" if self.append else "w")
        if not self.quiet and self.console.is_terminal:
            self._live = Live(console=self.console, refresh_per_second=4, transient=False)
            self._live.start()
        return self

    def __exit__(self, *exc):
        if self._live:
            self._live.stop()
        if self._log:
            self._log.close()
        return False

    def __call__(self, report):
        summary = generation_summary(report, self.config, self.previous)
        self.previous = report
        if self._log:
            self._log.write(json.dumps(summary) + "\n")
            self._log.flush()
        if self.quiet:
            return
        if self._live:
            self._live.update(progress_panel(summary))
        else:
            self.console.print(progress_line(summary), soft_wrap=True)


def progress_line(summary):
    """One plain line per generation (for logs and pipes)."""
    front = " ".join(f"{c}:{loss:.3g}" for c, loss in brief_front(summary["front"]) if loss is not None)
    return (f"gen {_of(summary)}  {_duration(summary['elapsed_s'])} eta {_duration(summary['eta_s'])}  "
            f"{summary['candidates_per_s']:.1f} cand/s  cache {100 * summary['cache_hit_rate']:.0f}%  "
            f"fits {summary['fits']}  insane {summary.get('insane', 0)}  {_tiers(summary)}best "
            f"{_loss(summary['best_loss'])}  front {front}")


def _tiers(summary):
    """'props S/D/R  ' (candidates that reached the static, the defect and the relaxed property tiers), or ''
    without targets."""
    tiers = summary.get("tiers")
    if not tiers:
        return ""
    return (f"props {tiers.get('properties_static', 0)}/{tiers.get('properties_defects', 0)}/"
            f"{tiers.get('properties_relaxed', 0)}  ")


def progress_panel(summary):
    """The live display: a status line and the brief front as a table."""
    status = Text.assemble(
        ("generation ", "bold"), _of(summary), "   ",
        ("elapsed ", "bold"), _duration(summary["elapsed_s"]), "   ",
        ("ETA ", "bold"), _duration(summary["eta_s"]), "   ",
        (f"{summary['candidates_per_s']:.1f}", "cyan"), " candidates/s   ",
        ("cache hits ", "bold"), f"{100 * summary['cache_hit_rate']:.0f}%   ",
        ("fits ", "bold"), str(summary["fits"]), "   ",
        ("insane ", "bold"), str(summary.get("insane", 0)),
    )
    table = Table(title="front", title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("complexity", justify="right")
    table.add_column("loss", justify="right")
    for c, loss in brief_front(summary["front"]):
        table.add_row(str(c), _loss(loss))
    return Group(status, table)


def _of(summary):
    total = summary.get("generations")
    return f"{summary['generation']}/{total}" if total is not None else str(summary["generation"])


def _duration(seconds):
    if seconds is None:
        return "?"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _loss(loss):
    return "-" if loss is None else f"{loss:.4g}"


def _finite(x):
    x = float(x)
    return x if math.isfinite(x) else None


def _rounded(x):
    return None if x is None else round(x, 1)
