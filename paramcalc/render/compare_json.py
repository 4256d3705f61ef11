"""The JSON of `paramcalc compare --format json`: every value and ratio exact (documented in README, schema 1).

Each value is {"expr": ..., "value": ...}: ``expr`` with the --set symbols kept symbolic ("18*c**2"), ``value`` with
their values (294912); integers are JSON numbers, fractions "p/q" strings, expressions Python-syntax strings.
"""

from __future__ import annotations

import json

from .. import __version__, num
from ..compare import Cell, Comparison
from .jsonout import _field, _shape

SCHEMA = 1


def _value(x, kind: str):
    if kind == "field":
        return _field(x)
    if kind == "shape":
        return [_shape(s) for s in x]
    if kind == "shape1":
        return _shape(x)
    if kind == "text":
        return x
    if isinstance(x, tuple):  # a ratio per spatial axis
        return [num.to_json(v) for v in x]
    return num.to_json(x)


def _cell(cell: Cell | None, kind: str = "count"):
    if cell is None:
        return None
    return {"expr": _value(cell.expr, kind), "value": _value(cell.value, kind)}


def to_dict(c: Comparison) -> dict:
    designs = []
    for d in c.designs:
        designs.append({
            "label": d.label,
            "target": d.target,
            "name": d.exact.name,
            "file": d.exact.file,
            "block": d.block,
            "symbols": {k: num.to_json(v) for k, v in d.exact.symbols},
            "set": {k: num.to_json(v) for k, v in d.applied},
            "ignored_set": list(d.ignored),
            "inputs": [{"name": n, "shape": _cell(Cell(s, v), "shape1")}
                       for (n, s), (_, v) in zip(d.exact.inputs, d.valued.inputs)],
            "outputs": [{"name": n, "shape": _cell(Cell(s, v), "shape1")}
                        for (n, s), (_, v) in zip(d.exact.outputs, d.valued.outputs)],
        })
    totals = {}
    for q in c.totals:
        kind = q.kind if q.kind in ("field", "shape", "text") else "count"
        totals[q.key] = {
            "label": q.label,
            "values": [_cell(cell, kind) for cell in q.cells],
            "ratios": None if q.ratios is None else [_cell(r, "ratio") for r in q.ratios],
        }
    stages = None
    if c.stages is not None:
        stages = {"depth": c.depth, "rows": [
            {"name": r.key,
             "designs": [None if p is None else {
                 "name": p.name, "type": p.type, "members": p.members, "params": _cell(p.params),
                 "macs": _cell(p.macs), "flops": _cell(p.flops), "output_shape": _cell(p.output_shape, "shape1"),
                 "share_of_params": _cell(p.share)} for p in r.parts],
             "params_ratios": [_cell(x, "ratio") for x in r.params_ratios]}
            for r in c.stages]}
    return {
        "schema": SCHEMA,
        "kind": "comparison",
        "paramcalc_version": __version__,
        "set": {k: num.to_json(v) for k, v in c.settings},
        "batch": c.batch,
        "dtype": c.dtype,
        "ratio_to": c.designs[0].label,
        "designs": designs,
        "totals": totals,
        "differences": list(c.differences),
        "stages": stages,
    }


def render(c: Comparison) -> str:
    return json.dumps(to_dict(c), indent=2)
