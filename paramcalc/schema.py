"""JSON Schemas generated from the code: the YAML architecture format (from the layer registry) and `show --format json`.

The architecture schema lists every layer type and alias with each attribute's doc string, kind and default, taken
from the ``Attr`` declarations in ``paramcalc/layers/``; the shipped copies in ``paramcalc/schemas/`` are written by
``python -m paramcalc.schema --write`` and a test keeps them equal to what this module generates.

>>> schema = architecture_schema()
>>> "kernel" in schema["$defs"]["layer.conv"]["properties"]
True
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from .graph import LAYER_KEYS, TOP_LEVEL_KEYS
from .layers import REGISTRY, REQUIRED, Attr, canonical

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
ARCHITECTURE_FILE = "architecture.schema.json"
OUTPUT_FILE = "output.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

_EXPRESSION = {"type": "string", "minLength": 1,
               "description": "arithmetic over symbols and block arguments: 4*c, c//2, max(8, c//4)"}
_INTEGER_OR_EXPRESSION = {"anyOf": [{"type": "integer"}, {"$ref": "#/$defs/expression"}]}
_NUMBER_OR_EXPRESSION = {"anyOf": [{"type": "number"}, {"$ref": "#/$defs/expression"}]}
_BLOCK_ARGUMENT = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$",
                   "description": "inside a block: the name of one of its arguments"}

# What each kind of attribute accepts, with the words that README uses for it.
_KIND_DOC = {
    "size": "a positive whole number or an expression",
    "count": "a whole number >= 0 or an expression",
    "int": "a whole number or an expression",
    "number": "a number (0.5, 1e-5) or an expression",
    "bool": "true or false",
    "choice": "one of the listed words",
    "spatial": "an int, or a list with one per spatial axis",
    "spatial0": "an int >= 0, or a list with one per spatial axis",
    "padding": "an int, one per axis, per-side [[before, after], ...], 'same' or 'valid'",
    "scales": "a number, or a list with one per spatial axis",
    "shape": "a list of sizes (one may be -1)",
    "sizes": "a list of sizes, one per spatial axis",
    "axes": "a list of axes, counted with the batch axis (0)",
}

# The top-level keys and the keys every layer takes; a test keeps them equal to graph.TOP_LEVEL_KEYS / LAYER_KEYS.
_SHAPE = {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/integer_or_expression"},
          "description": "sizes without the batch axis: [C, H, W], [C, L] or [F]"}
_TOP_LEVEL = {
    "name": {"type": "string", "description": "the architecture's name"},
    "description": {"type": "string", "description": "free text"},
    "source": {"type": "string", "description": "where the definition comes from (paper, table, code)"},
    "notes": {"description": "free text"},
    "symbols": {"type": "object", "description": "symbolic sizes: {name: default}; null keeps the symbol symbolic",
                "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                "additionalProperties": {"anyOf": [{"type": "null"}, {"type": "number"},
                                                   {"$ref": "#/$defs/expression"}]}},
    "input": {**_SHAPE, "description": "the input shape without the batch axis, e.g. [3, 224, 224]"},
    "inputs": {"type": "object", "minProperties": 1, "description": "several inputs: {name: shape}",
               "additionalProperties": _SHAPE},
    "blocks": {"type": "object", "description": "named, parameterised sub-graphs: {name: {args, layers}}",
               "additionalProperties": {"$ref": "#/$defs/block"}},
    "layers": {"$ref": "#/$defs/layers"},
    "outputs": {"description": "layer names whose outputs are the network's outputs (default: the last layer)",
                "anyOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]},
    "budget": {"$ref": "#/$defs/budget"},
}
_REFERENCE = {"type": "string", "description": "an earlier layer, a graph input, `prev` or `in` (the block's input)"}
_LAYER_KEYS = {
    "type": {"type": "string", "description": "a layer type (see the list) or a block declared under `blocks:`"},
    "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_\\-]*$",
             "description": "unique within its block; default: the type and a counter (conv1, conv2, ...)"},
    "input": {"description": "the layer's input (default: the previous layer)",
              "anyOf": [_REFERENCE, {"type": "array", "minItems": 1, "items": _REFERENCE}]},
    "inputs": {"description": "the layer's inputs, for merges (add, concat, multiply)",
               "anyOf": [_REFERENCE, {"type": "array", "minItems": 1, "items": _REFERENCE}]},
    "repeat": {"description": "N copies in a row, named name.0 ... name.N-1 (a number known when the file is read)",
               "anyOf": [{"type": "integer", "minimum": 1}, {"$ref": "#/$defs/expression"}]},
    "trainable": {"type": "boolean", "description": "false: the layer's parameters count as non-trainable"},
    "note": {"description": "free text"},
    "tie": {"type": "string", "description": "an earlier layer whose tensors of the same name and shape this layer "
                                             "shares (GPT-2's lm_head and wte): counted once, there"},
}


def _value_schema(attr: Attr) -> dict:
    """What an attribute of this kind accepts in YAML."""
    kind = attr.kind
    if kind in ("size", "count", "int"):
        minimum = {"size": 1, "count": 0}.get(kind)
        integer = {"type": "integer"} if minimum is None else {"type": "integer", "minimum": minimum}
        return {"anyOf": [integer, {"$ref": "#/$defs/expression"}]}
    if kind == "number":
        return {"$ref": "#/$defs/number_or_expression"}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "choice":
        return {"enum": list(attr.choices)}
    if kind in ("spatial", "spatial0"):
        one = {"$ref": "#/$defs/integer_or_expression"}
        return {"anyOf": [one, {"type": "array", "minItems": 1, "items": one}]}
    if kind == "padding":
        one = {"$ref": "#/$defs/integer_or_expression"}
        pair = {"type": "array", "minItems": 2, "maxItems": 2, "items": one}
        return {"anyOf": [{"enum": ["same", "valid"]}, one,
                          {"type": "array", "minItems": 1, "items": one},
                          {"type": "array", "minItems": 1, "items": pair}]}
    if kind == "scales":
        one = {"$ref": "#/$defs/number_or_expression"}
        return {"anyOf": [one, {"type": "array", "minItems": 1, "items": one}]}
    if kind in ("shape", "sizes", "axes"):
        return {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/integer_or_expression"}}
    raise AssertionError(f"attribute kind {kind!r} has no schema")  # a new kind must be described here


def _json_default(value):
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value


def _attribute_schema(name: str, attr: Attr, in_block: bool) -> dict:
    value = _value_schema(attr)
    if in_block and attr.kind in ("bool", "choice"):
        value = {"anyOf": [value, {"$ref": "#/$defs/block_argument"}]}
    doc = attr.doc or name.replace("_", " ")
    if attr.default is REQUIRED:
        text = f"{doc} (required; {_KIND_DOC[attr.kind]})"
    elif attr.default is None:
        text = f"{doc} (optional; {_KIND_DOC[attr.kind]})"
    else:
        text = f"{doc} (default {json.dumps(_json_default(attr.default))}; {_KIND_DOC[attr.kind]})"
    out = {**value, "description": text}
    if attr.default is not REQUIRED and attr.default is not None:
        out["default"] = _json_default(attr.default)
    return out


def layer_types() -> dict:
    """Canonical type -> (layer, its names: the type first, then its aliases), in registry order."""
    out: dict = {}
    for name, layer in REGISTRY.items():
        out.setdefault(canonical(name), (layer, []))[1].append(name)
    return out


def _layer_def(kind: str, layer, names: list, in_block: bool) -> dict:
    properties = {key: {"$ref": f"#/$defs/layer_key.{key}"} for key in LAYER_KEYS}
    properties["type"] = {"enum": names, "description": layer.summary or kind}
    for attr_name, attr in layer.attributes.items():
        properties[attr_name] = _attribute_schema(attr_name, attr, in_block)
    required = ["type"] + [k for k, a in layer.attributes.items() if a.default is REQUIRED]
    lo, hi = layer.arity
    title = kind + (f" ({', '.join(names[1:])})" if len(names) > 1 else "")
    text = layer.summary or kind
    if lo > 1:
        text += f"; takes {lo}{' or more' if hi is None else f' to {hi}'} inputs"
    return {"title": title, "description": text, "type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def _layer_list(in_block: bool) -> dict:
    """A list of layers: each one's keys checked against its type's attributes; a block's name takes its args."""
    prefix = "block_layer." if in_block else "layer."
    known = [n for _, names in layer_types().values() for n in names]
    branches = []
    for kind, (_, names) in layer_types().items():
        branches.append({"if": {"properties": {"type": {"enum": names}}, "required": ["type"]},
                         "then": {"$ref": f"#/$defs/{prefix}{kind}"}})
    instance = {"type": "object", "required": ["type"], "description": "a layer of a built-in type, or an instance "
                "of a block declared under `blocks:` (its other keys are the block's arguments)",
                "properties": {**{k: {"$ref": f"#/$defs/layer_key.{k}"} for k in LAYER_KEYS},
                               "type": {"anyOf": [{"enum": known}, {"type": "string"}],
                                        "description": _LAYER_KEYS["type"]["description"]}},
                "allOf": branches}
    return {"type": "array", "minItems": 1, "items": instance}


