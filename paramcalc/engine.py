"""The engine: a pure walk of the graph that calls each layer type's rules and totals the results.

Conventions (written once, here and in README):
- params: elements of trainable tensors (PyTorch's ``parameters()``); buffers: non-trainable tensors such as
  BatchNorm's running_mean and running_var (PyTorch's ``buffers()``, without ``num_batches_tracked``).
- MACs: multiply-accumulates of conv, transposed conv and linear layers and of attention's products of two
  activations (Q·Kᵀ, A·V); this is what torchvision publishes as "GFLOPS".
- FLOPs: 2 x MACs, the convention of ``torch.utils.flop_counter``. Bias adds, normalisation, activations, pooling
  and element-wise merges are not in FLOPs; they are counted separately, per category, in ``ops``.
- Activation memory: the elements of the graph inputs and of every layer's output, x batch x dtype size (what a
  training step keeps for its backward pass); peak activation memory: the most of those same bytes alive at once
  during inference when each tensor is freed after its last use (None for symbolic sizes: which tensors peak
  together depends on their values). Both count the input, so the peak never exceeds the total.
- Weight memory: (params + buffers) x dtype size.
"""

from __future__ import annotations

from collections import namedtuple

from . import num
from .collector import paused
from .errors import RuleError, SpecError
from .graph import Graph, Node, used_at
from .layers import CATEGORIES, MAC_CATEGORIES, REGISTRY, AxisField, Field, Layer
from .layers.base import fmt_shape
from .records import field, record

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Any

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1, "fp64": 8}


@record
class ReceptiveField:
    """Receptive field at one layer in input pixels, one value per spatial axis; ``whole`` when it is the input."""

    size: tuple
    stride: tuple | None
    padding: tuple | None
    whole: bool = False
    aligned: bool = True
    global_context: bool = False   # a merged branch (an SE gate) sees the whole input; size is the spatial path's


@record
class LayerResult:
    name: str
    type: str
    inputs: tuple
    output_shape: tuple            # with the batch axis
    param_shapes: dict             # trainable tensors: name -> shape
    buffer_shapes: dict
    params: Any
    trainable_params: Any
    buffers: Any
    macs: Any                      # x batch
    flops: Any
    ops: dict                      # per category, x batch
    activation_elements: Any       # output elements x batch
    receptive_field: ReceptiveField | None
    scope: tuple = ()
    line: int | None = None
    input_shapes: tuple = ()       # each input's shape, with the batch axis (conventions count some ops per input)
    shared: dict = field(default_factory=dict)  # tensor name -> the layer it is tied to (counted there, not here)
    sequence: tuple | None = None  # (tokens, key/value cache elements x batch) of a self-attention layer


@record
class SequenceStats:
    """For models over token sequences (any self-attention layer), kept apart from the totals: the tokens one
    forward pass processes (sequence length x batch), FLOPs per token (the forward FLOPs / tokens) and the key/value
    cache that autoregressive decoding keeps at this sequence length and batch (every attention layer's keys and
    values, kv_heads x head_dim per token each, x bytes of the dtype)."""

    sequence_length: Any
    tokens: Any
    flops_per_token: Any
    kv_cache_elements: Any
    kv_cache_bytes: Any


@record
class Totals:
    params: Any
    trainable_params: Any
    buffers: Any
    macs: Any
    flops: Any
    ops: dict
    weight_bytes: Any
    activation_bytes: Any
    peak_activation_bytes: Any
    receptive_field: ReceptiveField | None
    layers_with_params: int
    spatial_receptive_field: ReceptiveField | None = None  # at the last layer before the field became whole
    spatial_receptive_field_layer: str | None = None


@record
class Analysis:
    name: str
    file: str
    symbols: tuple
    batch: int
    dtype: str
    inputs: tuple                  # (name, shape with batch)
    outputs: tuple                 # (name, shape with batch)
    layers: tuple
    totals: Totals
    warnings: tuple = ()
    graph: Graph | None = field(default=None, repr=False, compare=False)
    constraints: tuple = ()        # Constraint: sizes a merge needs equal, which only some symbol values make equal
    sequence: SequenceStats | None = None  # token models only: per-token FLOPs and the KV cache

    def layer(self, name: str) -> LayerResult:
        for l in self.layers:
            if l.name == name:
                return l
        raise KeyError(name)


