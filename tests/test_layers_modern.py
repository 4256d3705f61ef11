"""The transformer-era layer types' rules (shape, tensors, ops, receptive field) against hand derivations, and their
torch rules against PyTorch's own modules and functional definitions.

tests/test_layer_rules.py's coverage test counts the types marked here with ``covers``; tests/test_executor.py builds
and verifies every case in ``TORCH_CASES``.
"""

from __future__ import annotations


import pytest

from paramcalc.errors import SpecError
from paramcalc.graph import build_graph
from paramcalc.spec import load_text

from conftest import run_layers

COVERED: set = set()


def covers(*types):
    COVERED.update(types)
    return lambda f: f


run = run_layers  # conftest: a small network given as Python data


def one(attrs, input_shape, **kw):
    return run([{"name": "x", **attrs}], input_shape, **kw).layer("x")


def nonzero(ops):
    return {k: v for k, v in ops.items() if v != 0}


def rf(layer):
    f = layer.receptive_field
    return None if f is None else (f.size, f.stride, f.padding)


def error(layers, input_shape=None, **kw) -> str:
    with pytest.raises(SpecError) as e:
        run(layers, input_shape, **kw)
    return str(e.value)


# ---------------------------------------------------------------------------------------------- learnt tensors


@covers("parameter")
def test_class_token_and_position_embedding_are_counted_and_concatenated_as_vit_does():
    # ViT-B/16 at 224: 14 x 14 = 196 patch tokens of width 768; class token [1, 1, 768] first, then a position
    # embedding [1, 197, 768] added (torchvision's class_token and encoder.pos_embedding).
    a = run([
        {"name": "proj", "type": "conv", "out": 768, "kernel": 16, "stride": 16},
        {"name": "grid", "type": "flatten", "start": 2},
        {"name": "tokens", "type": "transpose", "axes": [1, 2]},
        {"name": "cls", "type": "parameter", "shape": [1, 1, 768], "batch_axis": True},
        {"name": "joined", "type": "concat", "axis": 1, "inputs": ["cls", "tokens"]},
        {"name": "pos", "type": "parameter", "shape": [1, 197, 768], "batch_axis": True},
        {"name": "x", "type": "add", "inputs": ["joined", "pos"]},
    ], [3, 224, 224], batch=4)
    cls, pos = a.layer("cls"), a.layer("pos")
    assert cls.param_shapes == {"weight": (1, 1, 768)} and cls.params == 768
    assert cls.output_shape == (4, 1, 768) and cls.macs == 0 and cls.receptive_field is None
    assert pos.params == 197 * 768
    assert a.layer("joined").output_shape == (4, 197, 768)
    # the patch tokens keep their 16x16 field through flatten, transpose, concat and the add
    assert rf(a.layer("x")) == ((16, 16), (16, 16), (0, 0))
    assert a.totals.params == 768 * 3 * 256 + 768 + 768 + 197 * 768


def test_layer_scale_broadcasts_over_the_map_and_keeps_the_field():
    # ConvNeXt: layer_scale [C, 1, 1] * x [C, H, W]
    a = run([{"name": "c", "type": "conv", "out": 8, "kernel": 3},
             {"name": "gamma", "type": "parameter", "shape": [8, 1, 1]},
             {"name": "x", "type": "multiply", "inputs": ["c", "gamma"]}], [3, 10, 10])
    x = a.layer("x")
    assert x.output_shape == (1, 8, 8, 8) and a.layer("gamma").params == 8
    assert nonzero(x.ops) == {"elementwise": 8 * 8 * 8}
    assert rf(x) == ((3, 3), (1, 1), (0, 0)) and not a.warnings


def test_a_parameter_takes_no_input_and_checks_its_batch_axis():
    assert "takes 0 inputs, got 1" in error([{"name": "p", "type": "parameter", "shape": [4], "input": "input"}],
                                            [4])
    assert "first size of 1" in error([{"type": "parameter", "shape": [2, 4], "batch_axis": True}], [4])


@covers("scale")
def test_scale_multiplies_every_element():
    x = one({"type": "scale", "factor": "1/8"}, [12, 5, 5])
    assert x.output_shape == (1, 12, 5, 5) and nonzero(x.ops) == {"elementwise": 300} and x.params == 0


# ---------------------------------------------------------------------------------------------- axes


