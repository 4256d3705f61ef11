"""The registry's building blocks: attribute schemas, the Layer base class with its five rules, and receptive fields.

A layer type is one class. Its rules, each a method, sit together:
  shape(a, ins)             -> output shape (per sample, no batch axis)
  params(a, ins, out)       -> trainable tensors by PyTorch name: {"weight": (96, 3, 11, 11), "bias": (96,)}
  buffers(a, ins, out)      -> non-trainable tensors (BatchNorm's running statistics)
  ops(a, ins, out)          -> operations per sample by category (see CATEGORIES)
  receptive_field(a, ins, fields) -> the output's receptive field per spatial axis
and, for the executor only, a sixth:
  torch(a, ins, out)        -> the torch.nn.Module computing the layer (torch imported inside the rule, never here)
Optional: sequence(a, ins, out) -> (tokens, key/value cache elements) for self-attention (per-token FLOPs, KV cache).
``a`` holds the layer's validated attributes, ``ins`` the input shapes. Rules raise RuleError for bad input.
"""

from __future__ import annotations

import functools

from .. import num
from ..errors import RuleError
from ..expr import evaluate
from ..records import record

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Any, ClassVar, Mapping

Shape = tuple  # of int | sympy.Expr, without the batch axis

# Operation categories. MACs = conv + linear + attention (multiply-accumulates); everything else is counted in element
# operations.
CONV = "conv"                # multiply-accumulates of convolutions (transposed too)
LINEAR = "linear"            # multiply-accumulates of fully connected layers (and attention's projections)
ATTENTION = "attention"      # multiply-accumulates of products of two activations: attention's Q·Kᵀ and A·V, matmul
BIAS = "bias"                # one add per output element of a biased conv/linear
NORM = "normalization"       # elements normalised (batch/layer/group norm, LRN)
ACTIVATION = "activation"    # elements passed through a non-linearity
POOLING = "pooling"          # elements read by pooling windows (output elements x window size)
ELEMENTWISE = "elementwise"  # adds/multiplies that merge tensors: output elements x (inputs - 1)
UPSAMPLING = "upsampling"    # output elements produced by interpolation
SOFTMAX = "softmax"          # elements normalised by softmax
CATEGORIES = (CONV, LINEAR, ATTENTION, BIAS, NORM, ACTIVATION, POOLING, ELEMENTWISE, UPSAMPLING, SOFTMAX)
MAC_CATEGORIES = (CONV, LINEAR, ATTENTION)


# ----------------------------------------------------------------------------------------------- attributes

REQUIRED = object()


@record
class Attr:
    """One attribute of a layer type: how to read it from YAML, and its default (REQUIRED if none)."""

    # size | count | int | spatial | spatial0 | padding | bool | number | scales | choice | shape | sizes | axes
    kind: str
    default: Any = REQUIRED
    choices: tuple = ()
    doc: str = ""


def _int_value(raw, env, what, *, minimum=None):
    v = num.as_int(evaluate(raw, env, what), what)
    if minimum is not None and num.is_concrete(v) and v < minimum:
        raise RuleError(f"{what} must be at least {minimum}, got {v}")
    return v


