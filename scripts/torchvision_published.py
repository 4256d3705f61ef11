"""Write tests/data/torchvision_published.json: every torchvision builder's published num_params and GFLOPS.

    /path/to/venv-with-torchvision/bin/python scripts/torchvision_published.py

Reads the `meta` of each weights enum (torchvision/models/**/*.py, `_meta` and the `Weights` entries: `num_params`,
`_ops` = the documented GFLOPS, the eval transform's crop or resize size) of the installed torchvision, for every
builder `torchvision.models.list_models()` knows. This is torchvision's published data, not paramcalc's: the tests
compare the bundled architecture files to it. Run it again only when moving to a newer torchvision.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "torchvision_published.json"
MODULES = ("classification", "quantization", "segmentation", "video", "detection", "optical_flow")
VIDEO_FRAMES = 16   # torchvision's video GFLOPS are for a 16-frame clip (the meta's _ops, e.g. r3d_18 40.697)
# Detection builders whose transform resizes every image to one size, fixed in the builder rather than the meta
# (detection/ssd.py: SSD(..., (300, 300), ...); detection/ssdlite.py: size = (320, 320)).
FIXED_DETECTION_SIZE = {"ssd300_vgg16": 300, "ssdlite320_mobilenet_v3_large": 320}


def _input(name: str, module: str, transform) -> list[int] | None:
    """The input (C, [T,] H, W) the weights' GFLOPS are documented at; None where the meta names no size."""
    keywords = getattr(transform, "keywords", None) or {}
    if module in ("classification", "quantization"):
        side = keywords["crop_size"]
        return [3, side, side]
    if module == "segmentation":                      # the eval transform resizes to 520; GFLOPS at 520x520
        side = keywords["resize_size"]
        return [3, side, side]
    if module == "video":
        height, width = keywords["crop_size"]
        return [3, VIDEO_FRAMES, height, width]
    if name in FIXED_DETECTION_SIZE:
        side = FIXED_DETECTION_SIZE[name]
        return [3, side, side]
    return None                                       # other detection and optical flow: no size recorded


def _dump(data) -> str:
    """JSON with one line per weights entry, so a diff shows which figure changed."""
    lines = ["{", f' "torchvision": {json.dumps(data["torchvision"])},', f' "source": {json.dumps(data["source"])},',
             ' "builders": {']
    names = list(data["builders"])
    for i, name in enumerate(names):
        builder = data["builders"][name]
        lines.append(f'  {json.dumps(name)}: {{"module": {json.dumps(builder["module"])}, '
                     f'"default": {json.dumps(builder["default"])}, "weights": [')
        entries = [f"   {json.dumps(e)}" for e in builder["weights"]]
        lines.append(",\n".join(entries))
        lines.append("  ]}" + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    import torchvision
    from torchvision.models import get_model_weights, list_models

    builders = {}
    for module in MODULES:
        package = torchvision.models if module == "classification" else getattr(torchvision.models, module)
        for name in sorted(list_models(module=package)):
            if name in builders:
                continue
            enum = get_model_weights(name)
            entries = [{"weights": str(w), "num_params": w.meta["num_params"], "gflops": w.meta["_ops"],
                        "input": _input(name, module, w.transforms)} for w in enum]
            builders[name] = {"module": module, "default": str(enum.DEFAULT), "weights": entries}
    data = {"torchvision": torchvision.__version__.split("+")[0],
            "source": "torchvision.models.get_model_weights(name): each entry's meta num_params and _ops "
                      "(GFLOPS, multiply-adds); input from its eval transform (crop, or resize for segmentation; "
                      f"{VIDEO_FRAMES} frames for video; the builder's fixed size for SSD and SSDlite)",
            "builders": builders}
    OUT.write_text(_dump(data))
    print(f"{len(builders)} builders -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