@covers("permute")
def test_permute_to_channels_last_moves_the_field_with_the_spatial_axes():
    a = run([{"name": "c", "type": "conv", "out": 6, "kernel": 5, "stride": 2},
             {"name": "last", "type": "permute", "order": [0, 2, 3, 1]},
             {"name": "fc", "type": "linear", "out": 4},            # mixes channels only
             {"name": "first", "type": "permute", "order": [0, 3, 1, 2]},
             {"name": "x", "type": "conv", "out": 4, "kernel": 3}], [3, 21, 21])
    assert a.layer("last").output_shape == (1, 9, 9, 6)
    assert rf(a.layer("fc")) == ((5, 5), (2, 2), (0, 0))
    assert rf(a.layer("x")) == ((9, 9), (2, 2), (0, 0))  # 5 + (3 - 1) x stride 2; stride 1 keeps 2


def test_a_conv_over_channels_last_axes_has_no_followable_field_and_a_linear_over_a_spatial_axis_is_whole():
    a = run([{"name": "last", "type": "permute", "order": [0, 2, 3, 1]},
             {"name": "c", "type": "conv", "out": 2, "kernel": 1}], [3, 4, 4])
    assert a.layer("c").receptive_field.whole
    assert one({"type": "linear", "out": 3}, [3, 4, 4]).receptive_field.whole  # mixes W


def test_permute_refuses_moving_the_batch_axis_and_non_permutations():
    assert "must start with 0" in error([{"type": "permute", "order": [1, 0, 2, 3]}], [3, 4, 4])
    assert "not a permutation" in error([{"type": "permute", "order": [0, 1, 1, 2]}], [3, 4, 4])


@covers("transpose")
def test_transpose_swaps_two_axes():
    x = one({"type": "transpose", "axes": [1, -1]}, [768, 196])
    assert x.output_shape == (1, 196, 768) and x.params == 0 and nonzero(x.ops) == {}
    assert "not a non-batch axis" in error([{"type": "transpose", "axes": [0, 1]}], [3, 4])


@covers("flatten")
def test_flatten_of_chosen_axes_keeps_each_spatial_field():
    a = run([{"name": "c", "type": "conv", "out": 8, "kernel": 4, "stride": 4},
             {"name": "x", "type": "flatten", "start": 2, "end": 3}], [3, 32, 32])
    assert a.layer("x").output_shape == (1, 8, 64)
    assert rf(a.layer("x")) == ((4, 4), (4, 4), (0, 0))
    # the default flattens channels with space: whole, as before
    assert one({"type": "flatten"}, [3, 4, 4]).receptive_field.whole
    assert "comes after end" in error([{"type": "flatten", "start": 3, "end": 2}], [3, 4, 4])


# ---------------------------------------------------------------------------------------------- normalisation


@covers("layernorm")
def test_layernorm_over_the_channel_axis_is_convnexts_layernorm2d():
    # Today's trailing-axis layernorm on [96, 56, 56] normalises W (weight [56]); axis 1 normalises the channels.
    assert one({"type": "layernorm"}, [96, 56, 56]).param_shapes == {"weight": (56,), "bias": (56,)}
    x = one({"type": "layernorm", "axis": 1}, [96, 56, 56])
    assert x.param_shapes == {"weight": (96,), "bias": (96,)}
    assert nonzero(x.ops) == {"normalization": 96 * 56 * 56}


@covers("rmsnorm")
def test_rmsnorm_has_a_weight_over_the_last_axis_only():
    x = one({"type": "rmsnorm"}, [16, 4096])
    assert x.param_shapes == {"weight": (4096,)} and nonzero(x.ops) == {"normalization": 16 * 4096}


# ---------------------------------------------------------------------------------------------- attention


