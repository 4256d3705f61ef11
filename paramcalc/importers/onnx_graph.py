"""ONNX -> paramcalc: each node translated by the OPS table below (op type -> layer type + attribute translation),
initializers become the layers' parameters, symbolic dimensions (dim_param) become paramcalc symbols.

Nodes that only compute shapes (Shape, Gather, Unsqueeze, Concat of sizes, Constant) are evaluated, not mapped: a
Reshape whose target keeps the batch axis and folds the rest is a flatten. An op type not in the table is reported
with the node's name, never counted as zero.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UsageError
from .model import ImportedModel, ImportError_, Op, Unmapped, drop_defaults, unmapped_error

ONNX_HINT = "onnx is not installed; importing an ONNX model needs it: pip install onnx (or pip install '.[onnx]' from a paramcalc checkout)"


class Unsupported(Exception):
    """A mapped op used in a way paramcalc cannot express."""


ALIAS = "alias"


def require_onnx():
    try:
        import onnx  # noqa: F401
        from onnx import numpy_helper  # noqa: F401
    except ImportError:
        raise UsageError(ONNX_HINT) from None
    import onnx

    return onnx


def _spatial(values):
    values = [int(v) for v in values]
    return values[0] if len(set(values)) == 1 else values


def _padding(pads, nd):
    if not pads:
        return 0
    begins, ends = list(pads[:nd]), list(pads[nd:])
    if begins == ends:
        return _spatial(begins)
    return [[int(b), int(e)] for b, e in zip(begins, ends)]


def _no_auto_pad(n):
    if n.attr("auto_pad", "NOTSET") not in ("NOTSET", b"NOTSET"):
        raise Unsupported("auto_pad other than NOTSET (explicit pads) is not mapped")


# Each rule reads one node (``n``: attributes, data inputs, initializers) and returns (type, attributes,
# {PyTorch tensor name: initializer}, {buffer name: initializer}).

def _conv(n):
    _no_auto_pad(n)
    w = n.weight(1)
    nd = len(w.shape) - 2
    attrs = {"out": int(w.shape[0]), "kernel": _spatial(n.attr("kernel_shape", w.shape[2:])),
             "stride": _spatial(n.attr("strides", [1] * nd)), "padding": _padding(n.attr("pads", []), nd),
             "dilation": _spatial(n.attr("dilations", [1] * nd)), "groups": int(n.attr("group", 1)),
             "bias": len(n.inputs) > 2 and bool(n.inputs[2])}
    params = {"weight": n.inputs[1]}
    if attrs["bias"]:
        params["bias"] = n.inputs[2]
    return "conv", attrs, params, {}


def _conv_transpose(n):
    _no_auto_pad(n)
    w = n.weight(1)
    nd = len(w.shape) - 2
    pads = n.attr("pads", [0] * 2 * nd)
    if list(pads[:nd]) != list(pads[nd:]):
        raise Unsupported("asymmetric pads on a transposed convolution")
    group = int(n.attr("group", 1))
    attrs = {"out": int(w.shape[1]) * group, "kernel": _spatial(n.attr("kernel_shape", w.shape[2:])),
             "stride": _spatial(n.attr("strides", [1] * nd)), "padding": _spatial(pads[:nd]),
             "output_padding": _spatial(n.attr("output_padding", [0] * nd)),
             "dilation": _spatial(n.attr("dilations", [1] * nd)), "groups": group,
             "bias": len(n.inputs) > 2 and bool(n.inputs[2])}
    params = {"weight": n.inputs[1]}
    if attrs["bias"]:
        params["bias"] = n.inputs[2]
    return "conv_transpose", attrs, params, {}


def _gemm(n):
    if n.attr("transA", 0) or float(n.attr("alpha", 1.0)) != 1.0 or float(n.attr("beta", 1.0)) != 1.0:
        raise Unsupported("only Gemm with transA=0, alpha=1, beta=1 maps to linear")
    w = n.weight(1)
    out = int(w.shape[0] if n.attr("transB", 0) else w.shape[1])
    params = {"weight": n.inputs[1]}
    if len(n.inputs) > 2 and n.inputs[2]:
        params["bias"] = n.inputs[2]
    if not n.attr("transB", 0):
        n.transposed.add(n.inputs[1])
    return "linear", {"out": out, "bias": "bias" in params}, params, {}


def _matmul(n):
    w = n.weight(1)
    if len(w.shape) != 2:
        raise Unsupported("MatMul with a weight that is not a matrix")
    n.transposed.add(n.inputs[1])
    return "linear", {"out": int(w.shape[1]), "bias": False}, {"weight": n.inputs[1]}, {}


def _batchnorm(n):
    if n.attr("training_mode", 0):
        raise Unsupported("training-mode BatchNormalization")
    momentum = round(1 - float(n.attr("momentum", 0.9)), 6)
    attrs = {"eps": float(f"{float(n.attr('epsilon', 1e-5)):.6g}"), "momentum": momentum}
    return ("batchnorm", attrs, {"weight": n.inputs[1], "bias": n.inputs[2]},
            {"running_mean": n.inputs[3], "running_var": n.inputs[4]})


def _pool(kind):
    def rule(n):
        _no_auto_pad(n)
        k = n.attr("kernel_shape")
        nd = len(k)
        pads = n.attr("pads", [0] * 2 * nd)
        if list(pads[:nd]) != list(pads[nd:]):
            raise Unsupported("asymmetric pads on a pooling window")
        attrs = {"kernel": _spatial(k), "stride": _spatial(n.attr("strides", [1] * nd)),
                 "padding": _spatial(pads[:nd]), "ceil_mode": bool(n.attr("ceil_mode", 0))}
        if kind == "maxpool":
            attrs["dilation"] = _spatial(n.attr("dilations", [1] * nd))
            if len(n.outputs) > 1 and n.outputs[1]:
                raise Unsupported("MaxPool with an indices output")
        elif any(pads):
            attrs["count_include_pad"] = bool(n.attr("count_include_pad", 0))
        return kind, attrs, {}, {}
    return rule


def _simple(kind, **attrs):
    def rule(n):
        return kind, {k: (f(n) if callable(f) else f) for k, f in attrs.items()}, {}, {}
    return rule


def _clip(n):
    low = n.attr("min", None)
    high = n.attr("max", None)
    if len(n.inputs) > 1 and n.inputs[1]:
        low = float(n.const(1))
    if len(n.inputs) > 2 and n.inputs[2]:
        high = float(n.const(2))
    if low == 0 and high == 6:
        return "relu6", {}, {}, {}
    raise Unsupported(f"Clip to [{low}, {high}] (only [0, 6], ReLU6, is mapped)")


def _hardsigmoid(n):
    if abs(float(n.attr("alpha", 0.2)) - 1 / 6) > 1e-6 or abs(float(n.attr("beta", 0.5)) - 0.5) > 1e-6:
        raise Unsupported("HardSigmoid other than PyTorch's (alpha 1/6, beta 1/2)")
    return "hardsigmoid", {}, {}, {}


def _merge(kind):
    def rule(n):
        if n.constant_inputs():
            raise Unsupported(f"{n.op} with a constant tensor (only tensors merged together are mapped)")
        return kind, {}, {}, {}
    return rule


def _concat(n):
    if len(n.data) == 1:
        return ALIAS, {}, {}, {}
    return "concat", {"axis": int(n.attr("axis"))}, {}, {}


def _global(kind):
    def rule(n):
        return kind, {"size": 1}, {}, {}
    return rule


def _flatten(n):
    if int(n.attr("axis", 1)) != 1:
        raise Unsupported("Flatten from an axis other than 1")
    return "flatten", {}, {}, {}


def _reshape(n):
    target = n.shape_value(1)
    if target is None:
        raise Unsupported("a Reshape whose target shape is computed from data")
    first = target[0]
    # The batch axis: read from the input's shape, copied (0), or the literal 1 of a model exported at batch 1.
    if not (first == ("dim", 0) or (first == 0 and not n.attr("allowzero", 0)) or (first == 1 and n.ctx.batch_one)):
        raise Unsupported(f"a Reshape that does not keep the batch axis (target {target})")
    rest = target[1:]
    if rest == [-1]:
        return "flatten", {}, {}, {}
    if all(isinstance(x, int) and x != 0 for x in rest):
        return "reshape", {"shape": rest}, {}, {}
    raise Unsupported(f"a Reshape to {target}")


def _reduce_mean(n):
    axes = n.attr("axes", None)
    if axes is None and len(n.inputs) > 1 and n.inputs[1]:
        axes = [int(a) for a in n.const(1).reshape(-1)]
    rank = n.rank(0)
    if rank is None or axes is None or sorted(a % rank for a in axes) != list(range(2, rank)):
        raise Unsupported(f"a mean over axes {axes} (only over every spatial axis is mapped)")
    if n.attr("keepdims", 1):
        return "adaptive_avgpool", {"size": 1}, {}, {}
    return "global_avgpool", {}, {}, {}


def _dropout(n):
    ratio = 0.5
    if len(n.inputs) > 1 and n.inputs[1]:
        ratio = float(n.const(1))
    return "dropout", {"p": float(f"{float(n.attr('ratio', ratio)):.6g}")}, {}, {}


def _pad(n):
    mode = n.attr("mode", "constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = n.attr("pads", None)
    if pads is None:
        pads = [int(p) for p in n.const(1).reshape(-1)]
    value = float(n.const(2)) if len(n.inputs) > 2 and n.inputs[2] else 0.0
    if mode != "constant" or value != 0.0:
        raise Unsupported("only zero padding maps to zeropad")
    rank = len(pads) // 2
    begins, ends = pads[:rank], pads[rank:]
    if begins[:2] != [0, 0] or ends[:2] != [0, 0]:
        raise Unsupported("padding of the batch or channel axis")
    return "zeropad", {"padding": [[int(b), int(e)] for b, e in zip(begins[2:], ends[2:])]}, {}, {}


def _resize(n):
    mode = n.attr("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    scales = None
    for i in (2, 1):
        if len(n.inputs) > i and n.inputs[i]:
            c = n.const(i)
            if c is not None and c.size:
                scales = [float(x) for x in c.reshape(-1)]
                break
    if scales is None or len(scales) < 3 or scales[:2] != [1.0, 1.0]:
        raise Unsupported("a Resize without constant scales")
    if mode not in ("nearest", "linear"):
        raise Unsupported(f"Resize mode '{mode}'")
    kind = "nearest" if mode == "nearest" else "bilinear"
    scale = scales[2:]
    scale = [int(s) if float(s).is_integer() else s for s in scale]
    return "upsample", {"scale": scale[0] if len(set(scale)) == 1 else scale, "mode": kind}, {}, {}


def _prelu(n):
    slope = n.weight(1)
    channelwise = int(slope.size) > 1
    return "prelu", {"channelwise": channelwise}, {"weight": n.inputs[1]}, {}


def _lrn(n):
    return "lrn", {"size": int(n.attr("size")), "alpha": float(f"{float(n.attr('alpha', 1e-4)):.6g}"),
                   "beta": float(f"{float(n.attr('beta', 0.75)):.6g}"),
                   "k": float(f"{float(n.attr('bias', 1.0)):.6g}")}, {}, {}


OPS = {
    "Conv": _conv, "ConvTranspose": _conv_transpose, "Gemm": _gemm, "MatMul": _matmul,
    "BatchNormalization": _batchnorm, "LRN": _lrn,
    "Relu": _simple("relu"), "Sigmoid": _simple("sigmoid"), "Tanh": _simple("tanh"),
    "LeakyRelu": _simple("leaky_relu", negative_slope=lambda n: float(f"{float(n.attr('alpha', 0.01)):.6g}")),
    "Elu": _simple("elu", alpha=lambda n: float(f"{float(n.attr('alpha', 1.0)):.6g}")),
    "HardSwish": _simple("hardswish"), "HardSigmoid": _hardsigmoid, "Clip": _clip, "PRelu": _prelu,
    "Softmax": _simple("softmax", axis=lambda n: int(n.attr("axis", -1))),
    "Add": _merge("add"), "Sum": _merge("add"), "Mul": _merge("multiply"), "Concat": _concat,
    "MaxPool": _pool("maxpool"), "AveragePool": _pool("avgpool"),
    "GlobalAveragePool": _global("adaptive_avgpool"), "GlobalMaxPool": _global("adaptive_maxpool"),
    "Flatten": _flatten, "Reshape": _reshape, "ReduceMean": _reduce_mean, "Dropout": _dropout, "Pad": _pad,
    "Resize": _resize, "Upsample": _resize, "Identity": lambda n: (ALIAS, {}, {}, {}),
}
SHAPE_OPS = ("Shape", "Gather", "Unsqueeze", "Constant", "Concat", "Cast", "Squeeze")


# ------------------------------------------------------------------------------------------- reading


class _Node:
    """One ONNX node with what a rule needs: attributes, inputs, initializers, evaluated constants."""

    def __init__(self, node, ctx):
        from onnx import helper

        self.node = node
        self.op = node.op_type
        self.inputs = list(node.input)
        self.outputs = list(node.output)
        self._attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        self.ctx = ctx
        self.data = [i for i in self.inputs if i and i not in ctx.weights and i not in ctx.constants
                     and i not in ctx.shapes]
        self.transposed = ctx.transposed

    def attr(self, name, default=None):
        value = self._attrs.get(name, default)
        return value.decode() if isinstance(value, bytes) else value

    def weight(self, i):
        name = self.inputs[i] if i < len(self.inputs) else ""
        if name not in self.ctx.weights:
            raise Unsupported(f"input {i} ('{name}') is computed, not a stored tensor")
        return self.ctx.weights[name]

    def const(self, i):
        name = self.inputs[i]
        if name in self.ctx.constants:
            return self.ctx.constants[name]
        if name in self.ctx.weights:
            return self.ctx.weights[name]
        raise Unsupported(f"input {i} ('{name}') is not a constant")

    def constant_inputs(self):
        return [i for i in self.inputs if i in self.ctx.weights or i in self.ctx.constants]

    def shape_value(self, i):
        name = self.inputs[i]
        if name in self.ctx.shapes:
            return self.ctx.shapes[name]
        if name in self.ctx.constants or name in self.ctx.weights:
            return [int(x) for x in self.const(i).reshape(-1)]
        return None

    def rank(self, i):
        return self.ctx.ranks.get(self.inputs[i])


class _Context:
    def __init__(self):
        self.weights = {}     # initializer name (or an Identity alias of one) -> numpy array
        self.constants = {}   # Constant outputs -> numpy array
        self.shapes = {}      # shape values: list of ints or ("dim", axis) of the data tensor
        self.ranks = {}       # value -> rank, from shape inference
        self.transposed = set()
        self.batch_one = False  # the model's input has a fixed batch of 1


def _shape_op(n: _Node, ctx: _Context) -> bool:
    """Evaluate a node that only computes sizes; False when it is not one."""
    import numpy as np
    from onnx import numpy_helper

    op = n.op
    if op == "Constant":
        value = n._attrs.get("value")
        if value is None:
            return False
        ctx.constants[n.outputs[0]] = numpy_helper.to_array(value)
        return True
    if op == "Shape" and n.inputs[0] not in ctx.shapes:
        rank = ctx.ranks.get(n.inputs[0])
        if rank is None:
            return False
        start, end = int(n.attr("start", 0)), n.attr("end", None)
        ctx.shapes[n.outputs[0]] = [("dim", i) for i in range(rank)][start:end]
        return True
    sources = [ctx.shapes.get(i) if i in ctx.shapes else
               ([int(x) for x in ctx.constants[i].reshape(-1)] if i in ctx.constants else None) for i in n.inputs]
    if any(s is None for s in sources) or not sources:
        return False
    if op == "Gather" and len(sources) == 2:
        idx = ctx.constants.get(n.inputs[1])
        if idx is None:
            return False
        picked = [sources[0][int(i)] for i in np.asarray(idx).reshape(-1)]
        ctx.shapes[n.outputs[0]] = picked
        return True
    if op in ("Unsqueeze", "Squeeze", "Cast"):
        ctx.shapes[n.outputs[0]] = sources[0]
        return True
    if op == "Concat":
        ctx.shapes[n.outputs[0]] = [x for s in sources for x in s]
        return True
    return False


def _symbol(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", name)
    return text if text and not text[0].isdigit() else f"d_{text}"


def _layer_name(node, params: dict, used: set) -> str:
    """A path from the parameters' names ('layer1.0.conv1.weight' -> 'layer1.0.conv1') or from the node's."""
    if params:
        prefixes = {p.rsplit(".", 1)[0] if "." in p else p for p in params.values()}
        if len(prefixes) == 1:
            base = prefixes.pop()
            if base not in used:
                used.add(base)
                return base
    segments = [s for s in (node.name or node.op_type).split("/") if s]
    path = ""
    for s in segments[:-1]:  # the exporter's scopes: '/layer1/layer1.0/relu/Relu' -> 'layer1.0.relu'
        path = s if path and s.startswith(path + ".") else f"{path}.{s}" if path else s
    local = re.sub(r"[^A-Za-z0-9]+", "_", segments[-1] if segments else node.op_type).strip("_").lower() or "op"
    local = re.sub(r"_\d+$", "", local)
    base = path if path and path.split(".")[-1] == local else f"{path}.{local}" if path else local
    name, k = base, 1
    while name in used:
        k += 1
        name = f"{base}_{k}"
    used.add(name)
    return name


def read(path: str, *, defaults=None, opaque: bool = False):
    """An ONNX file as an ImportedModel, plus the initializers (name -> array) for the proof."""
    onnx = require_onnx()
    from onnx import numpy_helper

    if not Path(path).is_file():
        raise ImportError_(f"{path}: no such file")
    try:
        proto = onnx.load(path)
        inferred = onnx.shape_inference.infer_shapes(proto)
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ImportError_(f"{path}: not a readable ONNX model ({type(e).__name__}: {first[:200]})") from None
    g = inferred.graph
    if not len(g.node):
        raise ImportError_(f"{path}: the ONNX graph has no nodes")
    ctx = _Context()
    for init in g.initializer:
        ctx.weights[init.name] = numpy_helper.to_array(init)
    value_shapes = {}
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.shape.dim]
            value_shapes[vi.name] = dims
            ctx.ranks[vi.name] = len(dims)
    defaults = dict(defaults or {})
    symbols: dict = {}
    inputs = []
    for vi in g.input:
        if vi.name in ctx.weights:
            continue
        dims = value_shapes.get(vi.name)
        if not dims or len(dims) < 2:
            raise ImportError_(f"{path}: input '{vi.name}' has no shape with a batch axis")
        ctx.batch_one = ctx.batch_one or dims[0] == 1
        shape = []
        for d in dims[1:]:
            if isinstance(d, int) and d > 0:
                shape.append(d)
            else:
                sym = _symbol(d or "S")
                symbols[sym] = _int_default(defaults.pop(sym, None) if sym in defaults else None, sym, path)
                shape.append(sym)
        inputs.append((_symbol(vi.name), shape))
    if defaults:
        raise UsageError(f"--set {', '.join(defaults)}: no such symbolic dimension in {path} "
                         f"(its symbols: {', '.join(symbols) or 'none'})")
    ids = {vi_name: _symbol(vi_name) for vi_name in [vi.name for vi in g.input if vi.name not in ctx.weights]}
    ops, unmapped, used = [], [], set()
    for index, node in enumerate(g.node):
        n = _Node(node, ctx)
        if n.op == "Identity" and n.inputs[0] in ctx.weights:
            ctx.weights[n.outputs[0]] = ctx.weights[n.inputs[0]]
            continue
        if n.op in SHAPE_OPS and _shape_op(n, ctx):
            continue
        rule = OPS.get(n.op)
        where = f"node '{node.name or index}'"
        try:
            if rule is None:
                raise Unsupported("")
            kind, attrs, params, buffers = rule(n)
        except Unsupported as e:
            out_dims = value_shapes.get(n.outputs[0])
            if opaque and out_dims and all(isinstance(d, int) and d > 0 for d in out_dims[1:]):
                kind, attrs, params, buffers = "opaque", {"shape": list(out_dims[1:]),
                                                          "note": f"ONNX {n.op} node '{node.name}'"}, {}, {}
                n.data = [i for i in n.data if i in ids]
            else:
                unmapped.append(Unmapped(f"ONNX {n.op}", node.name, "", str(e)))
                continue
        if kind == ALIAS:
            ids[n.outputs[0]] = ids.get(n.data[0], n.data[0]) if n.data else n.outputs[0]
            continue
        if any(i not in ids for i in n.data):
            if not unmapped:
                raise ImportError_(f"{path}: node '{node.name}' ({n.op}) reads a value no node produces")
            continue  # it reads the output of an unmapped node, which is reported already
        name = _layer_name(node, {**params, **buffers}, used)
        shapes = {k: tuple(ctx.weights[v].shape) for k, v in params.items()}
        for k, v in params.items():
            if v in ctx.transposed:
                shapes[k] = tuple(reversed(shapes[k]))
            if kind == "prelu":
                shapes[k] = (int(ctx.weights[v].size),)
        expected = value_shapes.get(n.outputs[0]) or []
        op = Op(id=n.outputs[0], scope=(), local=name.replace(".", "_"), type=kind, attrs=drop_defaults(kind, attrs),
                inputs=tuple(ids[i] for i in n.data), shape=tuple(_dim(d) for d in expected[1:]),
                params=shapes, buffers={k: tuple(ctx.weights[v].shape) for k, v in buffers.items()},
                origin=f"ONNX {n.op} {where}")
        ops.append((op, {**params, **buffers}))
        ids[n.outputs[0]] = op.id
    if unmapped:
        raise unmapped_error(unmapped, path, hint=" (--opaque keeps them as nodes of unknown cost)"
                             if not opaque else "")
    outputs = tuple(ids.get(o.name, o.name) for o in g.output)
    produced = {op.id for op, _ in ops} | {name for name, _ in inputs}
    for o in outputs:
        if o not in produced:
            raise ImportError_(f"{path}: output '{o}' is not produced by a mapped node")
    tensors = {}
    for op, sources in ops:
        for key, init in sources.items():
            tensors[f"{op.local}.{key}"] = (init, init in ctx.transposed)
    total = sum(int(ctx.weights[init].size) for op, sources in ops for key, init in sources.items()
                if key in op.params)
    model = ImportedModel(
        name=Path(path).stem, source=f"imported from ONNX {Path(path).name} (opset "
                                     f"{', '.join(str(o.version) for o in proto.opset_import)}) by paramcalc import",
        inputs=tuple(inputs), symbols=symbols, ops=tuple(op for op, _ in ops), outputs=outputs,
        total_params=total)
    return model, ctx.weights, tensors


def _int_default(value, sym, path):
    if value is None:
        return None
    try:
        v = int(value)
    except ValueError:
        raise UsageError(f"--set {sym}={value}: a dimension must be a whole number") from None
    return v


def _dim(d):
    return d if isinstance(d, int) and d > 0 else "?"
