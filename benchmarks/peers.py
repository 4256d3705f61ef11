"""paramcalc against torchinfo, fvcore, ptflops, thop and torchscan: whole process, imports included, same model.

Each round runs, for every network, `paramcalc show NAME` (table), `paramcalc show NAME --format json` and each peer
on `torchvision.models.NAME(weights=None)` at batch 1, every command a fresh process, in a shuffled (interleaved)
order. It prints each tool's median wall time and paramcalc's speed-up over the fastest peer (goals: >= 30x as a
table, >= 50x as JSON). Peers run with --peer-python (a venv with torch, torchvision and the five tools);
paramcalc runs as --paramcalc says: the `paramcalc` command of an installed wheel (what users run), or by default
`--python -m paramcalc` from this checkout, whose .pyc files are written first (a wheel install compiles them too).

    python -m venv /tmp/pc && /tmp/pc/bin/pip install .      # once: paramcalc as users install it
    python benchmarks/peers.py --rounds 3 --repeats 3 --paramcalc /tmp/pc/bin/paramcalc --peer-python /work/tvenv/bin/python
    python benchmarks/peers.py --nets resnet50,densenet201 --rounds 5
    python benchmarks/peers.py --nets all --peers floor --rounds 2 --repeats 3 --paramcalc /tmp/pc/bin/paramcalc

`--peers floor` times, instead of the five tools, what every one of them must do before it counts anything: import
torch and torchvision and build the model (`torchvision.models.get_model(NAME, weights=None)`). No peer can be faster
than that, so paramcalc's speed-up over the floor is a lower bound of its speed-up over the fastest peer, and it can
be measured on every bundled torchvision network (`--nets all`: detection, segmentation and video models too, whose
inputs the five tools' one-line calls below do not all accept) in a fifth of the time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every bundled architecture that torchvision also defines (same name in both), with its input resolution.
NETS = {
    "alexnet": 224, "vgg11": 224, "vgg11_bn": 224, "vgg13": 224, "vgg13_bn": 224, "vgg16": 224, "vgg16_bn": 224,
    "vgg19": 224, "vgg19_bn": 224, "resnet18": 224, "resnet34": 224, "resnet50": 224, "resnet101": 224,
    "resnet152": 224, "resnext50_32x4d": 224, "wide_resnet50_2": 224, "densenet121": 224, "densenet169": 224,
    "densenet201": 224, "googlenet": 224, "inception_v3": 299, "mobilenet_v2": 224, "squeezenet1_0": 224,
    "squeezenet1_1": 224,
}

_MODEL = ("import torch, torchvision\n"
          "kw = {{'aux_logits': False, 'init_weights': False}} if '{net}' in ('googlenet', 'inception_v3') else {{}}\n"
          "m = getattr(torchvision.models, '{net}')(weights=None, **kw).eval()\n"
          "x = torch.randn(1, 3, {res}, {res})\n")

# What each peer is asked to do: the per-layer summary or the count it is known for, as its README shows.
PEERS = {
    "torchinfo": "from torchinfo import summary\nwith torch.no_grad(): print(summary(m, input_data=x, verbose=0))\n",
    "fvcore": ("from fvcore.nn import FlopCountAnalysis, flop_count_table\n"
               "with torch.no_grad(): f = FlopCountAnalysis(m, x); f.unsupported_ops_warnings(False); "
               "f.uncalled_modules_warnings(False); print(flop_count_table(f)); print(f.total())\n"),
    "ptflops": ("from ptflops import get_model_complexity_info\n"
                "with torch.no_grad(): print(get_model_complexity_info(m, (3, {res}, {res}), "
                "print_per_layer_stat=False, as_strings=True))\n"),
    "thop": "from thop import profile\nwith torch.no_grad(): print(profile(m, inputs=(x,), verbose=False))\n",
    "torchscan": "from torchscan import summary\nwith torch.no_grad(): summary(m, (3, {res}, {res}))\n",
}

# The floor under every peer: the imports and the model (no input, no counting). Detection and segmentation builders
# take weights_backbone, which must be None too (else they would download a backbone).
FLOOR = ("import inspect, torch, torchvision\n"
         "build = torchvision.models.get_model_builder('{net}')\n"
         "kw = {{'weights_backbone': None}} if 'weights_backbone' in inspect.signature(build).parameters else {{}}\n"
         "m = build(weights=None, **kw).eval()\n")


def bundled_torchvision_nets(peer_python: str) -> list[str]:
    """Every bundled architecture whose name torchvision's model registry also has."""
    names = subprocess.run([peer_python, "-c", "import torchvision; print(*torchvision.models.list_models())"],
                           capture_output=True, text=True, check=True).stdout.split()
    bundled = {p.stem for p in (ROOT / "architectures").glob("*.yaml")}
    return sorted(n for n in names if n in bundled)


