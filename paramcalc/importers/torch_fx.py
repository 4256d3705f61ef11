"""PyTorch -> paramcalc: the module is built without weights (meta device), traced with torch.fx, and each traced
operation translated by the tables below (torch.nn class, function or tensor method -> layer type + attributes).

The tables are the whole vocabulary: an operation not in them is reported (name, module path, source line), never
guessed from a class name and never counted as zero. Adding a mapping is one row.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path

from ..errors import UsageError
from .model import ImportedModel, ImportError_, Op, Unmapped, drop_defaults, unmapped_error
from ..records import record

TORCH_HINT = "PyTorch is not installed; importing a PyTorch model needs it: pip install torch (or pip install '.[torch]' from a paramcalc checkout)"
BATCH = 2  # traced batch: 2, so that an operation that mixes the batch axis into others shows as a changed size


class Unsupported(Exception):
    """A mapped operation used in a way paramcalc cannot express (the reason is the message)."""


ALIAS = "alias"  # the output is the input itself (contiguous(), a concat of one tensor): no layer


def _spatial(v):
    """A size, or one per axis: an int when all axes agree (3 for (3, 3)), else a list."""
    if isinstance(v, (tuple, list)):
        v = [int(x) for x in v]
        return v[0] if len(set(v)) == 1 else v
    return v


def _has_bias(m):
    return m.bias is not None


def _conv_padding(m):
    if isinstance(m.padding, str):
        return m.padding
    return _spatial(m.padding)


def _upsample_scale(m):
    return None if m.scale_factor is None else _spatial(m.scale_factor)


def _upsample_size(m):
    return None if m.size is None else list(m.size) if isinstance(m.size, (tuple, list)) else m.size


def _zeropad(m):
    left, right, top, bottom = m.padding  # PyTorch orders the last axis first
    return [[top, bottom], [left, right]]


def _output_size(m):
    size = m.output_size
    if isinstance(size, (tuple, list)) and any(s is None for s in size):
        raise Unsupported("an output size with None (keep the input's size) has no paramcalc equivalent")
    return _spatial(size)


def _norm_dims(m):
    return len(m.normalized_shape)


@record
class ModuleRule:
    """A torch.nn class -> a layer type; ``attrs``: paramcalc attribute -> the module's attribute name, or a
    function of the module; ``requires``: (module attribute, allowed values, why) that must hold."""

    type: str
    attrs: tuple = ()
    requires: tuple = ()


_CONV = (("out", "out_channels"), ("kernel", "kernel_size"), ("stride", "stride"), ("padding", _conv_padding),
         ("dilation", "dilation"), ("groups", "groups"), ("bias", _has_bias))
_CONV_REQ = (("padding_mode", ("zeros",), "only zero padding is modelled"),)
_CONVT = (("out", "out_channels"), ("kernel", "kernel_size"), ("stride", "stride"), ("padding", "padding"),
          ("output_padding", "output_padding"), ("dilation", "dilation"), ("groups", "groups"), ("bias", _has_bias))
_BN = (("eps", "eps"), ("momentum", "momentum"), ("affine", "affine"), ("track_running_stats", "track_running_stats"))
_BN_REQ = (("momentum", "number", "momentum=None (a cumulative average) has no paramcalc equivalent"),)
_MAXPOOL = (("kernel", "kernel_size"), ("stride", "stride"), ("padding", "padding"), ("dilation", "dilation"),
            ("ceil_mode", "ceil_mode"))
_AVGPOOL = (("kernel", "kernel_size"), ("stride", "stride"), ("padding", "padding"), ("ceil_mode", "ceil_mode"),
            ("count_include_pad", "count_include_pad"))
_POOL_REQ = (("return_indices", (False,), "pooling indices are not modelled"),)

NN = "torch.nn.modules."
MODULES = {
    NN + "conv.Conv1d": ModuleRule("conv", _CONV, _CONV_REQ),
    NN + "conv.Conv2d": ModuleRule("conv", _CONV, _CONV_REQ),
    NN + "conv.Conv3d": ModuleRule("conv", _CONV, _CONV_REQ),
    NN + "conv.ConvTranspose1d": ModuleRule("conv_transpose", _CONVT, _CONV_REQ),
    NN + "conv.ConvTranspose2d": ModuleRule("conv_transpose", _CONVT, _CONV_REQ),
    NN + "conv.ConvTranspose3d": ModuleRule("conv_transpose", _CONVT, _CONV_REQ),
    NN + "linear.Linear": ModuleRule("linear", (("out", "out_features"), ("bias", _has_bias))),
    NN + "batchnorm.BatchNorm1d": ModuleRule("batchnorm", _BN, _BN_REQ),
    NN + "batchnorm.BatchNorm2d": ModuleRule("batchnorm", _BN, _BN_REQ),
    NN + "batchnorm.BatchNorm3d": ModuleRule("batchnorm", _BN, _BN_REQ),
    NN + "normalization.LayerNorm": ModuleRule("layernorm", (("dims", _norm_dims), ("affine", "elementwise_affine"),
                                                             ("bias", lambda m: m.bias is not None), ("eps", "eps"))),
    NN + "normalization.GroupNorm": ModuleRule("groupnorm", (("groups", "num_groups"), ("affine", "affine"),
                                                             ("eps", "eps"))),
    NN + "normalization.LocalResponseNorm": ModuleRule("lrn", (("size", "size"), ("alpha", "alpha"),
                                                               ("beta", "beta"), ("k", "k"))),
    NN + "activation.ReLU": ModuleRule("relu"),
    NN + "activation.ReLU6": ModuleRule("relu6"),
    NN + "activation.LeakyReLU": ModuleRule("leaky_relu", (("negative_slope", "negative_slope"),)),
    NN + "activation.ELU": ModuleRule("elu", (("alpha", "alpha"),)),
    NN + "activation.Sigmoid": ModuleRule("sigmoid"),
    NN + "activation.Tanh": ModuleRule("tanh"),
    NN + "activation.GELU": ModuleRule("gelu", (("approximate", "approximate"),)),
    NN + "activation.SiLU": ModuleRule("silu"),
    NN + "activation.Hardswish": ModuleRule("hardswish"),
    NN + "activation.Hardsigmoid": ModuleRule("hardsigmoid"),
    NN + "activation.PReLU": ModuleRule("prelu", (("channelwise", lambda m: m.num_parameters > 1),)),
    NN + "activation.Softmax": ModuleRule("softmax", (("axis", "dim"),)),
    NN + "pooling.MaxPool1d": ModuleRule("maxpool", _MAXPOOL, _POOL_REQ),
    NN + "pooling.MaxPool2d": ModuleRule("maxpool", _MAXPOOL, _POOL_REQ),
    NN + "pooling.MaxPool3d": ModuleRule("maxpool", _MAXPOOL, _POOL_REQ),
    NN + "pooling.AvgPool1d": ModuleRule("avgpool", _AVGPOOL),
    NN + "pooling.AvgPool2d": ModuleRule("avgpool", _AVGPOOL, (("divisor_override", (None,), "divisor_override "
                                                               "is not modelled"),)),
    NN + "pooling.AvgPool3d": ModuleRule("avgpool", _AVGPOOL),
    NN + "pooling.AdaptiveAvgPool1d": ModuleRule("adaptive_avgpool", (("size", _output_size),)),
    NN + "pooling.AdaptiveAvgPool2d": ModuleRule("adaptive_avgpool", (("size", _output_size),)),
    NN + "pooling.AdaptiveAvgPool3d": ModuleRule("adaptive_avgpool", (("size", _output_size),)),
    NN + "pooling.AdaptiveMaxPool2d": ModuleRule("adaptive_maxpool", (("size", _output_size),), _POOL_REQ),
    NN + "dropout.Dropout": ModuleRule("dropout", (("p", "p"),)),
    NN + "dropout.Dropout1d": ModuleRule("dropout", (("p", "p"),)),
    NN + "dropout.Dropout2d": ModuleRule("dropout", (("p", "p"),)),
    NN + "dropout.Dropout3d": ModuleRule("dropout", (("p", "p"),)),
    NN + "linear.Identity": ModuleRule("identity"),
    NN + "flatten.Flatten": ModuleRule("flatten", (), (("start_dim", (1,), "only flattening from axis 1 maps to "
                                                        "flatten"), ("end_dim", (-1,), "only flattening to the last "
                                                                                       "axis maps to flatten"))),
    NN + "upsampling.Upsample": ModuleRule("upsample", (("scale", _upsample_scale), ("size", _upsample_size),
                                                        ("mode", "mode"), ("align_corners",
                                                                           lambda m: bool(m.align_corners)))),
    NN + "padding.ZeroPad2d": ModuleRule("zeropad", (("padding", _zeropad),)),
    # torchvision classes, matched by exact class (a subclass is traced through, never assumed to behave alike):
    # kept whole as leaves of the trace, so their tensors keep their module paths.
    "torchvision.ops.misc.Permute": ModuleRule("permute", (("order", lambda m: [int(d) for d in m.dims]),)),
    "torchvision.models.convnext.LayerNorm2d": ModuleRule(  # permutes to channels last, normalises, permutes back
        "layernorm", (("axis", lambda m: 1), ("affine", "elementwise_affine"), ("bias", lambda m: m.bias is not None),
                      ("eps", "eps")), (("normalized_shape", "one", "LayerNorm2d over more than the channels"),)),
    "torchvision.ops.stochastic_depth.StochasticDepth": ModuleRule("stochastic_depth", (("p", "p"), ("mode", "mode"))),
    NN + "activation.MultiheadAttention": ModuleRule(
        "attention", (("heads", "num_heads"), ("bias", lambda m: m.in_proj_bias is not None)),
        (("batch_first", (True,), "only batch_first=True attention (tokens [B, L, E]) is modelled"),
         ("_qkv_same_embed_dim", (True,), "separate key / value sizes are not modelled"),
         ("bias_k", (None,), "add_bias_kv is not modelled"))),
}
TUPLE_FIRST = {NN + "activation.MultiheadAttention"}  # called for tuple[0]: (output, attention weights)


# ------------------------------------------------------------------------------------------- functions


def _ints(v):
    return [int(x) for x in v] if isinstance(v, (tuple, list)) else [int(v)]


def _mean(kw, ins, out):
    dims = sorted(d % (len(ins[0]) + 1) for d in _ints(kw["dim"]))
    spatial = list(range(2, len(ins[0]) + 1))
    if dims != spatial:
        raise Unsupported(f"a mean over axes {dims} (only over every spatial axis is modelled)")
    if kw.get("keepdim"):
        return "adaptive_avgpool", {"size": 1}
    return "global_avgpool", {}


def _flatten(kw, ins, out):
    if kw.get("start_dim", 0) == 1 and kw.get("end_dim", -1) in (-1, len(ins[0])):
        return "flatten", {}
    return _reshape(kw, ins, out)


def _reshape(kw, ins, out):
    if len(out) == 1:
        return "flatten", {}
    return "reshape", {"shape": list(out)}


def _cat(kw, ins, out):
    if len(ins) == 1:
        return ALIAS, {}
    return "concat", {"axis": int(kw.get("dim", 0))}


def _two_tensors(kind):
    def rule(kw, ins, out):
        if len(ins) != 2:
            raise Unsupported(f"{kind} with a constant (only tensors {kind}ed together are modelled)")
        return kind if kind != "multipli" else "multiply", {}
    return rule


def _adaptive(kind):
    def rule(kw, ins, out):
        return kind, {"size": _spatial(kw["output_size"])}
    return rule


def _pool(kind):
    def rule(kw, ins, out):
        attrs = {"kernel": _spatial(kw["kernel_size"]), "padding": _spatial(kw.get("padding", 0)),
                 "ceil_mode": bool(kw.get("ceil_mode", False))}
        if kw.get("stride") not in (None, [], ()):
            attrs["stride"] = _spatial(kw["stride"])
        if kind == "maxpool":
            attrs["dilation"] = _spatial(kw.get("dilation", 1))
        else:
            attrs["count_include_pad"] = bool(kw.get("count_include_pad", True))
        return kind, attrs
    return rule


def _simple(kind, **attrs_from):
    def rule(kw, ins, out):
        return kind, {k: kw.get(src, default) for k, (src, default) in attrs_from.items()}
    return rule


def _pad(kw, ins, out):
    if kw.get("mode", "constant") != "constant" or kw.get("value") not in (None, 0, 0.0):
        raise Unsupported("only zero padding maps to zeropad")
    pad = _ints(kw["pad"])
    pairs = [pad[i:i + 2] for i in range(0, len(pad), 2)][::-1]  # last axis first in PyTorch
    nd = len(ins[0]) - 1
    if len(pairs) > nd:
        raise Unsupported("padding of the channel axis is not modelled")
    pairs = [[0, 0]] * (nd - len(pairs)) + pairs
    return "zeropad", {"padding": pairs}


def _interpolate(kw, ins, out):
    mode = kw.get("mode", "nearest")
    if mode not in ("nearest", "bilinear"):
        raise Unsupported(f"interpolation mode '{mode}' (nearest and bilinear are modelled)")
    attrs = {"mode": mode, "align_corners": bool(kw.get("align_corners") or False)}
    if kw.get("size") is not None:
        attrs["size"] = _ints(kw["size"])
    else:
        attrs["scale"] = _spatial(kw["scale_factor"])
    return "upsample", attrs


def _axes_list(kw, key):
    v = kw[key]
    return [int(x) for x in (v[0] if len(v) == 1 and isinstance(v[0], (tuple, list)) else v)] \
        if isinstance(v, (tuple, list)) else [int(v)]


def _permute(kw, ins, out):
    rank = len(ins[0]) + 1
    order = [d % rank for d in _axes_list(kw, "dims")]
    if order[0] != 0:
        raise Unsupported(f"a permutation {order} that moves the batch axis")
    return "permute", {"order": order}


def _transpose(kw, ins, out):
    rank = len(ins[0]) + 1
    axes = sorted(int(kw[k]) % rank for k in ("dim0", "dim1"))
    if 0 in axes:
        raise Unsupported("a transpose that moves the batch axis")
    return "transpose", {"axes": axes}


def _expand(kw, ins, out):
    if tuple(ins[0]) != tuple(out):
        raise Unsupported("an expand of other axes than the batch axis")
    return ALIAS, {}  # a learnt tensor broadcast over the batch (ViT's class token): paramcalc broadcasts it already


def _alias(kw, ins, out):
    return ALIAS, {}


def _softmax(kw, ins, out):
    return "softmax", {"axis": int(kw.get("dim"))}


def _identity_at_inference(kw, ins, out):
    if kw.get("training"):
        raise Unsupported("traced in training mode")
    return ALIAS, {}


# Functions by qualified name; methods by name (x.relu(), x.flatten(1)) are read as the torch function of that name.
FUNCTIONS = {
    "_operator.add": _two_tensors("add"), "_operator.iadd": _two_tensors("add"), "torch.add": _two_tensors("add"),
    "_operator.mul": _two_tensors("multipli"), "_operator.imul": _two_tensors("multipli"),
    "torch.mul": _two_tensors("multipli"),
    "torch.cat": _cat, "torch.concat": _cat,
    "torch.flatten": _flatten, "torch.reshape": _reshape,
    "torch.mean": _mean,
    "torch.relu": _simple("relu"), "torch.nn.functional.relu": _simple("relu"),
    "torch.nn.functional.relu6": _simple("relu6"), "torch.sigmoid": _simple("sigmoid"),
    "torch.nn.functional.sigmoid": _simple("sigmoid"), "torch.tanh": _simple("tanh"),
    "torch.nn.functional.hardswish": _simple("hardswish"), "torch.nn.functional.hardsigmoid": _simple("hardsigmoid"),
    "torch.nn.functional.silu": _simple("silu"),
    "torch.nn.functional.gelu": _simple("gelu", approximate=("approximate", "none")),
    "torch._C._nn.gelu": _simple("gelu", approximate=("approximate", "none")),  # what F.gelu is in torch 2.13
    "torch.nn.functional.leaky_relu": _simple("leaky_relu", negative_slope=("negative_slope", 0.01)),
    "torch.nn.functional.softmax": _softmax, "torch.softmax": _softmax,
    "torch.nn.functional.dropout": _simple("dropout", p=("p", 0.5)),
    "torch.nn.functional.adaptive_avg_pool2d": _adaptive("adaptive_avgpool"),
    "torch.nn.functional.adaptive_max_pool2d": _adaptive("adaptive_maxpool"),
    "torch.nn.functional.avg_pool2d": _pool("avgpool"), "torch.nn.functional.max_pool2d": _pool("maxpool"),
    "torch._C._nn.avg_pool2d": _pool("avgpool"),
    "torch.nn.functional.pad": _pad, "torch._C._nn.pad": _pad,
    "torch.nn.functional.interpolate": _interpolate,
    "torch.Tensor.contiguous": _alias,
    "torch.permute": _permute, "torch.transpose": _transpose, "Tensor.expand": _expand,
    "torchvision.ops.stochastic_depth.stochastic_depth": _identity_at_inference,  # the input itself in eval()
}
METHODS = {
    "add": "torch.add", "add_": "torch.add", "mul": "torch.mul", "mul_": "torch.mul", "flatten": "torch.flatten",
    "view": "torch.reshape", "reshape": "torch.reshape", "mean": "torch.mean", "relu": "torch.relu",
    "relu_": "torch.relu", "sigmoid": "torch.sigmoid", "tanh": "torch.tanh", "softmax": "torch.softmax",
    "contiguous": "torch.Tensor.contiguous", "permute": "torch.permute", "transpose": "torch.transpose",
}


# ------------------------------------------------------------------------------------------- loading


def require_torch():
    import warnings

    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    try:
        import torch  # noqa: F401
        import torch.fx  # noqa: F401
    except ImportError:
        raise UsageError(TORCH_HINT) from None
    return sys.modules["torch"]


def load_callable(target: str):
    """The object named by 'package.module:attr' or 'file.py:attr'."""
    head, _, attr = target.rpartition(":")
    try:
        if head.endswith(".py"):
            path = Path(head)
            if not path.is_file():
                raise ImportError_(f"{target}: no such file '{head}'")
            spec = importlib.util.spec_from_file_location(f"paramcalc_import_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(path.resolve().parent))
            try:
                spec.loader.exec_module(module)
            finally:
                sys.path.pop(0)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(head)
    except ImportError_:
        raise
    except ModuleNotFoundError as e:
        raise ImportError_(f"{target}: cannot import '{head}': {e}") from None
    except Exception as e:  # the user's module failed while importing
        raise ImportError_(f"{target}: importing '{head}' failed: {type(e).__name__}: {e}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ImportError_(f"{target}: '{head}' has no attribute '{attr}'")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImportError_(f"{target}: '{attr}' is not callable (a class or a function returning a torch.nn.Module)")
    return obj


def build_module(target: str, kwargs: dict, *, device: str = "meta"):
    """Call the target with ``kwargs`` (on the meta device: no weights are allocated); must give an nn.Module."""
    torch = require_torch()
    fn = load_callable(target)
    try:
        with torch.device(device):
            module = fn(**kwargs)
    except TypeError as e:
        raise ImportError_(f"{target}: calling it with {kwargs or 'no arguments'} failed: {e}") from None
    except Exception as e:
        if device == "meta":
            return build_module(target, kwargs, device="cpu")
        raise ImportError_(f"{target}: building the model failed: {type(e).__name__}: {e}") from None
    if not isinstance(module, torch.nn.Module):
        raise ImportError_(f"{target}: returned a {type(module).__name__}, not a torch.nn.Module")
    return module


# ------------------------------------------------------------------------------------------- tracing


def _qualified(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _source_line(node) -> str:
    """'file.py:12' of the user's code that made the node (the last frame outside torch)."""
    import torch

    trace = node.meta.get("stack_trace") or ""
    torch_dir = str(Path(torch.__file__).parent)
    found = ""
    for line in trace.splitlines():
        line = line.strip()
        if line.startswith('File "'):
            file = line[6:line.index('"', 6)]
            if file.startswith(torch_dir):
                continue
            lineno = line.split("line ", 1)[1].split(",", 1)[0] if "line " in line else "?"
            found = f"{Path(file).name}:{lineno}"
    return found