@covers("attention")
def test_self_attention_has_multiheadattentions_tensors_and_counts_both_products():
    L, E, h = 197, 768, 12
    x = one({"type": "attention", "heads": h}, [L, E])
    assert x.param_shapes == {"in_proj_weight": (3 * E, E), "in_proj_bias": (3 * E,),
                              "out_proj.weight": (E, E), "out_proj.bias": (E,)}
    # q, k, v: L x E x 3E; scores Q·Kᵀ: h x L x L x E/h; A·V: the same; out: L x E x E
    assert x.ops["linear"] == L * E * 3 * E + L * E * E and x.ops["attention"] == 2 * h * L * L * (E // h)
    assert x.macs == L * E * 3 * E + 2 * h * L * L * (E // h) + L * E * E
    assert x.ops["softmax"] == h * L * L and x.ops["bias"] == L * 4 * E
    assert x.sequence == (L, 2 * L * E)


def test_grouped_query_attention_has_separate_narrower_key_and_value_projections():
    # Llama 2 70B: width 8192, 64 heads of 128, 8 key/value heads -> k_proj and v_proj [1024, 8192]
    x = one({"type": "attention", "heads": 64, "kv_heads": 8, "bias": False}, [4, 8192])
    assert x.param_shapes == {"q_proj.weight": (8192, 8192), "k_proj.weight": (1024, 8192),
                              "v_proj.weight": (1024, 8192), "out_proj.weight": (8192, 8192)}
    assert x.sequence == (4, 2 * 4 * 1024)
    assert "does not divide heads" in error([{"type": "attention", "heads": 6, "kv_heads": 4}], [4, 24])


def test_global_attention_sees_the_whole_image_and_needs_tokens():
    a = run([{"type": "conv", "out": 8, "kernel": 4, "stride": 4}, {"type": "flatten", "start": 2},
             {"type": "transpose", "axes": [1, 2]}, {"name": "x", "type": "attention", "heads": 2}], [3, 16, 16])
    assert a.layer("x").receptive_field.whole
    assert "[tokens, features]" in error([{"type": "attention", "heads": 2}], [8, 4, 4])


def test_sequence_stats_give_flops_per_token_and_the_kv_cache():
    a = run([{"type": "embedding", "vocab": 100, "dim": 32},
             {"type": "attention", "heads": 4, "causal": True}, {"type": "attention", "heads": 4, "kv_heads": 2}],
            inputs={"ids": [10]}, batch=3, dtype="fp16")
    s = a.sequence
    assert s.sequence_length == 10 and s.tokens == 30
    # keys + values per token: 32 (4 heads) and 16 (2 kv heads of 8) -> 2 x 10 x (32 + 16) x batch 3 x 2 bytes
    assert s.kv_cache_bytes == 2 * 10 * (32 + 16) * 3 * 2
    assert s.flops_per_token * 30 == a.totals.flops


@covers("window_attention")
def test_window_attention_has_shiftedwindowattentions_tensors():
    # torchvision swin_t, first stage: C = 96, 3 heads, 7x7 windows on 56x56 tokens
    x = one({"type": "window_attention", "heads": 3, "window": 7, "shift": 3}, [56, 56, 96])
    assert x.param_shapes == {"relative_position_bias_table": (169, 3), "qkv.weight": (288, 96),
                              "qkv.bias": (288,), "proj.weight": (96, 96), "proj.bias": (96,)}
    assert x.buffer_shapes == {"relative_position_index": (7 ** 4,)}
    N, w2 = 56 * 56, 49
    assert x.ops["linear"] == N * 96 * 4 * 96 and x.ops["attention"] == 2 * N * w2 * 96
    assert x.ops["softmax"] == 3 * N * w2
    # bias table and shift mask added to every score, q scaled
    assert x.ops["elementwise"] == N * 96 + 2 * 3 * N * w2


def test_window_attention_pads_to_whole_windows_and_drops_the_shift_where_one_window_covers():
    # 9 tokens pad to 14 = 2 windows of 7; 5 tokens pad to one window of 7, where torchvision drops the shift
    padded = one({"type": "window_attention", "heads": 2, "window": 7, "shift": 3}, [9, 9, 8])
    assert padded.ops["softmax"] == 2 * 14 * 14 * 49
    small = one({"type": "window_attention", "heads": 2, "window": 7, "shift": 3}, [5, 5, 8])
    assert small.ops["elementwise"] == 49 * 8 + 2 * 49 * 49  # no mask term
    assert "channels-last" in error([{"type": "window_attention", "heads": 2}], [8, 9, 9, 2])


def test_swin_v2_window_attention_has_a_logit_scale_and_a_position_bias_mlp_instead_of_a_table():
    # torchvision swin_v2_t, first stage: C = 96, 3 heads, 8x8 windows on 64x64 tokens
    x = one({"type": "window_attention", "version": 2, "heads": 3, "window": 8, "shift": 4}, [64, 64, 96])
    assert x.param_shapes == {"logit_scale": (3, 1, 1), "qkv.weight": (288, 96), "qkv.bias": (288,),
                              "proj.weight": (96, 96), "proj.bias": (96,), "cpb_mlp.0.weight": (512, 2),
                              "cpb_mlp.0.bias": (512,), "cpb_mlp.2.weight": (3, 512)}
    assert x.buffer_shapes == {"relative_coords_table": (1, 15, 15, 2), "relative_position_index": (8 ** 4,)}
    N, w2 = 64 * 64, 64
    # projections and both products, plus the bias MLP once over the 15 x 15 offsets: 2 -> 512 -> 3
    assert x.ops["linear"] == N * 96 * 4 * 96 + 225 * 512 * (2 + 3) and x.ops["attention"] == 2 * N * w2 * 96
    merge = one({"type": "patch_merging", "version": 2}, [8, 8, 96])
    assert merge.param_shapes == {"reduction.weight": (192, 384), "norm.weight": (192,), "norm.bias": (192,)}


@covers("patch_merging")
def test_patch_merging_halves_the_grid_and_doubles_the_width():
    x = one({"type": "patch_merging"}, [7, 7, 96])  # odd: padded to 8 first, as torchvision does
    assert x.output_shape == (1, 4, 4, 192)
    assert x.param_shapes == {"reduction.weight": (192, 384), "norm.weight": (384,), "norm.bias": (384,)}
    assert nonzero(x.ops) == {"linear": 16 * 384 * 192, "normalization": 16 * 384}


def test_swin_fields_grow_by_windows_and_merges():
    a = run([{"type": "conv", "out": 8, "kernel": 4, "stride": 4},
             {"type": "permute", "order": [0, 2, 3, 1]},
             {"name": "w", "type": "window_attention", "heads": 2, "window": 7},
             {"name": "m", "type": "patch_merging"}], [3, 56, 56])
    assert rf(a.layer("w")) == ((28, 28), (4, 4), (12, 12))   # 7 tokens of 4 pixels, centred on the token
    assert rf(a.layer("m")) == ((32, 32), (8, 8), (12, 12))   # a 2x2, stride-2 window of tokens


@covers("matmul")
def test_matmul_of_two_activations_broadcasts_batch_axes():
    a = run([{"name": "x", "type": "matmul", "transpose_b": True, "inputs": ["q", "k"]}],
            inputs={"q": [12, 197, 64], "k": [12, 197, 64]})
    x = a.layer("x")
    assert x.output_shape == (1, 12, 197, 197) and nonzero(x.ops) == {"attention": 12 * 197 * 64 * 197}
    assert "differs from" in error([{"type": "matmul", "inputs": ["a", "b"]}], inputs={"a": [3, 4], "b": [5, 6]})


# ---------------------------------------------------------------------------------------------- split, shuffle


@covers("split")
def test_split_pieces_follow_torch_chunk_and_split():
    assert one({"type": "chunk", "chunks": 2, "index": 1}, [116, 28, 28]).output_shape == (1, 58, 28, 28)
    # torch.chunk(7 elements, 3) -> 3, 3, 1
    assert [one({"type": "split", "chunks": 3, "index": i, "axis": -1}, [2, 7]).output_shape[-1]
            for i in range(3)] == [3, 3, 1]
    assert one({"type": "split", "sizes": [1, 196], "index": 1}, [197, 768]).output_shape == (1, 196, 768)
    assert "add up to" in error([{"type": "split", "sizes": [1, 2], "index": 0}], [4, 2])
    assert "exactly one of chunks or sizes" in error([{"type": "split", "index": 0}], [4, 2])


def test_a_split_along_channels_keeps_the_field_and_along_height_shifts_it():
    a = run([{"type": "conv", "out": 4, "kernel": 3},
             {"name": "c", "type": "split", "chunks": 2, "index": 1},
             {"name": "h", "type": "split", "sizes": [2, 4], "index": 1, "axis": 2, "input": "conv1"}], [3, 8, 8])
    assert rf(a.layer("c")) == ((3, 3), (1, 1), (0, 0))
    assert rf(a.layer("h")) == ((3, 3), (1, 1), (-2, 0))  # the piece starts 2 rows in


@covers("channel_shuffle")
def test_channel_shuffle_keeps_shape_and_field():
    x = one({"type": "channel_shuffle", "groups": 2}, [116, 28, 28])
    assert x.output_shape == (1, 116, 28, 28) and x.params == 0
    assert "does not divide" in error([{"type": "channel_shuffle", "groups": 3}], [116, 28, 28])


# ---------------------------------------------------------------------------------------------- regions, tokens


@covers("roi_align", "roi_pool")
def test_roi_heads_are_counted_per_region_for_a_symbolic_number_of_regions():
    # Faster R-CNN's box head on a 256-channel map: RoIAlign to 7x7, then TwoMLPHead (256*7*7 -> 1024 -> 1024)
    a = run([{"name": "roi", "type": "roi_align", "regions": "R", "output": 7, "spatial_scale": "1/16"},
             {"name": "flat", "type": "flatten", "start": 2},
             {"name": "fc6", "type": "linear", "out": 1024},
             {"name": "fc7", "type": "linear", "out": 1024}], [256, 50, 50], symbols={"R": None})
    import sympy

    R = sympy.Symbol("R", integer=True, positive=True)
    assert a.layer("roi").output_shape == (1, R, 256, 7, 7)
    assert a.layer("fc6").macs == R * 256 * 49 * 1024
    assert a.totals.params == 256 * 49 * 1024 + 1024 + 1024 * 1024 + 1024  # per-region weights, shared
    assert a.layer("roi").ops["pooling"] == R * 256 * 49 * 2 * 2 * 4
    pool = one({"type": "roi_pool", "regions": 300, "output": [7, 7]}, [512, 38, 50])
    assert pool.output_shape == (1, 300, 512, 7, 7) and pool.receptive_field.whole


@covers("embedding")
def test_token_embedding_and_a_tied_head_counted_once():
    a = run([{"name": "wte", "type": "embedding", "vocab": 50257, "dim": 768},
             {"name": "head", "type": "linear", "out": 50257, "bias": False, "tie": "wte"}], inputs={"ids": [16]})
    assert a.layer("wte").output_shape == (1, 16, 768) and a.layer("wte").params == 50257 * 768
    head = a.layer("head")
    assert head.param_shapes == {"weight": (50257, 768)} and head.params == 0 and head.shared == {"weight": "wte"}
    assert a.totals.params == 50257 * 768
    assert head.receptive_field is None  # text has no pixels


def test_a_tie_must_share_a_tensor_of_the_same_name_and_shape():
    message = error([{"name": "wte", "type": "embedding", "vocab": 100, "dim": 8},
                     {"name": "head", "type": "linear", "out": 99, "tie": "wte"}], inputs={"ids": [4]})
    assert "shares no tensor of the same name and shape" in message and "'head'" in message
    assert "unknown `tie:` layer 'nope'" in error([{"name": "head", "type": "linear", "out": 4, "tie": "nope"}], [4])


def test_position_embeddings_need_enough_rows():
    assert "needs at least that many rows" in error(
        [{"type": "embedding", "vocab": 8, "dim": 4, "positions": True}], inputs={"ids": [9]})


# ---------------------------------------------------------------------------------------------- torch rules

TORCH_CASES = {
    "parameter": ["input: [4, 3, 3]\nlayers:\n  - {name: g, type: parameter, shape: [4, 1, 1]}\n"
                  "  - {type: multiply, inputs: [input, g]}\n"
                  "  - {type: parameter, shape: [1, 3, 4], batch_axis: true}"],
    "scale": ["input: [4, 3]\nlayers: [{type: scale, factor: 0.125}]"],
    "matmul": ["inputs: {a: [2, 3, 4], b: [2, 5, 4]}\nlayers: [{type: matmul, transpose_b: true, inputs: [a, b]}]",
               "inputs: {a: [2, 3, 4], b: [4, 5]}\nlayers: [{type: bmm, inputs: [a, b]}]"],
    "permute": ["input: [4, 3, 5]\nlayers: [{type: permute, order: [0, 2, 3, 1]}]"],
    "transpose": ["input: [4, 6]\nlayers: [{type: transpose, axes: [1, 2]}]"],
    "split": ["input: [6, 3, 3]\nlayers: [{type: chunk, chunks: 2, index: 1}]",
              "input: [2, 7]\nlayers: [{type: split, sizes: [3, 4], index: 1, axis: -1}]"],
    "channel_shuffle": ["input: [6, 3, 3]\nlayers: [{type: channel_shuffle, groups: 3}]"],
    "attention": ["input: [5, 8]\nlayers: [{type: attention, heads: 2}]",
                  "input: [5, 8]\nlayers: [{type: mha, heads: 4, kv_heads: 2, bias: false, causal: true}]"],
    "window_attention": ["input: [9, 9, 8]\nlayers: [{type: window_attention, heads: 2, window: 4, shift: 2}]",
                         "input: [9, 9, 8]\nlayers: [{type: window_attention, version: 2, heads: 2, window: 4, "
                         "shift: 2}]"],
    "patch_merging": ["input: [5, 6, 4]\nlayers: [{type: patch_merging}]",
                      "input: [5, 6, 4]\nlayers: [{type: patch_merging, version: 2}]"],
    "roi_align": ["input: [4, 10, 10]\nlayers: [{type: roi_align, regions: 3, output: 2}]"],
    "roi_pool": ["input: [4, 10, 10]\nlayers: [{type: roi_pool, regions: 2, output: [2, 3]}]"],
    "embedding": ["inputs: {ids: [6]}\nlayers: [{type: embedding, vocab: 10, dim: 4}]",
                  "inputs: {ids: [6]}\nlayers: [{type: embedding, vocab: 8, dim: 4, positions: true}]"],
    "rmsnorm": ["input: [3, 8]\nlayers: [{type: rmsnorm}]"],
}


def _torch():
    return pytest.importorskip("torch")


def _built(text):
    _torch()
    from paramcalc.executor import to_torch

    graph = build_graph(load_text(text, "case.yaml"), "case.yaml")
    return to_torch(graph)


def test_layernorm_axis_is_the_layer_norm_of_the_moved_channels():
    torch = _torch()
    model = _built("input: [6, 4, 5]\nlayers: [{name: n, type: layernorm, axis: 1, eps: 0.000001}]")
    x = torch.randn(2, 6, 4, 5)
    with torch.no_grad():
        model.layer_module("n").weight.normal_()
        expected = torch.nn.functional.layer_norm(x.permute(0, 2, 3, 1), (6,), model.layer_module("n").weight,
                                                  model.layer_module("n").bias, 1e-6).permute(0, 3, 1, 2)
        torch.testing.assert_close(model(x), expected)


def test_self_attention_computes_softmax_of_scaled_scores_times_values():
    torch = _torch()
    model = _built("input: [5, 8]\nlayers: [{name: a, type: attention, heads: 2, causal: true}]")
    m = model.layer_module("a")
    x = torch.randn(3, 5, 8)
    with torch.no_grad():
        q, k, v = torch.nn.functional.linear(x, m.in_proj_weight, m.in_proj_bias).chunk(3, dim=-1)
        split = lambda t: t.view(3, 5, 2, 4).transpose(1, 2)  # noqa: E731
        scores = split(q) @ split(k).transpose(-2, -1) / 2.0  # sqrt(head_dim 4)
        scores = scores.masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(1), float("-inf"))
        out = (scores.softmax(-1) @ split(v)).transpose(1, 2).reshape(3, 5, 8)
        torch.testing.assert_close(model(x), m.out_proj(out), rtol=1e-5, atol=1e-5)


def test_one_unshifted_window_is_plain_attention_with_a_relative_position_bias():
    # One 4x4 window over a 4x4 map, no shift, bias table zero: the same as self-attention over 16 tokens with the
    # same q/k/v and output projections.
    torch = _torch()
    model = _built("input: [4, 4, 8]\nlayers: [{name: w, type: window_attention, heads: 2, window: 4}]")
    attention = _built("input: [16, 8]\nlayers: [{name: a, type: attention, heads: 2}]")
    w, a = model.layer_module("w"), attention.layer_module("a")
    with torch.no_grad():
        a.in_proj_weight.copy_(w.qkv.weight)
        a.in_proj_bias.copy_(w.qkv.bias)
        a.out_proj.weight.copy_(w.proj.weight)
        a.out_proj.bias.copy_(w.proj.bias)
        x = torch.randn(2, 4, 4, 8)
        torch.testing.assert_close(model(x).reshape(2, 16, 8), attention(x.reshape(2, 16, 8)), rtol=1e-5,
                                   atol=1e-5)
    # the index buffer: pair (0, 0) -> offset (0, 0) -> row (w-1)*(2w-1) + (w-1) = 24; pair (0, 15) -> (-3, -3) -> 0
    index = w.relative_position_index.view(16, 16)
    assert index[0, 0].item() == 24 and index[0, 15].item() == 0 and index.max().item() == 48


def test_channel_shuffle_is_shufflenets_reshape_transpose():
    torch = _torch()
    model = _built("input: [6, 2, 2]\nlayers: [{type: channel_shuffle, groups: 2}]")
    x = torch.randn(1, 6, 2, 2)
    torch.testing.assert_close(model(x), x.view(1, 2, 3, 2, 2).transpose(1, 2).reshape(1, 6, 2, 2))


def test_split_pieces_are_torch_chunks():
    torch = _torch()
    model = _built("input: [7, 3]\nlayers: [{type: chunk, chunks: 3, index: 2}]")
    x = torch.randn(2, 7, 3)
    torch.testing.assert_close(model(x), x.chunk(3, dim=1)[2])


def test_a_tied_head_shares_the_embeddings_parameter_object():
    _torch()
    model = _built("inputs: {ids: [6]}\nlayers:\n  - {name: e, type: embedding, vocab: 10, dim: 4}\n"
                   "  - {type: linear, out: 10, bias: false, tie: e}")
    assert model.layer_module("linear1").weight is model.layer_module("e").weight
    assert sum(p.numel() for p in model.parameters()) == 40 == model.analysis.totals.params


def test_roi_align_of_a_constant_map_is_that_constant():
    torch = _torch()
    model = _built("input: [2, 10, 10]\nlayers: [{type: roi_align, regions: 3, output: 2}]")
    y = model(torch.full((1, 2, 10, 10), 3.0))
    assert y.shape == (1, 3, 2, 2, 2)
    torch.testing.assert_close(y, torch.full_like(y, 3.0))


def test_attention_written_from_primitives_equals_the_attention_layer():
    # BERT's way (bert_base.yaml): q, k, v projections, heads split by reshape + permute, Q·Kᵀ, 1/sqrt(d), softmax,
    # A·V, heads merged, output projection - the same function as one attention layer with the same weights, and the
    # same count: the composite's MACs are the sum of its parts'.
    torch = _torch()
    model = _built("""
inputs: {x: [5, 8]}
outputs: [out, fused]
layers:
  - {name: q, type: linear, out: 8, input: x}
  - {name: k, type: linear, out: 8, input: x}
  - {name: v, type: linear, out: 8, input: x}
  - {name: qh, type: reshape, shape: [5, 2, 4], input: q}
  - {name: qp, type: permute, order: [0, 2, 1, 3]}
  - {name: kh, type: reshape, shape: [5, 2, 4], input: k}
  - {name: kp, type: permute, order: [0, 2, 1, 3]}
  - {name: vh, type: reshape, shape: [5, 2, 4], input: v}
  - {name: vp, type: permute, order: [0, 2, 1, 3]}
  - {name: scores, type: matmul, transpose_b: true, inputs: [qp, kp]}
  - {name: scaled, type: scale, factor: 0.5}
  - {name: probs, type: softmax, axis: -1}
  - {name: context, type: matmul, inputs: [probs, vp]}
  - {name: merged, type: permute, order: [0, 2, 1, 3]}
  - {name: flat, type: reshape, shape: [5, 8]}
  - {name: out, type: linear, out: 8}
  - {name: fused, type: attention, heads: 2, input: x}
""")
    fused = model.layer_module("fused")
    with torch.no_grad():
        fused.in_proj_weight.copy_(torch.cat([model.layer_module(n).weight for n in "qkv"]))
        fused.in_proj_bias.copy_(torch.cat([model.layer_module(n).bias for n in "qkv"]))
        fused.out_proj.weight.copy_(model.layer_module("out").weight)
        fused.out_proj.bias.copy_(model.layer_module("out").bias)
        written, one_layer = model(torch.randn(3, 5, 8))
    torch.testing.assert_close(written, one_layer, rtol=1e-5, atol=1e-5)
    a = model.analysis
    parts = sum(a.layer(n).macs for n in ("q", "k", "v", "scores", "context", "out"))
    assert parts == a.layer("fused").macs and a.layer("fused").params == sum(a.layer(n).params for n in "qkv") + \
        a.layer("out").params
