"""Normalisation: batchnorm, layernorm, groupnorm, local response norm (AlexNet) and SSD's l2norm."""

from __future__ import annotations

from .. import num
from ..errors import RuleError
from .base import NORM, Attr, KeepsField, Layer, NoParams, REQUIRED, fmt_shape, numel, register


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


@register
class LayerNorm(_Norm):
    type = "layernorm"
    summary = "normalisation over the last `dims` axes; weight and bias of their shape"
    attributes = {
        "dims": Attr("size", 1, doc="how many trailing axes are normalised together"),
        "affine": Attr("bool", True),
        "bias": Attr("bool", True),
        "eps": Attr("number", 1e-5),
    }

    def params(self, a, ins, out):
        shape = ins[0]
        if not num.is_concrete(a.dims):
            raise RuleError(f"dims must be a number known when the file is read, got {num.show(a.dims)}")
        if a.dims > len(shape):
            raise RuleError(f"dims={a.dims} but the input {fmt_shape(shape)} has only {len(shape)} axes")
        normalized = tuple(shape[len(shape) - a.dims:])
        if not a.affine:
            return {}
        return {"weight": normalized, **({"bias": normalized} if a.bias else {})}

    def buffers(self, a, ins, out):
        return {}


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


@register
class L2Norm(_Norm):
    type = "l2norm"
    summary = "L2 normalisation across channels with a learnt per-channel scale (SSD's conv4_3 norm); weight [C]"
    attributes = {"scale": Attr("number", 20, doc="initial value of the scale")}

    def params(self, a, ins, out):
        return {"weight": (self.channels(ins),)}

    def buffers(self, a, ins, out):
        return {}