def trace(module, target: str, input_shapes: list, *, opaque: bool = False, symbolic_input: bool = False,
          name: str | None = None, source: str | None = None):
    """Trace ``module`` at ``input_shapes`` (without batch) and translate it: (ImportedModel, the fx graph)."""
    torch = require_torch()
    from torch.fx import GraphModule, Tracer
    from torch.fx.node import _get_qualified_name
    from torch.fx.operator_schemas import normalize_function
    from torch.fx.passes.shape_prop import ShapeProp

    class LeafTracer(Tracer):
        """Every class the table maps is one leaf of the trace (torchvision's LayerNorm2d is not traced through)."""

        def is_leaf_module(self, m, qualified_name):
            return _qualified(type(m)) in MODULES or super().is_leaf_module(m, qualified_name)

    module.eval()
    tracer = LeafTracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(module)
    except Exception as e:  # torch.fx.proxy.TraceError and friends: data-dependent control flow, unsupported calls
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ImportError_(f"{target}: torch.fx cannot trace this model ({type(e).__name__}: {first}); "
                           f"data-dependent control flow or Python on tensor values cannot become a static graph")
    gm = GraphModule(module, graph)
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(input_shapes) != len(placeholders):
        raise UsageError(f"{target}: forward takes {len(placeholders)} input(s) "
                         f"({', '.join(n.target for n in placeholders)}); give one --input per input")
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    examples = [torch.zeros((BATCH, *shape), device=device) for shape in input_shapes]
    try:
        ShapeProp(gm).propagate(*examples)
    except Exception as e:
        root = e.__cause__ or e  # ShapeProp wraps the error with the node's metadata
        first = (str(root).strip().splitlines() or [type(root).__name__])[0][:300]
        raise ImportError_(f"{target}: running the traced model on inputs {[list(s) for s in input_shapes]} "
                           f"failed: {type(root).__name__}: {first}") from None

    modules = dict(module.named_modules())
    children: dict[str, set] = {}
    classes: dict[str, str] = {}
    containers = set()
    for path, m in modules.items():
        if path:
            parent, _, local = path.rpartition(".")
            children.setdefault(parent, set()).add(local)
        classes[path] = type(m).__name__
        if isinstance(m, (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)):
            containers.add(path)

    fused = match_patterns(gm.graph)  # node -> (layer type, attrs, source node), or SKIP
    pieces: dict = {}      # fx node of a chunk/split -> (its input node, attrs of every piece)
    per_sample: dict = {}  # fx node of a stored parameter -> its per-sample shape
    firsts: set = set()    # fx nodes of modules whose output is the first of a tuple (nn.MultiheadAttention)
    used_names: dict[str, set] = {}
    called: set = set()
    ids: dict = {}         # fx node -> op id or input name (aliases resolved)
    ops: list[Op] = []
    unmapped: list[Unmapped] = []
    inputs = []

    def shape_of(node):
        if node in per_sample:
            return per_sample[node]
        meta = node.meta.get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            return None
        shape = tuple(int(s) for s in meta.shape)
        if not shape or shape[0] != BATCH:
            raise Unsupported(f"its output {list(shape)} does not keep the batch axis first")
        return shape[1:]

    def scope_of(node, own=None):
        stack = node.meta.get("nn_module_stack") or {}
        paths = [v[0] if isinstance(v, tuple) else k for k, v in stack.items()]
        return tuple(p for p in paths if p and p != own)

    def local_name(scope, base):
        key = scope[-1] if scope else ""
        taken = used_names.setdefault(key, set(children.get(key, set())))
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        taken.add(name)
        return name

    def tensor_args(args):
        found = []
        for a in args:
            if isinstance(a, (list, tuple)):
                found += tensor_args(a)
            elif isinstance(a, torch.fx.Node) and a.meta.get("tensor_meta") is not None and \
                    hasattr(a.meta["tensor_meta"], "shape"):
                found.append(a)
        return found

    for node in gm.graph.nodes:
        where = _source_line(node)
        if node.op == "placeholder":
            ids[node] = node.target
            inputs.append(node.target)
            continue
        if node.op == "output":
            continue
        if node.op == "get_attr":
            op = _parameter_op(torch, gm, node, where)
            if op is not None:  # a learnt tensor (layer scale, class token): a `parameter` layer
                per_sample[node] = op.shape
                ops.append(op)
                ids[node] = op.id
            continue  # any other stored tensor: the operation that reads it says so
        if fused.get(node) is SKIP:
            continue
        if node.op == "call_function" and node.args and node.args[0] in firsts:
            if node.args[1:] == (0,) and node.args[0] in ids:
                ids[node] = ids[node.args[0]]  # (attention output, weights)[0]: the output itself
            continue
        if node.op == "call_module" and _qualified(type(modules[node.target])) in TUPLE_FIRST and \
                _is_tensor_tuple(node):
            firsts.add(node)  # returns (output, weights): the layer is the output, read as tuple[0]
            per_sample[node] = tuple(int(x) for x in node.meta["tensor_meta"][0].shape[1:])
        piece = _piece_of(node, pieces)
        if node.op in ("call_function", "call_method") and _is_tensor_tuple(node) and \
                _split_attrs(node, pieces, torch):
            continue  # its pieces become split layers where they are read
        try:
            out = shape_of(node)
        except Unsupported as e:
            unmapped.append(Unmapped(_describe(node), ".".join(scope_of(node)[-1:]), where, str(e)))
            continue
        if out is None:
            # Not a tensor: sizes (x.size(0)) and other values only used as arguments, or tuples of tensors.
            if any(n.op in ("call_function", "call_method") and _is_tensor_tuple(node) for n in [node]):
                unmapped.append(Unmapped(_describe(node), ".".join(scope_of(node)[-1:]), where,
                                         "returns several tensors"))
            continue
        sources = tensor_args(list(node.args) + list(node.kwargs.values()))
        kind, attrs, params, buffers, origin = None, {}, {}, {}, ""
        try:
            if node in firsts:
                if len(set(node.args[:3])) != 1 or len(sources) != 3:
                    raise Unsupported("only self-attention (query, key and value one tensor, no mask) is modelled")
                sources = sources[:1]
            picked = _selected(node)
            if picked is not None and node.args[0] in ids:  # x[:, i]: one piece of a split, its axis dropped
                axis, index = picked
                size = shape_of(node.args[0])[axis - 1]
                sizes = [s for s in (index, 1, size - index - 1) if s]
                scope = scope_of(node)
                piece_op = Op(id=node.name + "_piece", scope=scope, local=local_name(scope, "split"), type="split",
                              attrs={"sizes": sizes, "index": 1 if index else 0, "axis": axis},
                              inputs=(ids[node.args[0]],), shape=tuple(1 if j == axis - 1 else s for j, s in
                                                                       enumerate(shape_of(node.args[0]))),
                              params={}, origin=f"_operator.getitem at '{'.'.join(scope[-1:])}'")
                ops.append(piece_op)
                ids[(node, "piece")] = piece_op.id
                sources, origin, local = [(node, "piece")], "_operator.getitem", None
                kind, attrs = ("flatten", {}) if len(out) == 1 and axis == 1 else ("reshape", {"shape": list(out)})
                raise _Mapped()
            if piece is not None or node in fused:
                source, (kind, attrs) = (piece[0], piece[1]) if piece is not None else \
                    (fused[node][2], fused[node][:2])
                sources, origin, scope, local = [source], kind, scope_of(node), None
                shape_of(source)
                raise _Mapped()
            stored = [s.target for s in sources if s.op == "get_attr" and s not in per_sample]
            if stored:
                origin = _describe(node)
                raise Unsupported(f"it reads the stored tensor '{stored[0]}' directly (only tensors inside "
                                  f"layers are modelled)")
            ins = [shape_of(s) for s in sources]
            if node.op == "call_module":
                m = modules[node.target]
                rule = MODULES.get(_qualified(type(m)))
                origin = f"{type(m).__module__}.{type(m).__name__}"
                if rule is None:
                    raise Unsupported("")
                if node.target in called and (list(m.parameters(recurse=True)) or list(m.buffers())):
                    raise Unsupported("the module is called more than once and holds tensors; each paramcalc layer "
                                      "owns its tensors")
                kind = rule.type
                for attr, allowed, why in rule.requires:
                    value = getattr(m, attr)
                    if (allowed == "one" and len(value) != 1) or \
                            (allowed == "number" and not isinstance(value, (int, float))) or \
                            (allowed not in ("number", "one") and value not in allowed):
                        raise Unsupported(why)
                for key, getter in rule.attrs:
                    attrs[key] = getter(m) if callable(getter) else _spatial(getattr(m, getter))
                params = {n: tuple(p.shape) for n, p in m.named_parameters()}
                buffers = {n: tuple(b.shape) for n, b in m.named_buffers() if not n.endswith("num_batches_tracked")}
                parts = node.target.split(".")
                scope = tuple(".".join(parts[:i]) for i in range(1, len(parts)))
                local = parts[-1] if node.target not in called else local_name(scope, parts[-1])
                called.add(node.target)
            else:
                if node.op == "call_function":
                    qualified = _get_qualified_name(node.target)
                    fn = node.target
                else:
                    qualified = METHODS.get(node.target, f"Tensor.{node.target}")
                    fn = _torch_function(torch, qualified)
                origin = qualified
                rule = FUNCTIONS.get(qualified)
                if rule is None:
                    raise Unsupported("")
                kw = _normalized(normalize_function, fn, node, qualified)
                kind, attrs = rule(kw, ins, out)
                scope = scope_of(node)
                local = None
        except _Mapped:
            pass
        except Unsupported as e:
            op_name = origin or _describe(node)
            path = node.target if node.op == "call_module" else ".".join(scope_of(node)[-1:])
            if opaque and out is not None:
                kind = "opaque"
                attrs = {"shape": list(out), "note": op_name + (f" ({where})" if where else "")}
                sources = [s for s in sources if s in ids]
                if not sources:
                    unmapped.append(Unmapped(op_name, path, where, "an opaque node needs a tensor input"))
                    continue
                scope = scope_of(node, own=node.target if node.op == "call_module" else None)
                local = None if node.op != "call_module" or node.target in called else node.target.split(".")[-1]
                called.add(node.target)
                origin = f"{op_name} (opaque: {e or 'no mapping'})"
            else:
                unmapped.append(Unmapped(op_name, path, where, str(e)))
                continue
        if any(s not in ids for s in sources):
            continue  # reads the output of an unmapped operation, which is reported already
        if kind == ALIAS:
            ids[node] = ids[sources[0]]
            continue
        if local is None:
            local = local_name(scope, kind if kind != "opaque" else "opaque")
        op = Op(id=node.name, scope=scope, local=local, type=kind, attrs=drop_defaults(kind, attrs),
                inputs=tuple(ids[s] for s in sources), shape=out, params=params, buffers=buffers,
                origin=f"{origin} at '{'.'.join(filter(None, (scope[-1] if scope else '', local)))}'"
                       + (f" ({where})" if where else ""))
        ops.append(op)
        ids[node] = op.id
    if unmapped:
        raise unmapped_error(unmapped, target, hint=" (--opaque keeps them as nodes of unknown cost)"
                             if not opaque else "")
    outputs = []
    for node in gm.graph.nodes:
        if node.op == "output":
            for n in tensor_args([node.args[0]] if not isinstance(node.args[0], (list, tuple)) else node.args[0]):
                outputs.append(ids[n])
            if isinstance(node.args[0], dict):
                raise ImportError_(f"{target}: the model returns a dict; paramcalc models return tensors")
    if not outputs:
        raise ImportError_(f"{target}: the traced model returns no tensor")
    shapes = [list(s) for s in input_shapes]
    symbols = {}
    if symbolic_input:
        for shape in shapes:
            if len(shape) >= 3:
                symbols.update({"H": shape[-2], "W": shape[-1]})
                shape[-2:] = ["H", "W"]
            elif len(shape) == 2:
                symbols["L"] = shape[-1]
                shape[-1] = "L"
    nparams = sum(p.numel() for p in module.parameters())
    covered = {f"{op.path}.{name}" for op in ops for name in op.params}
    covered |= {op.path for op in ops if op.type == "parameter"}  # stored as the attribute itself
    uncalled: dict = {}
    for pname, p in module.named_parameters():
        if pname not in covered:
            owner = pname.rsplit(".", 1)[0]
            top = next((m for m in sorted(modules, key=len) if m and (owner == m or owner.startswith(m + "."))
                        and not any(f"{op.path}.".startswith(m + ".") for op in ops)), owner)
            uncalled[top] = uncalled.get(top, 0) + p.numel()
    return ImportedModel(
        name=name or _model_name(target), source=source or f"imported from PyTorch {target} by paramcalc import",
        inputs=tuple(zip(inputs, shapes)), symbols=symbols, ops=tuple(ops), outputs=tuple(outputs),
        classes=classes, containers=frozenset(containers), total_params=nparams,
        uncalled=tuple(uncalled.items())), gm.graph


