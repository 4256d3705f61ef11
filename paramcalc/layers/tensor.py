"""Learnt tensors and tensor arithmetic: parameter (class token, position embedding, layer scale), scale, matmul."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import (ATTENTION, CONSTANT, ELEMENTWISE, WHOLE, Attr, Field, KeepsField, Layer, NoOps, NoParams,
                   REQUIRED, as_float, fmt_shape, numel, positions_of, register, torch_modules)
from .merge import broadcast


@register
class Parameter(NoOps, Layer):
    """A learnt tensor that belongs to no conv or linear layer. It takes no input; add, multiply and concat use it
    by name. PyTorch broadcasts it over the batch, so the layer's output (per sample) is its shape without the
    batch axis of 1 that ViT writes first (``batch_axis: true``: class token [1, 1, D] -> per sample [1, D])."""

    type = "parameter"
    aliases = ("learnt", "learned")
    arity = (0, 0)
    summary = ("a learnt tensor of the given shape (ViT's class token and position embedding, ConvNeXt's layer "
               "scale); used by add, multiply and concat; weight of that shape")
    attributes = {
        "shape": Attr("sizes", REQUIRED, doc="the tensor's shape as PyTorch stores it, e.g. [1, 1, 768]"),
        "batch_axis": Attr("bool", False, doc="the first size is PyTorch's broadcast batch axis of 1"),
    }

    def check_attrs(self, a):
        if a.batch_axis:
            if len(a.shape) < 2:
                raise RuleError("batch_axis: true needs a shape with the batch axis and at least one more")
            if num.is_concrete(a.shape[0]) and a.shape[0] != 1:
                raise RuleError(f"batch_axis: true needs a first size of 1, got {num.show(a.shape[0])}")

    def shape(self, a, ins):
        return tuple(a.shape[1:]) if a.batch_axis else tuple(a.shape)

    def params(self, a, ins, out):
        return {"weight": tuple(a.shape)}

    def buffers(self, a, ins, out):
        return {}

    def receptive_field(self, a, ins, fields):
        return CONSTANT

    def torch(self, a, ins, out):
        return torch_modules().LearntTensor(a.shape, a.batch_axis)


@register
class Scale(NoParams, KeepsField, Layer):
    type = "scale"
    summary = "multiplies every element by a fixed number (attention's 1/sqrt(head_dim))"
    attributes = {"factor": Attr("number", REQUIRED)}

    def shape(self, a, ins):
        return ins[0]

    def ops(self, a, ins, out):
        return {ELEMENTWISE: numel(out)}

    def torch(self, a, ins, out):
        return torch_modules().Scale(as_float(a.factor))


@register
class Matmul(NoParams, Layer):
    """The product of two activations over their last two axes, the axes before them broadcast as batch axes
    (torch.matmul): [..., M, K] x [..., K, N] -> [..., M, N]; ``transpose_b`` reads the second as [..., N, K]."""

    type = "matmul"
    aliases = ("bmm",)
    arity = (2, 2)
    summary = "[..., M, K] x [..., K, N] -> [..., M, N] with batch axes broadcast (transpose_b: second is [..., N, K])"
    attributes = {"transpose_b": Attr("bool", False)}

    def dims(self, a, ins):
        left, right = ins
        if len(left) < 2 or len(right) < 2:
            raise RuleError(f"needs two inputs of at least two axes each, got {fmt_shape(left)} and "
                            f"{fmt_shape(right)}")
        m, k = left[-2:]
        k2, n = (right[-1], right[-2]) if a.transpose_b else right[-2:]
        if num.equal(k, k2) is False:
            side = "last" if a.transpose_b else "second to last"
            raise RuleError(f"cannot multiply {fmt_shape(left)} by {fmt_shape(right)}: the first's last axis "
                            f"({num.show(k)}) differs from the second's {side} ({num.show(k2)})")
        batch = broadcast((left[:-2], right[:-2]), "broadcast the batch axes of") if (left[:-2] or right[:-2]) \
            else ()
        return batch, m, k, n

    def shape(self, a, ins):
        batch, m, k, n = self.dims(a, ins)
        return (*batch, m, n)

    def ops(self, a, ins, out):
        batch, m, k, n = self.dims(a, ins)
        return {ATTENTION: num.normalize(numel(batch) * m * k * n)}

    def required_equal(self, a, ins):
        left, right = ins
        return ((left[-1], right[-1] if a.transpose_b else right[-2]),)

    def receptive_field(self, a, ins, fields):
        # Each output row mixes the first input's last axis and every row of the second: the field survives only
        # when neither reads across a spatial axis (the second a learnt tensor, the first's last axis not spatial).
        left, right = fields
        if right.constant and not left.whole and not left.constant and left.axes:
            if len(ins[0]) - 1 in positions_of(left) or len(self.shape(a, ins)) != len(ins[0]):
                return WHOLE
            return left
        if left.constant and right.constant:
            return CONSTANT
        if not left.axes and not right.axes and not left.whole and not right.whole:
            return Field()
        return WHOLE

    def torch(self, a, ins, out):
        return torch_modules().Matmul(a.transpose_b)
