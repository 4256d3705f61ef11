"""Prove the engine right: every layer's real output shape and real tensors must equal the engine's predictions.

Compared per layer: the output shape of a real forward pass (batch axis included), the trainable tensors by name and
shape (``named_parameters()``, and which of them require gradients) and the buffers by name and shape
(``named_buffers()``). BatchNorm's ``num_batches_tracked`` is PyTorch's own step counter, which paramcalc does not
count as a buffer (README's conventions), so it is left out of the comparison. A disagreement raises
VerificationError naming the file, line and layer and both values.
"""

from __future__ import annotations

import re

import torch

from .. import num
from ..errors import ParamcalcError, UsageError
from .build import GraphModule, LayerFailure

UNCOUNTED_BUFFERS = ("num_batches_tracked",)
DTYPE_NAMES = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16", torch.float64: "fp64"}


class VerificationError(ParamcalcError):
    """The built module disagrees with the engine: a bug in a layer's rules (or in PyTorch). Exit code 1."""

    exit_code = 1


def _where(model: GraphModule, layer: str) -> str:
    result = model.analysis.layer(layer)
    line = f":{result.line}" if result.line is not None else ""
    return f"{model.analysis.file}{line}: layer '{layer}' ({result.type})"


def _tensors(shapes: dict) -> str:
    if not shapes:
        return "none"
    parts = [f"{name} [{', '.join(num.show(s) for s in shape)}] ({num.show(num.prod(shape))})"
             for name, shape in shapes.items()]
    return ", ".join(parts) + f"; {num.show(num.total(num.prod(s) for s in shapes.values()))} in all"


def check_tensors(model: GraphModule) -> None:
    """Parameters and buffers of every layer, by name and shape, against the engine's."""
    for result in model.analysis.layers:
        module = model.layer_module(result.name)
        params = {n: tuple(p.shape) for n, p in module.named_parameters()}
        buffers = {n: tuple(b.shape) for n, b in module.named_buffers()
                   if n.rpartition(".")[2] not in UNCOUNTED_BUFFERS}
        if params != result.param_shapes:
            raise VerificationError(f"{_where(model, result.name)}: parameters differ: the engine predicts "
                                    f"{_tensors(result.param_shapes)}; PyTorch has {_tensors(params)}")
        if buffers != result.buffer_shapes:
            raise VerificationError(f"{_where(model, result.name)}: buffers differ: the engine predicts "
                                    f"{_tensors(result.buffer_shapes)}; PyTorch has {_tensors(buffers)}")
        trainable = sum(p.numel() for n, p in module.named_parameters()
                        if p.requires_grad and n not in result.shared)  # tied tensors count at their owner
        if trainable != result.trainable_params:
            raise VerificationError(f"{_where(model, result.name)}: trainable parameters differ: the engine predicts "
                                    f"{num.show(result.trainable_params)}; PyTorch has {trainable}")
    total = sum(p.numel() for p in model.parameters())
    if total != model.analysis.totals.params:
        raise VerificationError(f"{model.analysis.file}: the module has {total:,} parameters in all but the engine "
                                f"predicts {num.show(model.analysis.totals.params)}")


def _device_and_dtype(model: GraphModule, device, dtype):
    first = next(iter(model.parameters()), None)
    if first is None:
        first = next(iter(model.buffers()), None)
    if device is None:
        device = first.device if first is not None else torch.device("cpu")
    if dtype is None:
        dtype = first.dtype if first is not None and first.is_floating_point() else torch.float32
    return torch.device(device), dtype


def failure(model: GraphModule, e: LayerFailure, device, dtype) -> ParamcalcError:
    """A layer that PyTorch could not run, as one clear error; 'not implemented for Half' is an unsupported dtype."""
    message = str(e.error).strip().splitlines()[0] if str(e.error).strip() else type(e.error).__name__
    if re.search(r"not implemented for '\w+'", message):
        name = DTYPE_NAMES.get(dtype, str(dtype))
        return UsageError(f"{_where(model, e.layer)}: {name} is not supported on {device.type} by PyTorch "
                          f"{torch.__version__} ({message}); use --dtype fp32 or another device")
    return UsageError(f"{_where(model, e.layer)}: PyTorch failed on {device.type}: {message}")


def check_shapes(model: GraphModule, *, device=None, dtype=None) -> None:
    """One forward pass without gradients, in eval mode, on random inputs at the analysis' batch: every layer's
    output shape must be the engine's. Works on torch.device('meta') too (shapes only, no arithmetic)."""
    device, dtype = _device_and_dtype(model, device, dtype)
    expected = {r.name: tuple(r.output_shape) for r in model.analysis.layers}
    seen: dict[str, tuple] = {}

    def observe(layer, output):
        if not isinstance(output, torch.Tensor):
            raise VerificationError(f"{_where(model, layer)}: its module returned a {type(output).__name__}, "
                                    f"not a tensor")
        shape = tuple(output.shape)
        if shape != expected[layer]:
            want = ", ".join(num.show(s) for s in expected[layer])
            raise VerificationError(f"{_where(model, layer)}: output shapes differ: the engine predicts [{want}]; "
                                    f"PyTorch gives [{', '.join(map(str, shape))}]")
        seen[layer] = shape

    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model.run_layers(model.random_inputs(device=device, dtype=dtype), observe)
    except LayerFailure as e:
        raise failure(model, e, device, dtype) from None
    finally:
        model.train(was_training)
    missing = [name for name in expected if name not in seen]
    if missing:
        raise VerificationError(f"{model.analysis.file}: layers never ran: {', '.join(missing)}")


def verify(model: GraphModule, *, device=None, dtype=None) -> dict:
    """Check tensors, then shapes; return what was verified: {layers, params, buffers}."""
    check_tensors(model)
    check_shapes(model, device=device, dtype=dtype)
    t = model.analysis.totals
    return {"layers": len(model.analysis.layers), "params": t.params, "buffers": t.buffers}
