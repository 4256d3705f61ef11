"""Architecture budgets: human units, budget specs (YAML `budget:`, pyproject `[tool.paramcalc]`, command line), and
their evaluation against an Analysis.

    '25M' -> 25_000_000      '4.5G' -> 4_500_000_000      '256MiB' -> 268_435_456      '5%' -> Fraction(1, 20)

Units are exact (Fractions, never floats): K, M, G, T are powers of 1000 (``k`` is accepted for K); Ki, Mi, Gi, Ti
are powers of 1024. Memory budgets also accept a trailing ``B`` (``250MB``, ``256MiB``).

A budget set is a group of limits with the batch and dtype they are measured at; each limit is evaluated into an
Outcome that says whether it holds and by how much it is over (absolute and in percent of the limit).
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Mapping

from . import num
from .engine import DTYPE_BYTES, Analysis, Totals
from .errors import RuleError, SpecError, UsageError
from .records import field, record

DECIMAL_UNITS = {"": 1, "K": 10**3, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
BINARY_UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
UNITS = {**DECIMAL_UNITS, **BINARY_UNITS}

_NUMBER = r"(?:\d[\d_,]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*([A-Za-z]*)\s*$")
_PERCENT = re.compile(rf"^\s*({_NUMBER})\s*%?\s*$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$")


class BudgetError(RuleError):
    """A budget value or key that cannot be used; the caller says where it was written."""


# --------------------------------------------------------------------------------------------------- units

def _number(text: str, original) -> Fraction:
    if "," in text:
        if not _GROUPED.match(text):
            raise BudgetError(f"{original!r}: commas are only allowed as thousands separators (61,100,840)")
        text = text.replace(",", "")
    try:
        return Fraction(text.replace("_", ""))
    except (ValueError, ZeroDivisionError):
        raise BudgetError(f"{original!r} is not a number") from None


def parse_quantity(value, *, bytes_: bool = False, whole: bool = True) -> int | Fraction:
    """An exact non-negative quantity from a number or text with a unit.

    >>> parse_quantity('4.5G'), parse_quantity('25M'), parse_quantity('1Ki'), parse_quantity('256MiB', bytes_=True)
    (4500000000, 25000000, 1024, 268435456)
    """
    if isinstance(value, bool) or value is None:
        raise BudgetError(f"expected a number such as 25M or 4.5G, got {value!r}")
    if isinstance(value, int):
        result = Fraction(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BudgetError(f"expected a finite number, got {value!r}")
        result = Fraction(repr(value))  # the decimal the file wrote (2.5e+7), not the binary float's expansion
    elif isinstance(value, str):
        m = _QUANTITY.match(value)
        if not m and value.strip().startswith("-"):
            raise BudgetError(f"{value!r} is negative; a budget is a non-negative number")
        if not m:
            raise BudgetError(f"{value!r} is not a number with an optional unit (25M, 4.5G, 512Ki"
                              f"{', 256MiB' if bytes_ else ''})")
        unit = m.group(2)
        if bytes_ and unit.endswith("B"):
            unit = unit[:-1]
        if unit not in UNITS:
            valid = list(UNITS) + ([u + "B" for u in UNITS] if bytes_ else [])
            hint = difflib.get_close_matches(m.group(2), [u for u in valid if u], n=1)
            if not hint:
                hint = [u for u in valid if u and u.lower() == m.group(2).lower()][:1]
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            if not bytes_ and m.group(2).endswith("B"):
                extra = "; a byte unit only fits a memory budget"
            raise BudgetError(f"{value!r}: unknown unit '{m.group(2)}' (K, M, G, T = powers of 1000; "
                              f"Ki, Mi, Gi, Ti = powers of 1024{'; B may follow' if bytes_ else ''}){extra}")
        result = _number(m.group(1), value) * UNITS[unit]
    else:
        raise BudgetError(f"expected a number such as 25M or 4.5G, got {type(value).__name__} {value!r}")
    if result < 0:
        raise BudgetError(f"{value!r} is negative; a budget is a non-negative number")
    if whole and result.denominator != 1:
        raise BudgetError(f"{value!r} is {float(result):g}, not a whole number")
    return num.normalize(result)


def parse_percent(value) -> Fraction:
    """A non-negative percentage as an exact fraction: '5%' and 5 are five percent.

    >>> parse_percent('5%'), parse_percent('0.5%'), parse_percent(10)
    (Fraction(1, 20), Fraction(1, 200), Fraction(1, 10))
    """
    if isinstance(value, bool) or value is None:
        raise BudgetError(f"expected a percentage such as 5%, got {value!r}")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise BudgetError(f"expected a finite percentage, got {value!r}")
        if value < 0:
            raise BudgetError(f"{value!r} is negative; a growth limit is a non-negative percentage")
        return Fraction(repr(value) if isinstance(value, float) else value) / 100
    if isinstance(value, str):
        m = _PERCENT.match(value)
        if m:
            return _number(m.group(1), value) / 100
    raise BudgetError(f"{value!r} is not a percentage such as 5% or 0.5%")


def parse_field_size(value) -> tuple:
    """A receptive-field limit: one size for every axis (195) or one per axis ([195, 195], '195x195')."""
    if isinstance(value, str) and re.search(r"[x,]", value.strip()) and not _GROUPED.match(value.strip()):
        parts = [p for p in re.split(r"\s*[x,]\s*", value.strip())]
        return tuple(parse_quantity(p) for p in parts)
    if isinstance(value, (list, tuple)):
        if not value:
            raise BudgetError("an empty list is not a receptive-field size")
        return tuple(parse_quantity(v) for v in value)
    return (parse_quantity(value),)


def fmt_percent(x) -> str:
    """Percent with at least two decimals and enough to show a tiny excess: 5.00, 0.0000016."""
    x = float(x)
    if x == 0 or abs(x) >= 0.01:
        return f"{x:.2f}"
    decimals = -math.floor(math.log10(abs(x))) + 1
    return f"{x:.{decimals}f}"


# --------------------------------------------------------------------------------------------------- metrics

@record
class Metric:
    """A budgetable quantity: how to read it from the totals, how to parse a limit, and which way is bad."""

    key: str                       # 'max_params', as written in YAML (pyproject and CLI spell it max-params)
    label: str                     # 'parameters'
    measure: Callable[[Totals], Any]
    unit: str = "count"            # count | bytes | field
    direction: str = "max"         # max: measured must be <= limit; min: measured must be >= limit
    example: str = "25M"

    def parse(self, value):
        if self.unit == "field":
            return parse_field_size(value)
        return parse_quantity(value, bytes_=self.unit == "bytes")


def _field_of(t: Totals):
    """The receptive field a budget checks. When the output's field is the whole input (after global pooling, flatten
    or a linear layer) every classifier would trivially 'see everything'; the budget then checks the last field
    before it became whole (``spatial_receptive_field``), which is what the convolutional trunk actually sees."""
    rf = t.receptive_field
    if rf is None:
        return None
    if rf.whole and t.spatial_receptive_field is not None:
        return t.spatial_receptive_field.size
    return rf.size


METRICS: dict[str, Metric] = {m.key: m for m in (
    Metric("max_params", "parameters", lambda t: t.params),
    Metric("max_trainable_params", "trainable parameters", lambda t: t.trainable_params),
    Metric("max_macs", "MACs", lambda t: t.macs, example="4.5G"),
    Metric("max_flops", "FLOPs", lambda t: t.flops, example="9G"),
    Metric("max_weight_memory", "weight memory", lambda t: t.weight_bytes, unit="bytes", example="100MiB"),
    Metric("max_activation_memory", "activation memory", lambda t: t.activation_bytes, unit="bytes",
           example="512MiB"),
    Metric("max_peak_activation_memory", "peak activation memory", lambda t: t.peak_activation_bytes,
           unit="bytes", example="64MiB"),
    Metric("min_receptive_field", "receptive field", _field_of, unit="field", direction="min",
           example="195 or 195x195"),
    Metric("max_receptive_field", "receptive field", _field_of, unit="field", example="195 or 195x195"),
    Metric("max_depth", "layers with parameters", lambda t: t.layers_with_params, example="50"),
)}
SETTINGS = ("batch", "dtype")           # how the limits of one budget set are measured
BUDGET_KEYS = tuple(METRICS) + SETTINGS


# --------------------------------------------------------------------------------------------------- specs

@record
class Limit:
    """One budget: a metric, its limit, and where it was written (file and line; line 1 for the command line)."""

    metric: Metric
    limit: Any                     # int, or a tuple of per-axis sizes for receptive fields
    written: str                   # the value as written ('25M')
    origin: str                    # 'architecture' | 'pyproject' | 'command line'
    file: str | None = None        # the file holding the budget key (None: the command line)
    line: int | None = None


@record
class BudgetSet:
    """Limits measured at one batch size and dtype (None: the command line's --batch/--dtype)."""

    limits: tuple
    batch: int | None = None
    dtype: str | None = None
    origin: str = "architecture"
    files: tuple = ()              # pyproject only: the globs it applies to


def normalize_key(key) -> str:
    return str(key).strip().replace("-", "_")


def budget_set(mapping: Mapping, *, origin: str, file: str | None, line_of: Callable[[str], int | None],
               extra_keys: tuple = ()) -> BudgetSet:
    """Read one budget mapping ({max_params: 25M, dtype: fp16, ...}); errors name the file and the key's line.

    Keys may use dashes or underscores (``max-params`` in TOML and on the command line, ``max_params`` in YAML).
    """
    def error(message, key=None):
        return SpecError(message, file=file or "<command line>", line=line_of(key) if key is not None else None)

    limits = []
    batch = dtype = None
    for key, value in mapping.items():
        k = normalize_key(key)
        if k in extra_keys:
            continue
        if k not in BUDGET_KEYS:
            hint = difflib.get_close_matches(k, BUDGET_KEYS, n=1)
            raise error(f"unknown budget key '{key}'" + (f"; did you mean '{hint[0]}'?" if hint else
                        f" (known: {', '.join(BUDGET_KEYS)})"), key)
        if k == "batch":
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise error(f"budget batch must be a positive whole number, got {value!r}", key)
            batch = value
        elif k == "dtype":
            if value not in DTYPE_BYTES:
                raise error(f"budget dtype must be one of {', '.join(DTYPE_BYTES)}, got {value!r}", key)
            dtype = value
        else:
            metric = METRICS[k]
            try:
                limit = metric.parse(value)
            except BudgetError as e:
                raise error(f"budget {k}: {e}", key) from None
            limits.append(Limit(metric, limit, str(value), origin, file, line_of(key) if file else 1))
    return BudgetSet(tuple(limits), batch, dtype, origin)


def from_architecture(raw: Mapping, file: str) -> BudgetSet | None:
    """The `budget:` section of an architecture file (its raw LineDict), or None when it has none."""
    if "budget" not in raw or raw["budget"] is None:
        return None
    spec = raw["budget"]
    if not isinstance(spec, dict):
        line = raw.line_of("budget") if hasattr(raw, "line_of") else None
        raise SpecError("`budget:` must be a mapping such as {max_params: 25M, max_macs: 4.5G}", file=file,
                        line=line)
    line_of = spec.line_of if hasattr(spec, "line_of") else (lambda key: None)
    return budget_set(spec, origin="architecture", file=file, line_of=line_of)


def from_command_line(values: Mapping[str, Any], batch: int | None = None, dtype: str | None = None) -> BudgetSet:
    """Limits given as options (``{'max_params': '25M'}``; None values are left out). The line is 1 by convention:
    an annotation for a command-line budget points at the top of the architecture file."""
    limits = []
    for key, value in values.items():
        if value is None:
            continue
        metric = METRICS[normalize_key(key)]
        try:
            limit = metric.parse(value)
        except BudgetError as e:
            raise UsageError(f"--{metric.key.replace('_', '-')} {value}: {e}") from None
        limits.append(Limit(metric, limit, str(value), "command line", None, 1))
    return BudgetSet(tuple(limits), batch, dtype, "command line")


# --------------------------------------------------------------------------------------------------- pyproject

@record
class Config:
    """`[tool.paramcalc]` of a pyproject.toml: default paths, budgets per set of globs, baseline and growth."""

    file: str | None = None
    root: Path = Path(".")
    paths: tuple = ()
    budgets: tuple = ()            # BudgetSets with .files (globs relative to root)
    baseline: str | None = None
    max_growth: Fraction | None = None
    _matches: dict = field(default_factory=dict, compare=False, repr=False)   # glob -> resolved paths, once

    def budgets_for(self, path: Path) -> list[BudgetSet]:
        """The pyproject budget sets whose globs match ``path``."""
        out = []
        target = path.resolve()
        for s in self.budgets:
            for pattern in s.files:
                if pattern not in self._matches:
                    self._matches[pattern] = _glob(self.root, pattern)
                if target in self._matches[pattern]:
                    out.append(s)
                    break
        return out


def _glob(root: Path, pattern: str) -> set:
    import glob

    base = Path(pattern) if Path(pattern).is_absolute() else root / pattern
    return {Path(p).resolve() for p in glob.glob(str(base), recursive=True)}


def _toml_key_lines(text: str) -> dict:
    """(table header, occurrence, key) -> line, for pointing annotations at a pyproject key. tomllib keeps no
    positions; this scan understands the plain `[table]` / `[[array]]` / `key = value` lines budgets use."""
    lines: dict = {}
    header, seen = "", {}
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        m = re.match(r"^(\[\[?)\s*([^\]]+?)\s*\]\]?", s)
        if m:
            header = m.group(2).replace(" ", "").replace('"', "")
            seen[header] = seen.get(header, -1) + 1
            lines[(header, seen[header], None)] = n
            continue
        m = re.match(r"^([A-Za-z0-9_\-\"']+)\s*=", s)
        if m:
            lines[(header, seen.get(header, 0), m.group(1).strip("\"'"))] = n
    return lines


def _load_toml(path: Path):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror}", file=_relative(path)) from None
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"TOML syntax error: {e}", file=_relative(path)) from None


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest pyproject.toml in ``start`` (default: the working folder) or a parent folder."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None) -> Config:
    """Read `[tool.paramcalc]` from a pyproject.toml (an empty Config when there is none).

    ```toml
    [tool.paramcalc]
    paths = ["architectures"]               # what `paramcalc check` checks without PATHS
    baseline = "paramcalc.lock.json"        # optional: like --baseline
    max-growth = "5%"                       # optional: like --max-growth

    [[tool.paramcalc.budget]]
    files = ["architectures/alexnet*.yaml"] # globs relative to the pyproject's folder
    max-params = "62M"
    max-macs = "1G"
    dtype = "fp16"                          # optional: batch and dtype the limits are measured at
    ```
    """
    if path is None:
        return Config()
    data, text = _load_toml(path)
    tool = data.get("tool", {}).get("paramcalc")
    if tool is None:
        return Config(file=_relative(path), root=path.parent)
    file = _relative(path)
    lines = _toml_key_lines(text)

    def error(message, key=None, header="tool.paramcalc", index=0):
        return SpecError(message, file=file, line=lines.get((header, index, key)) or lines.get((header, index, None)))

    if not isinstance(tool, dict):
        raise error("[tool.paramcalc] must be a table")
    known = ("paths", "baseline", "max_growth", "budget")
    for key in tool:
        if normalize_key(key) not in known:
            hint = difflib.get_close_matches(normalize_key(key), known, n=1)
            raise error(f"unknown key '{key}' in [tool.paramcalc]" + (f"; did you mean '{hint[0]}'?" if hint else
                        f" (known: {', '.join(known)})"), key)
    norm = {normalize_key(k): (k, v) for k, v in tool.items()}
    paths = norm.get("paths", (None, []))[1]
    if isinstance(paths, str):
        paths = [paths]
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise error("paths must be a list of files, folders or globs", norm["paths"][0])
    baseline = norm.get("baseline", (None, None))[1]
    if baseline is not None and not isinstance(baseline, str):
        raise error("baseline must be the path of a lock file", norm["baseline"][0])
    growth = None
    if "max_growth" in norm:
        try:
            growth = parse_percent(norm["max_growth"][1])
        except BudgetError as e:
            raise error(f"max-growth: {e}", norm["max_growth"][0]) from None
    raw_budgets = norm.get("budget", (None, []))[1]
    if isinstance(raw_budgets, dict):
        raw_budgets = [raw_budgets]
    if not isinstance(raw_budgets, list):
        raise error("budget must be an array of tables: [[tool.paramcalc.budget]]", norm["budget"][0])
    header = "tool.paramcalc.budget"
    sets = []
    for index, spec in enumerate(raw_budgets):
        if not isinstance(spec, dict):
            raise error("each [[tool.paramcalc.budget]] must be a table", "budget")
        globs = spec.get("files")
        if isinstance(globs, str):
            globs = [globs]
        if not globs or not isinstance(globs, list) or not all(isinstance(g, str) for g in globs):
            raise error("a [[tool.paramcalc.budget]] needs files = [\"glob\", ...] naming the architectures it "
                        "applies to", "files", header, index)
        s = budget_set(spec, origin="pyproject", file=file,
                       line_of=lambda key, i=index: lines.get((header, i, key)) or lines.get((header, i, None)),
                       extra_keys=("files",))
        sets.append(BudgetSet(s.limits, s.batch, s.dtype, "pyproject", tuple(globs)))
    if baseline is not None:
        baseline = _relative(path.parent / baseline)
    return Config(file=file, root=path.parent, paths=tuple(_relative(path.parent / p) for p in paths),
                  budgets=tuple(sets), baseline=baseline, max_growth=growth)


