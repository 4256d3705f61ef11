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
    return f"{size} s{stride}{mark}"


def share(part, whole) -> str:
    if num.is_concrete(part) and num.is_concrete(whole) and whole:
        return f"{100 * part / whole:.1f}%"
    return ""


def symbols_text(symbols) -> str:
    return ", ".join(k if num.show(v) == k else f"{k}={num.show(v)}" for k, v in symbols)