class _Mapped(Exception):
    """Control flow: the node was mapped before the tables were consulted (a split piece, a matched pattern)."""


def _parameter_op(torch, gm, node, where):
    """A stored nn.Parameter read in forward (ConvNeXt's layer scale, ViT's class token) as a `parameter` layer named
    by its attribute path, so the state_dict key stays that path; None for other stored tensors."""
    try:
        value = gm.get_parameter(node.target)
    except AttributeError:
        return None
    shape = tuple(int(s) for s in value.shape)
    ranks = {len(u.meta["tensor_meta"].shape) for u in node.users if hasattr(u.meta.get("tensor_meta"), "shape")}
    batch_axis = len(shape) >= 2 and shape[0] == 1 and ranks == {len(shape)}  # written with PyTorch's batch axis
    parts = node.target.split(".")
    scope = tuple(".".join(parts[:i]) for i in range(1, len(parts)))
    return Op(id=node.name, scope=scope, local=parts[-1], type="parameter",
              attrs=drop_defaults("parameter", {"shape": list(shape), "batch_axis": batch_axis}), inputs=(),
              shape=shape[1:] if batch_axis else shape, params={"weight": shape},
              origin=f"torch.nn.Parameter '{node.target}'" + (f" ({where})" if where else ""))


def _split_attrs(node, pieces, torch) -> bool:
    """Record a torch.chunk / torch.split call (a tuple of tensors) whose pieces are read by indexing."""
    import operator

    name = node.target if node.op == "call_method" else getattr(node.target, "__name__", "")
    if name not in ("chunk", "split") or not node.args or not isinstance(node.args[0], torch.fx.Node):
        return False
    if any(u.op != "call_function" or u.target is not operator.getitem for u in node.users):
        return False
    args = list(node.args[1:])
    how = args[0] if args else node.kwargs.get("chunks", node.kwargs.get("split_size_or_sections",
                                                                         node.kwargs.get("split_size")))
    dim = args[1] if len(args) > 1 else node.kwargs.get("dim", 0)
    source = node.args[0]
    rank = len(source.meta["tensor_meta"].shape)
    dim = int(dim) % rank
    if dim == 0 or how is None:
        return False
    sizes = [int(t.shape[dim]) for t in node.meta["tensor_meta"]]
    attrs = {"axis": dim}
    if name == "chunk":
        attrs["chunks"] = int(how)
    elif isinstance(how, (list, tuple)) or len(set(sizes)) == 1:
        attrs["sizes"] = sizes
        if len(set(sizes)) == 1:
            attrs = {"axis": dim, "chunks": len(sizes)}
    else:
        attrs["sizes"] = sizes
    pieces[node] = (source, attrs)
    return True


