"""Attention: multi-head self-attention (nn.MultiheadAttention's tensors, or separate q/k/v projections with fewer
key/value heads), Swin's shifted-window attention and patch merging (torchvision's tensors).

MACs count the projections and both attention products, Q·Kᵀ and A·V, as torchvision's published GFLOPS do.
"""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import (ACTIVATION, ATTENTION, BIAS, ELEMENTWISE, LINEAR, NORM, SOFTMAX, WHOLE, Attr, AxisField, Field,
                   Layer, REQUIRED, fmt_shape, once_per_input, positions_of, register, torch_modules)

CPB_HIDDEN = 512  # Swin V2's continuous position bias MLP: 2 -> 512 -> heads (Liu et al., CVPR 2022, Section 3.4)


def _tokens(ins, name):
    shape = ins[0]
    if len(shape) != 2:
        raise RuleError(f"{name} needs a [tokens, features] input, got {fmt_shape(shape)} (flatten and transpose "
                        f"a feature map first, as ViT does)")
    return shape


@register
class Attention(Layer):
    """Multi-head self-attention over a [L, E] sequence. With kv_heads equal to heads (the default) its tensors are
    nn.MultiheadAttention's: in_proj_weight [3E, E], in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E].
    With fewer key/value heads (grouped-query attention) they are separate: q_proj [E, E], k_proj and v_proj
    [kv_heads * E/heads, E], out_proj [E, E]."""

    type = "attention"
    aliases = ("multihead_attention", "mha", "self_attention")
    summary = ("multi-head self-attention on [L, E]; nn.MultiheadAttention's in_proj_weight [3E, E], in_proj_bias, "
               "out_proj; MACs include Q·Kᵀ and A·V")
    attributes = {
        "heads": Attr("size", REQUIRED, doc="number of attention heads; must divide E"),
        "kv_heads": Attr("size", None, doc="key/value heads (grouped-query attention); default: heads"),
        "bias": Attr("bool", True),
        "causal": Attr("bool", False, doc="mask future positions (decoders); the count is the same"),
    }

    def dims(self, a, ins):
        length, embed = _tokens(ins, self.type)
        if num.divisible(embed, a.heads) is False:
            raise RuleError(f"heads={num.show(a.heads)} does not divide the embedding width {num.show(embed)}")
        head_dim = num.div(embed, a.heads)
        kv_heads = a.heads if a.kv_heads is None else a.kv_heads
        if num.divisible(a.heads, kv_heads) is False:
            raise RuleError(f"kv_heads={num.show(kv_heads)} does not divide heads={num.show(a.heads)}")
        return length, embed, head_dim, kv_heads, num.normalize(kv_heads * head_dim)

    def fused(self, a):
        return a.kv_heads is None or num.equal(a.kv_heads, a.heads) is True

    def shape(self, a, ins):
        self.dims(a, ins)
        return ins[0]

    def params(self, a, ins, out):
        length, embed, head_dim, kv_heads, kv_width = self.dims(a, ins)
        if self.fused(a):
            tensors = {"in_proj_weight": (3 * embed, embed)}
            if a.bias:
                tensors["in_proj_bias"] = (3 * embed,)
        else:
            tensors = {}
            for name, width in (("q_proj", embed), ("k_proj", kv_width), ("v_proj", kv_width)):
                tensors[f"{name}.weight"] = (width, embed)
                if a.bias:
                    tensors[f"{name}.bias"] = (width,)
        tensors["out_proj.weight"] = (embed, embed)
        if a.bias:
            tensors["out_proj.bias"] = (embed,)
        return tensors

    def buffers(self, a, ins, out):
        return {}

    def ops(self, a, ins, out):
        length, embed, head_dim, kv_heads, kv_width = self.dims(a, ins)
        projections = num.normalize(length * embed * (2 * embed + 2 * kv_width))  # q, k, v and out
        products = num.normalize(2 * length * length * embed)  # Q·Kᵀ and A·V: heads x L x L x head_dim each
        ops = {LINEAR: projections, ATTENTION: products,
               SOFTMAX: num.normalize(a.heads * length * length),
               ELEMENTWISE: num.normalize(length * embed)}  # q scaled by 1/sqrt(head_dim)
        if a.bias:
            ops[BIAS] = num.normalize(length * (2 * embed + 2 * kv_width))
        return ops

    def sequence(self, a, ins, out):
        length, embed, head_dim, kv_heads, kv_width = self.dims(a, ins)
        return length, num.normalize(2 * length * kv_width)  # keys and values: kv_heads x head_dim per token

    def receptive_field(self, a, ins, fields):
        f = fields[0]
        if not f.axes and not f.whole:
            return f  # a text sequence: there is no spatial field to widen
        return WHOLE  # every token attends to every other: the whole input

    def torch(self, a, ins, out):
        length, embed, head_dim, kv_heads, kv_width = self.dims(a, ins)
        m = torch_modules()
        if self.fused(a):
            return m.SelfAttention(embed, a.heads, bias=a.bias, causal=a.causal)
        return m.GroupedQueryAttention(embed, a.heads, kv_heads, bias=a.bias, causal=a.causal)


