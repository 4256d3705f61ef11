"""The transformer-era architecture files against published figures and, where torchvision is installed, against
torchvision's own modules (tensor names and shapes, and the same output for the same weights).

Ground truth: torchvision 0.29.1's weights metadata (``num_params``, ``_ops`` = "GFLOPS", i.e. multiply-accumulates
with both attention products), the ViT paper's Table 1, and the published parameter counts of GPT-2, BERT and
Llama 2 (sources beside each number).
"""

from __future__ import annotations

import time

import pytest

from paramcalc.engine import analyze
from paramcalc.graph import load_graph
from paramcalc.bundled import resolve


def totals(name, **overrides):
    return analyze(load_graph(resolve(name), overrides=overrides)).totals


# (file, published num_params, published GFLOPS): torchvision 0.29.1, torchvision/models/<family>.py, the
# IMAGENET1K_V1 weights' meta (ViT-H/14: IMAGENET1K_SWAG_LINEAR_V1, the 224x224 one), 224x224 input.
TORCHVISION_META = [
    ("convnext_tiny", 28_589_128, 4.456),    # convnext.py ConvNeXt_Tiny_Weights
    ("convnext_small", 50_223_688, 8.684),   # ConvNeXt_Small_Weights
    ("convnext_base", 88_591_464, 15.355),   # ConvNeXt_Base_Weights
    ("convnext_large", 197_767_336, 34.361),  # ConvNeXt_Large_Weights
    ("vit_b_16", 86_567_656, 17.564),        # vision_transformer.py ViT_B_16_Weights
    ("vit_b_32", 88_224_232, 4.409),         # ViT_B_32_Weights
    ("vit_l_16", 304_326_632, 61.555),       # ViT_L_16_Weights
    ("vit_l_32", 306_535_400, 15.378),       # ViT_L_32_Weights
    ("vit_h_14", 632_045_800, 167.295),      # ViT_H_14_Weights.IMAGENET1K_SWAG_LINEAR_V1
    ("swin_t", 28_288_354, 4.491),           # swin_transformer.py Swin_T_Weights
    ("swin_s", 49_606_258, 8.741),           # Swin_S_Weights
    ("swin_b", 87_768_224, 15.431),          # Swin_B_Weights
]
# Swin V2 at 256x256, the resolution its IMAGENET1K_V1 weights' meta documents (min_size 256).
SWIN_V2_META = [
    ("swin_v2_t", 28_351_570, 5.94),         # Swin_V2_T_Weights
    ("swin_v2_s", 49_737_442, 11.546),       # Swin_V2_S_Weights
    ("swin_v2_b", 87_930_848, 20.325),       # Swin_V2_B_Weights
]


@pytest.mark.parametrize("name,params,gflops", TORCHVISION_META + SWIN_V2_META,
                         ids=[m[0] for m in TORCHVISION_META + SWIN_V2_META])
def test_parameters_exact_and_macs_within_half_a_percent_of_torchvisions_meta(name, params, gflops):
    t = totals(name)
    assert t.params == params
    assert abs(t.macs / 1e9 - gflops) <= 0.005 * gflops


@pytest.mark.parametrize("name,res,params,gflops", [
    # The SWAG end-to-end weights at their own resolution (meta min_size): the position embedding grows with it.
    ("vit_b_16", 384, 86_859_496, 55.484),    # ViT_B_16_Weights.IMAGENET1K_SWAG_E2E_V1
    ("vit_l_16", 512, 305_174_504, 361.986),  # ViT_L_16_Weights.IMAGENET1K_SWAG_E2E_V1
    ("vit_h_14", 518, 633_470_440, 1016.717),  # ViT_H_14_Weights.IMAGENET1K_SWAG_E2E_V1
])
def test_vit_at_the_swag_resolutions(name, res, params, gflops):
    t = totals(name, res=res)
    assert t.params == params
    assert abs(t.macs / 1e9 - gflops) <= 0.005 * gflops


def test_vit_b_16_macs_by_hand():
    # Patch conv 768*3*16*16 per output x 196; per encoder layer with L = 197 tokens, E = 768: projections 4*L*E^2,
    # attention products 2*L^2*E, MLP 2*L*E*3072; head 768*1000.
    L, E = 197, 768
    per_layer = 4 * L * E * E + 2 * L * L * E + 2 * L * E * 3072
    assert totals("vit_b_16").macs == 768 * 3 * 256 * 196 + 12 * per_layer + 768 * 1000 == 17_563_828_224


@pytest.mark.parametrize("name,published_millions", [("vit_b_16", 86), ("vit_h_14", 632)])
def test_vit_paper_table_1_parameter_counts(name, published_millions):
    # Dosovitskiy et al., ICLR 2021, Table 1: ViT-Base 86M, ViT-Huge 632M (whole millions, rounded down).
    # ViT-Large is listed at 307M; torchvision's vit_l_16 has 304,326,632 and the table gives no breakdown, so
    # that row is not asserted (see README).
    assert totals(name).params // 1_000_000 == published_millions