def _relative(path: Path) -> str:
    """A path as short as it can be from the working folder ('architectures', '../models/*.yaml')."""
    import os

    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


# --------------------------------------------------------------------------------------------------- evaluation

@record
class Outcome:
    """One model checked against one budget."""

    file: str                      # the architecture
    model: str
    budget: str                    # 'max_params', or 'growth of params' for a baseline
    label: str                     # 'parameters'
    limit_text: str                # '61,100,839'
    measured_text: str             # '61,100,840 (61.1M)'
    passed: bool
    over: Any = 0                  # how far past the limit (absolute), 0 when it holds
    over_percent: Fraction | None = None   # over / limit x 100 (None when the limit is 0)
    source_file: str | None = None  # where the budget was written (None: the command line)
    source_line: int | None = None
    origin: str = "architecture"
    measured: Any = None
    limit: Any = None
    message: str = ""
    details: dict = field(default_factory=dict, compare=False)


def _text(value, unit: str) -> str:
    if unit == "field":
        return "x".join(num.show(v) for v in value)
    if unit == "bytes":
        return f"{num.exact(value)} B ({num.human(value, bytes_=True)})" if value >= 1024 else f"{value} B"
    return f"{num.exact(value)} ({num.human(value)})" if value >= 1000 else num.exact(value)


