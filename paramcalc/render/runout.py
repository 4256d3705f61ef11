"""Display of `paramcalc run`: the measurement as a table or JSON, and the progress bar on stderr (no torch here)."""

from __future__ import annotations

import contextlib
import json

from rich.console import Console
from rich.table import Table


def to_json(result: dict) -> str:
    return json.dumps(result, indent=2)


def _bytes(n) -> str:
    if not isinstance(n, (int, float)):
        return str(n)
    for unit, size in (("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if abs(n) >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,} B"


def rows(result: dict) -> list[tuple[str, str]]:
    """(label, value) pairs of the table, in order."""
    lat = result["latency_ms"]
    mem = result["memory"]
    out = [
        ("architecture", f"{result['name']} ({result['file']})"),
        ("device", f"{result['device']}: {result['device_name']}, PyTorch {result['torch_version']}"),
        ("run", f"{result['mode']}, batch {result['batch']}, {result['dtype']}"
                + (", torch.compile" if result["compile"] else "") + (", channels-last" if result["channels_last"] else "")
                + f"; {result['warmup']} warm-up + {result['iters']} timed iterations ({result['timer']})"),
        ("verified", f"{result['verified']['layers']} layers: output shapes, parameters and buffers equal the "
                     f"engine's ({result['verified']['params']:,} parameters)"
         if isinstance(result["verified"]["params"], int) else "all layers"),
        ("latency", f"median {lat['median']:.3f} ms, p90 {lat['p90']:.3f} ms (min {lat['min']:.3f}, "
                    f"max {lat['max']:.3f})"),
        ("throughput", f"{result['throughput_samples_per_s']:,.1f} samples/s"),
        ("compute", f"{result['achieved_tflops']:.3g} TFLOP/s achieved ({result['flops_basis']}: "
                    f"{result['flops_per_iteration']:,} FLOPs per iteration)"
         if isinstance(result["flops_per_iteration"], int) else f"{result['achieved_tflops']:.3g} TFLOP/s"),
    ]
    peak = result.get("peak")
    if peak is not None:
        if peak["dtype_peak_tflops"]:
            text = (f"{100 * peak['share']:.1f}% of the {peak['gpu']}'s dense {result['dtype']} peak "
                    f"({peak['dtype_peak_tflops']:g} TFLOP/s; {peak['source']})")
            if peak.get("tf32_peak_tflops"):
                text += f"; cuDNN may use TF32 tensor cores for fp32 convolutions (peak {peak['tf32_peak_tflops']:g})"
        else:
            text = f"the {peak['gpu']} has no {result['dtype']} peak in its datasheet"
        out.append(("share of peak", text))
    out.append(("memory", f"measured peak {_bytes(mem['measured_peak_bytes'])} ({mem['measured_kind']}; "
                          f"{_bytes(mem['baseline_bytes'])} before timing); engine predicts "
                          f"{_bytes(mem['predicted_bytes'])} ({mem['predicted_basis']})"))
    return out


def render(result: dict, console: Console | None = None) -> None:
    from .table import make_console

    console = console or make_console()
    table = Table(title=f"paramcalc run: {result['name']}", title_justify="left", show_header=False,
                  pad_edge=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for label, value in rows(result):
        table.add_row(label, value)
    console.print(table)


def progress_bars():
    """A progress reporter for measure(): a rich bar per phase on stderr when it is a terminal, else nothing."""
    console = Console(stderr=True)
    if not console.is_terminal:
        return lambda label, total: contextlib.nullcontext(lambda: None)

    @contextlib.contextmanager
    def phase(label: str, total: int):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        if total <= 0:
            yield lambda: None
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda: bar.advance(task)

    return phase
