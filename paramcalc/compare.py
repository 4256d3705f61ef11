"""Designs side by side: their totals, each one's ratio to the first, their differences in words, stages aligned by name.

    targets --load_designs--> Designs (each analysed twice: symbols given by --set kept symbolic, then with values)
            --compare--> Comparison(totals rows, ratios to the first design, differences, aligned stage rows)

Every value is a ``Cell``: ``expr`` is the exact value with the --set symbols left symbolic (``18*c**2``), ``value``
the same quantity with the --set values (``294912``); both are equal when --set does not touch the design. Ratios
are exact and simplified (``18/25``). Display lives in paramcalc/render/compare_*.py.
"""

from __future__ import annotations

import difflib
import os
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping, Sequence

from . import num
from .bundled import resolve
from .engine import Analysis, ReceptiveField, analyze, collapse
from .errors import ParamcalcError, SpecError, UsageError
from .graph import build_graph, declared_symbols, parse_value
from .records import record, replace
from .spec import load_file


@record
class Cell:
    """One quantity of one design: exact with the --set symbols kept symbolic (expr), and with their values."""

    expr: Any
    value: Any


@record
class Design:
    """One compared design, analysed with the --set symbols symbolic (``exact``) and with their values (``valued``)."""

    label: str
    target: str
    block: str | None
    exact: Analysis
    valued: Analysis
    applied: tuple = ()          # (name, value) of the --set values this design declares
    ignored: tuple = ()          # --set names this design does not declare


@record
class Quantity:
    """One line of the side-by-side totals; ``ratios`` are to the first design (None where undefined)."""

    key: str
    label: str
    kind: str                    # count | bytes | field | shape | text
    cells: tuple
    ratios: tuple | None         # None for quantities without a ratio (shapes, names)


@record
class StagePart:
    """One design's share of a stage row."""

    name: str                    # the row's name in that design (blocks keep their own prefix)
    type: str
    members: int
    params: Cell
    macs: Cell
    flops: Cell
    output_shape: Cell
    share: Cell                  # params / the design's total params


@record
class StageRow:
    key: str                     # the name rows are aligned by
    parts: tuple                 # StagePart or None (missing in that design), one per design
    params_ratios: tuple         # to the first design's params in this row; None where undefined or missing


@record
class Comparison:
    designs: tuple
    settings: tuple              # (name, value) from --set
    batch: int
    dtype: str
    totals: tuple                # Quantity
    differences: tuple           # plain sentences
    stages: tuple | None         # StageRow, when a per-stage view was asked for
    depth: int | None = None     # the depth of the stage view (None: every layer)


# --------------------------------------------------------------------------------------------------- loading


def split_target(text: str) -> tuple[str, str | None]:
    """'net.yaml#bottleneck' -> ('net.yaml', 'bottleneck'); a plain file or bundled name has no block, and neither
    has a file whose own name has a '#' in it ('net#2.yaml' exists: it is that file, as ``show`` reads it)."""
    path, sep, block = str(text).rpartition("#")
    if not sep or os.path.exists(text):
        return str(text), None
    if not path or not block:
        raise UsageError(f"{text}: write a block target as FILE#BLOCK, e.g. resnet50.yaml#bottleneck")
    return path, block


def parse_input(text: str | None) -> tuple | None:
    """'256,56,56' or '4*c,H,H' -> a shape without batch whose entries the file's symbols may appear in."""
    if text is None:
        return None
    parts = tuple(p.strip() for p in str(text).strip("[]() ").split(","))
    if not parts or any(not p for p in parts):
        raise UsageError(f"--input {text}: expected sizes separated by commas, e.g. 256,56,56")
    return parts