def _selected(node):
    """(axis, index) for x[:, i] (or x[:, :, i]): one position of a non-batch axis, the axis dropped."""
    import operator

    if node.op != "call_function" or node.target is not operator.getitem or len(node.args) != 2:
        return None
    key = node.args[1]
    if not isinstance(key, tuple) or not key or not isinstance(key[-1], int) or isinstance(key[-1], bool):
        return None
    if any(k != slice(None) for k in key[:-1]) or len(key) < 2 or key[-1] < 0:
        return None
    return len(key) - 1, key[-1]


def _piece_of(node, pieces):
    """(source node, (split, attrs)) when ``node`` is tuple[i] of a recorded chunk / split."""
    import operator

    if node.op == "call_function" and node.target is operator.getitem and node.args and node.args[0] in pieces:
        source, attrs = pieces[node.args[0]]
        return source, ("split", {**attrs, "index": int(node.args[1])})
    return None


SKIP = object()


@record
class Pattern:
    """A chain of traced operations (each the only reader of the one before) that is one paramcalc layer:
    ``steps`` are method / function names, ``layer`` builds (type, attrs) from the chain's shapes with batch,
    or returns None when the chain does not fit."""

    steps: tuple
    layer: object


def _shuffle(shapes):
    """view [B, C, H, W] -> [B, g, C/g, H, W], transpose(1, 2), view back to [B, C, H, W]: a channel shuffle."""
    before, grouped, swapped, after = shapes
    if len(before) != 4 or len(grouped) != 5 or tuple(after) != tuple(before) or \
            grouped[0] != before[0] or grouped[1] * grouped[2] != before[1] or tuple(grouped[3:]) != tuple(before[2:]) \
            or tuple(swapped) != (grouped[0], grouped[2], grouped[1], *grouped[3:]):
        return None
    return "channel_shuffle", {"groups": int(grouped[1])}