def read_attr(name: str, spec: Attr, raw, env: Mapping[str, Any]):
    """Validate one YAML attribute value against its schema, evaluating expressions in ``env``."""
    kind = spec.kind
    if kind == "size":
        return _int_value(raw, env, name, minimum=1)
    if kind == "count":
        return _int_value(raw, env, name, minimum=0)
    if kind == "int":
        return _int_value(raw, env, name)
    if kind == "bool":
        if not isinstance(raw, bool):
            raise RuleError(f"{name} must be true or false, got {raw!r}")
        return raw
    if kind == "number":
        return evaluate(raw, env, name)
    if kind == "scales":
        values = tuple(raw) if isinstance(raw, list) else (raw,)
        out = tuple(evaluate(x, env, name) for x in values)
        if any(num.positive(x) is False for x in out):
            raise RuleError(f"{name} must be positive")
        return out if isinstance(raw, list) else out[0]
    if kind == "choice":
        if raw not in spec.choices:
            import difflib  # only for a 'did you mean' hint: kept off the start-up path

            hint = difflib.get_close_matches(str(raw), [str(c) for c in spec.choices], n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise RuleError(f"{name} must be one of {', '.join(map(str, spec.choices))}, got {raw!r}{extra}")
        return raw
    if kind in ("spatial", "spatial0"):
        minimum = 1 if kind == "spatial" else 0
        if isinstance(raw, list):
            if not raw:
                raise RuleError(f"{name} must not be an empty list")
            return tuple(_int_value(x, env, name, minimum=minimum) for x in raw)
        return _int_value(raw, env, name, minimum=minimum)
    if kind == "padding":
        if isinstance(raw, str) and raw in ("same", "valid"):
            return raw
        if isinstance(raw, str) and raw.isidentifier() and raw not in env:
            import difflib  # only for a 'did you mean' hint: kept off the start-up path

            hint = difflib.get_close_matches(raw, ["same", "valid", *env], n=1)
            raise RuleError(f"{name} must be a size, a list of sizes, 'same' or 'valid', got '{raw}'"
                            + (f"; did you mean '{hint[0]}'?" if hint else ""))
        if isinstance(raw, list):
            if not raw:
                raise RuleError(f"{name} must not be an empty list")
            if all(isinstance(x, list) for x in raw):
                sides = []
                for pair in raw:
                    if len(pair) != 2:
                        raise RuleError(f"{name}: per-side padding is a list of [before, after] pairs, one per axis")
                    sides.append(tuple(_int_value(x, env, name, minimum=0) for x in pair))
                return ("sides", tuple(sides))
            return tuple(_int_value(x, env, name, minimum=0) for x in raw)
        return _int_value(raw, env, name, minimum=0)
    if kind == "axes":
        if not isinstance(raw, list) or not raw:
            raise RuleError(f"{name} must be a non-empty list of axes, e.g. [0, 2, 3, 1]")
        return tuple(_int_value(x, env, name) for x in raw)
    if kind in ("shape", "sizes"):
        if not isinstance(raw, list) or not raw:
            raise RuleError(f"{name} must be a non-empty list")
        if kind == "sizes":
            return tuple(_int_value(x, env, name, minimum=1) for x in raw)
        values = tuple(_int_value(x, env, name, minimum=-1) for x in raw)
        if sum(1 for v in values if v == -1) > 1:
            raise RuleError(f"{name}: at most one -1 is allowed")
        if any(v == 0 for v in values):
            raise RuleError(f"{name}: sizes must be positive (or one -1)")
        return values
    raise AssertionError(f"unknown attribute kind {kind}")


class Attrs(dict):
    """A layer's validated attributes, readable as ``a.kernel``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def once_per_input(geometry):
    """Decorator for a layer type's ``geometry(a, ins)``: computed once per layer, not once per rule. The engine
    hands every rule of a layer the same ``ins`` tuple, so the result is kept on the layer's attributes beside
    that tuple and reused while the tuple is the same object (any other input recomputes it)."""

    @functools.wraps(geometry)
    def cached(self, a, ins):
        memo = a.__dict__.get("_geometry")
        if memo is not None and memo[0] is ins:
            return memo[1]
        out = geometry(self, a, ins)
        a.__dict__["_geometry"] = (ins, out)
        return out

    return cached


# ------------------------------------------------------------------------------------------ receptive fields


@record
class AxisField:
    """Receptive field along one spatial axis, in input pixels (Araujo, Norris & Sim, Distill 2019).

    size: how many input pixels one output pixel sees; stride: input pixels between neighbouring outputs;
    padding: how far the first output's field starts before the input's first pixel.
    """

    size: Any
    stride: Any
    padding: Any

    def centre(self):
        return num.difference(num.div(num.plus(self.size, -1), 2), self.padding)


@record
class Field:
    """A receptive field: one AxisField per spatial axis, or the whole input (after global pooling, flatten, linear)."""

    axes: tuple = ()
    whole: bool = False
    aligned: bool = True  # False when a merge combined fields whose centres or strides differ
    # Which tensor axis (without batch) holds each AxisField: None means axes 1..n, after the channels (the layout of
    # the input). A permute moves them (channels-last: (0, 1)); a flatten of spatial axes puts several on one
    # tensor axis (ViT's tokens: (0, 0)), where each keeps its own size and stride.
    positions: tuple | None = None
    # Reads no input pixel: a learnt tensor (class token, layer scale), or text (token embeddings: there are no
    # pixels). Merges skip it, and layers pass it on.
    constant: bool = False
    global_context: bool = False  # True when a merge added a branch that sees the whole input (an SE gate)


WHOLE = Field(whole=True)
CONSTANT = Field(constant=True)


def positions_of(field: Field) -> tuple:
    """The tensor axis (without batch) of each of the field's spatial axes."""
    if field.positions is not None:
        return field.positions
    return tuple(range(1, len(field.axes) + 1))


def moved(field: Field, positions: tuple) -> Field:
    """The same field with its spatial axes at new tensor axes (None when that is the input's layout again)."""
    default = tuple(range(1, len(field.axes) + 1))
    return Field(field.axes, field.whole, field.aligned, None if tuple(positions) == default else tuple(positions),
                 field.constant)


def identity_field(fields: tuple) -> Field:
    return fields[0]


def merge_fields(fields: tuple) -> Field:
    """At add/concat/multiply: the largest field per axis; not aligned when the fields' grids differ.

    A branch whose field is the whole input (a squeeze-and-excitation gate: global pooling, 1x1 convs, a sigmoid,
    broadcast back over the map; an image-pooling branch upsampled and concatenated; global attention beside its
    residual) does not make the merged field whole: the field stays the one along the spatial path, with
    ``global_context`` set. Only when every input sees the whole input is the result whole. Learnt tensors
    (constant fields) read no pixel and are left out.
    """
    fields = tuple(f for f in fields if not f.constant)
    if not fields:
        return CONSTANT
    spatial = [f for f in fields if not f.whole]
    if not spatial:
        return WHOLE
    context = len(spatial) < len(fields)
    ranks = {len(f.axes) for f in spatial}
    if len(ranks) != 1 or len({f.positions for f in spatial}) != 1:
        return WHOLE
    aligned = all(f.aligned for f in spatial)
    axes = []
    merged: dict = {}  # column -> (merged axis, aligned): a square map's axes are merged once
    for i in range(ranks.pop()):
        column = tuple(f.axes[i] for f in spatial)
        if column not in merged:
            merged[column] = _merge_column(column)
        axis, column_aligned = merged[column]
        aligned = aligned and column_aligned
        axes.append(axis)
    return Field(tuple(axes), aligned=aligned, positions=spatial[0].positions, global_context=context)


def _merge_column(column: tuple) -> tuple:
    """(the merged AxisField, whether the column's grids agree) for one axis of the merged fields."""
    first = column[0]
    aligned = True
    centre = None
    for other in column[1:]:
        if other == first:  # the same field: same stride and centre
            continue
        if num.equal(other.stride, first.stride) is False:
            aligned = False
            continue
        if _centres_meet(other, first):
            continue
        if centre is None:
            centre = first.centre()
        if num.equal(other.centre(), centre) is False:
            aligned = False
    if all(num.is_concrete(a.size) for a in column):
        return max(column, key=lambda a: a.size), aligned
    return AxisField(num.maximum(a.size for a in column), first.stride, num.maximum(a.padding for a in column)), \
        aligned


def _centres_meet(a: AxisField, b: AxisField) -> bool:
    """Whether the two fields' centres are equal for some value of the symbols (at one of num's sample points):
    then ``num.equal`` cannot call them different, and their symbolic centres need not be built (what it costs
    at every merge of branches with symbolic fields: GoogLeNet's free kernel)."""
    if num.is_concrete(a.size) and num.is_concrete(a.padding) and num.is_concrete(b.size) \
            and num.is_concrete(b.padding):
        return False  # cheap either way: the exact centres are compared
    for v in num.SAMPLES:
        values = [num.value_at(x, v) for x in (a.size, a.padding, b.size, b.padding)]
        if None not in values and values[0] - values[2] == 2 * (values[1] - values[3]):
            return True
    return False


def window_field(fields: tuple, kernel, stride, pad_before, dilation) -> Field:
    """A sliding window (conv, pool): size grows by (effective kernel - 1) x incoming stride."""
    f = fields[0]
    if f.whole or f.constant:
        return f
    if f.positions is not None:  # the window slides over axes 1..n, which do not hold the input's spatial axes
        return WHOLE
    axes = []
    for ax, k, s, p, d in zip(f.axes, kernel, stride, pad_before, dilation):
        k_eff = d * (k - 1) + 1 if type(k) is int and type(d) is int else num.plus(num.times(d, num.plus(k, -1)), 1)
        if type(ax.size) is int and type(ax.stride) is int and type(ax.padding) is int and type(k_eff) is int \
                and type(s) is int and type(p) is int:
            axes.append(AxisField(ax.size + (k_eff - 1) * ax.stride, ax.stride * s, ax.padding + p * ax.stride))
        elif num.is_concrete(k_eff) and num.is_concrete(s) and num.is_concrete(p):  # symbolic sizes, built directly
            axes.append(AxisField(num.plus(ax.size, num.scaled(ax.stride, k_eff - 1)), num.scaled(ax.stride, s),
                                  num.plus(ax.padding, num.scaled(ax.stride, p))))
        else:  # the same sums and products as ax.size + (k_eff - 1) * ax.stride ..., built directly
            axes.append(AxisField(num.plus(ax.size, num.prod((num.plus(k_eff, -1), ax.stride))),
                                  num.prod((ax.stride, s)), num.plus(ax.padding, num.prod((p, ax.stride)))))
    return Field(tuple(axes), aligned=f.aligned)


def upsampling_field(fields: tuple, factor, kernel) -> Field:
    """Upsampling by ``factor`` per axis: the output grid is finer (stride / factor); each output pixel draws on
    ``kernel`` neighbouring input pixels (1 for nearest, 2 for bilinear, ceil(k / s) for a transposed conv).
    Approximate at the borders: padding is kept as it was."""
    f = fields[0]
    if f.whole or f.constant:
        return f
    if f.positions is not None:
        return WHOLE
    axes = []
    for ax, s, k in zip(f.axes, factor, kernel):
        grown = num.plus(ax.size, num.scaled(ax.stride, k - 1)) if num.is_concrete(k) \
            else num.normalize(ax.size + (k - 1) * ax.stride)
        axes.append(AxisField(grown, num.div(ax.stride, s), ax.padding))
    return Field(tuple(axes), aligned=f.aligned)


# ----------------------------------------------------------------------------------------------- the base


class Layer:
    """Base of every layer type. Subclasses must define all five rules (directly or through a mixin)."""

    type: ClassVar[str] = ""
    aliases: ClassVar[tuple] = ()
    attributes: ClassVar[dict] = {}
    arity: ClassVar[tuple] = (1, 1)  # (min, max) inputs; max None = any
    summary: ClassVar[str] = ""

    RULES: ClassVar[tuple] = ("shape", "params", "buffers", "ops", "receptive_field")

    def shape(self, a: Attrs, ins: tuple) -> Shape:
        raise NotImplementedError

    def params(self, a: Attrs, ins: tuple, out: Shape) -> dict:
        raise NotImplementedError

    def buffers(self, a: Attrs, ins: tuple, out: Shape) -> dict:
        raise NotImplementedError

    def ops(self, a: Attrs, ins: tuple, out: Shape) -> dict:
        raise NotImplementedError

    def receptive_field(self, a: Attrs, ins: tuple, fields: tuple) -> Field:
        raise NotImplementedError

    def check_attrs(self, a: Attrs) -> None:
        """Checks among attributes that need no input shape (optional)."""

    def torch(self, a: Attrs, ins: tuple, out: Shape):
        """The PyTorch module computing this layer: its forward takes the input tensors in order and returns the
        output; its parameters and buffers carry the names and shapes of ``params`` and ``buffers``. Only the
        executor calls it; torch is imported inside each rule. A type without this rule cannot be executed."""
        raise RuleError(f"layer type '{self.type}' has no torch rule, so paramcalc cannot build it in PyTorch "
                        f"(add a torch method to its class in paramcalc/layers/)")

    def sequence(self, a: Attrs, ins: tuple, out: Shape):
        """For a layer over a token sequence that decoding caches (self-attention): (tokens, elements of its key and
        value cache per sample). None for every other layer."""
        return None

    def notes(self, a: Attrs, ins: tuple, origins: tuple) -> tuple:
        """Warnings about legal but suspicious use (optional). ``origins``: per input, the type of the layer that
        last changed that tensor's shape (``"input"`` for a graph input), i.e. what decided its layout."""
        return ()

    def required_equal(self, a: Attrs, ins: tuple) -> tuple:
        """Pairs of sizes this layer needs equal (optional; merges). The engine turns a pair whose equality depends
        on the symbols' values into a derived constraint on the analysis instead of accepting it silently."""
        return ()


class NoParams:
    def params(self, a, ins, out):
        return {}

    def buffers(self, a, ins, out):
        return {}


class NoOps:
    def ops(self, a, ins, out):
        return {}


class KeepsField:
    def receptive_field(self, a, ins, fields):
        return identity_field(fields)


class WholeField:
    def receptive_field(self, a, ins, fields):
        return WHOLE


class LastAxisField:
    """A layer that mixes the last axis only (linear, attention's projections): the field is kept unless that axis
    holds a spatial axis (a linear on [C, H, W] mixes W; one on channels-last [H, W, C] or tokens [N, D] does not)."""

    def receptive_field(self, a, ins, fields):
        f = fields[0]
        if f.whole or f.constant:
            return f
        if not f.axes:  # a vector (classic MLP): whole; a token sequence without a spatial field: still none
            return WHOLE if len(ins[0]) == 1 else f
        return WHOLE if len(ins[0]) - 1 in positions_of(f) else f


def torch_modules():
    """paramcalc.executor.modules (which imports torch), loaded on first use by a torch rule and never before."""
    from ..executor import modules

    return modules


def as_float(x) -> float:
    """A layer's number (int, exact Fraction) as the float PyTorch expects."""
    return float(x)


REGISTRY: dict[str, Layer] = {}
_CANONICAL: dict[str, str] = {}


def register(cls):
    """Class decorator: add a layer type (and its aliases) to the registry; a name may be registered once."""
    layer = cls()
    for name in (cls.type, *cls.aliases):
        if name in REGISTRY:
            raise AssertionError(f"layer type {name!r} registered twice")
        REGISTRY[name] = layer
        _CANONICAL[name] = cls.type
    return cls


def canonical(name: str) -> str:
    return _CANONICAL[name]


# ------------------------------------------------------------------------------------------ shape helpers


def numel(shape) -> Any:
    return num.prod(shape)


def per_axis(value, nd: int, name: str) -> tuple:
    """An int or a list: one value per spatial axis."""
    if isinstance(value, tuple):
        if len(value) == 1:
            return value * nd
        if len(value) != nd:
            raise RuleError(f"{name} has {len(value)} values but the input has {nd} spatial axes")
        return value
    return (value,) * nd


def spatial_input(ins, name: str, *, minimum: int = 1) -> tuple:
    """(channels, spatial dims) of a (C, *spatial) input."""
    shape = ins[0]
    if len(shape) < 1 + minimum:
        raise RuleError(f"{name} needs a (channels, {'height, width' if minimum == 2 else 'length'}...) input, "
                        f"got shape {fmt_shape(shape)}; add a reshape, or check the previous layer")
    return shape[0], tuple(shape[1:])


def fmt_shape(shape) -> str:
    return "[" + ", ".join(num.show(s) for s in shape) + "]"


def require_positive(size, what: str) -> None:
    if not num.can_be_positive(size):
        raise RuleError(what)


def resolve_padding(padding, kernel, stride, dilation, sizes, name="padding") -> tuple:
    """Padding as one (before, after) pair per axis. 'same' follows PyTorch for stride 1 (the odd pixel goes after)
    and TensorFlow for larger strides (output = ceil(input / stride)); 'valid' is no padding."""
    nd = len(sizes)
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        pads = []
        # num.plus/times/difference: the sums and products Python's operators would make, built directly when
        # symbolic (ints as before)
        for L, k, s, d in zip(sizes, kernel, stride, dilation):
            k_eff = num.plus(num.times(d, num.plus(k, -1)), 1)
            if num.is_concrete(s) and s == 1:
                total = num.plus(k_eff, -1)
            else:
                total = num.difference(num.plus(num.times(num.plus(num.ceildiv(L, s), -1), s), k_eff), L)
                if not (isinstance(s, int) and isinstance(k_eff, int) and k_eff >= s):  # >= k_eff - s >= 0 there
                    total = num.maximum([total, 0])
            before = num.floordiv(total, 2)
            pads.append((before, num.difference(total, before)))
        return tuple(pads)
    if isinstance(padding, tuple) and len(padding) == 2 and padding[0] == "sides":
        sides = padding[1]
        if len(sides) != nd:
            raise RuleError(f"{name} gives {len(sides)} [before, after] pairs but the input has {nd} spatial axes")
        return sides
    return tuple((p, p) for p in per_axis(padding, nd, name))


def window_output(size, kernel, stride, pads, dilation, *, ceil_mode=False, what="kernel", same=False):
    """Output length of a sliding window (PyTorch's Conv/MaxPool/AvgPool formula, ceil_mode included).

    same=True (padding 'same'): the length is the input's for stride 1 and ceil(input / stride) otherwise, whatever
    the kernel. With total padding t = max((ceil(L/s) - 1)*s + k_eff - L, 0) the formula gives ceil(L/s) - 1 + 1
    when t > 0, and when t = 0 the remainder r = L - (ceil(L/s) - 1)*s lies in [k_eff, s], so floor((L - k_eff)/s)
    + 1 = ceil(L/s) as well. Said directly it stays one small term through a chain of strided 'same' layers,
    where the formula would nest the max inside every later size."""
    if same and not ceil_mode:
        return size if num.is_concrete(stride) and stride == 1 else num.normalize(num.ceildiv(size, stride))
    if num.is_concrete(size):
        return _window_output(size, kernel, stride, pads, dilation, ceil_mode, what)
    return _symbolic_window_output(size, kernel, stride, pads, dilation, ceil_mode, what)


@functools.lru_cache(maxsize=4096)
def _symbolic_window_output(size, kernel, stride, pads, dilation, ceil_mode, what):
    """The same for a symbolic size, remembered: a network slides the same windows over the same sizes many times
    (a failure is not remembered; it raises again)."""
    return _window_output(size, kernel, stride, pads, dilation, ceil_mode, what)


def _window_output(size, kernel, stride, pads, dilation, ceil_mode, what):
    before, after = pads
    if type(kernel) is int and type(dilation) is int and type(before) is int and type(after) is int:
        k_eff = dilation * (kernel - 1) + 1
        extra = before + after - k_eff
    else:  # a symbolic kernel or padding: the same sums and products, built directly
        k_eff = num.plus(num.times(dilation, num.plus(kernel, -1)), 1)
        extra = num.difference(num.plus(before, after), k_eff)
    if not num.can_be_positive_plus(size, num.plus(extra, 1)):
        padded = size + (before + after)
        dil = f" (dilated to {num.show(k_eff)})" if not (num.is_concrete(dilation) and dilation == 1) else ""
        raise RuleError(f"{what} {num.show(kernel)}{dil} is larger than its padded input {num.show(padded)} "
                        f"(input {num.show(size)} + padding {num.show(before + after)}): the output would be empty")
    if ceil_mode:
        if not num.is_concrete(size) and all(isinstance(x, int) for x in (before, after, k_eff, stride)) \
                and after < k_eff:
            # The same rule without a case split, for a whole size: the last start is the largest multiple of the
            # stride <= min(span + stride - 1, size + before - 1) (PyTorch drops at most one window, as after <
            # k_eff ensures), so out = floor((size + before - 1 + min(after + stride - k_eff, 0)) / stride) + 1:
            # one floor, which stays one floor through any chain of pools.
            return num.shifted_floordiv(size, before - 1 + min(after + stride - k_eff, 0), stride, 1)
        span = num.plus(size, extra)
        out = num.ceildiv(span, stride) + 1
        # PyTorch: the last window must start inside the input or its left padding.
        if num.is_concrete(out):
            if (out - 1) * stride >= size + before:
                out -= 1
        else:
            s = num.sympy()
            out = s.Piecewise((out - 1, s.Ge((out - 1) * stride, size + before)), (out, True))
        return num.normalize(out)
    if type(extra) is int and type(stride) is int and stride > 0:
        return num.shifted_floordiv(size, extra, stride, 1)  # floor((size + extra) / stride) + 1 in one step
    return num.plus(num.floordiv(num.plus(size, extra), stride), 1)
