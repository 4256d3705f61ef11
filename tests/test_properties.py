"""Hypothesis properties of random valid conv/pool stacks against an independent model written here.

Shapes, parameters, MACs and receptive fields agree with the model; the receptive field equals the brute-force set
of input pixels one output pixel depends on; symbolic sizes agree with concrete ones; torch.nn agrees on shapes.
"""

from __future__ import annotations

import importlib.util
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramcalc.engine import analyze
from paramcalc.graph import build_graph
from paramcalc.spec import load_text

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def analyse(doc):
    return analyze(build_graph(load_text(json.dumps(doc), "prop.yaml"), "prop.yaml"))


# ----------------------------------------------------------------------------------- the independent model
# Written from PyTorch's documentation (Conv2d, MaxPool2d, AvgPool2d) and Araujo, Norris & Sim, "Computing Receptive
# Fields of Convolutional Neural Networks", Distill 2019 (eqs. for r, j and the start offset).


def out_size(L, k, s, p, d, ceil_mode):
    span = L + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    n = -(-span // s) + 1
    if (n - 1) * s >= L + p:  # PyTorch: the last window must start inside the input or the left padding
        n -= 1
    return n


@st.composite
def stacks(draw, ndim=2, max_layers=5):
    """A valid stack: a list of layer dicts (engine syntax) plus the input shape. Every layer's kernel fits its
    padded input, so every stack drawn is one PyTorch accepts."""
    channels = draw(st.integers(1, 6))
    sizes = [draw(st.integers(8, 48)) for _ in range(ndim)]
    shape = [channels, *sizes]
    layers = []
    c = channels
    for _ in range(draw(st.integers(1, max_layers))):
        kind = draw(st.sampled_from(["conv", "conv", "maxpool", "avgpool"]))
        ks, ss, ps, ds = [], [], [], []
        for L in sizes:
            s = draw(st.integers(1, 3))
            d = 1 if kind == "avgpool" else draw(st.integers(1, 3))
            if kind == "conv":
                p = draw(st.integers(0, 3))
                k = min(draw(st.integers(1, 7)), (L + 2 * p - 1) // d + 1)
            else:
                k = min(draw(st.integers(1, 5)), (L - 1) // d + 1)
                p = draw(st.integers(0, k // 2))  # PyTorch: pooling padding at most half the kernel
            ks.append(k), ss.append(s), ps.append(p), ds.append(d)
        layer = {"type": kind, "kernel": ks, "stride": ss, "padding": ps}
        if kind != "avgpool":
            layer["dilation"] = ds
        if kind == "conv":
            groups = draw(st.sampled_from([g for g in range(1, c + 1) if c % g == 0]))
            out = groups * draw(st.integers(1, 3))
            layer.update(out=out, groups=groups, bias=draw(st.booleans()))
        else:
            layer["ceil_mode"] = draw(st.booleans())
        new_sizes = [out_size(L, k, s, p, d, layer.get("ceil_mode", False))
                     for L, k, s, p, d in zip(sizes, ks, ss, ps, ds)]
        if min(new_sizes) < 1:
            break
        layers.append(layer)
        sizes = new_sizes
        if kind == "conv":
            c = layer["out"]
        if min(sizes) < 2:
            break
    return shape, layers


def expected(shape, layers):
    """Per layer: (output shape, parameter tensors, MACs, (rf size, rf stride, rf padding) per axis)."""
    c, *sizes = shape
    r = [1] * len(sizes)
    j = [1] * len(sizes)
    start = [0] * len(sizes)
    rows = []
    for layer in layers:
        ks, ss, ps = layer["kernel"], layer["stride"], layer["padding"]
        ds = layer.get("dilation", [1] * len(sizes))
        sizes = [out_size(L, k, s, p, d, layer.get("ceil_mode", False)) for L, k, s, p, d in zip(sizes, ks, ss, ps, ds)]
        for i, (k, s, p, d) in enumerate(zip(ks, ss, ps, ds)):
            k_eff = d * (k - 1) + 1
            r[i] += (k_eff - 1) * j[i]     # r_out = r_in + (k_eff - 1) * j_in
            start[i] += p * j[i]           # p_out = p_in + p * j_in
            j[i] *= s                      # j_out = j_in * s
        tensors, macs = {}, 0
        if layer["type"] == "conv":
            out, g = layer["out"], layer["groups"]
            tensors["weight"] = (out, c // g, *ks)
            if layer["bias"]:
                tensors["bias"] = (out,)
            positions = 1
            for L in sizes:
                positions *= L
            kernel = 1
            for k in ks:
                kernel *= k
            macs = out * positions * (c // g) * kernel
            c = out
        rows.append(((1, c, *sizes), tensors, macs, (tuple(r), tuple(j), tuple(start))))
    return rows


@SETTINGS
@given(stacks())
def test_random_2d_stacks_agree_with_the_independent_model(stack):
    shape, layers = stack
    analysis = analyse({"input": shape, "layers": layers})
    rows = expected(shape, layers)
    assert len(analysis.layers) == len(rows)
    for got, (out_shape, tensors, macs, field) in zip(analysis.layers, rows):
        assert got.output_shape == out_shape
        assert got.param_shapes == tensors
        assert got.params == sum(_numel(t) for t in tensors.values())
        assert got.macs == macs and got.flops == 2 * macs
        f = got.receptive_field
        assert (f.size, f.stride, f.padding) == field
    assert analysis.totals.params == sum(sum(_numel(t) for t in row[1].values()) for row in rows)
    assert analysis.totals.macs == sum(row[2] for row in rows)


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


# ------------------------------------------------------------------------------------------- brute force


def influencing_pixels(layers, index):
    """The input positions output pixel ``index`` of a 1-D stack reads, found by walking every window back to the
    input: output i of a layer reads inputs i*s - p + d*t for t in 0..k-1 (negative or past-the-end = padding)."""
    positions = {index}
    for layer in reversed(layers):
        (k,), (s,), (p,) = layer["kernel"], layer["stride"], layer["padding"]
        (d,) = layer.get("dilation", [1])
        positions = {i * s - p + d * t for i in positions for t in range(k)}
    return positions


@SETTINGS
@given(stacks(ndim=1, max_layers=4))
def test_receptive_field_is_the_set_of_input_pixels_that_influence_an_output_pixel(stack):
    shape, layers = stack
    analysis = analyse({"input": shape, "layers": layers})
    f = analysis.layers[-1].receptive_field
    (size,), (stride,), (padding,) = f.size, f.stride, f.padding
    length = shape[1]
    out_len = analysis.layers[-1].output_shape[-1]
    first = influencing_pixels(layers, 0)
    # the first output pixel's field starts `padding` pixels before the input and spans `size` pixels
    assert min(first) == -padding
    assert max(first) - min(first) + 1 == size
    for i in range(out_len):
        field = influencing_pixels(layers, i)
        # neighbouring output pixels' fields are `stride` input pixels apart
        assert min(field) == i * stride - padding
        assert max(field) - min(field) + 1 == size
        # the input pixels (padding left out) that influence it lie within the reported field
        inside = {x for x in field if 0 <= x < length}
        assert inside <= set(range(i * stride - padding, i * stride - padding + size))
        if 0 <= min(field) and max(field) < length:  # a field away from the borders is reached end to end
            assert min(inside) == i * stride - padding and max(inside) == i * stride - padding + size - 1


@settings(max_examples=20, deadline=None)
@given(stacks(ndim=1, max_layers=3))
def test_symbolic_length_gives_expressions_that_equal_the_concrete_results(stack):
    shape, layers = stack
    symbolic = analyse({"symbols": {"L": None}, "input": [shape[0], "L"], "layers": layers})
    concrete = analyse({"input": shape, "layers": layers})
    (L,) = [v for _, v in symbolic.graph.symbols]

    def at(value):
        return int(value.subs(L, shape[1])) if hasattr(value, "subs") else value

    assert at(symbolic.layers[-1].output_shape[-1]) == concrete.layers[-1].output_shape[-1]
    for key in ("macs", "activation_bytes"):
        assert at(getattr(symbolic.totals, key)) == getattr(concrete.totals, key), key
    # The inference peak depends on which tensors are largest, so it is reported only once sizes are known.
    assert symbolic.totals.peak_activation_bytes is None
    assert isinstance(concrete.totals.peak_activation_bytes, int)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@settings(max_examples=30, deadline=None)
@given(stacks())
def test_random_2d_stacks_match_torch(stack):
    """The same stacks built in torch.nn: output shape after every layer and the parameter tensors."""
    import torch
    nn = torch.nn
    shape, layers = stack
    analysis = analyse({"input": shape, "layers": layers})
    x = torch.zeros(1, *shape)
    c = shape[0]
    with torch.no_grad():
        for layer, got in zip(layers, analysis.layers):
            window = dict(kernel_size=tuple(layer["kernel"]), stride=tuple(layer["stride"]),
                          padding=tuple(layer["padding"]))
            if layer["type"] == "conv":
                module = nn.Conv2d(c, layer["out"], groups=layer["groups"], bias=layer["bias"],
                                   dilation=tuple(layer["dilation"]), **window)
                c = layer["out"]
            elif layer["type"] == "maxpool":
                module = nn.MaxPool2d(dilation=tuple(layer["dilation"]), ceil_mode=layer["ceil_mode"], **window)
            else:
                module = nn.AvgPool2d(ceil_mode=layer["ceil_mode"], **window)
            x = module(x)
            assert got.output_shape == tuple(x.shape)
            assert got.param_shapes == {n: tuple(p.shape) for n, p in module.named_parameters()}


# ------------------------------------------------------------------------------------------------ merges


def _pixels(layers, index):
    """influencing_pixels, also for per-side padding [[before, after]] (only `before` moves the windows)."""
    positions = {index}
    for layer in reversed(layers):
        (k,), (s,), (p,) = layer["kernel"], layer["stride"], layer["padding"]
        before = p[0] if isinstance(p, list) else p
        (d,) = layer.get("dilation", [1])
        positions = {i * s - before + d * t for i in positions for t in range(k)}
    return positions


@st.composite
def length_keeping_branch(draw):
    """1-3 stride-1 convs whose total padding d*(k-1) keeps the length, split between the sides at random (an
    uneven split moves the field's centre)."""
    branch = []
    for _ in range(draw(st.integers(1, 3))):
        k, d = draw(st.integers(1, 5)), draw(st.integers(1, 2))
        before = draw(st.integers(0, d * (k - 1)))
        branch.append({"type": "conv", "out": 2, "kernel": [k], "stride": [1], "dilation": [d],
                       "padding": [[before, d * (k - 1) - before]]})
    return branch


@SETTINGS
@given(stacks(ndim=1, max_layers=3), length_keeping_branch(), length_keeping_branch())
def test_add_of_two_branches_takes_the_largest_field_and_flags_misalignment(trunk, left, right):
    shape, layers = trunk
    named = [dict(layer, name=f"t{i}") for i, layer in enumerate(layers)]
    last = named[-1]["name"]
    a = [dict(layer, name=f"a{i}", **({"input": last} if i == 0 else {})) for i, layer in enumerate(left)]
    b = [dict(layer, name=f"b{i}", **({"input": last} if i == 0 else {})) for i, layer in enumerate(right)]
    merge = {"name": "sum", "type": "add", "inputs": [a[-1]["name"], b[-1]["name"]]}
    analysis = analyse({"input": shape, "layers": named + a + b + [merge]})
    field = analysis.layer("sum").receptive_field

    def span(pixels):
        return max(pixels) - min(pixels) + 1

    fa, fb = _pixels(layers + left, 0), _pixels(layers + right, 0)
    ga, gb = _pixels(layers + left, 1), _pixels(layers + right, 1)
    assert field.size == (max(span(fa), span(fb)),)
    same_centre = min(fa) + max(fa) == min(fb) + max(fb)
    same_stride = min(ga) - min(fa) == min(gb) - min(fb)
    aligned = same_centre and same_stride
    assert field.aligned == aligned
    assert any("sum" in w and "not aligned" in w for w in analysis.warnings) == (not aligned)
    if aligned:  # the union of both branches' pixels is exactly the reported field
        union = fa | fb
        assert span(union) == field.size[0] and min(union) == -field.padding[0]


# ------------------------------------------------------------------------------------ upsampling by a scale


@st.composite
def upsample_cases(draw):
    """One upsample by a decimal scale written as YAML writes it ('0.29'), on 1-3 spatial axes."""
    ndim = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 64 if ndim < 3 else 12)) for _ in range(ndim)]
    hundredths = [draw(st.integers(5, 400)) for _ in range(ndim)]
    scales = [f"{h // 100}.{h % 100:02d}" for h in hundredths]
    mode = draw(st.sampled_from(["nearest", "bilinear"]))
    return sizes, scales, mode


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
@settings(max_examples=200, deadline=None)
@given(upsample_cases())
def test_upsample_by_a_decimal_scale_matches_torch(case):
    """floor(L x scale) computed as PyTorch does (in doubles): nn.Upsample, and F.interpolate with
    recompute_scale_factor True and False, give the engine's size on every axis."""
    import math

    import torch
    sizes, scales, mode = case
    if any(math.floor(float(L) * float(s)) < 1 for L, s in zip(sizes, scales)):
        return  # PyTorch refuses an empty output; the engine does too (test_upsample_to_nothing_is_refused)
    text = f"input: [1, {', '.join(map(str, sizes))}]\nlayers:\n  - {{type: upsample, scale: [{', '.join(scales)}], " \
           f"mode: {mode}}}\n"
    got = analyze(build_graph(load_text(text, "up.yaml"), "up.yaml")).layers[0].output_shape
    torch_mode = mode if mode == "nearest" else ("linear", "bilinear", "trilinear")[len(sizes) - 1]
    x = torch.zeros(1, 1, *sizes)
    factors = tuple(float(s) for s in scales)
    for recompute in (None, True, False):
        y = torch.nn.functional.interpolate(x, scale_factor=factors, mode=torch_mode,
                                            recompute_scale_factor=recompute)
        assert got == tuple(y.shape), (sizes, scales, recompute)
