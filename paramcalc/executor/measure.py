"""Time a built architecture: latency, throughput, peak memory and achieved TFLOP/s on the CPU or a CUDA GPU.

The method, once: the module is built and verified against the engine (a forward pass at the run's batch, which also
proves the dtype works on the device), then ``warmup`` untimed iterations, then ``iters`` timed ones. One iteration
is a forward pass without gradients in eval mode, or with ``train`` a training step: forward in train mode, backward
of the sum of the outputs, gradients cleared (no optimiser update). On a GPU each iteration is timed with CUDA
events; on the CPU with ``time.perf_counter``. Peak memory is counted over the timed iterations: on a GPU
``torch.cuda.max_memory_allocated`` (tensors only, the allocator's cache excluded); on the CPU the process's peak
resident set (Linux: VmHWM, reset before timing through /proc/self/clear_refs; elsewhere getrusage's lifetime peak),
which includes the interpreter and PyTorch's own libraries.
"""

from __future__ import annotations

import contextlib
import platform
import statistics
import sys
import time
from typing import Callable

import torch

from .. import __version__, num
from ..errors import ParamcalcError, UsageError
from . import peaks
from .build import build
from .verify import verify

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
TRAIN_FLOP_FACTOR = 3  # backward ~ 2 x forward (gradients of inputs and of weights): the usual 3 x forward estimate
SCHEMA = 1


def no_progress(label: str, total: int):
    """The default progress reporter: nothing. A reporter returns a context manager yielding ``advance()``."""
    return contextlib.nullcontext(lambda: None)


def pick_device(device: str):
    """'auto' (CUDA when available), 'cpu' or 'cuda'; CUDA requested but unavailable is a UsageError."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        build_note = "this PyTorch is a CPU-only build" if torch.version.cuda is None else \
            f"PyTorch {torch.__version__} (CUDA {torch.version.cuda}) finds no usable GPU"
        raise UsageError(f"--device cuda: CUDA is not available ({build_note}); use --device cpu or auto")
    if device not in ("cpu", "cuda"):
        raise UsageError(f"unknown device '{device}' (auto, cpu or cuda)")
    return torch.device(device)


def check_dtype(device, dtype: str) -> None:
    """Refuse what is known not to work before building; layer-by-layer support is checked by the verification pass."""
    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype}: the executor runs fp32, fp16 or bf16")
    if device.type == "cuda" and dtype == "bf16" and not torch.cuda.is_bf16_supported():
        raise UsageError(f"bf16 is not supported on {torch.cuda.get_device_name(device)}; use fp16 or fp32")


def device_name(device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model} ({torch.get_num_threads()} threads)"


# ------------------------------------------------------------------------------------------- CPU memory


def _proc_status(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _reset_cpu_peak() -> bool:
    """Reset the process's peak resident set (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _cpu_peak() -> int:
    hwm = _proc_status("VmHWM")
    if hwm is not None:
        return hwm
    import resource  # POSIX only

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


# ------------------------------------------------------------------------------------------- measuring


def percentile(values, q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default): percentile([1, 2, 3, 4], 90) = 3.7."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def step_function(model_fn, model, inputs, train: bool) -> Callable[[], None]:
    """One iteration: inference (eval mode is the caller's) or a training step (forward, backward of the sum of
    the outputs, gradients cleared)."""
    if not train:
        def infer():
            with torch.inference_mode():
                model_fn(*inputs)
        return infer

    def train_step():
        outputs = model_fn(*inputs)
        if isinstance(outputs, torch.Tensor):
            outputs = (outputs,)
        loss = sum(o.float().sum() for o in outputs)
        loss.backward()
        model.zero_grad(set_to_none=True)
    return train_step


def _timed(step, device, iterations: int, advance) -> list:
    """Seconds per iteration."""
    if device.type == "cuda":
        starts = [torch.cuda.Event(enable_timing=True) for _ in range(iterations)]
        ends = [torch.cuda.Event(enable_timing=True) for _ in range(iterations)]
        for start, end in zip(starts, ends):
            start.record()
            step()
            end.record()
            advance()
        torch.cuda.synchronize(device)
        return [s.elapsed_time(e) / 1000 for s, e in zip(starts, ends)]
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
        advance()
    return times


def time_steps(step, device, *, warmup: int, iters: int, progress=no_progress):
    """``warmup`` untimed calls of ``step``, then ``iters`` timed ones; returns (seconds per timed iteration,
    bytes in use before timing, peak bytes during timing, what the memory figures are)."""
    with progress("warm-up", warmup) as advance:
        for _ in range(warmup):
            step()
            advance()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
        kind = "torch.cuda.max_memory_allocated over the timed iterations"
    else:
        reset = _reset_cpu_peak()
        baseline = _proc_status("VmRSS") or 0
        kind = ("peak resident set of the process over the timed iterations (VmHWM)" if reset else
                "peak resident set of the process since it started (getrusage)")
    with progress("timed", iters) as advance:
        times = _timed(step, device, iters, advance)
    peak = torch.cuda.max_memory_allocated(device) if device.type == "cuda" else _cpu_peak()
    return times, baseline, peak, kind


