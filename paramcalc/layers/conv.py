"""Convolutions: conv (1d/2d/3d, groups, dilation, bias), depthwise_conv and conv_transpose."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import (BIAS, CONV, Attr, Layer, REQUIRED, numel, once_per_input, per_axis, register, resolve_padding,
                   spatial_input, torch_modules, upsampling_field, window_field, window_output)

_WINDOW = {
    "kernel": Attr("spatial", REQUIRED, doc="kernel size: an int or one per spatial axis"),
    "stride": Attr("spatial", 1),
    "padding": Attr("padding", 0, doc="int, pair, per-side [[before, after], ...], 'same' or 'valid'"),
    "dilation": Attr("spatial", 1),
}


class _Convolution(Layer):
    """Shared geometry of conv and depthwise_conv: weight [out, in/groups, *kernel]."""

    @once_per_input
    def geometry(self, a, ins):
        c_in, sizes = spatial_input(ins, self.type)
        nd = len(sizes)
        if a.get("in") is not None and num.equal(a["in"], c_in) is False:
            raise RuleError(f"declares in: {num.show(a['in'])} channels but its input has {num.show(c_in)}")
        out, groups = self.channels(a, c_in)
        if num.divisible(c_in, groups) is False:
            raise RuleError(f"groups={num.show(groups)} does not divide the {num.show(c_in)} input channels")
        if num.divisible(out, groups) is False:
            raise RuleError(f"groups={num.show(groups)} does not divide the {num.show(out)} output channels")
        k = per_axis(a.kernel, nd, "kernel")
        s = per_axis(a.stride, nd, "stride")
        d = per_axis(a.dilation, nd, "dilation")
        pads = resolve_padding(a.padding, k, s, d, sizes)
        return c_in, out, groups, sizes, k, s, pads, d

    def channels(self, a, c_in):
        return a.out, a.groups

    def shape(self, a, ins):
        c_in, out, g, sizes, k, s, pads, d = self.geometry(a, ins)
        same = isinstance(a.padding, str) and a.padding == "same"
        return (out, *(window_output(L, kk, ss, p, dd, same=same) for L, kk, ss, p, dd in zip(sizes, k, s, pads, d)))

    def params(self, a, ins, out):
        c_in, c_out, g, sizes, k, *_ = self.geometry(a, ins)
        tensors = {"weight": (c_out, num.div(c_in, g), *k)}
        if a.bias:
            tensors["bias"] = (c_out,)
        return tensors

    def buffers(self, a, ins, out):
        return {}

    def ops(self, a, ins, out):
        c_in, c_out, g, sizes, k, *_ = self.geometry(a, ins)
        ops = {CONV: num.prod((*out, num.div(c_in, g), *k))}  # one product (cached when symbolic)
        if a.bias:
            ops[BIAS] = numel(out)
        return ops

    def receptive_field(self, a, ins, fields):
        c_in, out, g, sizes, k, s, pads, d = self.geometry(a, ins)
        return window_field(fields, k, s, [p[0] for p in pads], d)

    def torch(self, a, ins, out):
        # Symmetric padding goes to nn.ConvNd; per-side padding and 'same' with stride > 1 get an explicit zero pad.
        c_in, c_out, g, sizes, k, s, pads, d = self.geometry(a, ins)
        return torch_modules().conv(len(sizes), pads, in_channels=c_in, out_channels=c_out, kernel_size=k,
                                    stride=s, dilation=d, groups=g, bias=a.bias)


@register
class Conv(_Convolution):
    type = "conv"
    aliases = ("conv1d", "conv2d", "conv3d")
    summary = "convolution over the spatial axes of a (C, *spatial) input; weight [out, in/groups, *kernel]"
    attributes = {
        "out": Attr("size", REQUIRED, doc="output channels (number of filters)"),
        **_WINDOW,
        "groups": Attr("size", 1),
        "bias": Attr("bool", True),
        "in": Attr("size", None, doc="optional: input channels, checked against the incoming shape"),
    }


@register
class DepthwiseConv(_Convolution):
    type = "depthwise_conv"
    aliases = ("dwconv",)
    summary = "one filter per input channel (groups = channels); out = channels x multiplier"
    attributes = {
        **_WINDOW,
        "multiplier": Attr("size", 1, doc="filters per input channel"),
        "out": Attr("size", None, doc="optional: checked against channels x multiplier"),
        "bias": Attr("bool", True),
    }

    def channels(self, a, c_in):
        out = num.normalize(c_in * a.multiplier)
        if a.get("out") is not None and num.equal(a["out"], out) is False:
            raise RuleError(f"out: {num.show(a['out'])} but a depthwise conv of {num.show(c_in)} channels "
                            f"with multiplier {num.show(a.multiplier)} gives {num.show(out)}")
        return out, c_in


@register
class ConvTranspose(Layer):
    type = "conv_transpose"
    aliases = ("deconv", "conv_transpose2d", "conv_transpose1d")
    summary = "transposed convolution; out = (in - 1)*stride - 2*padding + dilation*(kernel - 1) + output_padding + 1"
    attributes = {
        "out": Attr("size", REQUIRED),
        "kernel": Attr("spatial", REQUIRED),
        "stride": Attr("spatial", 1),
        "padding": Attr("spatial0", 0, doc="int or one per axis (as PyTorch: removed from both sides)"),
        "output_padding": Attr("spatial0", 0),
        "dilation": Attr("spatial", 1),
        "groups": Attr("size", 1),
        "bias": Attr("bool", True),
        "in": Attr("size", None),
    }

    @once_per_input
    def geometry(self, a, ins):
        c_in, sizes = spatial_input(ins, self.type)
        nd = len(sizes)
        if a.get("in") is not None and num.equal(a["in"], c_in) is False:
            raise RuleError(f"declares in: {num.show(a['in'])} channels but its input has {num.show(c_in)}")
        for what, ch in (("input", c_in), ("output", a.out)):
            if num.divisible(ch, a.groups) is False:
                raise RuleError(f"groups={num.show(a.groups)} does not divide the {num.show(ch)} {what} channels")
        k, s, p, op, d = (per_axis(a[n], nd, n) for n in ("kernel", "stride", "padding", "output_padding", "dilation"))
        for oo, ss, dd in zip(op, s, d):
            if num.is_concrete(oo) and num.is_concrete(ss) and num.is_concrete(dd) and not (oo < ss or oo < dd):
                raise RuleError(f"output_padding {oo} must be smaller than the stride ({ss}) or the dilation ({dd})")
        return c_in, sizes, k, s, p, op, d

    def shape(self, a, ins):
        c_in, sizes, k, s, p, op, d = self.geometry(a, ins)
        out = []
        for L, kk, ss, pp, oo, dd in zip(sizes, k, s, p, op, d):
            if not num.is_concrete(L) and all(num.is_concrete(x) for x in (ss, pp, dd, kk, oo)):  # built directly
                size = num.plus(num.scaled(num.plus(L, -1), ss), -2 * pp + dd * (kk - 1) + oo + 1)
            else:
                size = num.normalize((L - 1) * ss - 2 * pp + dd * (kk - 1) + oo + 1)
            if num.positive(size) is False:
                raise RuleError(f"output size {num.show(size)} is not positive (padding {num.show(pp)} too large)")
            out.append(size)
        return (a.out, *out)

    def params(self, a, ins, out):
        c_in, sizes, k, *_ = self.geometry(a, ins)
        tensors = {"weight": (c_in, num.div(a.out, a.groups), *k)}
        if a.bias:
            tensors["bias"] = (a.out,)
        return tensors

    def buffers(self, a, ins, out):
        return {}

    def ops(self, a, ins, out):
        # Every input pixel scatters a kernel into the output: in_pixels x in_ch x out_ch/groups x kernel
        # (the count torch.utils.flop_counter uses for transposed convolutions).
        c_in, sizes, k, *_ = self.geometry(a, ins)
        factors = (numel(sizes), c_in, num.div(a.out, a.groups), numel(k))
        if all(num.is_concrete(f) for f in factors):
            ops = {CONV: num.normalize(factors[0] * factors[1] * factors[2] * factors[3])}
        elif num.is_concrete(factors[0]) or getattr(factors[0], "is_Add", False):
            # one product at a time, as sympy's Mul of each pair would build them: a number times a lone sum is
            # distributed over its terms at that step ((H + 2)*4 = 4*H + 8), which one product of all would not do
            ops = {CONV: num.prod((num.prod((num.prod(factors[:2]), factors[2])), factors[3]))}
        else:  # a product of sizes: no step is a number times a lone sum, so one product is the same object
            ops = {CONV: num.prod(factors)}
        if a.bias:
            ops[BIAS] = numel(out)
        return ops

    def receptive_field(self, a, ins, fields):
        c_in, sizes, k, s, p, op, d = self.geometry(a, ins)
        reach = [num.ceildiv(dd * (kk - 1) + 1, ss) for kk, ss, dd in zip(k, s, d)]
        return upsampling_field(fields, s, reach)

    def torch(self, a, ins, out):
        c_in, sizes, k, s, p, op, d = self.geometry(a, ins)
        cls = torch_modules().by_rank("ConvTranspose", len(sizes))
        return cls(c_in, a.out, k, stride=s, padding=p, output_padding=op, groups=a.groups, bias=a.bias,
                   dilation=d)
