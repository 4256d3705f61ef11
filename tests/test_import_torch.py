"""paramcalc import torch: models defined here (torchvision is not installable beside CI's torch) are imported,
and PyTorch itself is the oracle: its parameter count, its state_dict loaded into to_torch(yaml), its outputs and
torch.utils.flop_counter's multiply-adds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from click.testing import CliRunner  # noqa: E402

from paramcalc.cli import main  # noqa: E402
from paramcalc.importers.model import ImportError_  # noqa: E402
from paramcalc.importers.pipeline import import_torch  # noqa: E402
from paramcalc.importers.proof import analyse_text  # noqa: E402

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent


# --------------------------------------------------------------------------------------------- the models


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + identity)


class ResNetLike(nn.Module):
    """torchvision's ResNet shape in small: stem, two stages of a repeated block class, pooling, classifier."""

    def __init__(self, num_classes=10, width=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.layer1 = nn.Sequential(*[BasicBlock(width, width) for _ in range(3)])
        self.layer2 = nn.Sequential(BasicBlock(width, 2 * width, 2), BasicBlock(2 * width, 2 * width))
        self.fc = nn.Linear(2 * width, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class DenseLayer(nn.Module):
    def __init__(self, cin, growth):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        self.conv = nn.Conv2d(cin, growth, 3, padding=1, bias=False)

    def forward(self, x):
        return torch.cat([x, self.conv(F.relu(self.norm(x)))], 1)


class DenseNetLike(nn.Module):
    """DenseNet's concatenation of every layer's features, with a transition (avg-pool) between two blocks."""

    def __init__(self, growth=4):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.block1 = nn.Sequential(DenseLayer(8, growth), DenseLayer(8 + growth, growth))
        self.transition = nn.Sequential(nn.BatchNorm2d(8 + 2 * growth), nn.ReLU(), nn.Conv2d(8 + 2 * growth, 8, 1),
                                        nn.AvgPool2d(2))
        self.block2 = nn.Sequential(DenseLayer(8, growth), DenseLayer(8 + growth, growth))
        self.classifier = nn.Linear(8 + 2 * growth, 5)

    def forward(self, x):
        x = self.block2(self.transition(self.block1(self.stem(x))))
        return self.classifier(x.mean((2, 3)))


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6(inplace=True),
            nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
            nn.ReLU6(inplace=True), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2Like(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(inplace=True),
            InvertedResidual(8, 8, 1, 4), InvertedResidual(8, 12, 2, 4), InvertedResidual(12, 12, 1, 4))
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(12, 7))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, (1, 1)).view(x.size(0), -1)
        return self.classifier(x)


class Functional(nn.Module):
    """The functional vocabulary: F.relu, torch.cat, x + y, x * y, x.flatten(1), x.mean, reshape."""

    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 6, 3, padding=1)
        self.b = nn.Conv2d(3, 6, 3, padding=1)
        self.head = nn.Linear(12 * 4 * 4, 3)

    def forward(self, x):
        a, b = F.relu(self.a(x)), torch.sigmoid(self.b(x))
        y = torch.cat([a + b, a * b], dim=1)
        y = F.max_pool2d(y, 2)
        y = y.reshape(y.shape[0], 12, 4, 4)
        return self.head(y.flatten(1))


