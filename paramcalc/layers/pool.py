"""Pooling: maxpool and avgpool (ceil_mode), adaptive and global average/max pooling."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import (POOLING, AxisField, Attr, Field, Layer, NoParams, REQUIRED, WHOLE, numel, once_per_input,
                   per_axis, register, resolve_padding, spatial_input, torch_modules, window_field, window_output)


class _Pool(NoParams, Layer):
    attributes = {
        "kernel": Attr("spatial", REQUIRED),
        "stride": Attr("spatial", None, doc="defaults to the kernel size"),
        "padding": Attr("spatial0", 0),
        "ceil_mode": Attr("bool", False),
    }

    @once_per_input
    def geometry(self, a, ins):
        c, sizes = spatial_input(ins, self.type)
        nd = len(sizes)
        k = per_axis(a.kernel, nd, "kernel")
        s = per_axis(a.stride if a.stride is not None else a.kernel, nd, "stride")
        d = per_axis(a.get("dilation", 1), nd, "dilation")
        p = per_axis(a.padding, nd, "padding")
        for kk, pp in zip(k, p):
            if num.is_concrete(kk) and num.is_concrete(pp) and 2 * pp > kk:
                raise RuleError(f"padding {pp} must be at most half the kernel size {kk}")
        return c, sizes, k, s, resolve_padding(p, k, s, d, sizes), d

    def shape(self, a, ins):
        c, sizes, k, s, pads, d = self.geometry(a, ins)
        return (c, *(window_output(L, kk, ss, pp, dd, ceil_mode=a.ceil_mode)
                     for L, kk, ss, pp, dd in zip(sizes, k, s, pads, d)))

    def ops(self, a, ins, out):
        c, sizes, k, *_ = self.geometry(a, ins)
        return {POOLING: num.prod((*out, *k))}

    def receptive_field(self, a, ins, fields):
        c, sizes, k, s, pads, d = self.geometry(a, ins)
        return window_field(fields, k, s, [p[0] for p in pads], d)


@register
class MaxPool(_Pool):
    type = "maxpool"
    aliases = ("max_pool", "maxpool2d", "maxpool1d")
    summary = "max over sliding windows; stride defaults to the kernel"
    attributes = {**_Pool.attributes, "dilation": Attr("spatial", 1)}

    def torch(self, a, ins, out):
        c, sizes, k, s, pads, d = self.geometry(a, ins)
        cls = torch_modules().by_rank("MaxPool", len(sizes))
        return cls(k, stride=s, padding=tuple(b for b, _ in pads), dilation=d, ceil_mode=a.ceil_mode)


@register
class AvgPool(_Pool):
    type = "avgpool"
    aliases = ("avg_pool", "avgpool2d", "avgpool1d")
    summary = "mean over sliding windows; stride defaults to the kernel"
    attributes = {**_Pool.attributes, "count_include_pad": Attr("bool", True)}

    def torch(self, a, ins, out):
        c, sizes, k, s, pads, d = self.geometry(a, ins)
        cls = torch_modules().by_rank("AvgPool", len(sizes))
        return cls(k, stride=s, padding=tuple(b for b, _ in pads), ceil_mode=a.ceil_mode,
                   count_include_pad=a.count_include_pad)


class _Adaptive(NoParams, Layer):
    attributes = {"size": Attr("spatial", 1, doc="output size: an int or one per spatial axis")}

    def shape(self, a, ins):
        c, sizes = spatial_input(ins, self.type)
        return (c, *per_axis(a.size, len(sizes), "size"))

    def ops(self, a, ins, out):
        # Adaptive windows tile the input (they overlap when the size does not divide it): about one read per input.
        return {POOLING: numel(ins[0])}

    def receptive_field(self, a, ins, fields):
        c, sizes = spatial_input(ins, self.type)
        outs = per_axis(a.size, len(sizes), "size")
        if all(num.is_concrete(o) and o == 1 for o in outs):
            return WHOLE
        f = fields[0]
        if f.whole:
            return f
        axes = []
        for ax, L, o in zip(f.axes, sizes, outs):
            # PyTorch's window i covers [floor(i*L/o), ceil((i+1)*L/o)): the largest window when the sizes are
            # known (and o small enough to list); otherwise ceil(L/o) (+1 when o may not divide L), an upper bound.
            if num.is_concrete(L) and num.is_concrete(o) and o <= 10_000:
                k = max(num.ceildiv((i + 1) * L, o) - num.floordiv(i * L, o) for i in range(o))
            else:
                k = num.ceildiv(L, o)
                if num.divisible(L, o) is not True:
                    k = num.plus(k, 1)
            s = num.div(L, o)
            # ax.size + (k - 1) * ax.stride and ax.stride * s, built directly when symbolic
            axes.append(AxisField(num.plus(ax.size, num.times(num.plus(k, -1), ax.stride)), num.times(ax.stride, s),
                                  ax.padding))
        return Field(tuple(axes), aligned=f.aligned)

    def torch(self, a, ins, out):
        c, sizes = spatial_input(ins, self.type)
        return torch_modules().by_rank(self.torch_family, len(sizes))(tuple(out[1:]))


@register
class AdaptiveAvgPool(_Adaptive):
    type = "adaptive_avgpool"
    summary = "average pooling to a fixed output size (PyTorch's AdaptiveAvgPool)"
    torch_family = "AdaptiveAvgPool"


@register
class AdaptiveMaxPool(_Adaptive):
    type = "adaptive_maxpool"
    summary = "max pooling to a fixed output size (PyTorch's AdaptiveMaxPool)"
    torch_family = "AdaptiveMaxPool"


class _Global(NoParams, Layer):
    attributes = {}

    def shape(self, a, ins):
        c, sizes = spatial_input(ins, self.type)
        return (c,)

    def ops(self, a, ins, out):
        return {POOLING: numel(ins[0])}

    def receptive_field(self, a, ins, fields):
        return WHOLE

    def torch(self, a, ins, out):
        spatial_input(ins, self.type)
        return torch_modules().GlobalPool(self.kind)


@register
class GlobalAvgPool(_Global):
    type = "global_avgpool"
    aliases = ("gap",)
    summary = "mean over all spatial positions, flattened to (C,) (Network in Network; Keras' GlobalAveragePooling)"
    kind = "avg"


@register
class GlobalMaxPool(_Global):
    type = "global_maxpool"
    summary = "max over all spatial positions, flattened to (C,)"
    kind = "max"