def _channels_last(ins, name):
    shape = ins[0]
    if len(shape) != 3:
        raise RuleError(f"{name} needs a channels-last [H, W, C] input, got {fmt_shape(shape)} (permute a "
                        f"[C, H, W] map with order [0, 2, 3, 1] first, as Swin does)")
    return shape


def _grid_field(field: Field, kernel, stride, centred: bool = False) -> Field:
    """A window of ``kernel`` tokens every ``stride`` tokens over a channels-last [H, W, C] map's two grid axes;
    ``centred`` places it around each token (as a 'same'-padded kernel) instead of starting at it."""
    if field.whole or field.constant or not field.axes:
        return field
    if positions_of(field) != (0, 1):
        return WHOLE
    before = num.div(kernel - 1, 2) if centred else 0  # half a token for even windows
    axes = tuple(AxisField(num.normalize(ax.size + (kernel - 1) * ax.stride), num.normalize(ax.stride * stride),
                           num.normalize(ax.padding + before * ax.stride)) for ax in field.axes)
    return Field(axes, aligned=field.aligned, positions=field.positions)


@register
class WindowAttention(Layer):
    """Swin's (shifted) window attention on a channels-last [H, W, C] map, as torchvision's ShiftedWindowAttention:
    the map is zero-padded to whole windows, rolled back by ``shift`` (no shift where one window covers an axis),
    cut into window x window windows, and each window runs multi-head attention with a learnt relative-position
    bias: relative_position_bias_table [(2w-1)^2, heads], gathered by the relative_position_index buffer [w^4].
    Tensors: qkv.weight [3C, C], qkv.bias, proj.weight [C, C], proj.bias."""

    type = "window_attention"
    aliases = ("shifted_window_attention",)
    summary = ("Swin's (shifted) window attention on channels-last [H, W, C]; torchvision's qkv, proj, "
               "relative_position_bias_table [(2w-1)^2, heads], buffer relative_position_index [w^4]")
    attributes = {
        "heads": Attr("size", REQUIRED),
        "window": Attr("size", 7, doc="window size in tokens (square)"),
        "shift": Attr("count", 0, doc="cyclic shift in tokens (Swin: window // 2 in every second block)"),
        "qkv_bias": Attr("bool", True),
        "proj_bias": Attr("bool", True),
        "version": Attr("choice", 1, choices=(1, 2), doc="2: Swin V2's scaled cosine attention and log-spaced "
                                                        "continuous position bias (an MLP of 512 hidden units)"),
    }

    def check_attrs(self, a):
        if num.is_concrete(a.shift) and num.is_concrete(a.window) and a.shift >= a.window:
            raise RuleError(f"shift {a.shift} must be smaller than the window {a.window}")

    @once_per_input  # asked by shape, params and ops
    def dims(self, a, ins):
        height, width, channels = _channels_last(ins, self.type)
        if num.divisible(channels, a.heads) is False:
            raise RuleError(f"heads={num.show(a.heads)} does not divide the {num.show(channels)} channels")
        # num.times: the product sympy's * makes, built directly when symbolic
        padded = tuple(num.times(num.ceildiv(s, a.window), a.window) for s in (height, width))
        return height, width, channels, padded

    def shape(self, a, ins):
        self.dims(a, ins)
        return ins[0]

    def params(self, a, ins, out):
        h, w, c, padded = self.dims(a, ins)
        if a.version == 2:
            tensors = {"logit_scale": (a.heads, 1, 1), "qkv.weight": (3 * c, c)}
        else:
            tensors = {"relative_position_bias_table": (num.normalize((2 * a.window - 1) ** 2), a.heads),
                       "qkv.weight": (3 * c, c)}
        if a.qkv_bias:
            tensors["qkv.bias"] = (3 * c,)
        tensors["proj.weight"] = (c, c)
        if a.proj_bias:
            tensors["proj.bias"] = (c,)
        if a.version == 2:
            tensors.update({"cpb_mlp.0.weight": (CPB_HIDDEN, 2), "cpb_mlp.0.bias": (CPB_HIDDEN,),
                            "cpb_mlp.2.weight": (a.heads, CPB_HIDDEN)})
        return tensors

    def buffers(self, a, ins, out):
        index = {"relative_position_index": (num.normalize(a.window ** 4),)}
        if a.version == 2:
            side = num.normalize(2 * a.window - 1)
            return {"relative_coords_table": (1, side, side, 2), **index}
        return index

    def shifted(self, a, padded):
        """1 when any axis is rolled, else 0: torchvision drops the shift on an axis that one window covers. For a
        symbolic map the same indicator stays exact as min(max(p - window, ..., 0), 1) (sizes are whole numbers),
        so Swin's last stage at a symbolic resolution counts the shift mask exactly where PyTorch applies it."""
        if num.is_concrete(a.shift) and a.shift == 0:
            return 0
        excess = [num.difference(p, a.window) for p in padded]  # p - window, built directly when symbolic
        known = [num.positive(e) for e in excess]
        if any(k is True for k in known):
            return 1
        if all(k is False for k in known):
            return 0
        return num.minimum([num.maximum([*excess, 0]), 1])

    def ops(self, a, ins, out):
        h, w, c, padded = self.dims(a, ins)
        tokens = num.prod(padded)  # attention runs on the padded map
        area = a.window * a.window
        # num.times / num.plus: the products and sums Python's operators would make, left to right, built
        # directly when symbolic (sympy's operators were most of a symbolic Swin's time)
        times, plus = num.times, num.plus
        scores = times(times(a.heads, tokens), area)  # per window heads x w^2 x w^2
        shifted = self.shifted(a, padded)
        # V1: q scaled (tokens x c), the position bias added to the scores and, when shifted, the mask; V2 scales
        # the scores by the logit scale instead of q (see below), then adds the bias and the mask
        elementwise = times(scores, plus(2, shifted)) if a.version == 2 \
            else plus(times(tokens, c), times(scores, plus(1, shifted)))
        ops = {LINEAR: times(times(times(tokens, c), 4), c), ATTENTION: times(times(times(2, tokens), area), c),
               SOFTMAX: scores, ELEMENTWISE: elementwise}
        bias = (3 * c if a.qkv_bias else 0) + (c if a.proj_bias else 0)
        if bias:
            ops[BIAS] = times(tokens, bias)
        if a.version == 2:
            # The bias MLP runs once over the (2w-1)^2 offsets; q and k are L2-normalised, the scores scaled by
            # the learnt logit scale (in place of q's 1/sqrt(d)), the bias squashed by 16 * sigmoid.
            offsets = num.normalize((2 * a.window - 1) ** 2)
            ops[LINEAR] = plus(ops[LINEAR], times(times(offsets, CPB_HIDDEN), plus(2, a.heads)))
            ops[BIAS] = plus(ops.get(BIAS, 0), times(offsets, CPB_HIDDEN))
            ops[NORM] = times(times(2, tokens), c)
            ops[ACTIVATION] = plus(times(offsets, CPB_HIDDEN), times(offsets, a.heads))
        return ops

    def receptive_field(self, a, ins, fields):
        # Each token sees the window it falls in: counted as a window-sized kernel centred on the token (the real
        # window is fixed on the grid, so the centre is approximate; the size is exact).
        return _grid_field(fields[0], a.window, 1, centred=True)

    def torch(self, a, ins, out):
        h, w, c, padded = self.dims(a, ins)
        m = torch_modules()
        cls = m.WindowAttentionV2 if a.version == 2 else m.WindowAttention
        return cls(c, a.heads, a.window, a.shift, qkv_bias=a.qkv_bias, proj_bias=a.proj_bias)


