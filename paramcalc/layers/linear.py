"""Fully connected layers: linear (applied to the last axis, as PyTorch's nn.Linear)."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import BIAS, LINEAR, Attr, LastAxisField, Layer, REQUIRED, fmt_shape, numel, register, torch_modules


# Types whose output is channels-first, (C, *spatial): a linear layer straight after one of them (through layers that
# keep the shape) acts on the last spatial axis, which is almost always a forgotten flatten.
CHANNELS_FIRST = frozenset({"conv", "depthwise_conv", "conv_transpose", "maxpool", "avgpool", "adaptive_avgpool",
                            "adaptive_maxpool", "upsample", "zeropad", "crop", "lrn", "l2norm"})


@register
class Linear(LastAxisField, Layer):
    type = "linear"
    aliases = ("fc", "dense")
    summary = "fully connected layer on the last axis; weight [out, in]"
    attributes = {
        "out": Attr("size", REQUIRED, doc="output features"),
        "bias": Attr("bool", True),
        "in": Attr("size", None, doc="optional: input features, checked against the incoming shape"),
    }

    def features(self, a, ins):
        shape = ins[0]
        if not shape:
            raise RuleError("needs an input with at least one axis")
        f = shape[-1]
        if a.get("in") is not None and num.equal(a["in"], f) is False:
            hint = " (add a flatten before it?)" if len(shape) > 1 else ""
            raise RuleError(f"declares in: {num.show(a['in'])} features but its input {fmt_shape(shape)} "
                            f"has {num.show(f)} on its last axis{hint}")
        return f

    def notes(self, a, ins, origins):
        shape = ins[0]
        if len(shape) < 2 or origins[0] not in CHANNELS_FIRST:
            return ()
        article = "an" if origins[0][0] in "aeiou" else "a"
        return (f"linear on the non-flat input {fmt_shape(shape)} (from {article} {origins[0]}) acts on its last "
                f"axis only: weight [{num.show(a.out)}, {num.show(shape[-1])}], output {fmt_shape((*shape[:-1], a.out))}; "
                f"add a flatten before it if all {num.show(numel(shape))} features were meant",)

    def shape(self, a, ins):
        self.features(a, ins)
        return (*ins[0][:-1], a.out)

    def params(self, a, ins, out):
        tensors = {"weight": (a.out, self.features(a, ins))}
        if a.bias:
            tensors["bias"] = (a.out,)
        return tensors

    def buffers(self, a, ins, out):
        return {}

    def ops(self, a, ins, out):
        ops = {LINEAR: num.times(numel(ins[0]), a.out)}
        if a.bias:
            ops[BIAS] = numel(out)
        return ops

    def torch(self, a, ins, out):
        return torch_modules().nn.Linear(self.features(a, ins), a.out, bias=a.bias)
