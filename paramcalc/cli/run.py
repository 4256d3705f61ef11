"""`paramcalc run`: build the architecture in PyTorch, verify the engine against it, and time it."""

from __future__ import annotations

import click

from .common import complete_target, parse_sets


@click.command(short_help="Build it in PyTorch, verify the engine against it, and time it.")
@click.argument("target", metavar="FILE_OR_NAME", shell_complete=complete_target)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where to run: auto takes the GPU when CUDA is available.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True, help="Samples per iteration.")
@click.option("--dtype", type=click.Choice(["fp32", "fp16", "bf16"]), default="fp32", show_default=True,
              help="Element type of weights and data.")
@click.option("--train", is_flag=True, help="Time training steps (forward + backward) instead of inference.")
@click.option("--compile", "compile_", is_flag=True, help="Run the module through torch.compile first.")
@click.option("--channels-last", is_flag=True, help="Channels-last memory format for weights and inputs.")
@click.option("--warmup", type=click.IntRange(min=0), default=10, show_default=True,
              help="Untimed iterations before timing.")
@click.option("--iters", type=click.IntRange(min=1), default=50, show_default=True, help="Timed iterations.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Output format; json is machine-readable.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Give a symbol a value (128, 0.75, 3/4); repeatable. Every symbol needs a value.")
def run(target, device, batch, dtype, train, compile_, channels_last, warmup, iters, fmt, sets):
    """Run an architecture in PyTorch with random weights: verify every layer against the engine, then report
    latency (median, p90), throughput, peak memory and achieved TFLOP/s (and, on a known GPU, the share of its peak).

    Needs PyTorch: pip install torch (or pip install '.[torch]' from a paramcalc checkout).

    \b
    Examples:
      paramcalc run alexnet --device cpu --iters 20
      paramcalc run resnet_basic --set c=64 --batch 8 --format json
      paramcalc run resnet50 --device cuda --dtype bf16 --batch 256 --channels-last --compile
    """
    from ..executor import require_torch

    require_torch()
    from ..executor.measure import measure
    from ..render import runout

    result = measure(target, overrides=parse_sets(sets), device=device, batch=batch, dtype=dtype, train=train,
                     compile=compile_, channels_last=channels_last, warmup=warmup, iters=iters,
                     progress=runout.progress_bars())
    if fmt == "json":
        click.echo(runout.to_json(result))
    else:
        runout.render(result)
