"""Layers that move data without learning: flatten, reshape, dropout, stochastic depth, identity, upsample, zeropad
and crop."""

from __future__ import annotations

import math
from fractions import Fraction

from .. import num
from ..errors import RuleError
from .base import (UPSAMPLING, WHOLE, AxisField, Attr, Field, KeepsField, Layer, NoOps, NoParams, WholeField,
                   as_float, fmt_shape, numel, once_per_input, per_axis, register, resolve_padding, spatial_input,
                   torch_modules, upsampling_field)


@register
class Flatten(NoParams, NoOps, Layer):
    type = "flatten"
    summary = "(C, H, W) -> (C*H*W,); `start` and `end` (with the batch axis, as nn.Flatten) merge only those axes"
    attributes = {"start": Attr("int", 1, doc="first axis merged, counted with the batch axis"),
                  "end": Attr("int", -1, doc="last axis merged (-1: the last)")}

    def span(self, a, ins):
        from .shape import axis_index

        rank = len(ins[0])
        if rank == 0:
            raise RuleError("needs an input with at least one axis")
        first, last = axis_index(a.start, rank, "start"), axis_index(a.end, rank, "end")
        if first > last:
            raise RuleError(f"start {a.start} comes after end {a.end}")
        return first, last

    def shape(self, a, ins):
        first, last = self.span(a, ins)
        shape = ins[0]
        return (*shape[:first], numel(shape[first:last + 1]), *shape[last + 1:])

    def receptive_field(self, a, ins, fields):
        # Spatial axes merged among themselves stay on the merged axis, each with its own field (ViT's patch grid
        # [D, H/16, W/16] -> [D, N]); merged with a channel axis, the field becomes the whole input.
        from .base import moved, positions_of

        f = fields[0]
        first, last = self.span(a, ins)
        if f.whole or f.constant or not f.axes:
            return f if (f.whole or f.constant) else WHOLE
        spatial = set(positions_of(f))
        merged = set(range(first, last + 1))
        if merged & spatial and not merged <= spatial:
            return WHOLE
        return moved(f, tuple(p if p < first else first if p <= last else p - (last - first)
                              for p in positions_of(f)))

    def torch(self, a, ins, out):
        return torch_modules().nn.Flatten(a.start, a.end)


@register
class Reshape(NoParams, NoOps, WholeField, Layer):
    type = "reshape"
    aliases = ("view",)
    summary = "a new shape (without the batch axis) with the same number of elements; one size may be -1"
    attributes = {"shape": Attr("shape", doc="target shape without the batch axis, e.g. [7, 7, 30]")}

    def shape(self, a, ins):
        total = numel(ins[0])
        known = num.prod(s for s in a.shape if not (num.is_concrete(s) and s == -1))
        if any(num.is_concrete(s) and s == -1 for s in a.shape):
            if num.divisible(total, known) is False:
                raise RuleError(f"cannot reshape {fmt_shape(ins[0])} ({num.show(total)} elements) "
                                f"to {fmt_shape(a.shape)}")
            missing = num.div(total, known)
            return tuple(missing if (num.is_concrete(s) and s == -1) else s for s in a.shape)
        if num.equal(known, total) is False:
            raise RuleError(f"cannot reshape {fmt_shape(ins[0])} ({num.show(total)} elements) to "
                            f"{fmt_shape(a.shape)} ({num.show(known)} elements)")
        return a.shape

    def receptive_field(self, a, ins, fields):
        f = fields[0]
        return f if f.constant else WHOLE  # spatial axes cannot be followed through a reshape; text has none

    def torch(self, a, ins, out):
        return torch_modules().Reshape(out)


class _PassThrough(NoParams, NoOps, KeepsField, Layer):
    def shape(self, a, ins):
        return ins[0]


@register
class Dropout(_PassThrough):
    type = "dropout"
    aliases = ("dropout2d",)
    summary = "zeroes elements with probability p while training; no parameters, no change at inference"
    attributes = {"p": Attr("number", Fraction(1, 2))}

    def check_attrs(self, a):
        if num.is_concrete(a.p) and not 0 <= a.p < 1:
            raise RuleError(f"p must be in [0, 1), got {num.show(a.p)}")

    def torch(self, a, ins, out):
        return torch_modules().nn.Dropout(as_float(a.p))


