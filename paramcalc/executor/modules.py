"""The few torch.nn modules that PyTorch lacks and the layer types' torch rules need (merges, crops, SSD's L2 norm).

The rules in paramcalc/layers/ import this module lazily, inside their ``torch`` method; nothing in the core does.
Every forward here takes the layer's input tensors in order, as the graph module passes them.
"""

from __future__ import annotations

import math

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


# ------------------------------------------------------------------------------- transformer-era layer types


class LearntTensor(nn.Module):
    """A learnt tensor of PyTorch's shape (``weight``), broadcast over the batch: forward(batch) returns a
    [batch, *per-sample shape] view. ``batch_axis``: the stored shape starts with PyTorch's batch axis of 1."""

    def __init__(self, shape, batch_axis: bool):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(tuple(int(s) for s in shape)) * 0.02)
        self.batch_axis = batch_axis

    def forward(self, batch: int):
        value = self.weight if self.batch_axis else self.weight.unsqueeze(0)
        return value.expand(batch, *value.shape[1:])

    def extra_repr(self):
        return f"shape={tuple(self.weight.shape)}, batch_axis={self.batch_axis}"


class Scale(nn.Module):
    """Multiplies by a fixed number."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def extra_repr(self):
        return f"factor={self.factor}"


class Matmul(nn.Module):
    """torch.matmul of two activations; ``transpose_b`` swaps the second's last two axes first."""

    def __init__(self, transpose_b: bool):
        super().__init__()
        self.transpose_b = transpose_b

    def forward(self, a, b):
        return torch.matmul(a, b.transpose(-2, -1) if self.transpose_b else b)

    def extra_repr(self):
        return f"transpose_b={self.transpose_b}"


class Permute(nn.Module):
    """Tensor.permute with the batch axis first."""

    def __init__(self, order):
        super().__init__()
        self.order = tuple(int(o) for o in order)

    def forward(self, x):
        return x.permute(self.order)

    def extra_repr(self):
        return f"order={self.order}"


class Transpose(nn.Module):
    """Tensor.transpose of two axes (batch counted)."""

    def __init__(self, first: int, second: int):
        super().__init__()
        self.axes = (int(first), int(second))

    def forward(self, x):
        return x.transpose(*self.axes)

    def extra_repr(self):
        return f"axes={self.axes}"


class Narrow(nn.Module):
    """One piece of a split: ``length`` elements of axis ``dim`` from ``start`` (Tensor.narrow)."""

    def __init__(self, dim: int, start: int, length: int):
        super().__init__()
        self.dim, self.start, self.length = int(dim), int(start), int(length)

    def forward(self, x):
        return x.narrow(self.dim, self.start, self.length)

    def extra_repr(self):
        return f"dim={self.dim}, start={self.start}, length={self.length}"


class AxisLayerNorm(nn.LayerNorm):
    """nn.LayerNorm over one axis that is not the last (ConvNeXt's LayerNorm2d normalises the channels of
    [N, C, H, W]): the axis is moved last, normalised and moved back. Tensors: weight and bias [size]."""

    def __init__(self, dim: int, size: int, **kwargs):
        super().__init__(int(size), **kwargs)
        self.dim = int(dim)

    def forward(self, x):
        return super().forward(x.movedim(self.dim, -1)).movedim(-1, self.dim)


def _causal_mask(length: int, device):
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(1)


class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention (batch first) used as self-attention: forward(x) attends x to itself, optionally
    causally. Its tensors keep PyTorch's names: in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias."""

    def __init__(self, embed: int, heads: int, *, bias: bool, causal: bool):
        super().__init__(int(embed), int(heads), bias=bias, batch_first=True)
        self.causal = causal

    def forward(self, x):
        mask = _causal_mask(x.shape[1], x.device) if self.causal else None
        return super().forward(x, x, x, need_weights=False, attn_mask=mask)[0]


