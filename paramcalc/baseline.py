"""Baselines: a lock file of every model's totals (`paramcalc snapshot`) and growth checks against it
(`paramcalc check --baseline paramcalc.lock.json --max-growth 5%`).

Lock file (JSON, schema 1): ``{"schema": 1, "tool": "paramcalc", "paramcalc_version", "batch", "dtype",
"models": {"architectures/alexnet.yaml": {"name", "symbols", "totals": {"params": 61100840, ...}}}}``. Models are
keyed by their path relative to the working folder (run snapshot and check from the same folder, the repo root).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import __version__, num
from .budget import Outcome, SymbolicTotal, fmt_percent
from .engine import Analysis
from .errors import UsageError
from .records import record

SCHEMA = 1
RECORDED = ("params", "trainable_params", "buffers", "macs", "flops", "weight_bytes", "activation_bytes",
            "peak_activation_bytes", "layers_with_params")
GROWTH_CHECKED = ("params", "macs", "flops", "weight_bytes", "activation_bytes", "peak_activation_bytes")
LABELS = {"params": "parameters", "trainable_params": "trainable parameters", "buffers": "buffers", "macs": "MACs",
          "flops": "FLOPs", "weight_bytes": "weight memory", "activation_bytes": "activation memory",
          "peak_activation_bytes": "peak activation memory", "layers_with_params": "layers with parameters"}


def model_key(path) -> str:
    """'architectures/alexnet.yaml': relative to the working folder when inside it, POSIX separators."""
    p = Path(path)
    try:
        p = p.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        p = p.resolve()
    return p.as_posix()


def _require_number(analysis: Analysis, label: str, value, purpose: str) -> None:
    """A recorded or compared total must be a number, not an expression in the symbols."""
    if not num.is_concrete(value):
        raise SymbolicTotal(f"{purpose} needs numbers but the {label} are {num.show(value)}; give the symbols a value "
                            f"(a default under `symbols:` or --set NAME=VALUE)", file=analysis.file)


def model_entry(analysis: Analysis) -> dict:
    """One model's entry in a lock file; a total that is still symbolic cannot be recorded."""
    totals = {}
    for key in RECORDED:
        value = getattr(analysis.totals, key)
        _require_number(analysis, LABELS[key], value, "a snapshot")
        totals[key] = num.to_json(value)
    return {"name": analysis.name, "symbols": {k: num.to_json(v) for k, v in analysis.symbols}, "totals": totals}


def snapshot(analyses, *, batch: int, dtype: str) -> dict:
    """The lock-file document for ``analyses`` (measured at ``batch`` and ``dtype``)."""
    return {"schema": SCHEMA, "tool": "paramcalc", "paramcalc_version": __version__, "batch": batch, "dtype": dtype,
            "models": {model_key(a.file): model_entry(a) for a in analyses}}


@record
class Baseline:
    file: str
    batch: int
    dtype: str
    models: dict


def load_baseline(path) -> Baseline:
    """Read a lock file written by `paramcalc snapshot`; anything else is a clear error naming the file."""
    file = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{file}: no such baseline file (write one with `paramcalc snapshot PATHS > {file}`)") \
            from None
    except OSError as e:
        raise UsageError(f"{file}: cannot read the baseline: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{file}: the baseline is not JSON ({e})") from None
    if not isinstance(data, dict) or data.get("tool") != "paramcalc" or not isinstance(data.get("models"), dict):
        raise UsageError(f"{file}: not a paramcalc lock file (write one with `paramcalc snapshot`)")
    if data.get("schema") != SCHEMA:
        raise UsageError(f"{file}: lock file schema {data.get('schema')!r}; this paramcalc reads schema {SCHEMA}")
    for key, entry in data["models"].items():
        totals = entry.get("totals") if isinstance(entry, dict) else None
        if not isinstance(totals, dict) or not all(isinstance(totals.get(k), int) for k in GROWTH_CHECKED):
            raise UsageError(f"{file}: the entry for {key} lacks whole-number totals")
    return Baseline(file, int(data.get("batch", 1)), str(data.get("dtype", "fp32")), data["models"])


@record
class Delta:
    """One total of one model, before (baseline) and now."""

    metric: str
    before: Any
    after: Any

    @property
    def change(self):
        return self.after - self.before

    @property
    def percent(self) -> Fraction | None:
        return Fraction(self.change * 100, self.before) if self.before else None

    def text(self) -> str:
        if self.change == 0:
            return f"{num.exact(self.after)} (unchanged)"
        sign = "+" if self.change >= 0 else "-"
        pct = f", {sign}{fmt_percent(abs(self.percent))}%" if self.percent is not None else ""
        return f"{num.exact(self.before)} -> {num.exact(self.after)} ({sign}{num.exact(abs(self.change))}{pct})"


def deltas(analysis: Analysis, entry: dict) -> tuple:
    """Every recorded total, before and now."""
    out = []
    for key in RECORDED:
        before = entry["totals"].get(key)
        after = getattr(analysis.totals, key)
        if isinstance(before, int) and num.is_concrete(after):
            out.append(Delta(key, before, after))
    return tuple(out)


def growth_outcomes(analysis: Analysis, entry: dict, max_growth: Fraction, baseline_file: str) -> list[Outcome]:
    """One outcome per growth-checked total: fails when now > before x (1 + max_growth)."""
    out = []
    by_metric = {d.metric: d for d in deltas(analysis, entry)}
    for key in GROWTH_CHECKED:
        value = getattr(analysis.totals, key)
        _require_number(analysis, LABELS[key], value, "the baseline check")
        d = by_metric[key]
        allowed = math.floor(Fraction(d.before) * (1 + max_growth))   # totals are whole: the largest allowed
        over = num.normalize(max(Fraction(d.after) - allowed, 0))
        percent = num.normalize(over * 100 / Fraction(allowed)) if allowed else None
        passed = over == 0
        growth = f"+{fmt_percent(max_growth * 100)}%"
        verdict = "within" if passed else "more than"
        message = f"{LABELS[key]} {d.text()} vs baseline: {verdict} the allowed growth {growth}"
        if not passed:
            pct = f" ({fmt_percent(percent)}%)" if percent is not None else ""
            message += f"; over the allowed {num.exact(allowed)} by {num.exact(over)}{pct}"
        out.append(Outcome(
            file=analysis.file, model=analysis.name, budget=f"growth of {key}", label=LABELS[key],
            limit_text=f"{num.exact(allowed)} (baseline {num.exact(d.before)} {growth})",
            measured_text=num.exact(d.after), passed=passed, over=over, over_percent=percent,
            source_file=baseline_file, source_line=None, origin="baseline", measured=d.after, limit=allowed,
            message=message, details={"before": d.before, "after": d.after, "change": d.change,
                                      "change_percent": d.percent, "max_growth_percent": max_growth * 100}))
    return out
