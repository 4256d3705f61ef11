"""Import, write, prove: the steps every importer takes, in one place for the CLI and for on-the-fly targets."""

from __future__ import annotations

from .emit import write_yaml
from .model import ImportedModel
from .proof import Proof, analyse_text, check_structure, compare_outputs
from ..records import record


@record
class Result:
    text: str
    model: ImportedModel
    proof: Proof


def import_torch(target: str, *, kwargs=None, input_shapes=((3, 224, 224),), symbolic_input=False, opaque=False,
                 file: str = "<import>", compare=True, write=None, name=None) -> Result:
    """A PyTorch model (``MODULE:CALLABLE`` or ``file.py:Name``) as proven paramcalc YAML text; ``write(text)``
    (optional) is called before the proof, so a file that fails it is still there to look at."""
    from . import torch_fx

    torch = torch_fx.require_torch()
    kwargs = dict(kwargs or {})
    module = torch_fx.build_module(target, kwargs)
    model, graph = torch_fx.trace(module, target, [tuple(s) for s in input_shapes], opaque=opaque,
                                  symbolic_input=symbolic_input, name=name)
    text, analysis, layers = _written_and_checked(model, file, write)
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
                # a copy: a later in-place ReLU of the source would change the recorded tensor
                values[n.name] = out.clone() if isinstance(out, torch.Tensor) else out
                return out

        Recorder(traced).run(*inputs)
        return values

    if analysis.graph.symbolic:
        return Result(text, model, Proof(layers, model.total_params, False, note="outputs not compared (symbolic)"))
    worst = compare_outputs(analysis, real.state_dict(), lambda inputs: real(*inputs), input_shapes, file,
                            source_values=source_values, op_ids=op_ids)
    return Result(text, model, Proof(layers, model.total_params, True, max_difference=worst))


def _written_and_checked(model, file: str, write):
    """The model's YAML text (handed to ``write`` first, so a file that fails the proof is still there to look
    at), its analysis, and the layers whose structure was checked against the source."""
    text = write_yaml(model)
    if write is not None:
        write(text)
    analysis = analyse_text(text, file)
    return text, analysis, check_structure(model, analysis, file)


def import_onnx(path: str, *, defaults=None, opaque=False, file: str = "<import>", write=None,
                compare=True) -> Result:
    """An ONNX file as proven paramcalc YAML text: structure always; outputs against onnx's reference evaluator
    when torch is installed and every size has a value."""
    from . import onnx_graph

    model, weights, tensors = onnx_graph.read(path, defaults=defaults, opaque=opaque)
    text, analysis, layers = _written_and_checked(model, file, write)
    if not compare or any(op.type == "opaque" for op in model.ops):
        return Result(text, model, Proof(layers, model.total_params, False, note="outputs not compared"))
    if analysis.graph.symbolic:
        free = ", ".join(k for k, v in model.symbols.items() if v is None)
        return Result(text, model, Proof(layers, model.total_params, False,
                                         note=f"outputs not compared: give the symbols {free} values (--set)"))
    try:
        import torch
        from onnx.reference import ReferenceEvaluator
    except ImportError:
        return Result(text, model, Proof(layers, model.total_params, False,
                                         note="outputs not compared (PyTorch is not installed)"))
    state = {}
    for key, (init, transposed) in tensors.items():
        t = torch.from_numpy(weights[init].copy())
        state[key] = t.t().contiguous() if transposed else t.reshape(-1) if key.endswith("weight") and \
            any(op.type == "prelu" and key == f"{op.local}.weight" for op in model.ops) else t
    for op in model.ops:
        if op.type == "batchnorm":
            state[f"{op.local}.num_batches_tracked"] = torch.tensor(0)
    evaluator = ReferenceEvaluator(path)
    names = [i.name for i in evaluator.proto_.graph.input if i.name not in weights] \
        if hasattr(evaluator, "proto_") else None

    def run_source(inputs):
        feeds = dict(zip(names or evaluator.input_names, [x.numpy() for x in inputs]))
        outs = evaluator.run(None, feeds)
        result = tuple(torch.from_numpy(o) for o in outs)
        return result if len(result) > 1 else result[0]

    shapes = [tuple(int(model.symbols.get(s, s)) if isinstance(s, str) else s for s in shape)
              for _, shape in model.inputs]
    worst = compare_outputs(analysis, state, run_source, shapes, file)
    return Result(text, model, Proof(layers, model.total_params, True, max_difference=worst))
