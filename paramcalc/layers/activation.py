"""Element-wise non-linearities: relu, leaky_relu, relu6, prelu, sigmoid, tanh, gelu, silu, hardswish, hardsigmoid,
elu, and softmax."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import ACTIVATION, SOFTMAX, Attr, KeepsField, Layer, NoParams, numel, register


class _Activation(NoParams, KeepsField, Layer):
    attributes = {}

    def shape(self, a, ins):
        return ins[0]

    def ops(self, a, ins, out):
        return {ACTIVATION: numel(out)}


def _activation(name, summary, aliases=(), attributes=None):
    cls = type(name.title().replace("_", ""), (_Activation,), {
        "type": name, "aliases": aliases, "summary": summary, "attributes": attributes or {}})
    return register(cls)


_activation("relu", "max(0, x)")
_activation("relu6", "min(max(0, x), 6) (MobileNet)")
_activation("leaky_relu", "x if x > 0 else negative_slope * x (YOLO v1: 0.1)",
            attributes={"negative_slope": Attr("number", 0.01)})
_activation("elu", "x if x > 0 else alpha * (exp(x) - 1)", attributes={"alpha": Attr("number", 1)})
_activation("sigmoid", "1 / (1 + exp(-x))")
_activation("tanh", "hyperbolic tangent")
_activation("gelu", "x * Phi(x)", attributes={"approximate": Attr("choice", "none", choices=("none", "tanh"))})
_activation("silu", "x * sigmoid(x)", aliases=("swish",))
_activation("hardswish", "x * relu6(x + 3) / 6 (MobileNet v3)", aliases=("hard_swish",))
_activation("hardsigmoid", "relu6(x + 3) / 6 (MobileNet v3's squeeze-excitation gate)", aliases=("hard_sigmoid",))


@register
class PReLU(_Activation):
    type = "prelu"
    summary = "leaky ReLU with a learnt slope: weight [1], or [C] with channelwise: true"
    attributes = {"channelwise": Attr("bool", False)}

    def params(self, a, ins, out):
        if a.channelwise and not ins[0]:
            raise RuleError("channelwise prelu needs an input with a channel axis")
        return {"weight": (ins[0][0] if a.channelwise else 1,)}


@register
class Softmax(NoParams, KeepsField, Layer):
    type = "softmax"
    summary = "exp(x) / sum(exp(x)) along `axis` (counted with the batch axis, as PyTorch's dim: 1 = channels)"
    attributes = {"axis": Attr("int", 1)}

    def shape(self, a, ins):
        rank = len(ins[0]) + 1
        if num.is_concrete(a.axis) and not (-rank < a.axis < rank and a.axis % rank != 0):
            raise RuleError(f"axis {a.axis} is not a non-batch axis of a rank-{rank} tensor (batch included)")
        return ins[0]

    def ops(self, a, ins, out):
        return {SOFTMAX: numel(out)}