def measure(target, *, overrides=None, device: str = "auto", batch: int = 1, dtype: str = "fp32",
            train: bool = False, compile: bool = False, channels_last: bool = False, warmup: int = 10,
            iters: int = 50, progress=no_progress) -> dict:
    """Build, verify and time ``target`` (a file or bundled name); the result is the dict `paramcalc run --format
    json` prints (documented in README)."""
    if warmup < 0 or iters < 1 or batch < 1:
        raise UsageError("--batch and --iters must be at least 1, --warmup at least 0")
    dev = pick_device(device)
    check_dtype(dev, dtype)
    torch_dtype = DTYPES[dtype]
    with torch.device(dev):
        model = build(target, overrides, batch=batch, dtype=dtype)
    model.to(dtype=torch_dtype)
    analysis = model.analysis
    verified = verify(model, device=dev, dtype=torch_dtype)

    inputs = model.random_inputs(device=dev, dtype=torch_dtype)
    if channels_last:
        if not any(x.dim() in (4, 5) for x in inputs):
            raise UsageError("--channels-last needs an input of shape (C, H, W) or (C, D, H, W)")
        model.to(memory_format=torch.channels_last)
        inputs = tuple(x.to(memory_format=torch.channels_last) if x.dim() == 4 else
                       x.to(memory_format=torch.channels_last_3d) if x.dim() == 5 else x for x in inputs)
    model.train(train)
    model_fn = model
    if compile:
        model_fn = torch.compile(model)
    step = step_function(model_fn, model, inputs, train)

    try:
        if compile and warmup == 0:
            step()  # compile outside the timed iterations
        times, baseline, measured_peak, memory_kind = time_steps(step, dev, warmup=warmup, iters=iters,
                                                                 progress=progress)
    except ParamcalcError:
        raise
    except Exception as e:  # compile failures, BatchNorm in training with one value per channel, out of memory
        what = "PyTorch with torch.compile" if compile else "PyTorch"
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UsageError(f"{analysis.file}: {what} failed while timing on {dev.type} "
                         f"({'training' if train else 'inference'}, batch {batch}, {dtype}): {message}") from None

    t = analysis.totals
    flops = t.flops * (TRAIN_FLOP_FACTOR if train else 1)
    median = statistics.median(times)
    achieved = flops / median / 1e12
    gpu = peaks.lookup(device_name(dev)) if dev.type == "cuda" else None
    peak_tflops = gpu.peak(dtype) if gpu else None
    if train:
        predicted = num.normalize(2 * t.params * _bytes(dtype) + t.buffers * _bytes(dtype) + t.activation_bytes)
        predicted_basis = ("weights + gradients + every layer's output (the engine's activation memory); autograd "
                           "keeps other tensors too, so this is a rough guide")
    else:
        predicted = num.normalize(t.weight_bytes + t.peak_activation_bytes)
        predicted_basis = "weights + peak activation memory (tensors freed after their last use)"
    return {
        "schema": SCHEMA,
        "paramcalc_version": __version__,
        "name": analysis.name,
        "file": analysis.file,
        "symbols": {k: num.to_json(v) for k, v in analysis.symbols},
        "device": dev.type,
        "device_name": device_name(dev),
        "torch_version": torch.__version__,
        "dtype": dtype,
        "batch": batch,
        "mode": "train" if train else "inference",
        "compile": compile,
        "channels_last": channels_last,
        "warmup": warmup,
        "iters": iters,
        "timer": "cuda events" if dev.type == "cuda" else "time.perf_counter",
        "latency_ms": {
            "median": median * 1e3,
            "p90": percentile(times, 90) * 1e3,
            "min": min(times) * 1e3,
            "max": max(times) * 1e3,
        },
        "throughput_samples_per_s": batch / median,
        "flops_per_iteration": num.to_json(flops),
        "flops_basis": ("3 x the engine's forward FLOPs (forward + backward)" if train else
                        "the engine's FLOPs (2 x MACs of conv, linear and attention)"),
        "achieved_tflops": achieved,
        "peak": None if gpu is None else {
            "gpu": gpu.name,
            "dtype_peak_tflops": peak_tflops,
            "share": None if not peak_tflops else achieved / peak_tflops,
            "tf32_peak_tflops": gpu.tf32 if dtype == "fp32" else None,
            "source": gpu.source,
        },
        "memory": {
            "measured_peak_bytes": measured_peak,
            "measured_kind": memory_kind,
            "baseline_bytes": baseline,
            "predicted_bytes": num.to_json(predicted),
            "predicted_basis": predicted_basis,
        },
        "verified": {"layers": verified["layers"], "params": num.to_json(verified["params"]),
                     "buffers": num.to_json(verified["buffers"]), "output_shapes_and_tensors": "equal to the engine's"},
    }


def _bytes(dtype: str) -> int:
    from ..engine import DTYPE_BYTES

    return DTYPE_BYTES[dtype]
