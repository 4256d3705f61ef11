"""Renderers: turn an Analysis into text (rich table, JSON, Markdown, CSV). Display only: no counting here."""

from __future__ import annotations

from .. import num
from ..engine import ReceptiveField


def shape_text(shape) -> str:
    return "[" + ", ".join(num.show(s) for s in shape) + "]"


def field_text(rf: ReceptiveField | None) -> str:
    """'11x11 s4' (size and effective stride), 'whole input', or '' for non-spatial layers."""
    if rf is None:
        return ""
    if rf.whole:
        return "whole input"
    size = "x".join(num.show(s) for s in rf.size)
    strides = {num.show(s) for s in rf.stride}
    stride = strides.pop() if len(strides) == 1 else ",".join(num.show(s) for s in rf.stride)
    mark = " (unaligned)" if not rf.aligned else ""
    if getattr(rf, "global_context", False):
        mark += " +global"  # a merged branch (an SE gate) sees the whole input; the size is the spatial path's
    return f"{size} s{stride}{mark}"


def share(part, whole) -> str:
    if num.is_concrete(part) and num.is_concrete(whole) and whole:
        return f"{100 * part / whole:.1f}%"
    return ""


def symbols_text(symbols) -> str:
    return ", ".join(k if num.show(v) == k else f"{k}={num.show(v)}" for k, v in symbols)


def group_compute(convention, group: str):
    """The convention's compute summed over the layers of a block instance or repeat group."""
    prefix = group + "."
    return num.total(v for name, v in convention.per_layer if name.startswith(prefix))


def convention_rows(rows: list, convention) -> list:
    """Rows from engine.collapse with 'macs' replaced by the convention's per-layer compute (summed per group)."""
    if convention is None:
        return rows
    per_layer = dict(convention.per_layer)
    return [{**r, "macs": per_layer[r["name"]] if r["members"] == 1 and r["name"] in per_layer
             else group_compute(convention, r["name"])} for r in rows]


def convention_lines(ct, bullet: str = "") -> list[str]:
    """The convention's totals and its terms, as 'label: value' lines."""
    c = ct.convention
    h = num.human(ct.compute)
    figure = num.exact(ct.compute) if h in (num.show(ct.compute), num.exact(ct.compute)) else \
        f"{h} ({num.exact(ct.compute)})"
    lines = [f"{bullet}Convention {c.name} ({c.tool}): {figure} {c.unit}; params {num.exact(ct.params)} "
             f"(trainable {num.exact(ct.trainable_params)}, non-trainable {num.exact(ct.non_trainable_params)})"]
    for label, value in ct.terms:
        if not (num.is_concrete(value) and value == 0):
            lines.append(f"{bullet}  {label}: {num.exact(value)}")
    return lines