def _times(x, factor):
    return None if x is None else num.scaled(x, factor)


def _input_field(shape) -> Field:
    return Field(tuple(AxisField(1, 1, 0) for _ in shape[1:]))


def _public_field(f: Field, extent: tuple, context: bool = False) -> ReceptiveField:
    if f.whole:
        return ReceptiveField(size=extent, stride=None, padding=None, whole=True)
    return ReceptiveField(size=tuple(a.size for a in f.axes), stride=tuple(a.stride for a in f.axes),
                          padding=tuple(a.padding for a in f.axes), aligned=f.aligned, global_context=context)


def analyze(graph: Graph, *, batch: int = 1, dtype: str = "fp32") -> Analysis:
    """Walk ``graph`` and compute every layer's shape, parameters, operations, receptive field and memory.

    >>> from paramcalc.graph import build_graph
    >>> from paramcalc.spec import load_text
    >>> g = build_graph(load_text("input: [3, 32, 32]\\nlayers:\\n  - {type: conv, out: 6, kernel: 5}\\n"))
    >>> analyze(g).totals.params
    456
    """
    if dtype not in DTYPE_BYTES:
        raise RuleError(f"unknown dtype '{dtype}' (one of {', '.join(DTYPE_BYTES)})")
    if not isinstance(batch, int) or batch < 1:
        raise RuleError(f"batch must be a positive whole number, got {batch}")
    return _walk(graph, batch, dtype)


class _Rules(namedtuple("_Rules", [
    "ins",                         # the input shapes they were computed for (rules remember geometry by this tuple)
    "out",
    "param_shapes",
    "buffer_shapes",
    "params",                      # with every tensor counted (a `tie:` takes the shared ones out per layer)
    "buffers",
    "ops",
    "macs",
    "flops",
    "elements",                    # of the output, per sample
    "activation_elements",         # x batch
    "input_shapes",                # with the batch axis
    "output_shape",
    "undecided",                   # (lhs, rhs) sizes the layer needs equal that only some symbol values make equal
    "sequence",
])):
    """What a layer's rules give for its attributes on one input: all of its result but the receptive field (which
    depends on the layers before it) and the names. A block repeated on the same input repeats them exactly."""

    __slots__ = ()

def _rules(layer, a, ins: tuple, batch: int) -> _Rules:
    """Apply a layer type's rules (all but the receptive field) to attributes ``a`` and input shapes ``ins``."""
    out = tuple(map(num.normalize, layer.shape(a, ins)))
    for axis, size in enumerate(out):
        if (size <= 0) if type(size) is int else not num.can_be_positive(size):
            raise RuleError(f"output axis {axis + 1} would have size {num.show(size)}")
    param_shapes = {k: tuple(v) for k, v in layer.params(a, ins, out).items()}
    buffer_shapes = {k: tuple(v) for k, v in layer.buffers(a, ins, out).items()}
    ops = {c: num.scaled(v, batch) for c, v in layer.ops(a, ins, out).items()}
    undecided = tuple((lhs, rhs) for lhs, rhs in layer.required_equal(a, ins) if num.equal(lhs, rhs) is None)
    sequence = layer.sequence(a, ins, out)
    macs = num.total([ops[c] for c in MAC_CATEGORIES if c in ops])
    elements = num.prod(out)
    return _Rules(
        ins, out, param_shapes, buffer_shapes,
        num.total(list(map(num.prod, param_shapes.values()))) if param_shapes else 0,
        num.total(list(map(num.prod, buffer_shapes.values()))) if buffer_shapes else 0,
        ops, macs, num.scaled(macs, 2), elements,
        elements * batch if type(elements) is int else elements if batch == 1 else num.prod((*out, batch)),
        tuple((batch, *s) for s in ins), (batch, *out), undecided,
        None if sequence is None else (sequence[0], num.scaled(sequence[1], batch)),
    )


