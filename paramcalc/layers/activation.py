"""Element-wise non-linearities: relu, leaky_relu, relu6, prelu, sigmoid, tanh, gelu, silu, hardswish, hardsigmoid,
elu, and softmax."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import ACTIVATION, SOFTMAX, Attr, KeepsField, Layer, NoParams, as_float, numel, register, torch_modules


class _Activation(NoParams, KeepsField, Layer):
    attributes = {}

    def shape(self, a, ins):
        return ins[0]

    def ops(self, a, ins, out):
        return {ACTIVATION: numel(out)}

    def torch(self, a, ins, out):
        return self.make_torch(torch_modules().nn, a)  # make_torch: given to _activation below


def _activation(name, summary, make_torch, aliases=(), attributes=None):
    """Register an activation; ``make_torch(nn, attrs)`` builds its torch.nn module (not in place: the graph may
    still need the input)."""
    cls = type(name.title().replace("_", ""), (_Activation,), {
        "type": name, "aliases": aliases, "summary": summary, "attributes": attributes or {},
        "make_torch": staticmethod(make_torch)})
    return register(cls)


_activation("relu", "max(0, x)", lambda nn, a: nn.ReLU())
_activation("relu6", "min(max(0, x), 6) (MobileNet)", lambda nn, a: nn.ReLU6())
_activation("leaky_relu", "x if x > 0 else negative_slope * x (YOLO v1: 0.1)",
            lambda nn, a: nn.LeakyReLU(as_float(a.negative_slope)),
            attributes={"negative_slope": Attr("number", 0.01)})
_activation("elu", "x if x > 0 else alpha * (exp(x) - 1)", lambda nn, a: nn.ELU(as_float(a.alpha)),
            attributes={"alpha": Attr("number", 1)})
_activation("sigmoid", "1 / (1 + exp(-x))", lambda nn, a: nn.Sigmoid())
_activation("tanh", "hyperbolic tangent", lambda nn, a: nn.Tanh())
_activation("gelu", "x * Phi(x)", lambda nn, a: nn.GELU(approximate=a.approximate),
            attributes={"approximate": Attr("choice", "none", choices=("none", "tanh"))})
_activation("silu", "x * sigmoid(x)", lambda nn, a: nn.SiLU(), aliases=("swish",))
_activation("hardswish", "x * relu6(x + 3) / 6 (MobileNet v3)", lambda nn, a: nn.Hardswish(),
            aliases=("hard_swish",))
_activation("hardsigmoid", "relu6(x + 3) / 6 (MobileNet v3's squeeze-excitation gate)",
            lambda nn, a: nn.Hardsigmoid(), aliases=("hard_sigmoid",))


@register
class PReLU(_Activation):
    type = "prelu"
    summary = "leaky ReLU with a learnt slope: weight [1], or [C] with channelwise: true"
    attributes = {"channelwise": Attr("bool", False)}

    def params(self, a, ins, out):
        if a.channelwise and not ins[0]:
            raise RuleError("channelwise prelu needs an input with a channel axis")
        return {"weight": (ins[0][0] if a.channelwise else 1,)}

    def torch(self, a, ins, out):
        return torch_modules().nn.PReLU(num_parameters=self.params(a, ins, out)["weight"][0])


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

    def torch(self, a, ins, out):
        return torch_modules().nn.Softmax(dim=a.axis)
