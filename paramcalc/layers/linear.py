"""Fully connected layers: linear (applied to the last axis, as PyTorch's nn.Linear)."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import BIAS, LINEAR, Attr, LastAxisField, Layer, REQUIRED, fmt_shape, numel, register, torch_modules


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
        ops = {LINEAR: num.normalize(numel(ins[0]) * a.out)}
        if a.bias:
            ops[BIAS] = numel(out)
        return ops

    def torch(self, a, ins, out):
        return torch_modules().nn.Linear(self.features(a, ins), a.out, bias=a.bias)
