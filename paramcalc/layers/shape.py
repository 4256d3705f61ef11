"""Layers that rearrange axes without learning: permute, transpose, split (chunk) and channel shuffle.

Axes count the batch axis, as PyTorch's ``dim`` does (1 = channels of a [N, C, H, W] tensor). Receptive fields follow
the spatial axes to wherever these layers move them.
"""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import (Attr, AxisField, Field, KeepsField, Layer, NoOps, NoParams, REQUIRED, moved, positions_of,
                   register, torch_modules)


def axis_index(axis, rank: int, what: str = "axis") -> int:
    """A batch-counted axis (negative from the end) as an index into the shape without batch."""
    if not num.is_concrete(axis):
        raise RuleError(f"{what} must be a number known when the file is read, got {num.show(axis)}")
    full = rank + 1
    if not (-full <= axis < full) or axis % full == 0:
        raise RuleError(f"{what} {axis} is not a non-batch axis of a rank-{full} tensor (batch included)")
    return axis % full - 1


def _moved_field(field: Field, new_of_old) -> Field:
    if field.whole or field.constant or not field.axes:
        return field
    return moved(field, tuple(new_of_old(p) for p in positions_of(field)))


@register
class Permute(NoParams, NoOps, Layer):
    type = "permute"
    summary = "reorders the axes: `order` counts the batch axis, which stays first ([0, 2, 3, 1]: channels last)"
    attributes = {"order": Attr("axes", REQUIRED, doc="a permutation of 0..rank-1 with 0 first")}

    def order(self, a, ins):
        rank = len(ins[0]) + 1
        order = tuple(a.order)
        if sorted(order) != list(range(rank)):
            raise RuleError(f"order {list(order)} is not a permutation of the {rank} axes 0..{rank - 1} "
                            f"(batch included) of the input")
        if order[0] != 0:
            raise RuleError(f"order {list(order)} moves the batch axis; it must start with 0")
        return tuple(o - 1 for o in order[1:])

    def shape(self, a, ins):
        return tuple(ins[0][i] for i in self.order(a, ins))

    def receptive_field(self, a, ins, fields):
        order = self.order(a, ins)
        return _moved_field(fields[0], order.index)

    def torch(self, a, ins, out):
        return torch_modules().Permute((0, *(i + 1 for i in self.order(a, ins))))


@register
class Transpose(NoParams, NoOps, Layer):
    type = "transpose"
    summary = "swaps two axes (counted with the batch axis, as torch.transpose: [1, 2] turns [D, N] into [N, D])"
    attributes = {"axes": Attr("axes", REQUIRED, doc="the two axes to swap, e.g. [1, 2]")}

    def pair(self, a, ins):
        if len(a.axes) != 2:
            raise RuleError(f"axes must name two axes, got {len(a.axes)}")
        i, j = (axis_index(x, len(ins[0]), "axes entry") for x in a.axes)
        return i, j

    def shape(self, a, ins):
        i, j = self.pair(a, ins)
        shape = list(ins[0])
        shape[i], shape[j] = shape[j], shape[i]
        return tuple(shape)

    def receptive_field(self, a, ins, fields):
        i, j = self.pair(a, ins)
        return _moved_field(fields[0], lambda p: j if p == i else i if p == j else p)

    def torch(self, a, ins, out):
        i, j = self.pair(a, ins)
        return torch_modules().Transpose(i + 1, j + 1)


@register
class Split(NoParams, NoOps, Layer):
    """One piece of a split: torch.chunk's piece ``index`` (pieces of ceil(size / chunks)) or torch.split's with
    explicit ``sizes``. Write one layer per piece you use (ShuffleNetV2: index 0 and 1 of chunks: 2)."""

    type = "split"
    aliases = ("chunk",)
    summary = "piece `index` of the input split along `axis` into `chunks` equal pieces or pieces of `sizes`"
    attributes = {
        "index": Attr("count", REQUIRED, doc="which piece, from 0"),
        "chunks": Attr("size", None, doc="number of equal pieces (torch.chunk)"),
        "sizes": Attr("sizes", None, doc="size of each piece (torch.split)"),
        "axis": Attr("int", 1, doc="counted with the batch axis: 1 = channels"),
    }

    def check_attrs(self, a):
        if (a.chunks is None) == (a.sizes is None):
            raise RuleError("give exactly one of chunks or sizes")

    def piece(self, a, ins):
        """(axis index without batch, start, length)."""
        i = axis_index(a.axis, len(ins[0]))
        size = ins[0][i]
        if a.sizes is not None:
            if num.equal(num.total(a.sizes), size) is False:
                raise RuleError(f"sizes {[num.show(s) for s in a.sizes]} add up to {num.show(num.total(a.sizes))}, "
                                f"not the {num.show(size)} of axis {a.axis}")
            if not num.is_concrete(a.index) or a.index >= len(a.sizes):
                raise RuleError(f"index {num.show(a.index)} is past the last of the {len(a.sizes)} pieces")
            return i, num.total(a.sizes[:a.index]), a.sizes[a.index]
        if num.divisible(size, a.chunks):
            length = num.div(size, a.chunks)
        elif num.is_concrete(size) and num.is_concrete(a.chunks):
            length = num.ceildiv(size, a.chunks)  # torch.chunk: every piece but the last has ceil(size / chunks)
        else:
            raise RuleError(f"chunks={num.show(a.chunks)} must divide the {num.show(size)} of axis {a.axis}")
        start = num.normalize(a.index * length)
        rest = num.normalize(size - start)
        if num.positive(rest) is False:
            raise RuleError(f"index {num.show(a.index)} is past the last piece: {num.show(size)} split into pieces "
                            f"of {num.show(length)}")
        if num.is_concrete(rest) and num.is_concrete(length):
            length = min(length, rest)
        return i, start, length

    def shape(self, a, ins):
        i, start, length = self.piece(a, ins)
        return tuple(length if j == i else s for j, s in enumerate(ins[0]))

    def receptive_field(self, a, ins, fields):
        f = fields[0]
        i, start, length = self.piece(a, ins)
        if f.whole or f.constant or i not in positions_of(f) or positions_of(f).count(i) > 1:
            return f
        k = positions_of(f).index(i)
        axes = list(f.axes)
        ax = axes[k]
        axes[k] = AxisField(ax.size, ax.stride, num.normalize(ax.padding - start * ax.stride))
        return Field(tuple(axes), aligned=f.aligned, positions=f.positions)

    def torch(self, a, ins, out):
        i, start, length = self.piece(a, ins)
        return torch_modules().Narrow(i + 1, start, length)


@register
class ChannelShuffle(NoParams, NoOps, KeepsField, Layer):
    type = "channel_shuffle"
    summary = "interleaves `groups` groups of channels (ShuffleNet): [g, C/g] -> [C/g, g] on the channel axis"
    attributes = {"groups": Attr("size", REQUIRED)}

    def shape(self, a, ins):
        if not ins[0]:
            raise RuleError("needs an input with a channel axis")
        if num.divisible(ins[0][0], a.groups) is False:
            raise RuleError(f"groups={num.show(a.groups)} does not divide the {num.show(ins[0][0])} channels")
        return ins[0]

    def torch(self, a, ins, out):
        return torch_modules().nn.ChannelShuffle(a.groups)
