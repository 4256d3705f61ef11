"""The golden-output cases of `show`, `compare` and `sweep` over every bundled architecture, and their writer.

`python tests/render_golden.py --overwrite` (from the repository root) regenerates tests/golden/ from the current
code; tests/test_render_golden.py compares the CLI's output with those files. Regenerate only when a change of output
is intended, and say in the commit why the diff is right. The files are gzip-compressed (mtime 0, so the bytes are
stable) to keep the folder small; the test prints a unified diff when one differs.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
ARCH = ROOT / "architectures"

# Symbols with no default: the sweep varies the first of these and fixes the others.
FREE_SYMBOLS = {
    "conv_1x1_fc": ("c", ("n", "H", "W")), "dense_fc": ("c", ("n",)),
    "depthwise_separable": ("M", ("N", "H")), "standard_conv": ("M", ("N", "H")),
    "inception_naive": ("c", ()), "inception_reduced": ("c", ("r",)), "resnet_basic": ("c", ()),
    "resnet_bottleneck": ("c", ()), "vgg_one_5x5": ("c", ()), "vgg_one_7x7": ("c", ()),
    "vgg_three_3x3": ("c", ()), "vgg_two_3x3": ("c", ()),
}
# The symbol swept for the other architectures, from its default to twice the default.
SWEPT = {
    "alexnet": ("res", 224), "densenet121": ("res", 224), "densenet169": ("res", 224), "densenet201": ("res", 224),
    "faster_rcnn_rpn_vgg16": ("k", 9), "fcn32s_vgg16": ("classes", 21), "googlenet": ("res", 224),
    "inception_v3": ("res", 299), "mobilenet_v1": ("res", 224), "mobilenet_v2": ("res", 224),
    "preresnet1001_cifar": ("n", 111), "resnet101": ("res", 224), "resnet101_v1": ("res", 224),
    "resnet152": ("res", 224), "resnet152_v1": ("res", 224), "resnet18": ("res", 224), "resnet34": ("res", 224),
    "resnet50": ("res", 224), "resnet50_keras": ("res", 224), "resnet50_v1": ("res", 224),
    "resnext50_32x4d": ("res", 224), "squeezenet1_0": ("res", 224), "squeezenet1_1": ("res", 224),
    "ssd300_vgg16": ("classes", 91), "unet": ("classes", 2), "vgg11": ("res", 224), "vgg11_bn": ("res", 224),
    "vgg13": ("res", 224), "vgg13_bn": ("res", 224), "vgg16": ("res", 224), "vgg16_bn": ("res", 224),
    "vgg19": ("res", 224), "vgg19_bn": ("res", 224), "wide_resnet50_2": ("res", 224), "yolo_v1": ("C", 20),
}
# Sweeps that substitute into one symbolic analysis (the default method); the others re-run the concrete engine,
# which keeps the suite fast (a symbolic analysis costs seconds on the big networks).
SYMBOLIC_SWEEPS = {"alexnet", "resnet50", "vgg16", "unet", "yolo_v1", "fcn32s_vgg16", *FREE_SYMBOLS}


def names() -> list[str]:
    return sorted(p.stem for p in ARCH.glob("*.yaml"))


def sweep_args(name: str) -> list[str] | None:
    if name in FREE_SYMBOLS:
        swept, fixed = FREE_SYMBOLS[name]
        args = ["--set", f"{swept}=16,32,64"] + [a for f in fixed for a in ("--fix", f"{f}=8")]
    elif name in SWEPT:
        symbol, default = SWEPT[name]
        args = ["--set", f"{symbol}={default},{2 * default}"]
    else:
        return None  # no symbols to sweep
    return args + ([] if name in SYMBOLIC_SWEEPS else ["--method", "concrete"])


# Pairs compared beyond the neighbour pairs: stages, layers, conventions, markdown and JSON.
PAIRS = [
    ("resnet50", "resnet101", "--by", "stage"),
    ("resnet50", "resnet50_v1", "--convention", "thop"),
    ("vgg16", "vgg16_bn", "--by", "layer"),
    ("alexnet", "alexnet2012", "--by", "layer", "--format", "markdown"),
    ("resnet50", "resnet101", "--by", "stage", "--format", "markdown"),
    ("resnet50", "resnet101", "--by", "stage", "--format", "json"),
    ("vgg_one_5x5", "vgg_two_3x3", "--set", "c=128"),
    ("vgg_one_5x5", "vgg_two_3x3", "vgg_three_3x3"),
    ("resnet_bottleneck#bottleneck", "resnet_basic#basic", "--set", "c=64", "--format", "markdown"),
    ("densenet121", "densenet201", "--by", "stage", "--depth", "1"),
]


def cases() -> list[tuple[str, list[str]]]:
    """(golden file stem, CLI arguments) for every case."""
    out = []
    all_names = names()
    for name in all_names:
        for fmt, ext in (("table", "txt"), ("json", "json"), ("markdown", "md"), ("csv", "csv")):
            out.append((f"show/{name}.{ext}", ["show", name, "--format", fmt]))
    for name in ("alexnet", "resnet50", "googlenet", "mobilenet_v2", "vgg16_bn"):
        for fmt, ext in (("table", "txt"), ("json", "json"), ("markdown", "md"), ("csv", "csv")):
            out.append((f"show-extra/{name}.thop-breakdown.{ext}",
                        ["show", name, "--convention", "thop", "--breakdown", "--format", fmt]))
        out.append((f"show-extra/{name}.fvcore.txt", ["show", name, "--convention", "fvcore"]))
        out.append((f"show-extra/{name}.depth1.txt", ["show", name, "--depth", "1"]))
        out.append((f"show-extra/{name}.depth1.md", ["show", name, "--depth", "1", "--format", "markdown"]))
    out.append(("show-extra/vgg_two_3x3.symbolic.txt", ["show", "vgg_two_3x3"]))
    out.append(("show-extra/resnet50.symbolic.txt", ["show", "resnet50", "--symbolic"]))
    out.append(("show-extra/resnet50.symbolic.md", ["show", "resnet50", "--symbolic", "--format", "markdown"]))
    # compare: every architecture beside its neighbour in name order (the last beside the first), by stage
    for a, b in zip(all_names, all_names[1:] + all_names[:1]):
        out.append((f"compare/{a}--{b}.txt", ["compare", a, b, "--by", "stage"]))
    for i, pair in enumerate(PAIRS):
        fmt = pair[pair.index("--format") + 1] if "--format" in pair else "table"
        ext = {"table": "txt", "markdown": "md", "json": "json"}[fmt]
        out.append((f"compare-pairs/{i:02d}-{pair[0].split('#')[0]}--{pair[1].split('#')[0]}.{ext}",
                    ["compare", *pair]))
    for name in all_names:
        args = sweep_args(name)
        if args is None:
            continue
        out.append((f"sweep/{name}.txt", ["sweep", name, *args]))
        out.append((f"sweep/{name}.csv", ["sweep", name, *args, "--format", "csv"]))
        out.append((f"sweep/{name}.json", ["sweep", name, *args, "--format", "json"]))
    return out


def run(args: list[str]) -> str:
    """The CLI's stdout (not a terminal, so no colour), its exit code and stderr appended when either is unusual;
    the checkout's path replaced by <root> so the files do not depend on where the repository lies."""
    from click.testing import CliRunner

    from paramcalc.cli import main

    r = CliRunner().invoke(main, args, env={"COLUMNS": None})  # the pipe width (200), whatever the shell exports
    text = r.stdout
    if r.exit_code != 0:
        text += f"\n[exit {r.exit_code}]\n{r.stderr}"
    return text.replace(str(ROOT), "<root>")


def path(stem: str) -> Path:
    return GOLDEN / (stem + ".gz")


def read(stem: str) -> str:
    return gzip.decompress(path(stem).read_bytes()).decode("utf-8")


def write(stem: str, text: str) -> None:
    p = path(stem)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))


def main(argv: list[str]) -> int:
    if "--overwrite" not in argv:
        print("usage: python tests/render_golden.py --overwrite [STEM_SUBSTRING ...]", file=sys.stderr)
        return 2
    only = [a for a in argv if a != "--overwrite"]
    wanted = {stem for stem, _ in cases() if not only or any(o in stem for o in only)}
    if not only:  # a full regeneration also removes files of cases that no longer exist
        for old in GOLDEN.rglob("*.gz"):
            if str(old.relative_to(GOLDEN))[:-3] not in wanted:
                old.unlink()
    for stem, args in cases():
        if stem in wanted:
            write(stem, run(args))
    print(f"wrote {len(wanted)} golden files under {GOLDEN.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
