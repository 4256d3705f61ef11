"""Puts report data into the HTML template beside the vendored scripts: one self-contained file, no network needed."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from .. import __version__
from . import data

ASSETS = Path(__file__).resolve().parent / "assets"
VENDOR_VERSIONS = {"chart.js": ("4.6.1", "MIT")}
_MARK = re.compile(r"<!--@([A-Z]+)@-->")


def asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _json_in_script(payload) -> str:
    """JSON that cannot end its <script> element early."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(payload: dict, *, charts: bool) -> str:
    scripts = [asset("vendor/chart.umd.min.js")] if charts else []
    scripts += [asset("layout.js"), asset("graph.js"), asset("report.js")]
    vendor = "Charts by " + ", ".join(f"{name} {version} ({licence} licence)" for name, (version, licence)
                                      in VENDOR_VERSIONS.items()) + ", vendored in paramcalc." if charts else ""
    values = {
        "TITLE": html.escape(payload["title"]),
        "GENERATOR": f"paramcalc {__version__}",
        "CSS": asset("report.css"),
        "VENDOR": html.escape(vendor),
        "DATA": _json_in_script(payload),
        # a script's text may not hold "</script": the vendored files do not, and this keeps it so
        "SCRIPTS": "\n".join(scripts).replace("</script", "<\\/script"),
    }
    return _MARK.sub(lambda m: values[m.group(1)], asset("report.html"))


def report(analysis, depth: int | None = 1) -> str:
    """The report of one architecture: totals, the graph (blocks deeper than ``depth`` closed), charts, table."""
    payload = {"kind": "report", "title": f"{analysis.name} · paramcalc report",
               "designs": [data.design(analysis, depth=depth)], "comparison": None}
    return _page(payload, charts=True)


def comparison(designs, comparison_result, depth: int | None = 1) -> str:
    """Two or more designs side by side (paramcalc.compare's Designs and Comparison)."""
    payload = {"kind": "comparison", "title": data.comparison(comparison_result)["title"] + " · paramcalc",
               "designs": [data.design(d.valued, d.label, depth) for d in designs],
               "comparison": data.comparison(comparison_result)}
    return _page(payload, charts=True)


def drawing(analysis, depth: int | None = None) -> str:
    """Only the interactive graph (paramcalc draw --format html); Chart.js is left out."""
    payload = {"kind": "drawing", "title": f"{analysis.name} · paramcalc draw",
               "designs": [data.design(analysis, depth=depth)], "comparison": None}
    return _page(payload, charts=False)
