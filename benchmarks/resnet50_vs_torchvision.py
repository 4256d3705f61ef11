"""ResNet-50 built by paramcalc from YAML vs torchvision's own resnet50: latency ratio and predicted vs measured memory.

The paramcalc module adds nothing to the network: the ratio of median latencies should be 1.00 within noise. Both
models run on the same device, batch and dtype, with random weights, in eval mode without gradients, timed by the
same code as `paramcalc run` (CUDA events on a GPU, perf_counter on the CPU), alternating in rounds so that drift
of a shared machine hits both alike.

    python benchmarks/resnet50_vs_torchvision.py --device cuda --batch 64 --dtype bf16
    python benchmarks/resnet50_vs_torchvision.py --device cpu --batch 1 --iters 10 --rounds 3

Needs torch and torchvision (exit 2 with a message when either is missing), and the architecture file
(--arch, default: the bundled resnet50).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout without installing

TORCHVISION_RESNET50_PARAMS = 25_557_032  # torchvision ResNet50_Weights.IMAGENET1K_V1.meta["num_params"]


def fail(message: str) -> None:
    print(f"resnet50_vs_torchvision: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="resnet50", help="YAML file or bundled name (default: resnet50)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--dtype", choices=("fp32", "fp16", "bf16"), default="fp32")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--warmup", type=int, default=5, help="untimed iterations per model before each round")
    parser.add_argument("--iters", type=int, default=20, help="timed iterations per model and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, alternating the two models")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        fail("PyTorch is not installed: pip install torch torchvision")
    try:
        import torchvision
    except ImportError:
        fail(f"torchvision is not installed; this benchmark compares against torchvision.models.resnet50. Install "
             f"the torchvision release built for your PyTorch {torch.__version__} (e.g. torch 2.14.1 goes with "
             f"torchvision 0.29.1): pip install torchvision")
    from paramcalc.errors import ParamcalcError
    from paramcalc.executor.build import build
    from paramcalc.executor.measure import (DTYPES, check_dtype, device_name, pick_device, step_function,
                                            time_steps)
    from paramcalc.executor.verify import verify

    try:
        device = pick_device(args.device)
        check_dtype(device, args.dtype)
        with torch.device(device):
            ours = build(args.arch, batch=args.batch, dtype=args.dtype)
    except ParamcalcError as e:
        fail(str(e))
    dtype = DTYPES[args.dtype]
    theirs = torchvision.models.resnet50(weights=None).to(device)
    ours.to(dtype=dtype).eval()
    theirs.to(dtype=dtype).eval()
    verify(ours, device=device, dtype=dtype)
    analysis = ours.analysis
    ours_params = sum(p.numel() for p in ours.parameters())
    theirs_params = sum(p.numel() for p in theirs.parameters())
    if ours_params != theirs_params:
        fail(f"{analysis.file} has {ours_params:,} parameters but torchvision's resnet50 has {theirs_params:,}: "
             f"not the same network")

    (x,) = ours.random_inputs(device=device, dtype=dtype)
    if args.channels_last:
        ours.to(memory_format=torch.channels_last)
        theirs.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    models = {"paramcalc": ours, "torchvision": theirs}
    steps = {name: step_function(m, m, (x,), False) for name, m in models.items()}
    times = {name: [] for name in models}
    memory = {}
    for _ in range(args.rounds):
        for name, step in steps.items():
            seconds, baseline, peak, kind = time_steps(step, device, warmup=args.warmup, iters=args.iters)
            times[name] += seconds
            memory[name] = max(memory.get(name, 0), peak - baseline)
            memory_kind = kind

    medians = {name: statistics.median(t) for name, t in times.items()}
    weight_bytes = {name: sum(t.numel() * t.element_size() for t in list(m.parameters()) + list(m.buffers())
                              if t.is_floating_point()) for name, m in models.items()}
    result = {
        "device": device.type, "device_name": device_name(device), "torch": torch.__version__,
        "torchvision": torchvision.__version__, "batch": args.batch, "dtype": args.dtype,
        "channels_last": args.channels_last, "iterations_per_model": args.rounds * args.iters,
        "median_ms": {name: 1e3 * m for name, m in medians.items()},
        "p90_ms": {name: 1e3 * statistics.quantiles(t, n=10)[-1] if len(t) > 1 else 1e3 * t[0]
                   for name, t in times.items()},
        "min_ms": {name: 1e3 * min(t) for name, t in times.items()},
        "latency_ratio": medians["paramcalc"] / medians["torchvision"],
        "min_latency_ratio": min(times["paramcalc"]) / min(times["torchvision"]),
        "params": {"engine": analysis.totals.params, "paramcalc_module": ours_params, "torchvision": theirs_params},
        "memory": {
            "predicted_weight_bytes": analysis.totals.weight_bytes,
            "weight_bytes": weight_bytes,
            "predicted_peak_activation_bytes": analysis.totals.peak_activation_bytes,
            "measured_growth_during_timing_bytes": memory,
            "measured_kind": memory_kind + ", minus what was in use before timing",
        },
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    mib = 2 ** 20
    print(f"ResNet-50: paramcalc ({analysis.file}) vs torchvision {torchvision.__version__}")
    print(f"device {result['device']}: {result['device_name']}; torch {torch.__version__}; batch {args.batch}, "
          f"{args.dtype}{', channels-last' if args.channels_last else ''}; "
          f"{result['iterations_per_model']} timed iterations per model in {args.rounds} alternating rounds")
    print(f"parameters: engine {analysis.totals.params:,}, paramcalc module {ours_params:,}, "
          f"torchvision {theirs_params:,} (published: {TORCHVISION_RESNET50_PARAMS:,})")
    for name in models:
        print(f"{name:12s} median {result['median_ms'][name]:9.3f} ms   p90 {result['p90_ms'][name]:9.3f} ms   "
              f"min {result['min_ms'][name]:9.3f} ms   {args.batch / medians[name]:10.1f} samples/s")
    print(f"latency ratio paramcalc / torchvision: {result['latency_ratio']:.3f} (medians), "
          f"{result['min_latency_ratio']:.3f} (fastest iterations: the steadier figure on a shared machine)")
    print(f"weights: engine predicts {analysis.totals.weight_bytes / mib:.1f} MiB; measured "
          + ", ".join(f"{n} {b / mib:.1f} MiB" for n, b in weight_bytes.items()))
    print(f"peak activations: engine predicts {analysis.totals.peak_activation_bytes / mib:.1f} MiB; measured growth "
          + ", ".join(f"{n} {b / mib:.1f} MiB" for n, b in memory.items()) + f" ({result['memory']['measured_kind']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
