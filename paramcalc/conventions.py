"""Counting conventions of other tools, in one place: each a small table of weights over what the engine counted.

The engine keeps every layer's work by category (conv and linear multiply-accumulates, bias adds, normalised
elements, ...) plus each layer's input and output shapes. A convention says how much of each a tool counts, so the
numbers torchvision, fvcore, ptflops, thop, torch.utils.flop_counter and Keras print come out of one analysis, and
the difference between them can be shown term by term:

>>> import paramcalc
>>> from paramcalc import conventions
>>> a = paramcalc.analyze_file("resnet50")                                  # doctest: +SKIP
>>> conventions.apply(a, "thop").compute                                     # doctest: +SKIP
4133742592

A Term selects layers (by category, or by layer type with optional ``type:attr=value``), takes one quantity per
layer and multiplies it by a weight; ``affine`` is the weight used instead when the layer has trainable parameters
(BatchNorm with affine=True).
"""

from __future__ import annotations

from typing import Any

from . import num
from .errors import UsageError
from .records import record

# Quantities a term can take per layer, besides the engine's categories (see paramcalc/layers/base.py):
INPUT = "input"          # elements of the layer's first input (x batch)
OUTPUT = "output"        # elements of the layer's output (x batch)
ADAPTIVE_WINDOWS = "adaptive_windows"  # inputs read by adaptive pooling windows, overlaps counted twice
SOFTMAX_ROWS = "softmax_ops"           # exp + add + divide along the softmax axis: 3n - 1 per row of n
AVG_WINDOWS = "avg_windows"            # inputs (and, with count_include_pad, padding) inside average-pool windows


@record
class Term:
    """weight x quantity, summed over the layers the term selects."""

    quantity: str
    weight: Any = 1
    types: tuple = ()          # layer types ('batchnorm', 'upsample:mode=bilinear'); empty = every layer
    affine: Any = None         # weight for layers with trainable parameters (None: same as weight)
    label: str = ""
    column: str = ""           # short heading for `show --breakdown`

    def heading(self) -> str:
        return self.column or self.quantity

    def name(self) -> str:
        if self.label:
            return self.label
        where = "/".join(self.types) if self.types else "all layers"
        return f"{self.quantity} of {where}"


@record
class Convention:
    """How one tool counts: its compute figure as weighted terms, and what it calls parameters."""

    name: str
    tool: str                  # the tool and version it reproduces
    unit: str                  # what the compute figure is called: MACs, FLOPs
    terms: tuple
    params: str = "parameters"  # or 'parameters+buffers' (Keras counts BatchNorm's moving statistics)
    note: str = ""


