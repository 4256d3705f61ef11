"""Normalisation: batchnorm, layernorm (trailing axes or one chosen axis), rmsnorm, groupnorm, local response norm
(AlexNet) and SSD's l2norm."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import (NORM, Attr, KeepsField, Layer, NoParams, REQUIRED, as_float, fmt_shape, numel, register,
                   torch_modules)


class _Norm(KeepsField, Layer):
    def shape(self, a, ins):
        return ins[0]

    def ops(self, a, ins, out):
        return {NORM: numel(out)}

    def channels(self, ins):
        if not ins[0]:
            raise RuleError("needs an input with a channel axis")
        return ins[0][0]


@register
class BatchNorm(_Norm):
    type = "batchnorm"
    aliases = ("bn", "batchnorm2d", "batchnorm1d")
    summary = "per-channel normalisation: weight and bias [C] (trainable), running_mean and running_var [C] (buffers)"
    attributes = {
        "affine": Attr("bool", True),
        "track_running_stats": Attr("bool", True),
        "eps": Attr("number", 1e-5),
        "momentum": Attr("number", 0.1),
    }

    def params(self, a, ins, out):
        c = self.channels(ins)
        return {"weight": (c,), "bias": (c,)} if a.affine else {}

    def buffers(self, a, ins, out):
        c = self.channels(ins)
        return {"running_mean": (c,), "running_var": (c,)} if a.track_running_stats else {}

    def torch(self, a, ins, out):
        # (C,) and (C, L) inputs -> BatchNorm1d, (C, H, W) -> 2d, (C, D, H, W) -> 3d. PyTorch adds a
        # num_batches_tracked counter buffer, which paramcalc does not count (see README's conventions).
        rank = len(ins[0])
        cls = torch_modules().by_rank("BatchNorm", max(rank - 1, 1))
        return cls(self.channels(ins), eps=as_float(a.eps), momentum=as_float(a.momentum), affine=a.affine,
                   track_running_stats=a.track_running_stats)


@register
class LayerNorm(_Norm):
    type = "layernorm"
    summary = ("normalisation over the last `dims` axes, or over one chosen `axis` (ConvNeXt's LayerNorm2d: axis 1, "
               "the channels of [C, H, W]); weight and bias of their shape")
    attributes = {
        "dims": Attr("size", 1, doc="how many trailing axes are normalised together"),
        "axis": Attr("int", None, doc="normalise this one axis instead (counted with the batch axis: 1 = channels)"),
        "affine": Attr("bool", True),
        "bias": Attr("bool", True),
        "eps": Attr("number", 1e-5),
    }

    def normalized(self, a, ins) -> tuple:
        shape = ins[0]
        if a.axis is not None:
            from .shape import axis_index

            return (shape[axis_index(a.axis, len(shape))],)
        if not num.is_concrete(a.dims):
            raise RuleError(f"dims must be a number known when the file is read, got {num.show(a.dims)}")
        if a.dims > len(shape):
            raise RuleError(f"dims={a.dims} but the input {fmt_shape(shape)} has only {len(shape)} axes")
        return tuple(shape[len(shape) - a.dims:])

    def params(self, a, ins, out):
        normalized = self.normalized(a, ins)
        if not a.affine:
            return {}
        return {"weight": normalized, **({"bias": normalized} if a.bias else {})}

    def buffers(self, a, ins, out):
        return {}

    def torch(self, a, ins, out):
        normalized = self.normalized(a, ins)
        m = torch_modules()
        if a.axis is not None:
            from .shape import axis_index

            return m.AxisLayerNorm(axis_index(a.axis, len(ins[0])) + 1, normalized[0], eps=as_float(a.eps),
                                   elementwise_affine=a.affine, bias=a.bias)
        return m.nn.LayerNorm(normalized, eps=as_float(a.eps), elementwise_affine=a.affine, bias=a.bias)


@register
class RMSNorm(_Norm):
    type = "rmsnorm"
    summary = "root-mean-square normalisation over the last axis (Llama); weight [last axis], no bias"
    attributes = {"eps": Attr("number", 1e-6), "affine": Attr("bool", True)}

    def params(self, a, ins, out):
        if not ins[0]:
            raise RuleError("needs an input with at least one axis")
        return {"weight": (ins[0][-1],)} if a.affine else {}

    def buffers(self, a, ins, out):
        return {}

    def torch(self, a, ins, out):
        return torch_modules().nn.RMSNorm(ins[0][-1], eps=as_float(a.eps), elementwise_affine=a.affine)


@register
class GroupNorm(_Norm):
    type = "groupnorm"
    summary = "normalisation over groups of channels; weight and bias [C]"
    attributes = {"groups": Attr("size", REQUIRED), "affine": Attr("bool", True), "eps": Attr("number", 1e-5)}

    def params(self, a, ins, out):
        c = self.channels(ins)
        if num.divisible(c, a.groups) is False:
            raise RuleError(f"groups={num.show(a.groups)} does not divide the {num.show(c)} channels")
        return {"weight": (c,), "bias": (c,)} if a.affine else {}

    def buffers(self, a, ins, out):
        return {}

    def torch(self, a, ins, out):
        self.params(a, ins, out)  # checks that the groups divide the channels
        return torch_modules().nn.GroupNorm(a.groups, self.channels(ins), eps=as_float(a.eps), affine=a.affine)


@register
class LocalResponseNorm(NoParams, _Norm):
    type = "lrn"
    aliases = ("local_response_norm",)
    summary = "local response normalisation across `size` neighbouring channels (AlexNet 2012: size 5)"
    attributes = {
        "size": Attr("size", 5),
        "alpha": Attr("number", 1e-4),
        "beta": Attr("number", 0.75),
        "k": Attr("number", 1),
    }

    def torch(self, a, ins, out):
        return torch_modules().nn.LocalResponseNorm(a.size, alpha=as_float(a.alpha), beta=as_float(a.beta),
                                                    k=as_float(a.k))


@register
class L2Norm(_Norm):
    type = "l2norm"
    summary = "L2 normalisation across channels with a learnt per-channel scale (SSD's conv4_3 norm); weight [C]"
    attributes = {"scale": Attr("number", 20, doc="initial value of the scale")}

    def params(self, a, ins, out):
        return {"weight": (self.channels(ins),)}

    def buffers(self, a, ins, out):
        return {}

    def torch(self, a, ins, out):
        return torch_modules().L2Norm(self.channels(ins), as_float(a.scale))