PATTERNS = (
    Pattern(("view|reshape", "transpose", "contiguous?", "view|reshape|flatten"), _shuffle),  # ShuffleNet
)


def _step_name(node) -> str:
    if node.op == "call_method":
        return node.target
    if node.op == "call_function":
        return getattr(node.target, "__name__", "")
    return ""


def match_patterns(graph) -> dict:
    """Nodes covered by a PATTERNS chain: the last -> (type, attrs, the chain's input node); the others -> SKIP."""
    found: dict = {}
    for start in graph.nodes:
        for pattern in PATTERNS:
            chain, node = [], start
            for step in pattern.steps:
                optional = step.endswith("?")
                names = step.rstrip("?").split("|")
                if _step_name(node) in names:
                    chain.append(node)
                    nxt = list(node.users)
                    if len(nxt) != 1 and step is not pattern.steps[-1]:
                        chain = None
                        break
                    node = nxt[0] if nxt else None
                    if node is None and step is not pattern.steps[-1]:
                        chain = None
                        break
                elif not optional:
                    chain = None
                    break
            if not chain or not chain[0].args:
                continue
            source = chain[0].args[0]
            metas = [source.meta.get("tensor_meta")] + [n.meta.get("tensor_meta") for n in chain
                                                         if _step_name(n) != "contiguous"]
            if any(not hasattr(m, "shape") for m in metas):
                continue
            made = pattern.layer([tuple(int(s) for s in m.shape) for m in metas])
            if made is None:
                continue
            for n in chain[:-1]:
                found[n] = SKIP
            found[chain[-1]] = (*made, source)
    return found