def architecture_schema() -> dict:
    """The JSON Schema of paramcalc's YAML architecture format (v1), generated from the layer registry."""
    from .budget import BUDGET_KEYS

    defs: dict = {
        "expression": _EXPRESSION,
        "integer_or_expression": _INTEGER_OR_EXPRESSION,
        "number_or_expression": _NUMBER_OR_EXPRESSION,
        "block_argument": _BLOCK_ARGUMENT,
        "layers": {**_layer_list(False), "description": "the list of layers, in order"},
        "block_layers": {**_layer_list(True), "description": "a block's layers; values may name its arguments"},
        "block": {"type": "object", "required": ["layers"], "additionalProperties": False, "properties": {
            "args": {"type": "object", "description": "{argument: default}; null = required",
                     "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}},
            "layers": {"$ref": "#/$defs/block_layers"},
            "description": {"type": "string", "description": "free text"}}},
        "budget": {"type": "object", "additionalProperties": False,
                   "description": "limits checked by `paramcalc check` (README: 'Budgets in CI')",
                   "properties": {k: {"description": f"budget {k}: a number, or text with a unit such as 25M",
                                      "anyOf": [{"type": "number"}, {"type": "string"},
                                                {"type": "array", "items": {"type": ["number", "string"]}}]}
                                  for k in BUDGET_KEYS}},
    }
    for key in LAYER_KEYS:
        defs[f"layer_key.{key}"] = _LAYER_KEYS[key]
    for kind, (layer, names) in layer_types().items():
        defs[f"layer.{kind}"] = _layer_def(kind, layer, names, in_block=False)
        defs[f"block_layer.{kind}"] = _layer_def(kind, layer, names, in_block=True)
    return {
        "$schema": DIALECT,
        "title": "paramcalc architecture (YAML format v1)",
        "description": "A CNN declared for paramcalc: input shape, optional symbols and blocks, and the layers.",
        "type": "object",
        "properties": {key: _TOP_LEVEL[key] for key in TOP_LEVEL_KEYS},
        "required": ["layers"],
        "oneOf": [{"required": ["input"]}, {"required": ["inputs"]}],
        "additionalProperties": False,
        "$defs": defs,
    }


# ------------------------------------------------------------------------------------------ the JSON output

_EXACT = {"description": "an exact value: integers as numbers, fractions 'p/q', symbolic expressions in Python "
                         "syntax ('18*c**2')", "type": ["integer", "string"]}
_EXACT_OR_NULL = {"type": ["integer", "string", "null"], "description": _EXACT["description"] + "; null if unknown"}


def _obj(properties: dict, required=None, extra=True) -> dict:
    return {"type": "object", "properties": properties, "required": list(required or properties),
            "additionalProperties": extra}


def output_schema() -> dict:
    """The JSON Schema of `paramcalc show --format json` (schema 1). New keys may appear; none are renamed."""
    from .layers import CATEGORIES

    exact = {"$ref": "#/$defs/exact"}
    shape = {"type": "array", "items": exact}
    ops = _obj({c: exact for c in CATEGORIES}, required=CATEGORIES)
    field = {"anyOf": [{"type": "null"}, _obj({
        "size": shape, "stride": {"anyOf": [shape, {"type": "null"}]},
        "padding": {"anyOf": [shape, {"type": "null"}]}, "whole_input": {"type": "boolean"},
        "aligned": {"type": "boolean"}})]}
    named_shape = {"type": "array", "items": _obj({"name": {"type": "string"}, "shape": shape})}
    tensors = {"type": "object", "additionalProperties": shape}
    layer = _obj({
        "name": {"type": "string"}, "type": {"type": "string"},
        "inputs": {"type": "array", "items": {"type": "string"}}, "output_shape": shape,
        "params": exact, "trainable_params": exact, "buffers": exact,
        "param_shapes": tensors, "buffer_shapes": tensors, "macs": exact, "flops": exact,
        "ops": {"type": "object", "additionalProperties": exact}, "activation_elements": exact,
        "receptive_field": {"$ref": "#/$defs/receptive_field"},
        "scope": {"type": "array", "items": {"type": "string"},
                  "description": "the enclosing block instances and repeat groups, outermost first"},
        "line": {"type": ["integer", "null"]}})
    totals = _obj({
        "params": exact, "trainable_params": exact, "non_trainable_params": exact, "buffers": exact,
        "macs": exact, "flops": exact, "ops": ops, "weight_bytes": exact, "activation_bytes": exact,
        "peak_activation_bytes": {"$ref": "#/$defs/exact_or_null"},
        "receptive_field": {"$ref": "#/$defs/receptive_field"}, "layers_with_params": {"type": "integer"},
        "spatial_receptive_field": {"$ref": "#/$defs/receptive_field"},
        "spatial_receptive_field_layer": {"type": ["string", "null"]}})
    return {
        "$schema": DIALECT,
        "title": "paramcalc show --format json (schema 1)",
        "description": "One analysed architecture: totals and every layer, with exact values.",
        **_obj({
            "schema": {"const": 1}, "paramcalc_version": {"type": "string"},
            "name": {"type": "string"}, "file": {"type": "string"},
            "symbols": {"type": "object", "additionalProperties": exact},
            "batch": {"type": "integer", "minimum": 1}, "dtype": {"type": "string"},
            "inputs": named_shape, "outputs": named_shape, "totals": totals,
            "layers": {"type": "array", "items": layer},
            "warnings": {"type": "array", "items": {"type": "string"}},
            "constraints": {"type": "array", "items": _obj({
                "condition": {"type": "string"}, "layers": {"type": "array", "items": {"type": "string"}},
                "equation": {"type": "string"}})},
            "sequence": {"anyOf": [{"type": "null"}, _obj({
                "sequence_length": exact, "tokens": exact, "flops_per_token": exact, "kv_cache_elements": exact,
                "kv_cache_bytes": exact})], "description": "models with self-attention: FLOPs per token and the "
                                                          "key/value cache at this sequence length and batch"},
            "convention": {"type": "object", "description": "with --convention"},
            "breakdown": {"type": "object", "description": "with --breakdown"},
        }, required=["schema", "paramcalc_version", "name", "file", "symbols", "batch", "dtype", "inputs",
                     "outputs", "totals", "layers", "warnings", "constraints"]),
        "$defs": {"exact": _EXACT, "exact_or_null": _EXACT_OR_NULL, "receptive_field": field},
    }


def text(schema: dict) -> str:
    """The schema as the shipped file holds it: sorted keys are not used, so the order reads top-down."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def shipped(file: str) -> str:
    """The text of a schema file shipped in the package."""
    return (SCHEMA_DIR / file).read_text(encoding="utf-8")


def write() -> None:
    """Regenerate the shipped schema files (after adding a layer type or attribute)."""
    SCHEMA_DIR.mkdir(exist_ok=True)
    (SCHEMA_DIR / ARCHITECTURE_FILE).write_text(text(architecture_schema()), encoding="utf-8")
    (SCHEMA_DIR / OUTPUT_FILE).write_text(text(output_schema()), encoding="utf-8")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write"]:
        write()
    else:
        sys.exit("usage: python -m paramcalc.schema --write   (regenerates paramcalc/schemas/*.json)")
