"""Layers that merge several inputs: add (residuals), multiply (squeeze-excitation gates), concat (Inception, DenseNet)."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import ELEMENTWISE, Attr, Layer, NoParams, fmt_shape, merge_fields, numel, register, torch_modules


def _broadcast_columns(shapes):
    """Per axis (aligned at the last), the sizes that are not a literal 1."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    return [[x for x in column if not (num.is_concrete(x) and x == 1)] for column in zip(*padded)]


def broadcast(shapes, verb: str) -> tuple:
    """NumPy/PyTorch broadcasting of shapes aligned at their last axis; a mismatch is an error naming them all."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for column in zip(*padded):
        sizes = [x for x in column if not (num.is_concrete(x) and x == 1)]
        size = sizes[0] if sizes else 1
        for other in sizes[1:]:
            if num.equal(other, size) is False:
                listing = " and ".join(fmt_shape(s) for s in shapes)
                raise RuleError(f"cannot {verb} shapes {listing}: they differ and do not broadcast")
        out.append(size)
    return tuple(out)


class _Elementwise(NoParams, Layer):
    arity = (2, None)
    attributes = {}
    verb = ""

    def shape(self, a, ins):
        return broadcast(ins, self.verb)

    def ops(self, a, ins, out):
        return {ELEMENTWISE: num.normalize(numel(out) * (len(ins) - 1))}

    def required_equal(self, a, ins):
        return tuple((other, sizes[0]) for sizes in _broadcast_columns(ins) for other in sizes[1:])

    def receptive_field(self, a, ins, fields):
        return merge_fields(fields)

    def torch(self, a, ins, out):
        return getattr(torch_modules(), self.torch_module)()


@register
class Add(_Elementwise):
    type = "add"
    aliases = ("sum",)
    verb = "add"
    torch_module = "Add"
    summary = "element-wise sum of two or more inputs (residual connections); shapes broadcast"


@register
class Multiply(_Elementwise):
    type = "multiply"
    aliases = ("mul",)
    verb = "multiply"
    torch_module = "Multiply"
    summary = "element-wise product (squeeze-excitation: features x channel gates of shape [C, 1, 1])"


@register
class Concat(NoParams, Layer):
    type = "concat"
    aliases = ("cat",)
    arity = (2, None)
    summary = "concatenation along `axis` (counted with the batch axis, as torch.cat's dim: 1 = channels)"
    attributes = {"axis": Attr("int", 1)}

    def shape(self, a, ins):
        rank = len(ins[0])
        if any(len(s) != rank for s in ins):
            raise RuleError("cannot concatenate shapes " + " and ".join(fmt_shape(s) for s in ins) +
                            ": they have different numbers of axes")
        axis = a.axis
        if not num.is_concrete(axis):
            raise RuleError(f"axis must be a number known when the file is read, got {num.show(axis)}")
        if not (-rank - 1 <= axis <= rank) or axis % (rank + 1) == 0:
            raise RuleError(f"axis {axis} is not a non-batch axis of a rank-{rank + 1} tensor (batch included)")
        i = axis % (rank + 1) - 1
        for j in range(rank):
            if j == i:
                continue
            for s in ins[1:]:
                if num.equal(s[j], ins[0][j]) is False:
                    raise RuleError("cannot concatenate shapes " + " and ".join(fmt_shape(x) for x in ins) +
                                    f" along axis {axis}: axis {j + 1} differs")
        return tuple(num.total(s[i] for s in ins) if j == i else ins[0][j] for j in range(rank))

    def ops(self, a, ins, out):
        return {}

    def required_equal(self, a, ins):
        i = a.axis % (len(ins[0]) + 1) - 1
        return tuple((s[j], ins[0][j]) for s in ins[1:] for j in range(len(ins[0])) if j != i)

    def receptive_field(self, a, ins, fields):
        return merge_fields(fields)

    def torch(self, a, ins, out):
        return torch_modules().Concat(a.axis)
