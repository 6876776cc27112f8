"""RUN/report/index.html: one self-contained page (images as base64 data URIs, inline CSS, no scripts, no network)."""

import base64
import html
import json

from ..progress import counted

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; }
th { text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 0.9em; } img { max-width: 100%; } .note { color: #666; }
"""


def data_uri(png):
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def report_html(title, config, front, figures, notes=()):
    """`figures`: [(heading, png bytes, caption)]; `front`: front.json's data."""
    e = html.escape
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{e(title)}</title>",
             f"<style>{STYLE}</style></head><body><h1>{e(title)}</h1>"]
    search = front.get("search", {})
    parts.append(f"<p>{counted(len(front['members']), 'front member')} after "
                 f"{counted(search.get('generations', '?'), 'generation')} "
                 f"({e(str(search.get('stop_reason', '')))}), {_number(search.get('elapsed_s'))} s.</p>")
    if config.get("command"):
        parts.append(f"<p>Command: <code>{e(config['command'])}</code></p>")
    parts.append("<h2>Front</h2>" + _front_table(front["members"]))
    for note in notes:
        parts.append(f"<p class='note'>{e(note)}</p>")
    for heading, png, caption in figures:
        parts.append(f"<h2>{e(heading)}</h2><figure><img src='{data_uri(png)}' alt='{e(heading)}'>"
                     f"<figcaption class='note'>{e(caption)}</figcaption></figure>")
    settings = json.dumps(config.get("search", {}), indent=1)
    parts.append(f"<h2>Settings</h2><pre>{e(settings)}</pre></body></html>\n")
    return "\n".join(parts)


def _front_table(members):
    e = html.escape
    with_properties = any("properties" in m for m in members)  # a search with --properties (symff.search.properties)
    head = ("K", "complexity", "loss", "train E MAE", "train F MAE", "test E MAE", "test F MAE",
            *(("property loss", "worst deviation") if with_properties else ()), "formula")
    rows = ["<table><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr>"]
    for m in members:
        train, test = m["errors"].get("train", {}), m["errors"].get("test", {})
        properties = m.get("properties") or {}
        cells = (m["index"], m["complexity"], m.get("loss"), train.get("energy_mae_mev"), train.get("force_mae"),
                 test.get("energy_mae_mev"), test.get("force_mae"),
                 *((properties.get("property_loss"), properties.get("worst_deviation")) if with_properties else ()))
        rows.append("<tr>" + "".join(f"<td class='num'>{_number(c)}</td>" for c in cells)
                    + f"<td><code>{e(m['formula'])}</code></td></tr>")
    note = " Property loss and deviations: symff.targets (loss = data loss + weight × property loss)." \
        if with_properties else ""
    rows.append(f"</table><p class='note'>Energy errors in meV/atom, force errors in eV/Å.{note}</p>")
    return "\n".join(rows)


def _number(x):
    if x is None:
        return "-"
    return str(x) if isinstance(x, int) else f"{x:.4g}"
