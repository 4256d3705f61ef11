"""JSON text that is quick to write and easy to read: the top levels one item a line, deeper values compact.

`json.dumps(indent=2)` runs Python's pure-Python encoder (5x slower than the C one at 10,000 layers); here every
value below ``levels`` is encoded by the C encoder in one call, and only the outer levels are laid out by hand.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring_ascii

_ENCODER = json.JSONEncoder(separators=(", ", ": "), ensure_ascii=True)


def _c_compact():
    """JSONEncoder.encode without building a new C encoder object at each call (its cost for a small value): the
    same C encoder with the same settings, made once. Where the C accelerator is missing, JSONEncoder.encode."""
    if c_make_encoder is None:
        return _ENCODER.encode
    encoder = c_make_encoder(None, _ENCODER.default, encode_basestring_ascii, None, ": ", ", ", False, False, True)

    def compact(value) -> str:
        if type(value) is str:
            return encode_basestring_ascii(value)
        return "".join(encoder(value, 0))

    return compact


compact = _c_compact()


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