def timed(cmd: list[str], env: dict) -> float:
    start = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, timeout=600)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)[:200]}\n{r.stderr.decode()[-800:]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--nets", default=",".join(NETS),
                    help="comma-separated subset of: " + ", ".join(NETS) + "; or 'all' (every bundled torchvision "
                         "network; only with --peers floor)")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated: " + ", ".join([*PEERS, "floor"]))
    ap.add_argument("--python", default=sys.executable, help="Python that runs paramcalc from this checkout")
    ap.add_argument("--paramcalc", default=None,
                    help="the paramcalc command to time (e.g. an installed wheel's); default: --python -m paramcalc")
    ap.add_argument("--peer-python", default="/work/tvenv/bin/python", help="Python with torchvision and the peers")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1,
                    help="runs of each paramcalc command per round (shuffled among the peers' runs): a 0.15 s process "
                         "is at the mercy of a shared machine's noise far more than a 7 s one")
    args = ap.parse_args()
    peers = [p for p in args.peers.split(",") if p]
    if args.nets == "all":
        if peers != ["floor"]:
            raise SystemExit("--nets all needs --peers floor (the five tools' calls take image inputs only)")
        nets = bundled_torchvision_nets(args.peer_python)
    else:
        nets = [n for n in args.nets.split(",") if n]
    unknown = [n for n in nets if n not in NETS and peers != ["floor"]] + \
        [p for p in peers if p not in PEERS and p != "floor"]
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)}")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("COLUMNS", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH"):  # no import may be recompiled every time
        env.pop(name, None)
    if args.paramcalc:
        paramcalc = [args.paramcalc]
    else:
        paramcalc = [args.python, "-m", "paramcalc"]
        env["PYTHONPATH"] = str(ROOT)
        subprocess.run([args.python, "-m", "compileall", "-q", str(ROOT / "paramcalc")], check=True, env=env)
    rng = random.Random(args.seed)
    times: dict = {}
    for rnd in range(args.rounds):
        for net in nets:
            res = NETS.get(net, 224)
            jobs = [("paramcalc table", [*paramcalc, "show", net]),
                    ("paramcalc json", [*paramcalc, "show", net, "--format", "json"])] * args.repeats
            jobs += [(p, [args.peer_python, "-c", (FLOOR if p == "floor" else _MODEL + PEERS[p]).format(net=net, res=res)])
                     for p in peers]
            rng.shuffle(jobs)
            for tool, cmd in jobs:
                times.setdefault((net, tool), []).append(timed(cmd, env))
        print(f"round {rnd + 1}/{args.rounds} done", file=sys.stderr)
    tools = ["paramcalc table", "paramcalc json", *peers]
    print("| network | " + " | ".join(f"{t} (s)" for t in tools) + " | fastest peer | table x | json x |")
    print("|---|" + "---:|" * (len(tools) + 3))
    worst = {"table": float("inf"), "json": float("inf")}
    for net in nets:
        med = {t: statistics.median(times[(net, t)]) for t in tools}
        fastest = min([p for p in peers if p != "floor"] or peers, key=lambda p: med[p])
        table_x, json_x = med[fastest] / med["paramcalc table"], med[fastest] / med["paramcalc json"]
        worst["table"], worst["json"] = min(worst["table"], table_x), min(worst["json"], json_x)
        print(f"| {net} | " + " | ".join(f"{med[t]:.3f}" for t in tools) +
              f" | {fastest} | {table_x:.0f}x | {json_x:.0f}x |")
    over = "the floor (a lower bound of the speed-up over any peer)" if peers == ["floor"] else "the fastest peer"
    print(f"\nslowest speed-up over {over}: table {worst['table']:.0f}x (goal 30x), "
          f"json {worst['json']:.0f}x (goal 50x); medians of {args.rounds} round(s), paramcalc run "
          f"{args.repeats} time(s) a round, {len(nets)} networks")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
