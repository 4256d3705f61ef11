"""Import, write, prove: the steps every importer takes, in one place for the CLI and for on-the-fly targets."""

from __future__ import annotations

from dataclasses import dataclass

from .emit import write_yaml
from .model import ImportedModel
from .proof import Proof, analyse_text, check_structure, compare_outputs


@dataclass(frozen=True)
class Result:
    text: str
    model: ImportedModel
    proof: Proof


def import_torch(target: str, *, kwargs=None, input_shapes=((3, 224, 224),), symbolic_input=False, opaque=False,
                 file: str = "<import>", compare=True) -> Result:
    """A PyTorch model (``MODULE:CALLABLE`` or ``file.py:Name``) as proven paramcalc YAML text."""
    from . import torch_fx

    torch = torch_fx.require_torch()
    kwargs = dict(kwargs or {})
    module = torch_fx.build_module(target, kwargs)
    model, graph = torch_fx.trace(module, target, [tuple(s) for s in input_shapes], opaque=opaque,
                                  symbolic_input=symbolic_input)
    text = write_yaml(model)
    analysis = analyse_text(text, file)
    layers = check_structure(model, analysis, file)
    if not compare or any(op.type == "opaque" for op in model.ops):
        note = "outputs not compared (the model has opaque nodes)" if compare else "outputs not compared"
        return Result(text, model, Proof(layers, model.total_params, False, note=note))
    real = torch_fx.build_module(target, kwargs, device="cpu").eval()
    from .proof import randomize

    randomize(real)
    traced = torch.fx.GraphModule(real, graph)
    op_ids = {op.path.replace(".", "_"): op.id for op in model.ops}

    def source_values(inputs):
        values = {}

        class Recorder(torch.fx.Interpreter):
            def run_node(self, n):
                out = super().run_node(n)
                values[n.name] = out
                return out

        Recorder(traced).run(*inputs)
        return values

    if analysis.graph.symbolic:
        return Result(text, model, Proof(layers, model.total_params, False, note="outputs not compared (symbolic)"))
    worst = compare_outputs(analysis, real.state_dict(), lambda inputs: real(*inputs), input_shapes, file,
                            source_values=source_values, op_ids=op_ids)
    return Result(text, model, Proof(layers, model.total_params, True, max_difference=worst))
