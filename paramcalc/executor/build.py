"""From a layer graph to one torch.nn.Module whose forward follows the graph (DAGs, blocks, several inputs/outputs).

Each layer becomes the module its type's ``torch`` rule builds, registered under the layer's name with dots replaced
(``layer1.0.conv2`` -> ``layer1_0_conv2``), so ``named_parameters()`` reads ``layer1_0_conv2.weight``. The forward
pass walks the nodes in the graph's topological order and drops each tensor after its last use, as the engine's
peak-memory model assumes.

ReLU, ReLU6 and leaky ReLU run in place (as torchvision's models do) when that cannot be seen: their input is the
output of a layer that creates a new tensor and does not keep it for its backward pass (conv, linear, batchnorm,
add, ...), and nothing else reads that output. Everywhere else every layer writes a new tensor.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from .. import num
from ..engine import Analysis, analyze
from ..errors import RuleError, SpecError, UsageError
from ..graph import Graph
from ..layers import REGISTRY
from .modules import LearntTensor


IN_PLACE_ACTIVATIONS = ("relu", "relu6", "leaky_relu")
# Layers whose output is a new tensor (not a view of the input) that their backward pass does not read.
FRESH_OUTPUT = ("conv", "depthwise_conv", "conv_transpose", "linear", "batchnorm", "groupnorm", "layernorm", "add",
                "concat", "maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "upsample", "attention",
                "window_attention", "patch_merging", "rmsnorm", "matmul")


def _share(module: nn.Module, owner: nn.Module, shared: dict) -> None:
    """A `tie:` layer: its tensors named in ``shared`` become the owner's very Parameter objects (GPT-2's lm_head
    and wte), so parameters() yields each once."""
    for name in shared:
        path, _, leaf = name.rpartition(".")
        holder = module.get_submodule(path) if path else module
        setattr(holder, leaf, owner.get_parameter(name))


class LayerFailure(Exception):
    """PyTorch raised while computing one layer; carries the layer so the caller can name it."""

    def __init__(self, layer: str, error: BaseException):
        super().__init__(f"{layer}: {error}")
        self.layer = layer
        self.error = error


def load(path_or_graph, overrides=None) -> Graph:
    """A Graph from a file, a bundled name or a Graph; every symbol must have a value."""
    overrides = dict(overrides or {})
    if isinstance(path_or_graph, Graph):
        if overrides:
            raise UsageError("symbol values cannot be given for an already built graph; build it with overrides "
                             "(paramcalc.load_graph(path, overrides={...})) or pass the file's path")
        graph = path_or_graph
    else:
        from ..bundled import resolve
        from ..graph import load_graph

        graph = load_graph(resolve(path_or_graph), overrides=overrides)
    if graph.symbolic:
        free = ", ".join(name for name, value in graph.symbols if not num.is_concrete(value))
        raise UsageError(f"{graph.file}: PyTorch needs concrete sizes, but these symbols have no value: {free} "
                         f"(give them with --set NAME=VALUE, or to_torch(..., NAME=VALUE))")
    return graph


def build(path_or_graph, overrides=None, *, batch: int = 1, dtype: str = "fp32") -> "GraphModule":
    """Analyse the graph at ``batch`` (and ``dtype``, for the memory predictions) and build its module."""
    graph = load(path_or_graph, overrides)
    return GraphModule(analyze(graph, batch=batch, dtype=dtype))


class GraphModule(nn.Module):
    """A declared architecture as one module: ``forward(*inputs)`` takes the graph's inputs in declaration order
    (``[N, *shape]`` each) and returns its output, or a tuple when the graph declares several ``outputs``.

    ``analysis`` holds the engine's predictions the module was built from; ``layer_module(name)`` gives a layer's
    module by its paramcalc name.
    """

    def __init__(self, analysis: Analysis):
        super().__init__()
        graph = analysis.graph
        self.analysis = analysis
        self.input_names = tuple(name for name, _ in graph.inputs)
        self.output_names = tuple(graph.outputs)
        self.attribute_of: dict[str, str] = {}
        shapes = {name: shape for name, shape in graph.inputs}
        for node, result in zip(graph.nodes, analysis.layers):
            ins = tuple(shapes[i] for i in node.inputs)
            out = tuple(result.output_shape[1:])
            try:
                module = REGISTRY[node.type].torch(node.attrs, ins, out)
            except RuleError as e:
                raise SpecError(str(e), file=graph.file, line=node.line, layer=node.name,
                                layer_type=node.type) from None
            if not node.trainable:
                module.requires_grad_(False)
            if node.tie is not None:
                _share(module, self.layer_module(node.tie), result.shared)
            attribute = self._free_attribute(node.name)
            self.add_module(attribute, module)
            self.attribute_of[node.name] = attribute
            shapes[node.name] = out
        self.plan = self._plan(graph)
        self._activate_in_place(graph)
        self._register_load_state_dict_pre_hook(self._accept_module_paths)

    def _accept_module_paths(self, state_dict, prefix, *args) -> None:
        """load_state_dict also takes keys by module path ('layer1.0.conv1.weight', as the PyTorch model a file was
        imported from names them): a key whose module part, dots replaced, is a layer's attribute is renamed."""
        for key in [k for k in state_dict if k.startswith(prefix) and (k[len(prefix):].split(".", 1)[0] not in
                    self._modules or isinstance(self._modules.get(k[len(prefix):]), LearntTensor))]:
            parts = key[len(prefix):].split(".")
            whole = "_".join(parts)  # a `parameter` layer's tensor is the attribute itself in PyTorch (layer_scale)
            if isinstance(self._modules.get(whole), LearntTensor):
                state_dict[prefix + whole + ".weight"] = state_dict.pop(key)
                continue
            for cut in range(len(parts) - 1, 0, -1):
                attribute = "_".join(parts[:cut])
                if attribute in self._modules:
                    state_dict[prefix + attribute + "." + ".".join(parts[cut:])] = state_dict.pop(key)
                    break

    def _activate_in_place(self, graph: Graph) -> None:
        consumers: dict[str, int] = {}
        for node in graph.nodes:
            for src in node.inputs:
                consumers[src] = consumers.get(src, 0) + 1
        types = {node.name: node.type for node in graph.nodes}
        for node in graph.nodes:
            if node.type not in IN_PLACE_ACTIVATIONS or len(node.inputs) != 1:
                continue
            source = node.inputs[0]
            if (types.get(source) in FRESH_OUTPUT and consumers[source] == 1 and source not in graph.outputs):
                module = self.layer_module(node.name)
                if hasattr(module, "inplace"):
                    module.inplace = True

    def _free_attribute(self, layer_name: str) -> str:
        attribute = layer_name.replace(".", "_")
        while attribute in self._modules or hasattr(self, attribute):  # 'a.b' next to 'a_b', or 'training'
            attribute += "_"
        return attribute

    def _plan(self, graph: Graph) -> tuple:
        """(layer, attribute, input names, names to drop afterwards) per node, in topological order."""
        last_use: dict[str, int] = {}
        for i, node in enumerate(graph.nodes):
            for src in node.inputs:
                last_use[src] = i
        keep = set(graph.outputs)
        steps = []
        for i, node in enumerate(graph.nodes):
            drop = [s for s in dict.fromkeys(node.inputs) if last_use.get(s) == i and s not in keep]
            if node.name not in last_use and node.name not in keep:
                drop.append(node.name)  # a dead end: computed, then dropped at once
            steps.append((node.name, self.attribute_of[node.name], tuple(node.inputs), tuple(drop)))
        return tuple(steps)

    def layer_module(self, name: str) -> nn.Module:
        """The module of the layer called ``name`` in the architecture file (``layer1.0.conv2``)."""
        return self._modules[self.attribute_of[name]]

    def forward(self, *inputs):
        return self.run_layers(inputs)

    def run_layers(self, inputs, observe=None):
        """The forward pass; ``observe(layer, output)`` (optional) sees every layer's output, and an error inside a
        layer is raised as LayerFailure naming it."""
        if len(inputs) != len(self.input_names):
            raise TypeError(f"{self.analysis.name} takes {len(self.input_names)} input(s) "
                            f"({', '.join(self.input_names)}), got {len(inputs)}")
        values = dict(zip(self.input_names, inputs))
        batch = inputs[0].shape[0] if inputs else 1
        for name, attribute, sources, drop in self.plan:
            module = self._modules[attribute]
            args = [values[s] for s in sources] if sources else [batch]  # a learnt tensor is told the batch
            if observe is None:
                values[name] = module(*args)
            else:
                try:
                    values[name] = module(*args)
                except (RuntimeError, NotImplementedError, ValueError, TypeError) as e:
                    raise LayerFailure(name, e) from e
                observe(name, values[name])
            for s in drop:
                del values[s]
        outputs = tuple(values[n] for n in self.output_names)
        return outputs[0] if len(outputs) == 1 else outputs

    def random_inputs(self, *, device=None, dtype=None, batch: int | None = None) -> tuple:
        """Random normal data of the declared input shapes, at the analysis' batch unless ``batch`` is given."""
        n = batch if batch is not None else self.analysis.batch
        return tuple(torch.randn((n, *shape[1:]), device=device, dtype=dtype) for _, shape in self.analysis.inputs)

    def extra_repr(self) -> str:
        return f"name={self.analysis.name!r}, file={Path(self.analysis.file).name!r}"