# ------------------------------------------------------------------------------- text transformers


def test_gpt2_small_has_124_439_808_parameters_with_its_tied_output_projection():
    # Radford et al. 2019 (GPT-2, 117M in the paper's Table 2); Hugging Face's gpt2 (n_layer 12, n_embd 768,
    # vocab 50257, n_positions 1024): 124,439,808 parameters, lm_head.weight tied to transformer.wte.weight.
    t = totals("gpt2")
    assert t.params == 124_439_808
    # torchinfo counts the tied matrix twice (its issue #377): 50257 * 768 more.
    graph = load_graph(resolve("gpt2"))
    assert sum(__import__("math").prod(s) for r in analyze(graph).layers for s in r.param_shapes.values()) == \
        124_439_808 + 50257 * 768


def test_bert_base_has_109_482_240_parameters_with_its_pooler():
    # Devlin et al. 2019 (BERT-Base, 110M); Hugging Face bert-base-uncased BertModel: 109,482,240 (pooler included).
    assert totals("bert_base").params == 109_482_240


def test_llama2_7b_has_6_738_415_616_parameters():
    # Touvron et al. 2023 (Llama 2, "7B"); meta-llama/Llama-2-7b-hf: 6,738,415,616 parameters (32 layers, width
    # 4096, 32 heads, FFN 11008, vocab 32000, untied output).
    assert totals("llama2_7b").params == 6_738_415_616


def test_llama2_7b_kv_cache_at_4096_tokens():
    # Per layer per token: keys and values, kv_heads * head_dim = 4096 each -> 2 * 4096 * 32 layers * 4096 tokens
    # * 2 bytes (fp16) = 2 GiB per sequence.
    a = analyze(load_graph(resolve("llama2_7b"), overrides={"seq": 4096}), dtype="fp16")
    assert a.sequence.kv_cache_bytes == 2 * 4096 * 32 * 4096 * 2 == 2 * 2**30
    assert a.sequence.sequence_length == 4096 and a.sequence.tokens == 4096


def test_gpt3_175b_analyses_in_well_under_a_second():
    # Brown et al. 2020, Table 2.1: GPT-3 175B, 96 layers, d_model 12288, 96 heads, context 2048 -> 175B params.
    start = time.perf_counter()
    t = totals("gpt3_175b")
    assert time.perf_counter() - start < 1.0
    assert round(t.params / 1e9) == 175


# ------------------------------------------------------------------------------- against torchvision's modules

def _torchvision():
    return pytest.importorskip("torchvision")


def _built(name, **overrides):
    torch = pytest.importorskip("torch")
    from paramcalc.executor import to_torch

    return torch, to_torch(name, **overrides)


def _vit_names(tv_name: str) -> str:
    parts = tv_name.split(".")
    if tv_name == "class_token":
        return "class_token.weight"
    if tv_name == "encoder.pos_embedding":
        return "pos_embedding.weight"
    if parts[0] == "encoder" and parts[1] == "layers":
        i = parts[2].rpartition("_")[2]
        rest = parts[3:]
        if rest[0] == "mlp":
            return f"encoder_layer_{i}_mlp_{rest[1]}.{rest[2]}"
        return f"encoder_layer_{i}_{rest[0]}." + ".".join(rest[1:])
    if parts[0] == "encoder":
        return "ln." + parts[-1]
    if parts[0] == "heads":
        return "head." + parts[-1]
    return tv_name


def _convnext_names(tv_name: str) -> str:
    parts = tv_name.split(".")
    if parts[0] == "classifier":
        return ("classifier_norm." if parts[1] == "0" else "classifier.") + parts[-1]
    stage = int(parts[1])
    if stage == 0:
        return ("stem_conv." if parts[2] == "0" else "stem_norm.") + parts[-1]
    if stage % 2 == 0:
        return f"down{stage // 2 + 1}_" + ("norm." if parts[2] == "0" else "conv.") + parts[-1]
    block = f"stage{stage // 2 + 1}_{parts[2]}_"
    if parts[3] == "layer_scale":
        return block + "layer_scale.weight"
    return block + f"block_{parts[4]}.{parts[5]}"


def _swin_names(tv_name: str) -> str:
    parts = tv_name.split(".")
    if parts[0] in ("norm", "head"):
        return tv_name
    stage = int(parts[1])
    if stage == 0:
        return ("patch_embed." if parts[2] == "0" else "patch_norm.") + parts[-1]
    if stage % 2 == 0:
        return f"merge{stage // 2 + 1}.{parts[2]}.{parts[3]}"
    j = int(parts[2])
    group = f"stage{stage // 2 + 1}_" + (f"{j // 2}_" if stage == 5 else "")
    block = group + ("regular_" if j % 2 == 0 else "shifted_")
    rest = parts[3:]
    if rest[0] == "mlp":
        return block + f"mlp_{rest[1]}.{rest[2]}"
    return block + rest[0] + "." + ".".join(rest[1:])


