"""The few torch.nn modules that PyTorch lacks and the layer types' torch rules need (merges, crops, SSD's L2 norm).

The rules in paramcalc/layers/ import this module lazily, inside their ``torch`` method; nothing in the core does.
Every forward here takes the layer's input tensors in order, as the graph module passes them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def by_rank(family: str, nd: int):
    """torch.nn's Conv1d/2d/3d (family 'Conv'), MaxPool, AvgPool, ... for ``nd`` spatial axes."""
    if nd not in (1, 2, 3):
        from ..errors import RuleError

        raise RuleError(f"PyTorch has {family}1d/2d/3d only; this input has {nd} spatial axes")
    return getattr(nn, f"{family}{nd}d")


def flat_padding(pads) -> tuple:
    """Per-axis (before, after) pairs, first spatial axis first -> F.pad's order (last axis first)."""
    out: list = []
    for before, after in reversed(tuple(pads)):
        out += [int(before), int(after)]
    return tuple(out)


class _PadFirst:
    """Mixin: zero-pad explicitly, then run the convolution (built with padding 0)."""

    def __init__(self, *args, explicit_padding=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.explicit_padding = flat_padding(explicit_padding)

    def forward(self, x):
        return super().forward(F.pad(x, self.explicit_padding))

    def extra_repr(self):
        return super().extra_repr() + f", explicit_padding={self.explicit_padding}"


class ZeroPaddedConv1d(_PadFirst, nn.Conv1d):
    """nn.Conv1d after an explicit zero pad."""


class ZeroPaddedConv2d(_PadFirst, nn.Conv2d):
    """nn.Conv2d after an explicit zero pad."""


class ZeroPaddedConv3d(_PadFirst, nn.Conv3d):
    """nn.Conv3d after an explicit zero pad."""


def conv(nd: int, pads, **kwargs) -> nn.Module:
    """nn.ConvNd with ``pads`` ((before, after) per axis): PyTorch's own padding when every axis is symmetric,
    otherwise (per-side padding, or 'same' with a stride above 1, which ``padding=`` cannot express) an explicit
    zero pad before a convolution of padding 0. Either way the parameters are named weight and bias."""
    by_rank("Conv", nd)
    pads = tuple((int(b), int(e)) for b, e in pads)
    if all(b == e for b, e in pads):
        return by_rank("Conv", nd)(padding=tuple(b for b, _ in pads), **kwargs)
    cls = (ZeroPaddedConv1d, ZeroPaddedConv2d, ZeroPaddedConv3d)[nd - 1]
    return cls(padding=0, explicit_padding=pads, **kwargs)


class Add(nn.Module):
    """Element-wise sum of every input (residual connections); shapes broadcast."""

    def forward(self, first, *rest):
        out = first
        for x in rest:
            out = out + x
        return out


class Multiply(nn.Module):
    """Element-wise product of every input (squeeze-excitation gates); shapes broadcast."""

    def forward(self, first, *rest):
        out = first
        for x in rest:
            out = out * x
        return out


class Concat(nn.Module):
    """torch.cat along ``dim`` (counted with the batch axis)."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GlobalPool(nn.Module):
    """Mean or max over every spatial axis, flattened to (N, C)."""

    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind

    def forward(self, x):
        dims = tuple(range(2, x.dim()))
        return x.mean(dim=dims) if self.kind == "avg" else x.amax(dim=dims)

    def extra_repr(self):
        return self.kind


class L2Norm(nn.Module):
    """SSD's conv4_3 normalisation: x / ||x||_2 across channels, times a learnt per-channel scale (weight [C])
    initialised to ``scale`` (Liu et al., SSD, ECCV 2016, Section 3.1; ParseNet)."""

    def __init__(self, channels: int, scale: float, eps: float = 1e-10):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), float(scale)))
        self.eps = eps

    def forward(self, x):
        norm = x.pow(2).sum(dim=1, keepdim=True).sqrt().clamp_min(self.eps)
        return x / norm * self.weight.view(1, -1, *([1] * (x.dim() - 2)))


class ZeroPad(nn.Module):
    """Zero padding given per spatial axis as (before, after) pairs."""

    def __init__(self, pads):
        super().__init__()
        self.padding = flat_padding(pads)

    def forward(self, x):
        return F.pad(x, self.padding)

    def extra_repr(self):
        return f"padding={self.padding}"


class Crop(nn.Module):
    """A fixed spatial window: ``offsets`` and ``sizes`` per spatial axis, known when the graph is built. A second
    input (U-Net's copy-and-crop target) is accepted and only sets the size, which the engine already resolved."""

    def __init__(self, offsets, sizes):
        super().__init__()
        self.offsets = tuple(int(o) for o in offsets)
        self.sizes = tuple(int(s) for s in sizes)

    def forward(self, x, *reference):
        index = (slice(None), slice(None)) + tuple(slice(o, o + s) for o, s in zip(self.offsets, self.sizes))
        return x[index]

    def extra_repr(self):
        return f"offsets={self.offsets}, sizes={self.sizes}"


class ResizeLike(nn.Upsample):
    """nn.Upsample to the spatial size of a second input (a segmentation head resized to the image): the size is
    read from that input at run time, as torchvision's heads do with ``F.interpolate(x, size=input_shape)``."""

    def forward(self, x, like):
        return F.interpolate(x, size=tuple(like.shape[2:]), mode=self.mode, align_corners=self.align_corners)


class Reshape(nn.Module):
    """A new per-sample shape; the batch axis is kept."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(int(s) for s in shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return f"shape={self.shape}"