@register
class PatchMerging(Layer):
    """Swin's patch merging on channels-last [H, W, C]: each 2x2 neighbourhood's four C-vectors are concatenated
    (odd sizes zero-padded), layer-normalised over 4C and projected to 2C without bias; torchvision's tensors
    reduction.weight [2C, 4C], norm.weight and norm.bias [4C]."""

    type = "patch_merging"
    summary = "Swin's 2x2 patch merging on channels-last [H, W, C] -> [H/2, W/2, 2C]; reduction.weight, norm"
    attributes = {"eps": Attr("number", 1e-5),
                  "version": Attr("choice", 1, choices=(1, 2), doc="2: Swin V2 normalises after the reduction (2C)")}

    def shape(self, a, ins):
        h, w, c = _channels_last(ins, self.type)
        return (num.ceildiv(h, 2), num.ceildiv(w, 2), 2 * c)

    def params(self, a, ins, out):
        c = ins[0][2]
        width = 2 * c if a.version == 2 else 4 * c
        return {"reduction.weight": (2 * c, 4 * c), "norm.weight": (width,), "norm.bias": (width,)}

    def buffers(self, a, ins, out):
        return {}

    def ops(self, a, ins, out):
        c = ins[0][2]
        merged = num.times(num.times(num.times(out[0], out[1]), 4), c)  # out[0] * out[1] * 4 * c, built directly
        return {LINEAR: num.times(num.times(merged, 2), c), NORM: num.div(merged, 2) if a.version == 2 else merged}

    def receptive_field(self, a, ins, fields):
        return _grid_field(fields[0], 2, 2)

    def torch(self, a, ins, out):
        return torch_modules().PatchMerging(ins[0][2], float(a.eps), norm_after=a.version == 2)