class GroupedQueryAttention(nn.Module):
    """Self-attention with fewer key/value heads than query heads: q_proj, k_proj, v_proj and out_proj; each
    key/value head serves heads / kv_heads query heads."""

    def __init__(self, embed: int, heads: int, kv_heads: int, *, bias: bool, causal: bool):
        super().__init__()
        embed, heads, kv_heads = int(embed), int(heads), int(kv_heads)
        self.heads, self.kv_heads, self.head_dim, self.causal = heads, kv_heads, embed // heads, causal
        self.q_proj = nn.Linear(embed, embed, bias=bias)
        self.k_proj = nn.Linear(embed, kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(embed, kv_heads * self.head_dim, bias=bias)
        self.out_proj = nn.Linear(embed, embed, bias=bias)

    def forward(self, x):
        n, length, _ = x.shape
        q = self.q_proj(x).view(n, length, self.heads, self.head_dim).transpose(1, 2)
        k, v = (proj(x).view(n, length, self.kv_heads, self.head_dim).transpose(1, 2)
                for proj in (self.k_proj, self.v_proj))
        group = self.heads // self.kv_heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.out_proj(y.transpose(1, 2).reshape(n, length, -1))


def relative_position_index(window: int) -> torch.Tensor:
    """For every pair (query i, key j) of a window's w*w tokens, in row-major order, the row of the bias table for
    their offset: (dy + w - 1) * (2w - 1) + (dx + w - 1). Shape [w^4]."""
    ys, xs = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    ys, xs = ys.flatten(), xs.flatten()
    dy = ys[:, None] - ys[None, :] + window - 1
    dx = xs[:, None] - xs[None, :] + window - 1
    return (dy * (2 * window - 1) + dx).flatten()


class WindowAttention(nn.Module):
    """Swin's (shifted) window attention on [N, H, W, C] (Liu et al., ICCV 2021, Sections 3.2-3.3): pad to whole
    windows, roll by -shift (per axis, only where the padded axis is longer than a window), attend within each
    window with a relative-position bias (and, when rolled, a mask that keeps tokens from different image regions
    apart), then undo the roll and the padding."""

    def __init__(self, channels: int, heads: int, window: int, shift: int, *, qkv_bias: bool, proj_bias: bool):
        super().__init__()
        self.channels, self.heads, self.window, self.shift = int(channels), int(heads), int(window), int(shift)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * self.window - 1) ** 2, self.heads))
        self.qkv = nn.Linear(self.channels, 3 * self.channels, bias=qkv_bias)
        self.proj = nn.Linear(self.channels, self.channels, bias=proj_bias)
        self.register_buffer("relative_position_index", relative_position_index(self.window))

    def _region_mask(self, height, width, shifts, device):
        """0 where two tokens of a window come from the same region of the unrolled map, -100 elsewhere."""
        w = self.window
        label = torch.zeros(height, width, device=device)
        rows = (slice(0, height - w), slice(height - w, height - shifts[0]), slice(height - shifts[0], height)) \
            if shifts[0] else (slice(0, height),)
        cols = (slice(0, width - w), slice(width - w, width - shifts[1]), slice(width - shifts[1], width)) \
            if shifts[1] else (slice(0, width),)
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                label[r, c] = i * 3 + j
        windows = label.view(height // w, w, width // w, w).transpose(1, 2).reshape(-1, w * w)
        return (windows[:, None, :] != windows[:, :, None]).float() * -100.0

    def forward(self, x):
        n, height, width, channels = x.shape
        w = self.window
        x = F.pad(x, (0, 0, 0, (-width) % w, 0, (-height) % w))
        ph, pw = x.shape[1], x.shape[2]
        shifts = (self.shift if ph > w else 0, self.shift if pw > w else 0)
        if any(shifts):
            x = torch.roll(x, shifts=(-shifts[0], -shifts[1]), dims=(1, 2))
        windows = x.view(n, ph // w, w, pw // w, w, channels).transpose(2, 3).reshape(-1, w * w, channels)
        q, k, v = self._qkv(windows).view(windows.shape[0], w * w, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        scores = self._scores(q, k)
        bias = self._bias_table()[self.relative_position_index].view(w * w, w * w, self.heads)
        scores = scores + bias.permute(2, 0, 1)
        if any(shifts):
            mask = self._region_mask(ph, pw, shifts, x.device)
            scores = (scores.view(n, -1, self.heads, w * w, w * w) + mask[None, :, None]).flatten(0, 1)
        out = (scores.softmax(dim=-1) @ v).transpose(1, 2).reshape(-1, w * w, channels)
        out = self.proj(out).view(n, ph // w, pw // w, w, w, channels).transpose(2, 3).reshape(n, ph, pw, channels)
        if any(shifts):
            out = torch.roll(out, shifts=shifts, dims=(1, 2))
        return out[:, :height, :width, :]

    def _qkv(self, windows):
        return self.qkv(windows)

    def _scores(self, q, k):
        return (q * (self.channels // self.heads) ** -0.5) @ k.transpose(-2, -1)

    def _bias_table(self):
        return self.relative_position_bias_table

    def extra_repr(self):
        return f"channels={self.channels}, heads={self.heads}, window={self.window}, shift={self.shift}"


class WindowAttentionV2(WindowAttention):
    """Swin V2's window attention (Liu et al., "Swin Transformer V2", CVPR 2022, Sections 3.3-3.4): cosine
    similarity of q and k times a learnt per-head logit scale (at most 100), and a continuous position bias: an MLP
    (2 -> 512 -> heads) over log-spaced window offsets, squashed to 16 * sigmoid. The key projection has no bias
    (its third of qkv.bias is held at zero, as torchvision does). Tensors: logit_scale [heads, 1, 1], qkv, proj,
    cpb_mlp.0 [512, 2] (+ bias), cpb_mlp.2 [heads, 512]; buffers relative_coords_table [1, 2w-1, 2w-1, 2] and
    relative_position_index [w^4]."""

    def __init__(self, channels: int, heads: int, window: int, shift: int, *, qkv_bias: bool, proj_bias: bool):
        super().__init__(channels, heads, window, shift, qkv_bias=qkv_bias, proj_bias=proj_bias)
        del self.relative_position_bias_table
        self.logit_scale = nn.Parameter(torch.log(10 * torch.ones(self.heads, 1, 1)))
        self.cpb_mlp = nn.Sequential(nn.Linear(2, 512), nn.ReLU(inplace=True), nn.Linear(512, self.heads, bias=False))
        offsets = torch.arange(-(self.window - 1), self.window, dtype=torch.float32) / max(self.window - 1, 1) * 8
        table = torch.stack(torch.meshgrid(offsets, offsets, indexing="ij"), dim=-1).unsqueeze(0)
        self.register_buffer("relative_coords_table", torch.sign(table) * torch.log2(table.abs() + 1.0) / 3.0)

    def _qkv(self, windows):
        bias = self.qkv.bias
        if bias is not None:
            third = bias.numel() // 3
            bias = torch.cat([bias[:third], torch.zeros_like(bias[third:2 * third]), bias[2 * third:]])
        return F.linear(windows, self.qkv.weight, bias)

    def _scores(self, q, k):
        scale = torch.clamp(self.logit_scale, max=math.log(100.0)).exp()
        return F.normalize(q, dim=-1) @ F.normalize(k, dim=-1).transpose(-2, -1) * scale

    def _bias_table(self):
        return 16 * torch.sigmoid(self.cpb_mlp(self.relative_coords_table).view(-1, self.heads))


class PatchMerging(nn.Module):
    """Swin's patch merging on [N, H, W, C]: zero-pad odd sizes, concatenate each 2x2 neighbourhood's tokens in the
    order (0,0), (1,0), (0,1), (1,1), layer-normalise over 4C, project to 2C without bias."""

    def __init__(self, channels: int, eps: float, norm_after: bool = False):
        super().__init__()
        self.reduction = nn.Linear(4 * int(channels), 2 * int(channels), bias=False)
        self.norm = nn.LayerNorm((2 if norm_after else 4) * int(channels), eps=eps)
        self.norm_after = norm_after  # Swin V2: reduce, then normalise

    def forward(self, x):
        x = F.pad(x, (0, 0, 0, x.shape[2] % 2, 0, x.shape[1] % 2))
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        return self.norm(self.reduction(x)) if self.norm_after else self.reduction(self.norm(x))


class RegionPool(nn.Module):
    """RoIAlign / RoI max pooling of ``regions`` fixed boxes per image ([N, C, H, W] -> [N, R, C, h, w]). The boxes
    stand in for a region proposal network's: region r is the centred box covering (r + 1) / R of each side.
    RoIAlign samples ``sampling_ratio``^2 bilinear points per bin and averages them; RoI pooling takes the max of
    the integer pixels in each bin."""

    def __init__(self, kind: str, bins, regions: int, spatial_scale: float, sampling_ratio: int):
        super().__init__()
        self.kind, self.bins, self.regions = kind, tuple(int(b) for b in bins), int(regions)
        self.spatial_scale, self.sampling_ratio = spatial_scale, int(sampling_ratio)

    def forward(self, x):
        n, c, height, width = x.shape
        outs = []
        for r in range(self.regions):
            share = (r + 1) / self.regions
            box_h, box_w = max(height * share, 1.0), max(width * share, 1.0)
            top, left = (height - box_h) / 2, (width - box_w) / 2
            if self.kind == "roi_align":
                s = self.sampling_ratio
                ys = top + (torch.arange(self.bins[0] * s, device=x.device) + 0.5) * box_h / (self.bins[0] * s)
                xs = left + (torch.arange(self.bins[1] * s, device=x.device) + 0.5) * box_w / (self.bins[1] * s)
                gy, gx = torch.meshgrid(ys / height * 2 - 1, xs / width * 2 - 1, indexing="ij")
                grid = torch.stack([gx, gy], dim=-1).expand(n, -1, -1, -1).to(x.dtype)
                sampled = F.grid_sample(x, grid, mode="bilinear", align_corners=False)
                outs.append(F.avg_pool2d(sampled, s))
            else:
                crop = x[:, :, int(top):int(top) + max(int(box_h), 1), int(left):int(left) + max(int(box_w), 1)]
                outs.append(F.adaptive_max_pool2d(crop, self.bins))
        return torch.stack(outs, dim=1)

    def extra_repr(self):
        return f"{self.kind}, bins={self.bins}, regions={self.regions}"


class TokenEmbedding(nn.Embedding):
    """nn.Embedding (weight [vocab, dim]). Integer ids are looked up as they are; the executor's random float
    inputs are read as ids (|x| scaled into the vocabulary). ``positions``: the ids are 0..L-1."""

    def __init__(self, vocab: int, dim: int, positions: bool):
        super().__init__(int(vocab), int(dim))
        self.positions = positions

    def forward(self, ids):
        if self.positions:
            ids = torch.arange(ids.shape[1], device=ids.device).expand(ids.shape[0], -1)
        elif ids.is_floating_point():
            ids = (ids.abs() * self.num_embeddings).long() % self.num_embeddings
        return super().forward(ids)