class SymbolicTotal(SpecError):
    """A budgeted total that still depends on a symbol: a budget needs a number."""


# Budgets whose quantity another tool counts differently: measured in --convention's terms when one is given.
CONVENTION_QUANTITIES = {"max_params": "params", "max_trainable_params": "trainable_params", "max_macs": "macs",
                         "max_flops": "flops"}


def _measured(m: Metric, analysis: Analysis, convention: str | None):
    if convention is None or m.key not in CONVENTION_QUANTITIES:
        return m.measure(analysis.totals), m.label
    from .conventions import apply, measure

    return measure(apply(analysis, convention), CONVENTION_QUANTITIES[m.key]), f"{m.label} ({convention})"


def evaluate(analysis: Analysis, limit: Limit, convention: str | None = None) -> Outcome:
    """Check one limit against an analysis (params, MACs and FLOPs counted as ``convention`` counts them, if given).

    >>> from paramcalc.graph import build_graph
    >>> from paramcalc.spec import load_text
    >>> from paramcalc.engine import analyze
    >>> a = analyze(build_graph(load_text("input: [3, 32, 32]\\nlayers:\\n  - {type: conv, out: 6, kernel: 5}\\n")))
    >>> o = evaluate(a, Limit(METRICS['max_params'], 455, '455', 'command line'))
    >>> o.passed, o.over
    (False, 1)
    """
    m = limit.metric
    measured, label = _measured(m, analysis, convention)
    if measured is None or measured == ():
        raise SpecError(f"budget {m.key}: the model has no spatial axes, so it has no receptive field",
                        file=limit.file or analysis.file, line=limit.line if limit.file else None)
    values = measured if isinstance(measured, tuple) else (measured,)
    symbolic = [v for v in values if not num.is_concrete(v)]
    if symbolic:
        names = sorted({str(s) for v in symbolic for s in getattr(v, "free_symbols", ())})
        raise SymbolicTotal(
            f"budget {m.key} needs a number but the {label} are {num.show(symbolic[0])}: give "
            + (", ".join(names) or "the symbols") + " a value (a default under `symbols:` or --set "
            + (f"{names[0]}=..." if names else "NAME=VALUE") + ")", file=analysis.file)
    detail = {}
    if m.unit == "field":
        lim = limit.limit
        if len(lim) == 1:
            lim = lim * len(measured)
        if len(lim) != len(measured):
            raise SpecError(f"budget {m.key}: {len(lim)} sizes given but the model has {len(measured)} spatial "
                            f"axes", file=limit.file or analysis.file, line=limit.line if limit.file else None)
        gaps = [(mv - lv) if m.direction == "max" else (lv - mv) for mv, lv in zip(measured, lim)]
        worst = max(range(len(gaps)), key=lambda i: gaps[i])
        over, base = max(gaps[worst], 0), lim[worst]
        t = analysis.totals
        if t.receptive_field is not None and t.receptive_field.whole and t.spatial_receptive_field is not None:
            detail["field_layer"] = t.spatial_receptive_field_layer
        limit_text, measured_text = _text(lim, "field"), _text(measured, "field")
    else:
        gap = measured - limit.limit if m.direction == "max" else limit.limit - measured
        over, base = max(gap, 0), limit.limit
        limit_text, measured_text = _text(limit.limit, m.unit), _text(measured, m.unit)
    over = num.normalize(over)
    percent = num.normalize(Fraction(over) * 100 / Fraction(base)) if base else None
    passed = over == 0
    word = "below the minimum" if m.direction == "min" else "over the limit"
    if passed:
        message = f"{label} {measured_text} within {'minimum' if m.direction == 'min' else 'limit'} {limit_text}"
    else:
        pct = f" ({fmt_percent(percent)}%)" if percent is not None else ""
        message = (f"{label} {measured_text} {word} {limit_text} by {num.exact(over)}{pct}")
    if detail.get("field_layer"):
        message += f" (field at '{detail['field_layer']}', before it became the whole input)"
    return Outcome(file=analysis.file, model=analysis.name, budget=m.key, label=label, limit_text=limit_text,
                   measured_text=measured_text, passed=passed, over=over, over_percent=percent,
                   source_file=limit.file, source_line=limit.line, origin=limit.origin, measured=measured,
                   limit=limit.limit if m.unit != "field" else tuple(limit.limit), message=message, details=detail)
