"""JSON text that is quick to write and easy to read: the top levels one item a line, deeper values compact.

`json.dumps(indent=2)` runs Python's pure-Python encoder (5x slower than the C one at 10,000 layers); here every
value below ``levels`` is encoded by the C encoder in one call, and only the outer levels are laid out by hand.
"""

from __future__ import annotations

import json

compact = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=True).encode


class Encoded(str):
    """A value already written as JSON text (by ``compact`` or to the same layout): ``dumps`` puts it in as it is."""


def dumps(value, levels: int = 2, indent: str = "  ", _depth: int = 0) -> str:
    """Valid, deterministic JSON: dicts and lists nested less than ``levels`` deep get one item per line.

    >>> print(dumps({"a": 1, "b": [1, 2], "c": {"d": [3]}}, levels=1))
    {
      "a": 1,
      "b": [1, 2],
      "c": {"d": [3]}
    }
    """
    if isinstance(value, Encoded):
        return value
    if _depth >= levels or not isinstance(value, (dict, list)) or not value:
        return compact(value)
    pad = indent * (_depth + 1)
    if isinstance(value, dict):
        items = [f"{pad}{compact(str(k))}: {dumps(v, levels, indent, _depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent * _depth + "}"
    items = [pad + dumps(v, levels, indent, _depth + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + indent * _depth + "]"
