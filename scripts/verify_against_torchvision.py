"""Build bundled architectures and torchvision's own builders side by side and compare their tensors, layer by layer.

    PYTHONPATH=. /path/to/venv-with-torchvision/bin/python scripts/verify_against_torchvision.py [NAME ...]

For each name (default: every bundled file named after a torchvision builder) both models are built on the meta
device; their parameter and buffer shapes are compared in registration order (names differ: paramcalc names layers
its own way), then the engine's totals against torchvision's published num_params and GFLOPS
(tests/data/torchvision_published.json). Exit 1 on any difference. Needs torchvision, which the tests do not.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paramcalc import analyze_file, load_graph, to_torch  # noqa: E402
from paramcalc.bundled import names, resolve  # noqa: E402

PUBLISHED = json.loads((ROOT / "tests" / "data" / "torchvision_published.json").read_text())["builders"]
# Builder options that make torchvision's model the one its weights were published for.
OPTIONS = {"fcn_resnet50": {"aux_loss": True}, "fcn_resnet101": {"aux_loss": True},
           "deeplabv3_resnet50": {"aux_loss": True}, "deeplabv3_resnet101": {"aux_loss": True},
           "deeplabv3_mobilenet_v3_large": {"aux_loss": True},
           # torchvision drops GoogLeNet's auxiliary heads once its weights are loaded, keeps Inception v3's
           "googlenet": {"aux_logits": False, "init_weights": False}, "inception_v3": {"init_weights": False}}


def _shapes(tensors):
    return [(name, tuple(t.shape)) for name, t in tensors if not name.endswith("num_batches_tracked")]


def verify(name: str) -> list[str]:
    import torch
    import torchvision

    problems = []
    entry = next(w for w in PUBLISHED[name]["weights"] if w["weights"] == PUBLISHED[name]["default"])
    declared = dict(load_graph(resolve(name)).symbols)
    overrides = {key: entry["input"][axis] for key, axis in (("res", -1), ("frames", 1))
                 if entry["input"] and key in declared}
    analysis = analyze_file(name, overrides=overrides)
    backbone = {"weights_backbone": None} if PUBLISHED[name]["module"] in ("segmentation", "detection") else {}
    with torch.device("meta"):
        ours = to_torch(name, verify=False, device="meta", **overrides)
        try:
            theirs = torchvision.models.get_model(name, weights=None, **backbone, **OPTIONS.get(name, {}))
        except NotImplementedError:   # RegNet computes its widths with tensors, which meta tensors cannot give
            theirs = None
    if theirs is None:
        theirs = torchvision.models.get_model(name, weights=None, **backbone, **OPTIONS.get(name, {}))
    for kind, a, b in (("parameter", _shapes(ours.named_parameters()), _shapes(theirs.named_parameters())),
                       ("buffer", _shapes(ours.named_buffers()), _shapes(theirs.named_buffers()))):
        if [s for _, s in a] != [s for _, s in b] and sorted(s for _, s in a) != sorted(s for _, s in b):
            for i, (x, y) in enumerate(zip(a + [("-", None)] * len(b), b + [("-", None)] * len(a))):
                if x[1] != y[1]:
                    problems.append(f"{name}: {kind} {i}: paramcalc {x[0]} {x[1]} vs torchvision {y[0]} {y[1]}")
                    break
            problems.append(f"{name}: {len(a)} {kind}s vs {len(b)} in torchvision")
    params = analysis.totals.params
    macs = analysis.totals.macs
    if params != entry["num_params"]:
        problems.append(f"{name}: params {params:,} vs published {entry['num_params']:,}")
    error = macs / (entry["gflops"] * 1e9) - 1
    if abs(error) >= 0.005 and round(macs / 1e9, 3) != entry["gflops"]:   # 0.5%, or equal at the published 3 decimals
        problems.append(f"{name}: MACs {macs:,} vs published {entry['gflops']} G ({error:+.2%})")
    print(f"{name:34} params {params:>12,} MACs {macs / 1e9:9.3f} G published {entry['gflops']:9.3f} G "
          f"({error:+.3%}) {'OK' if not problems else 'DIFFERS'}", flush=True)
    return problems


def main(argv) -> int:
    chosen = argv or [n for n in names() if n in PUBLISHED]
    problems = [p for name in chosen for p in verify(name)]
    print("\n".join(problems) or f"all {len(chosen)} agree with torchvision")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