def load_designs(targets: Sequence[str], settings: Mapping[str, str] | None = None, *, symbolic: bool = False,
                 batch: int = 1, dtype: str = "fp32", block_input: str | None = None) -> tuple:
    """Read and analyse each target: a file, a bundled name, or ``file.yaml#block`` (a block built alone).

    ``settings`` (--set) apply to every design that declares the symbol (a block's arguments count as symbols); a
    name no design declares is an error. ``block_input`` is the input of block targets ('256,56,56'; default: the
    file's own input). Errors name the target they come from.
    """
    if len(targets) < 2:
        raise UsageError("compare needs two or more designs (files, bundled names or FILE#BLOCK)")
    settings = dict(settings or {})
    values = {k: parse_value(v, k) if isinstance(v, str) else v for k, v in settings.items()}
    shape = parse_input(block_input)
    if shape is not None and not any(split_target(t)[1] for t in targets):
        raise UsageError("--input gives the input of FILE#BLOCK targets; none of the designs is one "
                         "(a whole file keeps its own input)")
    loaded = []
    for target in targets:
        where, block = split_target(target)
        try:
            path = resolve(where)
            raw = load_file(path)
        except ParamcalcError as e:
            raise _naming(e, target) from None
        loaded.append((target, path, block, raw, declared_symbols(raw, block)))
    everywhere = {name for *_, declared in loaded for name in declared}
    for name in values:
        if name not in everywhere:
            hint = difflib.get_close_matches(name, sorted(everywhere), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else \
                f" (they declare: {', '.join(sorted(everywhere)) or 'none'})"
            raise UsageError(f"--set {name}: none of the compared designs declares a symbol '{name}'{extra}")
    designs = []
    for target, path, block, raw, declared in loaded:
        mine = {k: v for k, v in values.items() if k in declared}
        try:
            exact, valued = _analyse(raw, str(path), block, mine, symbolic, batch, dtype, shape)
        except ParamcalcError as e:
            raise _naming(e, target) from None
        ignored = tuple(k for k in values if k not in declared)
        designs.append(Design(exact.name, str(target), block, exact, valued, tuple(mine.items()), ignored))
    return tuple(_unique_labels(designs))


def _analyse(raw, file, block, values, symbolic, batch, dtype, shape):
    def run(overrides):
        graph = build_graph(raw, file, overrides=overrides, symbolic=symbolic, block=block,
                            block_input=shape if block else None)
        return analyze(graph, batch=batch, dtype=dtype)

    if not values:
        a = run({})
        return a, a
    valued = run(values)
    try:
        exact = run({k: num.symbol(k) for k in values})
    except ParamcalcError:
        exact = valued  # a symbol the file needs as a number (a repeat count): only the values can be shown
    return exact, valued


def _naming(error: ParamcalcError, target: str) -> ParamcalcError:
    """The same error, sure to name the design it comes from."""
    text = str(error)
    if isinstance(error, SpecError) and error.file and (target in text or Path(error.file).name in text):
        return error
    return UsageError(f"{target}: {text}")


def _unique_labels(designs: list[Design]) -> list[Design]:
    labels = [d.label for d in designs]
    out = []
    for i, d in enumerate(designs):
        if labels.count(d.label) > 1:
            where = d.target if labels.count(d.label) == len({x.target for x in designs if x.label == d.label}) \
                else str(i + 1)
            d = replace(d, label=f"{d.label} ({where})")
        out.append(d)
    return out


# ------------------------------------------------------------------------------------------------ comparing

# (key, label, kind, how to read it from the totals)
QUANTITIES = (
    ("params", "Params", "count", lambda t: t.params),
    ("trainable_params", "Trainable params", "count", lambda t: t.trainable_params),
    ("buffers", "Buffers", "count", lambda t: t.buffers),
    ("macs", "MACs", "count", lambda t: t.macs),
    ("flops", "FLOPs", "count", lambda t: t.flops),
    ("weight_bytes", "Weight memory", "bytes", lambda t: t.weight_bytes),
    ("activation_bytes", "Activation memory", "bytes", lambda t: t.activation_bytes),
    ("peak_activation_bytes", "Peak activation memory", "bytes", lambda t: t.peak_activation_bytes),
    ("layers_with_params", "Depth (layers with params)", "count", lambda t: t.layers_with_params),
    ("receptive_field", "Receptive field at the output", "field", lambda t: t.receptive_field),
    ("spatial_receptive_field", "Receptive field at the last spatial layer", "field",
     lambda t: t.spatial_receptive_field),
    ("spatial_receptive_field_layer", "Last spatial layer", "text", lambda t: t.spatial_receptive_field_layer),
)


def compare(designs: Sequence[Design], *, depth: int | None = None, stages: bool = False,
            convention: str | None = None) -> Comparison:
    """Side-by-side totals with ratios to the first design, plain differences, and (``stages``) aligned stage rows.

    ``depth``: the stage view sums layers inside groups deeper than ``depth`` (0: one row per top-level layer,
    block or repeat group; None: every layer). A block target's own layers count as its top level.
    ``convention``: also count params and compute the way that tool does (paramcalc.conventions), as extra rows.

    >>> from paramcalc.compare import load_designs, compare
    >>> c = compare(load_designs(["vgg_one_5x5", "vgg_two_3x3"], {"c": "128"}))   # doctest: +SKIP
    >>> c.totals[0].ratios[1]                                                    # doctest: +SKIP
    Cell(expr=Fraction(18, 25), value=Fraction(18, 25))
    """
    designs = tuple(designs)
    rows = []
    for key, label, kind, read in QUANTITIES:
        cells = tuple(Cell(read(d.exact.totals), read(d.valued.totals)) for d in designs)
        if kind == "field":
            ratios = tuple(_field_ratio(c, cells[0]) for c in cells)
        elif kind == "text":
            ratios = None
        else:
            ratios = tuple(_cell_ratio(c, cells[0]) for c in cells)
        rows.append(Quantity(key, label, kind, cells, ratios))
    if convention is not None:
        rows[5:5] = _convention_rows(designs, convention)
    for key, label, attr in (("inputs", "Input shape", "inputs"), ("outputs", "Output shape", "outputs")):
        cells = tuple(Cell(_shapes(getattr(d.exact, attr)), _shapes(getattr(d.valued, attr))) for d in designs)
        rows.append(Quantity(key, label, "shape", cells, None))
    first = designs[0]
    settings: dict = {}
    for d in designs:
        for k, v in d.applied:
            settings.setdefault(k, v)
    settings = tuple(settings.items())
    stage_rows = _stages(designs, depth) if stages else None
    return Comparison(designs, settings, first.valued.batch, first.valued.dtype, tuple(rows),
                      tuple(_differences(designs)), stage_rows, depth)


def _convention_rows(designs, name: str) -> list:
    """Params and compute counted as the tool of convention ``name`` counts them, placed after FLOPs."""
    from .conventions import apply, get

    profile = get(name)
    exact = [apply(d.exact, name) for d in designs]
    valued = [apply(d.valued, name) for d in designs]
    rows = []
    for key, label, attr in (("convention_params", f"Params ({profile.name})", "params"),
                             ("convention_compute", f"{profile.unit} ({profile.name})", "compute")):
        cells = tuple(Cell(getattr(e, attr), getattr(v, attr)) for e, v in zip(exact, valued))
        rows.append(Quantity(key, label, "count", cells, tuple(_cell_ratio(c, cells[0]) for c in cells)))
    return rows


def _shapes(named) -> tuple:
    return tuple(shape for _, shape in named)


def ratio(x, base):
    """x / base, exact and simplified: Fractions for numbers, cancelled expressions for symbols; None if base is 0.

    >>> ratio(18, 25)
    Fraction(18, 25)
    """
    if x is None or base is None:
        return None
    if num.is_concrete(base) and base == 0:
        return None
    if num.is_concrete(x) and num.is_concrete(base):
        return num.normalize(Fraction(x) / Fraction(base))
    s = num.sympy()
    base_e = s.sympify(base)
    if base_e.is_zero:
        return None
    r = s.cancel(s.together(s.sympify(x) / base_e))
    if r.has(s.floor, s.ceiling, s.Max, s.Min):
        r = s.simplify(r)
    return num.normalize(r)


def _cell_ratio(cell: Cell, base: Cell) -> Cell | None:
    expr, value = ratio(cell.expr, base.expr), ratio(cell.value, base.value)
    if expr is None and value is None:
        return None
    return Cell(expr, value)


def _axis_ratios(f: ReceptiveField | None, base: ReceptiveField | None):
    if f is None or base is None or f.whole or base.whole or len(f.size) != len(base.size):
        return None
    out = tuple(ratio(a, b) for a, b in zip(f.size, base.size))
    return None if any(r is None for r in out) else out


def _field_ratio(cell: Cell, base: Cell) -> Cell | None:
    expr, value = _axis_ratios(cell.expr, base.expr), _axis_ratios(cell.value, base.value)
    if expr is None and value is None:
        return None
    return Cell(expr, value)


def _same_shape(a: tuple, b: tuple) -> bool | None:
    if len(a) != len(b):
        return False
    answers = [num.equal(x, y) for x, y in zip(a, b)]
    if any(x is False for x in answers):
        return False
    return None if any(x is None for x in answers) else True


def _shape_words(cell: Cell) -> str:
    from .layers.base import fmt_shape

    exact = ", ".join(fmt_shape(s) for s in cell.expr)
    valued = ", ".join(fmt_shape(s) for s in cell.value)
    return exact if exact == valued else f"{exact} = {valued}"


def _differences(designs: tuple) -> list[str]:
    """What makes the designs not like for like, in words: inputs, outputs, --set values that do not apply."""
    out = []
    for attr, noun, verb, after in (
            ("inputs", "Input shapes", "takes", "; each design's numbers are for its own input"),
            ("outputs", "Output shapes", "gives", "")):
        cells = [Cell(_shapes(getattr(d.exact, attr)), _shapes(getattr(d.valued, attr))) for d in designs]
        verdicts = []
        for c in cells[1:]:
            shapes_a, shapes_b = cells[0].value, c.value
            if len(shapes_a) != len(shapes_b):
                verdicts.append(False)
            else:
                same = [_same_shape(x, y) for x, y in zip(shapes_a, shapes_b)]
                verdicts.append(False if False in same else None if None in same else True)
        if all(v is True for v in verdicts):
            continue
        word = "differ" if any(v is False for v in verdicts) else "may differ (it depends on the symbols' values)"
        listing = "; ".join(f"{d.label} {verb} {_shape_words(c)}" for d, c in zip(designs, cells))
        out.append(f"{noun} {word}: {listing}{after}.")
    for d in designs:
        if d.ignored:
            names = ", ".join(d.ignored)
            out.append(f"--set {names} does not apply to {d.label} (it declares no such symbol).")
    for d in designs:
        for w in d.valued.warnings:
            out.append(f"{d.label}: {w}")
    return out


# --------------------------------------------------------------------------------------------------- stages


def _stage_parts(d: Design, depth: int | None) -> list[tuple[str, StagePart]]:
    """(alignment key, part) for each row of one design; a block target's rows drop the block's own prefix."""
    offset = 1 if d.block else 0
    level = None if depth is None else depth + offset
    exact_rows = collapse(d.exact, level)
    valued_rows = collapse(d.valued, level)
    prefix = f"{d.block}." if d.block else ""
    total = Cell(d.exact.totals.params, d.valued.totals.params)
    parts = []
    for e, v in zip(exact_rows, valued_rows):
        name = e["name"]
        key = name[len(prefix):] if prefix and name.startswith(prefix) else name
        params = Cell(e["params"], v["params"])
        parts.append((key, StagePart(
            name=name, type=e["type"], members=e["members"], params=params, macs=Cell(e["macs"], v["macs"]),
            flops=Cell(e["flops"], v["flops"]), output_shape=Cell(e["output_shape"], v["output_shape"]),
            share=_cell_ratio(params, total) or Cell(None, None))))
    return parts


def align(orders: Sequence[Sequence[str]]) -> list[str]:
    """One order of names holding every list's names, each list's own order kept where the lists agree.

    >>> align([["conv1", "layer1", "fc"], ["conv1", "layer1", "layer2", "fc"]])
    ['conv1', 'layer1', 'layer2', 'fc']
    """
    merged: list[str] = list(orders[0]) if orders else []
    for names in orders[1:]:
        present = set(merged)
        result: list[str] = []
        matcher = difflib.SequenceMatcher(None, merged, list(names), autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            result += merged[i1:i2]
            if op in ("insert", "replace"):
                result += [n for n in names[j1:j2] if n not in present and n not in result]
        merged = result
    return merged


def _stages(designs: tuple, depth: int | None) -> tuple:
    per_design = [_stage_parts(d, depth) for d in designs]
    lookup = [dict(parts) for parts in per_design]
    rows = []
    for key in align([[k for k, _ in parts] for parts in per_design]):
        parts = tuple(table.get(key) for table in lookup)
        base = parts[0]
        ratios = tuple(None if p is None or base is None else _cell_ratio(p.params, base.params) for p in parts)
        rows.append(StageRow(key, parts, ratios))
    return tuple(rows)