@register
class StochasticDepth(_PassThrough):
    type = "stochastic_depth"
    aliases = ("drop_path",)
    summary = ("drops a residual branch per sample with probability p while training (torchvision.ops."
               "StochasticDepth, timm's DropPath); no parameters, the identity at inference")
    attributes = {"p": Attr("number", 0, doc="drop probability"),
                  "mode": Attr("choice", "row", choices=("row", "batch"))}

    def check_attrs(self, a):
        if num.is_concrete(a.p) and not 0 <= a.p <= 1:
            raise RuleError(f"p must be in [0, 1], got {num.show(a.p)}")

    def torch(self, a, ins, out):
        # The identity at inference, which is what the engine counts; built without torchvision (not a dependency).
        return torch_modules().nn.Identity()


@register
class Identity(_PassThrough):
    type = "identity"
    summary = "passes its input through unchanged"
    attributes = {}

    def torch(self, a, ins, out):
        return torch_modules().nn.Identity()


@register
class Upsample(NoParams, Layer):
    type = "upsample"
    arity = (1, 2)
    summary = ("nearest or (bi/tri)linear interpolation by `scale` (output = floor(input x scale), computed in "
               "floating point as PyTorch does), to `size`, or to the spatial size of a second input")
    attributes = {
        "scale": Attr("scales", None, doc="scale factor: a number, or a list with one per spatial axis"),
        "size": Attr("sizes", None, doc="output size per spatial axis"),
        "mode": Attr("choice", "nearest", choices=("nearest", "bilinear")),
        "align_corners": Attr("bool", False),
    }

    def check_attrs(self, a):
        if a.scale is not None and a.size is not None:
            raise RuleError("give one of scale or size, not both")

    def factors(self, a, ins):
        c, sizes = spatial_input(ins, self.type)
        if len(ins) == 2:
            if a.scale is not None or a.size is not None:
                raise RuleError("a second input sets the output size; give no scale or size with it")
            _, like = spatial_input(ins[1:], self.type)
            if len(like) != len(sizes):
                raise RuleError(f"cannot resize {fmt_shape(ins[0])} to the spatial size of {fmt_shape(ins[1])}: "
                                f"they have {len(sizes)} and {len(like)} spatial axes")
            return sizes, tuple(like), tuple(num.div(o, L) for o, L in zip(like, sizes))
        if a.size is not None:
            out = per_axis(a.size, len(sizes), "size")
            return sizes, out, tuple(num.div(o, L) for o, L in zip(out, sizes))
        if a.scale is None:
            raise RuleError("give a scale, a size, or a second input whose spatial size to match")
        scale = per_axis(a.scale, len(sizes), "scale")
        out = tuple(scaled_size(L, s) for L, s in zip(sizes, scale))
        return sizes, out, scale

    def shape(self, a, ins):
        sizes, out, _ = self.factors(a, ins)
        return (ins[0][0], *out)

    def ops(self, a, ins, out):
        return {UPSAMPLING: numel(out)}

    def receptive_field(self, a, ins, fields):
        # Only the first input's values flow through; a second input lends its size, not its pixels.
        sizes, out, factor = self.factors(a, ins)
        reach = 2 if a.mode == "bilinear" else 1
        return upsampling_field(fields[:1], factor, (reach,) * len(sizes))

    def torch(self, a, ins, out):
        # 'bilinear' is PyTorch's linear/bilinear/trilinear for 1, 2 and 3 spatial axes.
        sizes, _, _ = self.factors(a, ins)
        nd = len(sizes)
        mode = a.mode if a.mode == "nearest" else ("linear", "bilinear", "trilinear")[nd - 1]
        corners = a.align_corners if mode != "nearest" else None
        modules = torch_modules()
        if len(ins) == 2:
            return modules.ResizeLike(size=tuple(int(s) for s in out[1:]), mode=mode, align_corners=corners)
        if a.size is not None:
            return modules.nn.Upsample(size=tuple(int(s) for s in out[1:]), mode=mode, align_corners=corners)
        scale = tuple(as_float(s) for s in per_axis(a.scale, nd, "scale"))
        return modules.nn.Upsample(scale_factor=scale, mode=mode, align_corners=corners)


