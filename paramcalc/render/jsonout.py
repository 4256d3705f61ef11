"""The JSON contract of `paramcalc show --format json` (schema 1, documented in README): exact integers as JSON
numbers, symbolic values as Python-syntax strings ("18*c**2")."""

from __future__ import annotations

from json.encoder import encode_basestring_ascii as _string

from .. import __version__, num
from ..collector import paused
from ..engine import Analysis, LayerResult, ReceptiveField
from .jsontext import Encoded, compact, dumps

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


def _tensor_shapes(tensors: dict) -> dict:
    return {k: _shape(v) for k, v in tensors.items()}


def _ops(ops: dict) -> dict:
    return {k: _j(v) for k, v in ops.items()}


def _scope(scope: tuple) -> list:
    return [name for name, _ in scope]


def layer_dict(l: LayerResult) -> dict:
    """One layer's entry of the schema-1 object (``layer_text`` writes the same as JSON text)."""
    return {
        "name": l.name,
        "type": l.type,
        "inputs": list(l.inputs),
        "output_shape": _shape(l.output_shape),
        "params": _j(l.params),
        "trainable_params": _j(l.trainable_params),
        "buffers": _j(l.buffers),
        "param_shapes": _tensor_shapes(l.param_shapes),
        "buffer_shapes": _tensor_shapes(l.buffer_shapes),
        "macs": _j(l.macs),
        "flops": _j(l.flops),
        "ops": _ops(l.ops),
        "activation_elements": _j(l.activation_elements),
        "receptive_field": _field(l.receptive_field),
        "scope": _scope(l.scope),
        "line": l.line,
    }


def _value_text(x) -> str:
    return str(x) if type(x) is int else compact(num.to_json(x))


def _names_text(names) -> str:
    return "[" + ", ".join(map(_string, names)) + "]"


def layer_writer():
    """A function writing ``layer_dict(l)`` as compact JSON text from pieces, 5-10x quicker than encoding each
    layer's dict (most of the time of `show --format json` on a deep model; a test checks the two agree).

    The values many layers share are encoded once each: a repeated block's layers share their shapes, tensor tables
    and ops, the layers of a block instance their scope, and layers that keep a receptive field share it. They are
    remembered by identity, for the life of the writer (the values stay alive in the analysis meanwhile, so an id
    is not reused)."""
    texts: dict[int, tuple] = {}

    def shared(value, as_json) -> str:
        found = texts.get(id(value))
        if found is None:
            found = texts[id(value)] = (value, compact(as_json(value)))
        return found[1]

    def counts_text(l: LayerResult) -> str:
        """The keys from output_shape to activation_elements: the same for every instance of a repeated layer."""
        v = _value_text
        return (f'"output_shape": {shared(l.output_shape, _shape)}, "params": {v(l.params)}, '
                f'"trainable_params": {v(l.trainable_params)}, "buffers": {v(l.buffers)}, '
                f'"param_shapes": {shared(l.param_shapes, _tensor_shapes)}, '
                f'"buffer_shapes": {shared(l.buffer_shapes, _tensor_shapes)}, "macs": {v(l.macs)}, '
                f'"flops": {v(l.flops)}, "ops": {shared(l.ops, _ops)}, '
                f'"activation_elements": {v(l.activation_elements)}')

    counts: dict[tuple, str] = {}

    def layer_text(l: LayerResult) -> str:
        # Shared tables by identity (see above), numbers by value: equal numbers are written alike.
        key = (id(l.output_shape), id(l.param_shapes), id(l.buffer_shapes), id(l.ops), l.params,
               l.trainable_params, l.buffers, l.macs, l.flops, l.activation_elements)
        middle = counts.get(key)
        if middle is None:
            middle = counts[key] = counts_text(l)
        return (f'{{"name": {_string(l.name)}, "type": {_string(l.type)}, "inputs": {_names_text(l.inputs)}, '
                f'{middle}, "receptive_field": {shared(l.receptive_field, _field)}, '
                f'"scope": {shared(l.scope, _scope)}, "line": {_value_text(l.line)}}}')

    return layer_text


def to_dict(a: Analysis, convention=None, breakdown=None) -> dict:
    """The schema-1 object; ``convention`` (ConventionTotals) and ``breakdown`` add keys of those names."""
    return _document(a, [layer_dict(l) for l in a.layers], convention, breakdown)


def _document(a: Analysis, layers: list, convention, breakdown) -> dict:
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
        "layers": layers,
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


@paused  # the text is built of many small pieces, all alive until it is joined
def render(a: Analysis, convention=None, breakdown=None, **_) -> str:
    """The schema-1 object as JSON text: top-level keys, totals and each layer one a line (render.jsontext)."""
    layer_text = layer_writer()
    layers = [Encoded(layer_text(l)) for l in a.layers]
    return dumps(_document(a, layers, convention, breakdown), levels=2)