class Untraceable(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        if x.sum() > 0:  # data-dependent control flow
            return self.conv(x)
        return x


class Rolling(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        x = torch.roll(self.conv(x), 1, dims=2)
        x = torch.cumsum(x, dim=3)
        return self.fc(x.mean((2, 3)))


class UnusedHead(nn.Module):
    """Like Inception v3's auxiliary classifier: parameters the inference forward pass never uses."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.aux = nn.Sequential(nn.Conv2d(4, 4, 1), nn.Linear(4, 2))

    def forward(self, x):
        return self.conv(x)


class ConvNeXtLikeBlock(nn.Module):
    """ConvNeXt's block in small: depthwise conv, channels-last LayerNorm between permutes, an MLP on the last axis,
    a learnt layer scale multiplied in (an nn.Parameter read directly: fx get_attr), a residual add."""

    def __init__(self, dim=8):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), 1e-1))

    def forward(self, x):
        y = self.dwconv(x).permute(0, 2, 3, 1)
        y = self.fc2(F.gelu(self.fc1(self.norm(y))))
        y = torch.permute(y, (0, 3, 1, 2))
        return self.layer_scale * y + x


class ConvNeXtLike(nn.Module):
    def __init__(self, dim=8, num_classes=5):
        super().__init__()
        self.stem = nn.Conv2d(3, dim, 4, 4)
        self.stages = nn.Sequential(ConvNeXtLikeBlock(dim), ConvNeXtLikeBlock(dim))
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(x.mean((2, 3)))


class ShuffleUnit(nn.Module):
    """ShuffleNetV2's stride-1 unit: chunk the channels in two, transform one half, concatenate, shuffle the
    channels by view / transpose / view."""

    def __init__(self, c=8):
        super().__init__()
        half = c // 2
        self.branch2 = nn.Sequential(nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
                                     nn.Conv2d(half, half, 3, 1, 1, groups=half, bias=False), nn.BatchNorm2d(half))

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        out = torch.cat((x1, self.branch2(x2)), dim=1)
        b, c, h, w = out.size()
        out = out.view(b, 2, c // 2, h, w)
        out = torch.transpose(out, 1, 2).contiguous()
        return out.view(b, -1, h, w)


class ShuffleNetLike(nn.Module):
    def __init__(self, c=8, num_classes=5):
        super().__init__()
        self.conv1 = nn.Conv2d(3, c, 3, 2, 1)
        self.stage2 = nn.Sequential(ShuffleUnit(c), ShuffleUnit(c))
        self.fc = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.fc(self.stage2(self.conv1(x)).mean([2, 3]))


class ViTLike(nn.Module):
    """ViT in small: patch embedding, a class token expanded over the batch and concatenated, a position embedding
    added, one pre-norm encoder layer with nn.MultiheadAttention, the class token's output (x[:, 0]) classified."""

    def __init__(self, dim=16, heads=2, patch=8, tokens=16, num_classes=5):
        super().__init__()
        self.conv_proj = nn.Conv2d(3, dim, patch, patch)
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embedding = nn.Parameter(torch.zeros(1, tokens + 1, dim))
        self.ln_1 = nn.LayerNorm(dim)
        self.self_attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, num_classes)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).permute(0, 2, 1)
        x = torch.cat([self.class_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embedding
        y = self.ln_1(x)
        y, _ = self.self_attention(y, y, y, need_weights=False)
        return self.head(self.ln(x + y)[:, 0])


def not_a_module():
    return 42


def target(name):
    return f"{HERE}:{name}"


def _import(name, shape=(3, 32, 32), **kw):
    return import_torch(target(name), input_shapes=[shape], file=f"{name}.yaml", **kw)


def _macs_by_flop_counter(model, shape):
    """PyTorch's own count: FlopCounterMode's FLOPs are 2 per multiply-add of conv and linear layers."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        model(torch.randn(1, *shape))
    return counter.get_total_flops() // 2


# --------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("cls", [ResNetLike, DenseNetLike, MobileNetV2Like, Functional])
def test_imported_model_has_torchs_parameters_and_multiply_adds(cls):
    shape = (3, 8, 8) if cls is Functional else (3, 32, 32)
    result = _import(cls.__name__, shape)
    analysis = analyse_text(result.text, "x.yaml")
    model = cls().eval()
    assert analysis.totals.params == sum(p.numel() for p in model.parameters())
    assert analysis.totals.macs == _macs_by_flop_counter(model, shape)
    assert result.proof.outputs_compared and result.proof.max_difference <= 1e-5


def test_state_dict_of_the_source_loads_into_to_torch_of_the_yaml_and_outputs_agree(tmp_path):
    import paramcalc

    path = tmp_path / "resnet_like.yaml"
    path.write_text(_import("ResNetLike").text)
    original = ResNetLike().eval()
    for t in original.state_dict().values():
        if t.is_floating_point():
            t.copy_(torch.rand_like(t) + 0.5)
    rebuilt = paramcalc.to_torch(str(path)).eval()
    rebuilt.load_state_dict(original.state_dict())  # keys by module path, no mapping
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(rebuilt(x), original(x), rtol=1e-5, atol=1e-5)


def test_a_class_used_many_times_is_one_block_and_a_run_of_identical_instances_a_repeat():
    text = _import("ResNetLike").text
    # layer1 is three identical BasicBlocks: one entry with repeat; layer2's two blocks differ (a downsample).
    assert re.search(r"\{name: layer1, type: basic_block, .*repeat: 3\}", text), text
    assert "layer2_0" in text and "layer2_1" in text
    blocks = re.findall(r"^  (\w+):  # BasicBlock", text, re.M)
    assert len(blocks) == 2  # with and without the projection shortcut
    assert "source: imported from PyTorch" in text


def test_differing_attributes_become_arguments_with_multiples_spelled_as_expressions():
    text = _import("MobileNetV2Like").text
    # The projection has a quarter of the expansion's channels in every instance (expansion 4): one argument,
    # the other size an expression of it.
    block = text.split("inverted_residual")[1]
    assert "args: {out: null}" in block
    assert "{name: conv_6, type: conv, out: out//4, kernel: 1, bias: false}" in block, text


def test_symbolic_input_makes_height_and_width_symbols():
    result = _import("ResNetLike", symbolic_input=True)
    assert "symbols: {H: 32, W: 32}" in result.text and "input: [3, H, W]" in result.text
    from paramcalc.engine import analyze
    from paramcalc.graph import build_graph
    from paramcalc.spec import load_text

    symbolic = analyze(build_graph(load_text(result.text, "s.yaml"), "s.yaml", symbolic=True))
    assert str(symbolic.totals.params) == str(sum(p.numel() for p in ResNetLike().parameters()))
    assert "H" in str(symbolic.totals.macs)
    at_64 = analyze(build_graph(load_text(result.text, "s.yaml"), "s.yaml", overrides={"H": 64, "W": 64}))
    assert at_64.totals.macs == _macs_by_flop_counter(ResNetLike().eval(), (3, 64, 64))


def test_unmapped_operations_are_one_error_naming_op_module_path_and_line():
    with pytest.raises(ImportError_) as e:
        _import("Rolling")
    message = str(e.value)
    line = next(i for i, l in enumerate(HERE.read_text().splitlines(), 1) if "torch.roll(self.conv(x)" in l)
    assert "torch.roll" in message and f"test_import_torch.py:{line}" in message
    assert "2 unmapped operations in all (torch.cumsum, torch.roll)" in message
    assert "\n" not in message


def test_opaque_keeps_unmapped_operations_as_nodes_whose_cost_every_report_marks_unknown(tmp_path):
    result = _import("Rolling", opaque=True)
    assert result.text.count("type: opaque") == 2
    path = tmp_path / "rolling.yaml"
    path.write_text(result.text)
    out = CliRunner().invoke(main, ["show", str(path)])
    assert out.exit_code == 0
    assert "cost unknown" in out.output
    js = CliRunner().invoke(main, ["show", str(path), "--format", "json"])
    assert "cost unknown" in js.output
    budget = CliRunner().invoke(main, ["check", str(path), "--max-macs", "1G"])
    assert budget.exit_code == 2 and "cost of 2 opaque layer(s) is unknown" in budget.output  # never a silent pass


def test_cli_writes_the_file_and_prints_one_line_saying_what_was_verified(tmp_path):
    out_file = tmp_path / "m.yaml"
    r = CliRunner().invoke(main, ["import", "torch", target("ResNetLike"), "--input", "3,32,32",
                                  "--kwargs", "num_classes=4", "-o", str(out_file)])
    assert r.exit_code == 0, r.output
    count = sum(p.numel() for p in ResNetLike(num_classes=4).parameters())  # PyTorch's count
    assert r.output.startswith(f"verified {out_file}: {count:,} parameters exactly")
    assert "outputs equal" in r.output and r.output.count("\n") == 1
    assert out_file.read_text().startswith("name: ResNetLike\n")


@pytest.mark.parametrize("args, expected", [
    (["import", "torch", target("Untraceable"), "--input", "3,8,8"], "torch.fx cannot trace"),
    (["import", "torch", target("not_a_module")], "returned a int, not a torch.nn.Module"),
    (["import", "torch", "no_such_package.models:net"], "cannot import 'no_such_package.models'"),
    (["import", "torch", target("NoSuchClass")], "has no attribute 'NoSuchClass'"),
    (["import", "torch", "missing/file.py:Net"], "no such file"),
    (["import", "torch", target("ResNetLike"), "--kwargs", "{bad json"], "--kwargs: not a JSON object"),
    (["import", "torch", target("ResNetLike"), "--input", "3,x"], "--input must be sizes"),
])
def test_bad_input_is_one_line_and_exit_code_2(args, expected):
    proc = subprocess.run([sys.executable, "-m", "paramcalc", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_show_compare_and_check_accept_a_module_callable_target():
    spec = f"{target('ResNetLike')}@3,32,32"
    params = sum(p.numel() for p in ResNetLike().parameters())
    r = CliRunner().invoke(main, ["show", spec, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert f'"params": {params}' in r.output
    r = CliRunner().invoke(main, ["check", spec, "--max-params", str(params - 1)])
    assert r.exit_code == 1 and "over the limit" in r.output
    r = CliRunner().invoke(main, ["compare", spec, f"{target('DenseNetLike')}@3,32,32"])
    assert r.exit_code == 0, r.output


def test_without_torch_the_import_says_which_extra_to_install():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from paramcalc.cli import main\n"
            "main(['import', 'torch', 'x.py:Net'])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2
    assert "pip install torch" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_the_proof_names_the_first_layer_whose_outputs_differ():
    from paramcalc.importers.proof import ProofError, compare_outputs, randomize

    result = _import("ResNetLike")
    # A sigmoid where the source has a ReLU (the first one in the file is in the block, so in every instance):
    # same shapes and tensors, different numbers from the first instance's on.
    tampered = result.text.replace("{name: relu, type: relu}", "{name: relu, type: sigmoid}", 1)
    assert tampered != result.text
    analysis = analyse_text(tampered, "t.yaml")
    model = ResNetLike().eval()
    randomize(model)
    traced = torch.fx.symbolic_trace(model)

    def values(inputs):
        found = {}

        class Recorder(torch.fx.Interpreter):
            def run_node(self, n):
                out = super().run_node(n)
                found[n.name] = out.clone() if isinstance(out, torch.Tensor) else out  # in-place ReLUs follow
                return out

        Recorder(traced).run(*inputs)
        return found

    op_ids = {op.path.replace(".", "_"): op.id for op in result.model.ops}
    with pytest.raises(ProofError, match="outputs differ from the source's .*the first layer that differs is 'layer1.0.relu'"):
        compare_outputs(analysis, model.state_dict(), lambda inputs: model(*inputs), [(3, 32, 32)], "t.yaml",
                        source_values=values, op_ids=op_ids)


def test_parameters_of_modules_the_forward_pass_never_calls_fail_the_proof_by_name():
    from paramcalc.importers.proof import ProofError

    with pytest.raises(ProofError, match=r"112 parameters in the file but 142 in the source; .* never calls: 'aux' "
                                         r"\(30\)"):
        _import("UnusedHead", (3, 8, 8))
    # 112 = conv 4*3*3*3 + 4; aux: 4*4 + 4 and 4*2 + 2 = 30 (PyTorch agrees:)
    assert sum(p.numel() for p in UnusedHead().parameters()) == 142


@pytest.mark.parametrize("cls, types", [
    (ConvNeXtLike, {"permute", "layernorm", "parameter", "multiply"}),
    (ShuffleNetLike, {"split", "channel_shuffle"}),
    (ViTLike, {"parameter", "concat", "attention", "split"}),
])
def test_convnext_shufflenet_and_vit_patterns_import_with_torchs_count_state_dict_and_outputs(cls, types, tmp_path):
    import yaml

    import paramcalc

    result = _import(cls.__name__)
    spec = yaml.safe_load(result.text)
    written = {layer["type"] for body in [spec["layers"]] + [b["layers"] for b in spec.get("blocks", {}).values()]
               for layer in body}
    assert types <= written
    if cls is ShuffleNetLike:
        assert "transpose" not in written and "reshape" not in written  # the shuffle is one layer, not three
    original = cls().eval()
    assert analyse_text(result.text, "x.yaml").totals.params == sum(p.numel() for p in original.parameters())
    path = tmp_path / "m.yaml"
    path.write_text(result.text)
    torch.manual_seed(1)
    for t in original.state_dict().values():
        if t.is_floating_point():
            t.copy_(torch.rand_like(t) + 0.5)
    rebuilt = paramcalc.to_torch(str(path)).eval()
    rebuilt.load_state_dict(original.state_dict())  # layer_scale by its own key, no mapping
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(rebuilt(x), original(x), rtol=1e-5, atol=1e-5)


def test_a_shuffle_whose_view_does_not_regroup_the_channels_is_not_a_channel_shuffle():
    class NotAShuffle(nn.Module):  # transposes height and width of a grouped view: no paramcalc channel_shuffle
        def forward(self, x):
            b, c, h, w = x.size()
            return torch.transpose(x.view(b, 2, c // 2, h, w), 3, 4).contiguous().view(b, c, h, w)

    from paramcalc.importers.torch_fx import match_patterns

    graph = torch.fx.symbolic_trace(NotAShuffle()).graph
    from torch.fx.passes.shape_prop import ShapeProp

    gm = torch.fx.GraphModule(NotAShuffle(), graph)
    ShapeProp(gm).propagate(torch.zeros(2, 4, 3, 5))
    assert match_patterns(gm.graph) == {}
