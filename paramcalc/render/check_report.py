"""Renderers of a `paramcalc check` Report for people and CI systems: text, json, junit, github, markdown.

Display only: every number here was measured and compared in paramcalc.budget / paramcalc.baseline.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from .. import __version__, num
from ..baseline import GROWTH_CHECKED, LABELS
from ..budget import fmt_percent
from ..check import Report

FORMATS = ("text", "json", "junit", "github", "markdown")


def render(report: Report, fmt: str) -> str:
    return {"text": text, "json": json_text, "junit": junit, "github": github, "markdown": markdown}[fmt](report)


def _source(o) -> str:
    if o.origin == "command line":
        return "command line"
    if o.origin == "baseline":
        return f"baseline {o.source_file}"
    return f"{o.source_file}:{o.source_line}" if o.source_line else str(o.source_file)


def _over(o) -> str:
    if o.passed:
        return ""
    pct = f" ({fmt_percent(o.over_percent)}%)" if o.over_percent is not None else ""
    return f"+{num.exact(o.over)}{pct}"


def _summary(report: Report) -> str:
    n, f = len(report.outcomes), len(report.failures)
    parts = [f"{len(report.models)} model{'s' * (len(report.models) != 1)}",
             f"{n} budget{'s' * (n != 1)} checked", f"{f} exceeded"]
    if report.errors:
        parts.append(f"{len(report.errors)} unusable input{'s' * (len(report.errors) != 1)}")
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    return ", ".join(parts)


def _growth_line(m) -> str:
    """The totals that changed since the baseline, or 'unchanged'."""
    shown = [d for d in m.deltas if d.metric in GROWTH_CHECKED and d.change != 0]
    return "; ".join(f"{LABELS[d.metric]} {d.text()}" for d in shown) or "unchanged"


def _listed(o) -> bool:
    """Text and markdown list every budget, but a baseline comparison only when it fails (the deltas say the rest)."""
    return not (o.origin == "baseline" and o.passed)


# ------------------------------------------------------------------------------------------------------ text

def text(report: Report) -> str:
    """One line per model x budget (FAIL first), baseline deltas per model, skipped files, errors, a summary."""
    lines = []
    for o in sorted(filter(_listed, report.outcomes), key=lambda o: o.passed):
        status = "ok  " if o.passed else "FAIL"
        lines.append(f"{status} {o.file}: {o.budget} ({_source(o)}): {o.message}")
    if report.baseline_file:
        lines.append(f"baseline {report.baseline_file} (max growth +{fmt_percent(report.max_growth * 100)}%):")
        for m in report.models:
            if m.baseline == "new":
                lines.append(f"  {m.file} ({m.model}): new, not in the baseline")
            elif m.baseline == "compared":
                lines.append(f"  {m.file} ({m.model}): {_growth_line(m)}")
            for note in m.notes:
                if m.baseline != "new":
                    lines.append(f"    note: {note}")
    for s in report.skipped:
        lines.append(f"skip {s.file}: {s.reason}")
    lines.append(_summary(report))   # unusable input goes to stderr, one line each (the CLI prints it)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------ json

def _pct(x):
    return None if x is None else float(x)


def to_dict(report: Report) -> dict:
    """The JSON document: exact integers as numbers (fractions as 'p/q' strings), percentages as floats."""
    def value(v):
        return [num.to_json(x) for x in v] if isinstance(v, tuple) else num.to_json(v)

    out = {
        "schema": 1,
        "paramcalc_version": __version__,
        "exit_code": report.exit_code,
        "summary": {"models": len(report.models), "budgets": len(report.outcomes),
                    "exceeded": len(report.failures), "errors": len(report.errors),
                    "skipped": len(report.skipped)},
        "results": [
            {"file": o.file, "model": o.model, "budget": o.budget, "label": o.label, "passed": o.passed,
             "limit": value(o.limit), "measured": value(o.measured), "over": num.to_json(o.over),
             "over_percent": _pct(o.over_percent), "limit_text": o.limit_text, "measured_text": o.measured_text,
             "source": {"origin": o.origin, "file": o.source_file, "line": o.source_line}, "message": o.message}
            for o in report.outcomes
        ],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in report.errors],
        "skipped": [{"file": s.file, "reason": s.reason} for s in report.skipped],
    }
    if report.baseline_file:
        out["baseline"] = {
            "file": report.baseline_file,
            "max_growth_percent": _pct(report.max_growth * 100),
            "models": {m.file: {"model": m.model, "status": m.baseline, "notes": list(m.notes),
                                "deltas": {d.metric: {"before": d.before, "after": num.to_json(d.after),
                                                      "change": num.to_json(d.change),
                                                      "change_percent": _pct(d.percent)} for d in m.deltas}}
                       for m in report.models},
        }
    return out


def json_text(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"


# ------------------------------------------------------------------------------------------------------ junit

def junit(report: Report) -> str:
    """JUnit XML: one testsuite per architecture file, one testcase per model x budget; a failed budget is a
    <failure>, unusable input an <error>, a YAML file that is not an architecture (or a model left symbolic under
    budgets from elsewhere) a <skipped> testcase."""
    root = ET.Element("testsuites", name="paramcalc check")
    suites: dict = {}

    def suite(file: str) -> ET.Element:
        if file not in suites:
            suites[file] = ET.SubElement(root, "testsuite", name=file)
        return suites[file]

    for m in report.models:
        s = suite(m.file)
        for o in m.outcomes:
            case = ET.SubElement(s, "testcase", classname=f"paramcalc.{m.model}", name=f"{o.budget} ({_source(o)})",
                                 file=o.file)
            if o.source_line and o.origin == "architecture":
                case.set("line", str(o.source_line))
            if not o.passed:
                failure = ET.SubElement(case, "failure", message=o.message, type="BudgetExceeded")
                failure.text = (f"{o.file}: {o.budget} ({_source(o)})\nlimit:    {o.limit_text}\n"
                                f"measured: {o.measured_text}\nover:     {_over(o)}\n")
            else:
                ET.SubElement(case, "system-out").text = o.message
        if not m.outcomes:
            case = ET.SubElement(s, "testcase", classname=f"paramcalc.{m.model}", name="architecture reads",
                                 file=m.file)
            ET.SubElement(case, "system-out").text = "no budget applies to this architecture"
    for e in report.errors:
        s = suite(e.file or "paramcalc")
        case = ET.SubElement(s, "testcase", classname="paramcalc", name="usable input", file=e.file or "")
        ET.SubElement(case, "error", message=e.message, type="UnusableInput").text = e.message
    for sk in report.skipped:
        case = ET.SubElement(suite(sk.file), "testcase", classname="paramcalc", name="architecture", file=sk.file)
        ET.SubElement(case, "skipped", message=sk.reason)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for s in root:
        counts = {"tests": len(s), "failures": sum(1 for c in s if c.find("failure") is not None),
                  "errors": sum(1 for c in s if c.find("error") is not None),
                  "skipped": sum(1 for c in s if c.find("skipped") is not None)}
        for k, v in counts.items():
            s.set(k, str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, str(v))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# ------------------------------------------------------------------------------------------------------ github

def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props) -> str:
    """One GitHub Actions workflow command: ``::error file=F,line=L,title=T::message``."""
    given = ",".join(f"{k}={_escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind}{' ' + given if given else ''}::{_escape_data(message)}"


def github(report: Report) -> str:
    """Workflow-command annotations: an error per exceeded budget at the file and line of its budget key (line 1 of
    the architecture when the budget came from the command line or a baseline), an error per unusable input, a
    notice per model compared with the baseline, and a closing notice with the summary."""
    lines = []
    for o in report.failures:
        if o.origin in ("architecture", "pyproject") and o.source_file:
            file, line = o.source_file, o.source_line or 1
        else:
            file, line = o.file, 1
        lines.append(command("error", f"{o.file} ({o.model}): {o.message}", file=file, line=line,
                             title=f"paramcalc: {o.budget} exceeded"))
    for e in report.errors:
        lines.append(command("error", e.message, file=e.file, line=e.line or (1 if e.file else None),
                             title="paramcalc: unusable input"))
    for m in report.models:
        if m.baseline == "compared" and m.deltas:
            lines.append(command("notice", f"{m.model}: {_growth_line(m)}", file=m.file, line=1,
                                 title="paramcalc: change since baseline"))
    for s in report.skipped:
        lines.append(command("notice", s.reason, file=s.file, title="paramcalc: skipped"))
    lines.append(command("notice", _summary(report), title="paramcalc check"))
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------------ markdown

def _cell(s) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    """A job-summary page (``>> $GITHUB_STEP_SUMMARY``): verdict, a table of budgets, baseline deltas, problems."""
    verdict = {0: "✅ all budgets hold", 1: f"❌ {len(report.failures)} budget(s) exceeded",
               2: "⚠️ unusable input"}[report.exit_code]
    out = [f"## paramcalc check: {verdict}", "", _summary(report) + ".", ""]
    if any(map(_listed, report.outcomes)):
        out += ["| | model | budget | limit | measured | over | set in |", "|---|---|---|---|---|---|---|"]
        for o in sorted(filter(_listed, report.outcomes), key=lambda o: o.passed):
            out.append(f"| {'✅' if o.passed else '❌'} | `{_cell(o.file)}` ({_cell(o.model)}) | {_cell(o.budget)} | "
                       f"{_cell(o.limit_text)} | {_cell(o.measured_text)} | {_cell(_over(o))} | "
                       f"{_cell(_source(o))} |")
        out.append("")
    if report.baseline_file:
        out += [f"### Change since `{report.baseline_file}` (max growth +{fmt_percent(report.max_growth * 100)}%)", "",
                "| model | " + " | ".join(LABELS[k] for k in GROWTH_CHECKED) + " |",
                "|---|" + "---|" * len(GROWTH_CHECKED)]
        for m in report.models:
            if m.baseline == "new":
                out.append(f"| `{_cell(m.file)}` | new: not in the baseline |" + " |" * (len(GROWTH_CHECKED) - 1))
                continue
            by = {d.metric: d for d in m.deltas}
            out.append(f"| `{_cell(m.file)}` | " + " | ".join(_cell(by[k].text()) if k in by else "" for k in
                                                            GROWTH_CHECKED) + " |")
        out.append("")
    if report.errors:
        out += ["### Unusable input", ""] + [f"- `{_cell(e.message)}`" for e in report.errors] + [""]
    if report.skipped:
        out += ["### Skipped", ""] + [f"- `{s.file}`: {s.reason}" for s in report.skipped] + [""]
    return "\n".join(out) + "\n"