@paused  # the walk frees nothing until it returns: collections would only rescan what is alive
def _walk(graph: Graph, batch: int, dtype: str) -> Analysis:
    nbytes = DTYPE_BYTES[dtype]
    shapes: dict[str, tuple] = {}
    elements: dict[str, Any] = {}  # of each tensor, per sample
    fields: dict[str, Field] = {}
    origins: dict[str, str] = {}   # the type of the layer that last changed each tensor's shape (its layout)
    contexts: dict[str, bool] = {}  # whether a whole-input branch was merged into each tensor's spatial path
    for name, shape in graph.inputs:
        shapes[name] = shape
        elements[name] = num.prod(shape)
        fields[name] = _input_field(shape)
        origins[name] = "input"
        contexts[name] = False
    extent = tuple(graph.inputs[0][1][1:])
    warnings: list[str] = list(graph.warnings)
    constraints: list = []
    results = []
    by_name: dict[str, LayerResult] = {}
    seen: dict[tuple, _Rules] = {}  # (type, attributes, input shapes) -> their rules' results
    public: dict[tuple, ReceptiveField] = {}  # (field, context) -> its public form: layers that keep a field share it
    for node in graph.nodes:
        ins = tuple(shapes[i] for i in node.inputs)
        result = _analyze_node(graph, node, ins, seen, public, shapes, elements, fields, contexts, extent, batch,
                               warnings, constraints, by_name)
        results.append(result)
        by_name[node.name] = result
        first = node.inputs[0] if node.inputs else None  # a learnt tensor has no input
        origins[node.name] = origins[first] if first is not None and shapes[node.name] == shapes[first] \
            else node.type
        layer = REGISTRY[node.type]
        if type(layer).notes is not Layer.notes:  # only a few types warn about suspicious use
            notes = layer.notes(node.attrs, ins, tuple(origins[i] for i in node.inputs))
            warnings.extend(f"{node.name}: {note}" for note in notes)

    total_params = num.total(r.params for r in results)
    trainable = num.total(r.trainable_params for r in results)
    buffers = num.total(r.buffers for r in results)
    terms: dict[str, list] = {c: [] for c in CATEGORIES}
    for r in results:
        for c, v in r.ops.items():
            terms.setdefault(c, []).append(v)
    ops = {c: num.total(terms[c]) for c in CATEGORIES}
    macs = num.total(ops[c] for c in MAC_CATEGORIES)
    # Activation memory, in all and at the peak, counts the same tensors: the graph inputs and every layer's output.
    activation_elements = num.total([*(num.scaled(num.prod(shape), batch) for _, shape in graph.inputs),
                                     *(r.activation_elements for r in results)])  # one sum, not a sum of sums
    out_name = graph.outputs[0]
    last_spatial = next((r for r in reversed(results)
                         if r.receptive_field is not None and not r.receptive_field.whole), None)
    totals = Totals(
        params=total_params, trainable_params=trainable, buffers=buffers, macs=macs, flops=num.scaled(macs, 2),
        ops=ops, weight_bytes=num.scaled(num.plus(total_params, buffers), nbytes),
        activation_bytes=num.scaled(activation_elements, nbytes),
        peak_activation_bytes=_times(_peak_elements(graph, shapes, elements, batch), nbytes),
        receptive_field=_public_field(fields[out_name], extent, contexts[out_name])
        if fields[out_name].axes or fields[out_name].whole else None,
        layers_with_params=sum(1 for r in results if r.param_shapes),
        spatial_receptive_field=last_spatial.receptive_field if last_spatial else None,
        spatial_receptive_field_layer=last_spatial.name if last_spatial else None,
    )
    return Analysis(
        name=graph.name, file=graph.file, symbols=graph.symbols, batch=batch, dtype=dtype,
        inputs=tuple((n, (batch, *s)) for n, s in graph.inputs),
        outputs=tuple((n, (batch, *shapes[n])) for n in graph.outputs),
        layers=tuple(results), totals=totals, warnings=tuple(warnings), graph=graph,
        constraints=_derived_constraints(constraints),
        sequence=_sequence_stats(results, totals.flops, batch, nbytes),
    )


