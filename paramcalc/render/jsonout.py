"""The JSON contract of `paramcalc show --format json` (schema 1, documented in README): exact integers as JSON
numbers, symbolic values as Python-syntax strings ("18*c**2")."""

from __future__ import annotations

from .. import __version__, num
from ..engine import Analysis, ReceptiveField
from .jsontext import dumps

SCHEMA = 1


def _j(x):
    """num.to_json, with plain ints (nearly every value of a concrete model) passed straight through."""
    return x if type(x) is int else num.to_json(x)


def _shape(shape):
    return [s if type(s) is int else num.to_json(s) for s in shape]


def _field(rf: ReceptiveField | None):
    if rf is None:
        return None
    return {
        "size": _shape(rf.size),
        "stride": None if rf.stride is None else _shape(rf.stride),
        "padding": None if rf.padding is None else _shape(rf.padding),
        "whole_input": rf.whole,
        "aligned": rf.aligned,
        "global_context": rf.global_context,
    }


def convention_dict(ct) -> dict:
    """A convention's totals: the tool, its compute figure and unit, what it calls parameters, and each term."""
    c = ct.convention
    return {
        "name": c.name,
        "tool": c.tool,
        "unit": c.unit,
        "compute": num.to_json(ct.compute),
        "params": num.to_json(ct.params),
        "trainable_params": num.to_json(ct.trainable_params),
        "non_trainable_params": num.to_json(ct.non_trainable_params),
        "terms": [{"counts": label, "value": num.to_json(v)} for label, v in ct.terms],
        "layers": {name: num.to_json(v) for name, v in ct.per_layer},
    }


def constraints_list(a: Analysis) -> list:
    return [{"condition": c.text, "layers": list(c.layers), "equation": c.equation} for c in a.constraints]


def to_dict(a: Analysis, convention=None, breakdown=None) -> dict:
    """The schema-1 object; ``convention`` (ConventionTotals) and ``breakdown`` add keys of those names."""
    t = a.totals
    out = {
        "schema": SCHEMA,
        "paramcalc_version": __version__,
        "name": a.name,
        "file": a.file,
        "symbols": {k: num.to_json(v) for k, v in a.symbols},
        "batch": a.batch,
        "dtype": a.dtype,
        "inputs": [{"name": n, "shape": _shape(s)} for n, s in a.inputs],
        "outputs": [{"name": n, "shape": _shape(s)} for n, s in a.outputs],
        "totals": {
            "params": num.to_json(t.params),
            "trainable_params": num.to_json(t.trainable_params),
            "non_trainable_params": num.to_json(num.normalize(t.params - t.trainable_params)),
            "buffers": num.to_json(t.buffers),
            "macs": num.to_json(t.macs),
            "flops": num.to_json(t.flops),
            "ops": {k: num.to_json(v) for k, v in t.ops.items()},
            "weight_bytes": num.to_json(t.weight_bytes),
            "activation_bytes": num.to_json(t.activation_bytes),
            "peak_activation_bytes": num.to_json(t.peak_activation_bytes),
            "receptive_field": _field(t.receptive_field),
            "layers_with_params": t.layers_with_params,
            "spatial_receptive_field": _field(t.spatial_receptive_field),
            "spatial_receptive_field_layer": t.spatial_receptive_field_layer,
        },
        "layers": [
            {
                "name": l.name,
                "type": l.type,
                "inputs": list(l.inputs),
                "output_shape": _shape(l.output_shape),
                "params": _j(l.params),
                "trainable_params": _j(l.trainable_params),
                "buffers": _j(l.buffers),
                "param_shapes": {k: _shape(v) for k, v in l.param_shapes.items()},
                "buffer_shapes": {k: _shape(v) for k, v in l.buffer_shapes.items()},
                "macs": _j(l.macs),
                "flops": _j(l.flops),
                "ops": {k: _j(v) for k, v in l.ops.items()},
                "activation_elements": _j(l.activation_elements),
                "receptive_field": _field(l.receptive_field),
                "scope": [name for name, _ in l.scope],
                "line": l.line,
            }
            for l in a.layers
        ],
        "warnings": list(a.warnings),
        "constraints": constraints_list(a),
        "sequence": None if a.sequence is None else {
            "sequence_length": num.to_json(a.sequence.sequence_length),
            "tokens": num.to_json(a.sequence.tokens),
            "flops_per_token": num.to_json(a.sequence.flops_per_token),
            "kv_cache_elements": num.to_json(a.sequence.kv_cache_elements),
            "kv_cache_bytes": num.to_json(a.sequence.kv_cache_bytes),
        },
    }
    if convention is not None:
        out["convention"] = convention_dict(convention)
    if breakdown is not None:
        from .breakdown import to_dict as breakdown_dict

        out["breakdown"] = breakdown_dict(breakdown)
    return out


def render(a: Analysis, convention=None, breakdown=None, **_) -> str:
    """The schema-1 object as JSON text: top-level keys, totals and each layer one a line (render.jsontext)."""
    return dumps(to_dict(a, convention, breakdown), levels=2)