def scaled_size(length, scale):
    """PyTorch's output length for a scale factor: floor(length x scale) with both as doubles (aten's
    upsample_compute_output_size, and F.interpolate's own floor when recompute_scale_factor=True). The double
    product can fall just under a whole number: 100 x 0.29 = 28.999999999999996 gives 28, not 29. Symbolic lengths
    keep the exact floor(length x scale), which differs from PyTorch only where that product is a whole number."""
    if num.is_concrete(length) and num.is_concrete(scale):
        return math.floor(float(length) * float(scale))
    return num.floordiv(length * scale, 1)


def _shift_field(field: Field, before) -> Field:
    """Adding (or, negative, removing) `before` pixels at the start of each axis moves the field's start."""
    if field.whole:
        return field
    return Field(tuple(AxisField(ax.size, ax.stride, num.normalize(ax.padding + b * ax.stride))
                       for ax, b in zip(field.axes, before)), aligned=field.aligned)


@register
class ZeroPad(NoParams, NoOps, Layer):
    type = "zeropad"
    aliases = ("pad",)
    summary = "zero padding: int, pair, or per-side [[before, after], ...] per spatial axis"
    attributes = {"padding": Attr("padding", doc="int, one per axis, or [[before, after], ...] per axis")}

    def pads(self, a, ins):
        c, sizes = spatial_input(ins, self.type)
        if a.padding in ("same", "valid"):
            raise RuleError("zeropad needs explicit sizes, not 'same'/'valid'")
        return sizes, resolve_padding(a.padding, (1,) * len(sizes), (1,) * len(sizes), (1,) * len(sizes), sizes)

    def shape(self, a, ins):
        sizes, pads = self.pads(a, ins)
        return (ins[0][0], *(num.normalize(L + b + e) for L, (b, e) in zip(sizes, pads)))

    def receptive_field(self, a, ins, fields):
        sizes, pads = self.pads(a, ins)
        return _shift_field(fields[0], [b for b, _ in pads])

    def torch(self, a, ins, out):
        sizes, pads = self.pads(a, ins)
        return torch_modules().ZeroPad(pads)


@register
class Crop(NoParams, NoOps, Layer):
    type = "crop"
    aliases = ("center_crop",)
    arity = (1, 2)
    summary = ("centre crop to `size`, or to the spatial size of a second input (U-Net's copy-and-crop, "
               "FCN's final crop); `offset` starts the crop at a fixed position instead")
    attributes = {
        "size": Attr("sizes", None, doc="target spatial size (or give a second input to match)"),
        "offset": Attr("spatial0", None, doc="start of the crop per axis, from 0 (default: centred)"),
    }

    @once_per_input  # asked by shape and by receptive_field
    def window(self, a, ins):
        c, sizes = spatial_input(ins, self.type)
        if len(ins) == 2:
            if a.size is not None:
                raise RuleError("give either size or a second input to match, not both")
            _, target = spatial_input(ins[1:], self.type)
            if len(target) != len(sizes):
                raise RuleError(f"cannot crop {fmt_shape(ins[0])} to the spatial size of {fmt_shape(ins[1])}")
        elif a.size is not None:
            target = per_axis(a.size, len(sizes), "size")
        else:
            raise RuleError("needs a size, or a second input whose spatial size it crops to")
        offsets = []
        given = per_axis(a.offset, len(sizes), "offset") if a.offset is not None else None
        for i, (L, t) in enumerate(zip(sizes, target)):
            if given is not None and num.nonnegative(given[i]) is True and num.fits(L, t, given[i]) is True:
                offsets.append(given[i])  # margin >= offset >= 0: one proof where two would prove the same
                continue
            margin = num.difference(L, t)  # L - t (built directly when symbolic)
            if num.nonnegative(margin) is False:
                raise RuleError(f"cannot crop {num.show(L)} pixels to {num.show(t)}: the target is larger")
            off = given[i] if given is not None else num.floordiv(margin, 2)
            if num.nonnegative(num.difference(margin, off)) is False:
                raise RuleError(f"offset {num.show(off)} + size {num.show(t)} runs past the input's {num.show(L)}")
            offsets.append(off)
        return tuple(target), offsets

    def shape(self, a, ins):
        target, _ = self.window(a, ins)
        return (ins[0][0], *target)

    def receptive_field(self, a, ins, fields):
        _, offsets = self.window(a, ins)
        return _shift_field(fields[0], [-o for o in offsets])

    def torch(self, a, ins, out):
        target, offsets = self.window(a, ins)
        return torch_modules().Crop(offsets, target)