def _is_tensor_tuple(node) -> bool:
    meta = node.meta.get("tensor_meta")
    return isinstance(meta, (tuple, list)) and len(meta) > 0


def _describe(node) -> str:
    if node.op == "call_module":
        return f"module '{node.target}'"
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    try:
        from torch.fx.node import _get_qualified_name

        return _get_qualified_name(node.target)
    except Exception:
        return str(node.target)


def _torch_function(torch, qualified: str):
    obj = torch
    for part in qualified.split(".")[1:]:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _normalized(normalize_function, fn, node, qualified) -> dict:
    """The call's arguments by name (positional ones included); the tensor itself as 'input'."""
    args, kwargs = tuple(node.args), dict(node.kwargs)
    result = None
    if fn is not None:
        try:
            result = normalize_function(fn, args, kwargs, normalize_to_only_use_kwargs=True)
        except Exception:
            result = None
    if result is not None:
        return dict(result.kwargs)
    if fn is not None and not isinstance(fn, type):
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
            return dict(bound.arguments)
        except (TypeError, ValueError):
            pass
    # torch.mean(x, (2, 3)) and methods whose schema has overloads: the common positional meanings.
    names = {"torch.mean": ("input", "dim", "keepdim"), "torch.flatten": ("input", "start_dim", "end_dim"),
             "torch.cat": ("tensors", "dim"), "torch.softmax": ("input", "dim"),
             "torch.transpose": ("input", "dim0", "dim1")}.get(qualified, ())
    if qualified == "torch.permute":  # x.permute(0, 2, 3, 1) as well as torch.permute(x, (0, 2, 3, 1))
        return {"input": args[0], "dims": tuple(args[1:]) or kwargs.get("dims"), **kwargs}
    out = dict(zip(names, args))
    out.update(kwargs)
    return out


def _model_name(target: str) -> str:
    head, _, attr = target.rpartition(":")
    return attr.split(".")[-1] or Path(head).stem