def _same_module(torch, reference, ours, rename, x):
    """Every tensor of the reference by name and shape in ours; then the reference's weights copied into ours
    give the same output."""
    theirs = dict(reference.named_parameters()) | dict(reference.named_buffers())
    mine = dict(ours.named_parameters()) | dict(ours.named_buffers())
    mapped = {rename(n): t for n, t in theirs.items()}
    assert {n: tuple(t.shape) for n, t in mapped.items()} == {n: tuple(t.shape) for n, t in mine.items()}
    buffers = {rename(n) for n, _ in reference.named_buffers()}
    with torch.no_grad():
        for name, tensor in mapped.items():
            if name in buffers:  # computed, not learnt: Swin's index, Swin V2's log-spaced coordinates
                torch.testing.assert_close(mine[name], tensor, msg=name)
            else:
                mine[name].copy_(tensor)
    reference.eval()
    ours.eval()
    with torch.no_grad():
        torch.testing.assert_close(ours(x), reference(x), rtol=1e-4, atol=1e-4)


def test_vit_matches_torchvisions_vision_transformer():
    tv = _torchvision()
    from torchvision.models.vision_transformer import VisionTransformer

    torch, ours = _built("vit_b_16", res=32, patch=8, width=64, depth=2, heads=4, mlp=96, classes=10)
    reference = VisionTransformer(image_size=32, patch_size=8, num_layers=2, num_heads=4, hidden_dim=64,
                                  mlp_dim=96, num_classes=10)
    assert tv is not None
    _same_module(torch, reference, ours, _vit_names, torch.randn(2, 3, 32, 32))


def test_convnext_tiny_matches_torchvisions():
    tv = _torchvision()
    torch, ours = _built("convnext_tiny", res=32, classes=10)
    reference = tv.models.convnext_tiny(num_classes=10)
    for module in reference.modules():  # torchvision starts layer scale at 1e-6; make the blocks matter
        if hasattr(module, "layer_scale"):
            module.layer_scale.data.fill_(0.5)
    _same_module(torch, reference, ours, _convnext_names, torch.randn(2, 3, 32, 32))


def test_swin_t_matches_torchvisions_with_padding_and_shifts():
    # At 64x64 the stages are 16, 8, 4 and 2 tokens wide: 16 and 8 are padded to whole 7-windows and shifted,
    # 4 and 2 fit in one window, where torchvision drops the shift.
    tv = _torchvision()
    torch, ours = _built("swin_t", res=64, classes=10)
    reference = tv.models.swin_t(num_classes=10)
    _same_module(torch, reference, ours, _swin_names, torch.randn(2, 3, 64, 64))


def test_swin_v2_t_matches_torchvisions():
    # 64x64: 16 tokens pad to 24 (three 8-windows) and shift by 4; the later stages fit one window (no shift).
    tv = _torchvision()
    torch, ours = _built("swin_v2_t", res=64, classes=10)
    reference = tv.models.swin_v2_t(num_classes=10)
    with torch.no_grad():  # torchvision zeroes the key bias at init; give every bias a value so holding it matters
        for p in reference.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    _same_module(torch, reference, ours, _swin_names, torch.randn(2, 3, 64, 64))


# ------------------------------------------------------------------------------- other tools' counts

# Measured with the tools themselves on torchvision 0.29.1's models (torch 2.14.1, CPU, eval(), batch 1,
# 3x224x224, random weights): fvcore 0.1.5.post20221221 FlopCountAnalysis(...).total(); thop 0.1.1-2209072238
# profile(); ptflops 0.7.5 get_model_complexity_info(backend='pytorch'); torch.utils.flop_counter.FlopCounterMode
# (ViT with gradients on; Swin and ConvNeXt under no_grad, where nothing differs for them).
PEER_COUNTS = {
    "vit_b_16": {"fvcore": 16_867_412_736, "thop": 11_286_254_592, "ptflops": 17_606_030_584,
                 "flopcounter": 33_697_001_472},
    "swin_t": {"fvcore": 4_509_232_128, "thop": 2_978_099_712, "ptflops": 3_128_183_416,
               "flopcounter": 8_981_133_312},
    "convnext_tiny": {"fvcore": 4_470_437_376, "thop": 4_464_149_760, "ptflops": 4_488_347_368,
                      "flopcounter": 8_911_062_528},
}


@pytest.mark.parametrize("name,tool", [(n, t) for n, tools in PEER_COUNTS.items() for t in tools])
def test_conventions_reproduce_what_the_tools_count_for_attention_and_layer_norms(name, tool):
    # What differs: fvcore skips nn.MultiheadAttention's scaled_dot_product_attention but counts Swin's matmuls;
    # thop counts no attention layer at all (no counter for MultiheadAttention, Swin's projections are functional)
    # nor ConvNeXt's LayerNorm2d (a subclass); ptflops' MultiheadAttention hook counts projections, products, q's
    # scaling and the softmax, but no hook sees Swin's functional projections.
    from paramcalc import conventions

    assert conventions.apply(analyze(load_graph(resolve(name))), tool).compute == PEER_COUNTS[name][tool]