def _sequence_stats(results, flops, batch, nbytes) -> SequenceStats | None:
    attention = [r.sequence for r in results if r.sequence is not None]
    if not attention:
        return None
    length = num.maximum(t for t, _ in attention)
    tokens = num.normalize(length * batch)
    cache = num.total(c for _, c in attention)
    per_token = num.div(flops, tokens)
    if not num.is_concrete(per_token):
        per_token = num.sympy().expand(num.sympy().cancel(per_token))
    return SequenceStats(sequence_length=length, tokens=tokens, flops_per_token=per_token,
                         kv_cache_elements=cache, kv_cache_bytes=num.normalize(cache * nbytes))


def _analyze_node(graph, node: Node, ins, seen, public, shapes, elements, fields, contexts, extent, batch, warnings,
                  constraints, done) -> LayerResult:
    layer = REGISTRY[node.type]
    a = node.attrs
    # The graph builder gives every instance of a repeated block's layer the same attributes object, so a layer
    # whose attributes and input shapes were seen before reuses its rules' results (the attributes stay alive in
    # the graph, so their id is not reused during the walk). The receptive field is computed for every layer.
    key = (node.type, id(a), ins)
    try:
        rules = seen.get(key)
        if rules is None:
            rules = seen[key] = _rules(layer, a, ins, batch)
        field = layer.receptive_field(a, rules.ins, tuple(fields[i] for i in node.inputs))
        shared = {} if node.tie is None else _tied(node, rules.param_shapes, done)
    except RuleError as e:
        message = str(e)
        if len(ins) > 1:
            message += " (inputs: " + ", ".join(f"{n} {fmt_shape(s)}" for n, s in zip(node.inputs, ins)) + ")"
        elif ins:
            message += f" (input {fmt_shape(ins[0])} from '{node.inputs[0]}')"
        message += used_at(node.calls)
        raise SpecError(message, file=graph.file, line=node.line, layer=node.name, layer_type=node.type) from None
    if rules.undecided:
        constraints.extend((node.name, lhs, rhs) for lhs, rhs in rules.undecided)
    if not getattr(layer, "cost_known", True):  # an importer's opaque node: the totals leave its work out
        warnings.append(f"{node.name}: {layer.unknown_cost_note(a, ins)}; params, MACs and FLOPs in the totals "
                        f"do not include it (unknown)")
    if not field.aligned and all(fields[i].aligned for i in node.inputs):
        warnings.append(f"{node.name}: merges receptive fields that are not aligned (different centres or strides); "
                        f"the largest is reported")
    shapes[node.name] = rules.out
    elements[node.name] = rules.elements
    fields[node.name] = field
    context = not field.whole and (field.global_context or any(
        contexts[i] for i in node.inputs if not fields[i].whole))
    contexts[node.name] = context
    receptive_field = None
    if field.axes or field.whole:
        receptive_field = public.get((id(field), context))  # fields stay alive in ``fields``: ids are not reused
        if receptive_field is None:
            receptive_field = public[id(field), context] = _public_field(field, extent, context)
    params = rules.params if not shared else \
        num.total(num.prod(s) for n, s in rules.param_shapes.items() if n not in shared)
    return _layer_result(
        name=node.name, type=node.type, inputs=node.inputs, output_shape=rules.output_shape,
        param_shapes=rules.param_shapes, buffer_shapes=rules.buffer_shapes,
        params=params, trainable_params=params if node.trainable else 0, buffers=rules.buffers,
        macs=rules.macs, flops=rules.flops, ops=rules.ops, activation_elements=rules.activation_elements,
        receptive_field=receptive_field, scope=node.scope, line=node.line, input_shapes=rules.input_shapes,
        shared=shared, sequence=rules.sequence,
    )


def _layer_result(**fields) -> LayerResult:
    """A LayerResult with every field given, made without the record's __init__, which binds and stores each of its
    19 fields one by one (0.7 µs more a layer). The result is the same frozen object; a test checks that the engine
    gives every field."""
    result = object.__new__(LayerResult)
    result.__dict__.update(fields)
    return result


