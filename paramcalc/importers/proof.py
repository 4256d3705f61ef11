"""Proof that a written file is the model it came from: the engine's analysis of the YAML text against the source's
own numbers (total parameters exactly, each layer's output shape and tensors), then, with torch, the source's
weights loaded into to_torch(file) and the outputs compared on a random input."""

from __future__ import annotations

from .. import num
from ..errors import ParamcalcError
from .model import ImportedModel, ImportError_
from ..records import record


class ProofError(ParamcalcError):
    """The written file disagrees with its source: exit code 1, naming the first layer that differs."""

    exit_code = 1


@record
class Proof:
    layers: int
    params: int
    outputs_compared: bool
    max_difference: float | None = None
    note: str = ""

    def line(self, file: str) -> str:
        text = (f"verified {file}: {self.params:,} parameters exactly, output shapes and tensors of all "
                f"{self.layers} layers")
        if self.outputs_compared:
            text += f"; outputs equal the source's with its weights loaded (max difference {self.max_difference:.1e})"
        elif self.note:
            text += f"; {self.note}"
        return text


def _key(name: str) -> str:
    return name.replace(".", "_")


def analyse_text(text: str, file: str, overrides=None):
    from ..engine import analyze
    from ..graph import build_graph
    from ..spec import load_text

    try:
        return analyze(build_graph(load_text(text, file), file, overrides=overrides or {}))
    except ParamcalcError as e:
        raise ImportError_(f"the written file does not build (an importer bug, please report it): {e}") from None


def check_structure(model: ImportedModel, analysis, file: str) -> int:
    """Totals and every layer's output shape, parameter and buffer tensors; returns the layers checked."""
    layers = {_key(l.name): l for l in analysis.layers}
    for op in model.ops:
        layer = layers.get(_key(op.path))
        if layer is None:
            raise ProofError(f"{file}: the source's layer '{op.path}' ({op.origin}) is missing from the file")
        got = tuple(layer.output_shape[1:])
        if op.type != "opaque" and not _same_shape(got, op.shape):
            raise ProofError(f"{file}: layer '{layer.name}' ({layer.type}) first differs: output shape "
                             f"{_fmt(got)} in the file, {_fmt(op.shape)} in the source ({op.origin})")
        for what, mine, theirs in (("parameters", layer.param_shapes, op.params),
                                   ("buffers", layer.buffer_shapes, op.buffers)):
            mine = {k: tuple(v) for k, v in mine.items()}
            theirs = {k: tuple(v) for k, v in theirs.items()}
            if op.type != "opaque" and mine != theirs:
                raise ProofError(f"{file}: layer '{layer.name}' ({layer.type}) first differs: {what} {mine} in the "
                                 f"file, {theirs} in the source ({op.origin})")
    params = analysis.totals.params
    if model.total_params is not None and params != model.total_params:
        shown = f"{params:,}" if isinstance(params, int) else num.show(params)
        unused = ", ".join(f"'{path}' ({count:,})" for path, count in model.uncalled[:3])
        raise ProofError(f"{file}: {shown} parameters in the file but {model.total_params:,} in the source; every "
                         f"traced layer agrees, so the rest belongs to modules the forward pass never calls"
                         + (f": {unused}" if unused else ""))
    return len(model.ops)


def _same_shape(a, b) -> bool:
    return len(a) == len(b) and all(not num.is_concrete(x) or not isinstance(y, int) or int(x) == y
                                    for x, y in zip(a, b))


def _fmt(shape) -> str:
    return "[" + ", ".join(num.show(s) for s in shape) + "]"


def randomize(module, seed: int = 0) -> None:
    """Random weights and statistics, so that equal outputs mean equal computations (not default 1s and 0s)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            if not t.is_floating_point():
                continue
            if name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=g) + 0.5)
            else:
                t.copy_(torch.randn(t.shape, generator=g) * (1.0 / max(1, t[0].numel()) ** 0.5 if t.dim() > 1
                                                               else 0.5))


def compare_outputs(analysis, state_dict, run_source, input_shapes, file: str, *, seed: int = 0,
                    source_values=None, op_ids=None) -> float:
    """Load ``state_dict`` into to_torch(the file) and compare its output with ``run_source(inputs)``; on a
    difference, ``source_values(inputs)`` (op id -> tensor) finds the first layer that differs."""
    import torch

    from ..executor.build import GraphModule

    torch.manual_seed(seed)
    built = GraphModule(analysis).eval()
    try:
        built.load_state_dict(state_dict, strict=True)
    except RuntimeError as e:
        raise ProofError(f"{file}: the source's state_dict does not load into to_torch(file): "
                         f"{str(e).splitlines()[0]} {' '.join(str(e).split()[1:12])}") from None
    g = torch.Generator().manual_seed(seed + 1)
    inputs = [torch.randn((1, *shape), generator=g) for shape in input_shapes]
    with torch.no_grad():
        expected = run_source(inputs)
        got = built(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    worst = 0.0
    for e, o in zip(expected, got):
        scale = max(float(e.abs().max()), 1e-6)
        diff = float((e - o).abs().max()) / scale if e.shape == o.shape else float("inf")
        worst = max(worst, diff)
    if worst <= 1e-4:
        return worst
    first = _first_difference(built, inputs, source_values, op_ids) if source_values else None
    raise ProofError(f"{file}: outputs differ from the source's (relative difference {worst:.2e})"
                     + (f"; the first layer that differs is '{first}'" if first else ""))


def _first_difference(built, inputs, source_values, op_ids) -> str | None:
    import torch

    with torch.no_grad():
        theirs = source_values(inputs)
        found = []

        def observe(name, value):
            if found:
                return
            key = op_ids.get(_key(name))
            if key is None or key not in theirs:
                return
            ref = theirs[key]
            scale = max(float(ref.abs().max()), 1e-6)
            if ref.shape != value.shape or float((ref - value).abs().max()) / scale > 1e-4:
                found.append(name)

        built.run_layers(tuple(inputs), observe)
    return found[0] if found else None