POOLS = ("maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "global_avgpool", "global_maxpool")
MACS = (Term("conv", label="conv multiply-adds", column="conv"),
        Term("linear", label="linear multiply-adds", column="linear"),
        Term("attention", label="attention multiply-adds (Q·Kᵀ and A·V)", column="attention"))
# Layers whose multiply-adds run as nn.Linear modules (hooks see them); attention layers run theirs inside one module
# (nn.MultiheadAttention) or as functional calls (torchvision's Swin), which hook-based counters miss.
LINEAR_MODULES = ("linear", "patch_merging")

PROFILES: dict[str, Convention] = {c.name: c for c in (
    Convention(
        "paramcalc", "paramcalc (this tool)", "MACs", MACS,
        note="multiply-accumulates of conv, transposed conv and linear layers; other work is reported per category"),
    Convention(
        "torchvision", "torchvision >= 0.14, weights meta 'GFLOPS' (_ops)", "MACs", MACS,
        note="conv + linear multiply-adds, published as GFLOPS in torchvision's model docs"),
    Convention(
        "flopcounter", "torch.utils.flop_counter.FlopCounterMode (torch 2.x)", "FLOPs",
        (Term("conv", 2, label="2 x conv multiply-adds", column="conv"), Term("linear", 2, label="2 x linear multiply-adds", column="linear"),
         Term("attention", 2, ("window_attention", "matmul"), label="2 x attention multiply-adds run as matmul/bmm "
              "(Swin, written out)", column="attention")),
        note="on the CPU with gradients on: 2 FLOPs per multiply-add of convolution and matmul/addmm/bmm; the fused "
             "scaled_dot_product_attention of nn.MultiheadAttention is not counted there (torchvision's ViT-B/16: "
             "33,697,001,472), and under torch.no_grad() its fast path is not seen at all (22.54 G). Bias, norm, "
             "activation, pooling not counted"),
    Convention(
        "fvcore", "fvcore 0.1.5.post20221221 FlopCountAnalysis, model in eval()", "FLOPs (one per multiply-add)",
        MACS[:2] + (
            Term("attention", 1, ("window_attention", "matmul"), label="attention products run as matmul (Swin, "
                 "written out); nn.MultiheadAttention's scaled_dot_product_attention is not counted", column="attention"),
            Term(INPUT, 1, ("batchnorm",), affine=2, label="batch_norm (eval): 1 per input element, 2 if affine", column="batchnorm"),
            Term(INPUT, 4, ("layernorm", "groupnorm"), affine=5, label="layer/group_norm: 4 per input, 5 if affine", column="norm"),
            Term("normalization", 5, ("patch_merging",), label="Swin patch merging's layer_norm: 5 per element",
                 column="merge norm"),
            # fvcore has handles for the 2-D forms only (aten::adaptive_avg_pool2d, upsample_nearest2d,
            # upsample_bilinear2d): the 1-D and 3-D ones (r3d_18's AdaptiveAvgPool3d, trilinear) count 0.
            Term(INPUT, 1, ("adaptive_avgpool/2d", "global_avgpool/2d"), label="adaptive_avg_pool2d: 1 per input element", column="pooling"),
            Term(OUTPUT, 1, ("upsample:mode=nearest/2d",), label="upsample_nearest2d: 1 per output element", column="nearest"),
            Term(OUTPUT, 4, ("upsample:mode=bilinear/2d",), label="upsample_bilinear2d: 4 per output element", column="bilinear"),
        ),
        note="linear and conv bias, activations (GELU too), max pooling, element-wise adds and softmax are not "
             "counted; adaptive average pooling and upsampling only in their 2-D forms"),
    Convention(
        "ptflops", "ptflops 0.7.5, backend='pytorch' (count_functional=True, the default)", "MACs",
        MACS[:1] + (
            Term("linear", 1, LINEAR_MODULES + ("attention",), label="nn.Linear and nn.MultiheadAttention "
                 "projections (Swin's functional projections are not counted)", column="linear"),
            Term("attention", 1, label="attention products (MultiheadAttention hook, patched matmul)",
                 column="attention"),
            Term("bias", 1, ("conv", "depthwise_conv", "conv_transpose", "linear", "attention"),
                 label="conv, linear and MultiheadAttention bias adds (not Swin's functional ones)", column="bias"),
            Term("softmax", 1, ("attention", "window_attention"),
                 label="attention's softmax: 1 per score (MultiheadAttention hook, patched F.softmax)",
                 column="attn softmax"),
            Term("elementwise", 1, ("attention",), label="MultiheadAttention hook: q scaled, 1 per element",
                 column="attn scale"),
            Term(INPUT, 1, ("batchnorm", "groupnorm"), affine=2,
                 label="batch/group norm: 1 per input element, 2 if affine", column="norm"),
            Term(INPUT, 1, ("layernorm:axis=None",), label="LayerNorm: 1 per input element (ptflops reads `affine`, "
                 "which LayerNorm does not have)", column="layernorm"),
            Term("normalization", 1, ("patch_merging",), label="Swin patch merging's LayerNorm: 1 per element",
                 column="merge norm"),
            Term(OUTPUT, 2, ("relu", "elu", "gelu", "prelu"),
                 label="ReLU/ELU/GELU/PReLU: 2 per element (module hook + patched functional)",
                 column="activation"),
            Term(OUTPUT, 1, ("relu6", "leaky_relu", "silu"),
                 label="ReLU6, LeakyReLU (module hook) / SiLU (functional): 1 per element",
                 column="activation1"),
            Term(INPUT, 2, POOLS, label="pooling: 2 per input element (module hook + patched functional)",
                 column="pooling"),
            Term(OUTPUT, 2, ("upsample",), label="upsample: 2 per output element (module hook + interpolate)",
                 column="upsample"),
            Term(OUTPUT, 1, ("softmax",), label="softmax: 1 per element (patched functional)", column="softmax"),
        ),
        note="the residual `+` of torchvision's ResNets is not counted (only torch.add/Tensor.add are patched); "
             "hooks match the exact class, so a LayerNorm subclass (ConvNeXt's LayerNorm2d: layernorm over an axis) "
             "is not counted; Swin's attention runs functional linears that no hook sees"),
    Convention(
        "thop", "ultralytics-thop 2.x profile() (model put in eval())", "MACs",
        MACS[:1] + (
            Term("linear", 1, LINEAR_MODULES, label="nn.Linear multiply-adds (attention layers' are not counted: "
                 "nn.MultiheadAttention has no counter, Swin's projections are functional)", column="linear"),
            Term(INPUT, 2, ("batchnorm", "layernorm:axis=None", "groupnorm"), affine=4,
                 label="norm layers: 2 per input element, 4 if affine", column="norm"),
            Term("normalization", 4, ("patch_merging",), label="Swin patch merging's LayerNorm: 4 per element",
                 column="merge norm"),
            Term(INPUT, 1, ("prelu",), label="PReLU (eval): 1 per input element", column="prelu"),
            Term(AVG_WINDOWS, 1, ("avgpool",), label="AvgPool: one add per input in each window", column="avgpool"),
            Term(OUTPUT, 1, ("avgpool",), label="AvgPool: one divide per output", column="avgpool/"),
            Term(ADAPTIVE_WINDOWS, 1, ("adaptive_avgpool", "global_avgpool"),
                 label="AdaptiveAvgPool: one add per input in each window", column="adaptive"),
            Term(OUTPUT, 1, ("adaptive_avgpool", "global_avgpool"), label="AdaptiveAvgPool: one divide per output", column="adaptive/"),
            Term(OUTPUT, 11, ("upsample:mode=bilinear",), label="bilinear upsample: 11 per output element", column="bilinear"),
            Term(SOFTMAX_ROWS, 1, ("softmax",), label="softmax: exp, add, divide (3n - 1 per row of n)", column="softmax"),
        ),
        note="conv and linear bias, ReLU-family activations, GELU, max pooling, nearest upsampling and element-wise "
             "adds are not counted; counters match the exact class, so nn.MultiheadAttention (no counter), Swin's "
             "functional attention and a LayerNorm subclass (ConvNeXt's LayerNorm2d: layernorm over an axis) count 0"),
    Convention(
        "keras", "Keras 2.x / 3.x model.count_params() and summary()", "MACs", MACS, params="parameters+buffers",
        note="BatchNorm's moving mean and variance are non-trainable weights, so they count as parameters; conv "
             "biases count as the architecture declares them (Keras' Conv2D has use_bias=True by default)"),
)}

DEFAULT = "paramcalc"


@record
class ConventionTotals:
    """An analysis counted the way one tool counts it."""

    convention: Convention
    compute: Any               # the tool's compute figure, in convention.unit
    params: Any                # what the tool calls parameters
    trainable_params: Any
    non_trainable_params: Any
    terms: tuple               # (label, value) per term, in the profile's order
    per_layer: tuple           # (layer name, compute) for every layer

    @property
    def name(self) -> str:
        return self.convention.name


def get(name: str) -> Convention:
    """The profile called ``name``; an unknown name is a UsageError listing the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        import difflib

        hint = difflib.get_close_matches(str(name), list(PROFILES), n=1)
        extra = f"; did you mean '{hint[0]}'?" if hint else ""
        raise UsageError(f"unknown convention '{name}' (one of {', '.join(PROFILES)}){extra}") from None


def _selects(term: Term, layer, attrs) -> bool:
    """Whether ``term`` counts ``layer``: a selector is a type, optionally ``:attr=value`` and ``/Nd`` (the layer's
    input has N spatial axes: fvcore counts aten::adaptive_avg_pool2d but not its 1-D and 3-D forms)."""
    if not term.types:
        return True
    for selector in term.types:
        selector, _, rank = selector.partition("/")
        kind, _, condition = selector.partition(":")
        if kind != layer.type:
            continue
        if rank and (not layer.input_shapes or f"{len(layer.input_shapes[0]) - 2}d" != rank):
            continue
        if not condition:
            return True
        key, _, value = condition.partition("=")
        if attrs is not None and str(attrs.get(key)) == value:
            return True
    return False


def _adaptive_windows(layer):
    """Inputs read by PyTorch's adaptive pooling windows: window j of an axis spans
    [floor(j*I/O), ceil((j+1)*I/O)), so overlapping windows read some inputs twice."""
    ins, out = layer.input_shapes[0], layer.output_shape
    lead = num.prod(out[:2])  # batch x channels
    if len(out) == 2:         # global pooling: (batch, C) out of (batch, C, *spatial)
        return num.prod(ins)
    total = lead
    for i, o in zip(ins[2:], out[2:]):
        if num.is_concrete(o) and o == 1:
            total = total * i
        elif num.is_concrete(i) and num.is_concrete(o):
            total = total * sum(-(-(j + 1) * i // o) - (j * i // o) for j in range(o))
        elif num.divisible(i, o) is True:
            total = total * i
        else:
            raise UsageError("the thop convention needs concrete sizes for adaptive pooling whose output size "
                             "does not divide its input; give the symbols values with --set")
    return num.normalize(total)


def _avg_windows(layer, attrs):
    """Elements inside each average-pooling window, clipped to the padded input (count_include_pad) or to the
    input itself: a ceil_mode window that runs past the end counts only what it covers."""
    ins, out = layer.input_shapes[0], layer.output_shape
    nd = len(out) - 2
    from .layers.base import per_axis

    kernel = per_axis(attrs.kernel, nd, "kernel")
    stride = per_axis(attrs.stride if attrs.stride is not None else attrs.kernel, nd, "stride")
    padding = per_axis(attrs.padding, nd, "padding")
    total = num.prod(out[:2])
    for size, o, k, st, p in zip(ins[2:], out[2:], kernel, stride, padding):
        if not all(num.is_concrete(x) for x in (size, o, k, st, p)):
            if num.is_concrete(p) and p == 0 and not attrs.ceil_mode:
                total = total * o * k  # every window lies inside the input
                continue
            raise UsageError("the thop convention needs concrete sizes for padded or ceil_mode average pooling; "
                             "give the symbols values with --set")
        lower, upper = (-p, size + p) if attrs.get("count_include_pad", True) else (0, size)
        total = total * sum(max(min(i * st - p + k, upper) - max(i * st - p, lower), 0) for i in range(o))
    return num.normalize(total)


def _softmax_ops(layer, attrs):
    shape = layer.output_shape
    axis = attrs.get("axis", 1) if attrs is not None else 1
    n = shape[axis]
    elements = num.prod(shape)
    return num.normalize(3 * elements - num.div(elements, n))


def _quantity(term: Term, layer, attrs):
    q = term.quantity
    if q == INPUT:
        return num.prod(layer.input_shapes[0]) if layer.input_shapes else 0
    if q == OUTPUT:
        return layer.activation_elements
    if q == ADAPTIVE_WINDOWS:
        return _adaptive_windows(layer)
    if q == SOFTMAX_ROWS:
        return _softmax_ops(layer, attrs)
    if q == AVG_WINDOWS:
        return _avg_windows(layer, attrs)
    return layer.ops.get(q, 0)


def _attrs(analysis, name):
    graph = analysis.graph
    if graph is None:
        return None
    try:
        return graph.node(name).attrs
    except KeyError:
        return None


def layer_compute(analysis, layer, convention: Convention) -> list:
    """This layer's share of each term of ``convention`` (one value per term)."""
    attrs = _attrs(analysis, layer.name) if any(":" in t for term in convention.terms for t in term.types) or \
        any(term.quantity in (SOFTMAX_ROWS, AVG_WINDOWS) for term in convention.terms) else None
    values = []
    for term in convention.terms:
        if not _selects(term, layer, attrs):
            values.append(0)
            continue
        weight = term.affine if term.affine is not None and layer.param_shapes else term.weight
        values.append(num.normalize(weight * _quantity(term, layer, attrs)))
    return values


def apply(analysis, name: str = DEFAULT) -> ConventionTotals:
    """The totals of ``analysis`` as the tool behind convention ``name`` counts them.

    compute is the tool's headline figure (ResNet-50: torchvision 4,089,184,256 MACs, thop 4,133,742,592),
    params what it calls parameters (Keras adds BatchNorm's moving statistics). Works on symbolic analyses too.
    """
    convention = get(name) if isinstance(name, str) else name
    term_totals = [0] * len(convention.terms)
    per_layer = []
    for layer in analysis.layers:
        values = layer_compute(analysis, layer, convention)
        per_layer.append((layer.name, num.total(values)))
        term_totals = [num.normalize(a + b) for a, b in zip(term_totals, values)]
    t = analysis.totals
    non_trainable = num.normalize(t.params - t.trainable_params)
    if convention.params == "parameters+buffers":
        params = num.normalize(t.params + t.buffers)
        non_trainable = num.normalize(non_trainable + t.buffers)
    else:
        params = t.params
    return ConventionTotals(
        convention=convention, compute=num.total(term_totals), params=params,
        trainable_params=t.trainable_params, non_trainable_params=non_trainable,
        terms=tuple((term.name(), v) for term, v in zip(convention.terms, term_totals)),
        per_layer=tuple(per_layer),
    )


def measure(ct: ConventionTotals, quantity: str):
    """A total as budgets and comparisons name it, counted in this convention: 'params', 'trainable_params',
    'macs' or 'flops' (a FLOPs-counting tool's MACs are half its figure, a MACs-counting tool's FLOPs twice)."""
    if quantity == "params":
        return ct.params
    if quantity == "trainable_params":
        return ct.trainable_params
    macs_figure = ct.convention.unit == "MACs"
    if quantity == "macs":
        return ct.compute if macs_figure else num.div(ct.compute, 2)
    if quantity == "flops":
        return num.normalize(2 * ct.compute) if macs_figure else ct.compute
    raise KeyError(quantity)


def apply_all(analysis) -> dict:
    """Every convention's totals, by name (for `compare`-style tables)."""
    return {name: apply(analysis, name) for name in PROFILES}