def _tied(node: Node, param_shapes: dict, done: dict) -> dict:
    """The tensors a `tie:` layer shares with the layer it names (same name and shape): counted once, there."""
    if node.tie is None:
        return {}
    source = done[node.tie]

    def same(shape, other) -> bool:
        return other is not None and len(shape) == len(other) and all(num.equal(x, y) for x, y in zip(shape, other))

    shared = {name: node.tie for name, shape in param_shapes.items() if same(shape, source.param_shapes.get(name))}
    if not shared:
        mine = ", ".join(f"{n} {fmt_shape(s)}" for n, s in param_shapes.items()) or "none"
        theirs = ", ".join(f"{n} {fmt_shape(s)}" for n, s in source.param_shapes.items()) or "none"
        raise RuleError(f"tie: '{node.tie}' shares no tensor of the same name and shape (this layer: {mine}; "
                        f"'{node.tie}': {theirs})")
    if source.shared:
        raise RuleError(f"tie: '{node.tie}' is itself tied; tie to the layer that owns the tensors")
    return shared


def _derived_constraints(found) -> tuple:
    """One Constraint per distinct condition (the layers that need it listed), simplest form first."""
    if not found:
        return ()
    from .constraints import derive

    return derive(found)


def _peak_elements(graph: Graph, shapes, elements, batch):
    """Most elements alive at once in an inference pass that frees each tensor after its last use.

    None when sizes are symbolic: which tensors peak together depends on the values (give them with --set).
    """
    if graph.symbolic and not all(num.is_concrete(x) for s in shapes.values() for x in s):
        return None
    last_use: dict[str, int] = {}
    for i, node in enumerate(graph.nodes):
        for src in node.inputs:
            last_use[src] = i
    keep = set(graph.outputs)
    live = {name: elements[name] for name, _ in graph.inputs}
    current = peak = sum(live.values())
    for i, node in enumerate(graph.nodes):
        live[node.name] = elements[node.name]
        current += live[node.name]
        peak = max(peak, current)
        for src in set(node.inputs):
            if last_use.get(src) == i and src not in keep:
                current -= live.pop(src)
        if node.name not in last_use and node.name not in keep:
            current -= live.pop(node.name)
    return num.normalize(peak * batch)


def collapse(analysis: Analysis, depth: int | None) -> list[dict]:
    """Rows for display, with layers inside groups deeper than ``depth`` summed into one row per group.

    Each row: name, type, output_shape, params, macs, flops, receptive_field, members (how many layers it sums),
    line, and scope (the enclosing groups shown above it).
    """
    rows: list[dict] = []
    index: dict[str, dict] = {}
    members: dict[str, list] = {}
    for r in analysis.layers:
        if depth is not None and len(r.scope) > depth:
            group, gtype = r.scope[depth] if depth < len(r.scope) else r.scope[-1]
            key = group
            row = index.get(key)
            if row is None:
                row = {"name": group, "type": gtype, "output_shape": r.output_shape, "params": 0, "macs": 0,
                       "flops": 0, "receptive_field": r.receptive_field, "members": 0, "line": r.line,
                       "scope": r.scope[:depth]}
                index[key] = row
                members[key] = []
                rows.append(row)
            members[key].append(r)
            row["output_shape"] = r.output_shape
            row["receptive_field"] = r.receptive_field
            row["members"] += 1
        else:
            rows.append({"name": r.name, "type": r.type, "output_shape": r.output_shape, "params": r.params,
                         "macs": r.macs, "flops": r.flops, "receptive_field": r.receptive_field, "members": 1,
                         "line": r.line, "scope": r.scope})
    for key, layers in members.items():  # each group's sums in one step (symbolic sums grow if added one by one)
        for total in ("params", "macs", "flops"):
            index[key][total] = num.total(getattr(r, total) for r in layers)
    return rows


def group_totals(analysis: Analysis) -> dict:
    """Per block instance or repeat group (by name): summed params, MACs and FLOPs, and the output shape and
    receptive field of its last layer."""
    members: dict[str, list] = {}
    for r in analysis.layers:
        for group, _ in r.scope:
            layers = members.get(group)
            if layers is None:
                members[group] = [r]
            else:
                layers.append(r)
    return {group: {"params": num.total([r.params for r in layers]), "macs": num.total([r.macs for r in layers]),
                    "flops": num.total([r.flops for r in layers]), "output_shape": layers[-1].output_shape,
                    "receptive_field": layers[-1].receptive_field}
            for group, layers in members.items()}
