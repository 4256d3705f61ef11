"""What a drawing shows: an Analysis cut at a depth into visible nodes, the edges between them and the open groups.

A block instance or repeat group deeper than ``depth`` is one node (its layers summed); shallower ones are open
groups drawn around their members. Every writer prints from a Diagram (and a Layout), never from the Analysis.
"""

from __future__ import annotations

from .. import num
from ..engine import Analysis
from ..records import record, replace
from ..render import field_text, shape_text

MERGE_TYPES = ("add", "concat", "multiply")
MERGE_SYMBOLS = {"add": "+", "concat": "||", "multiply": "x"}

# Colour families by layer type (fill, border); blocks and unknown types fall back to "other".
FAMILIES = {
    "conv": ("conv", "depthwise_conv", "conv_transpose"),
    "linear": ("linear",),
    "norm": ("batchnorm", "layernorm", "groupnorm", "lrn", "l2norm"),
    "activation": ("relu", "relu6", "leaky_relu", "elu", "sigmoid", "tanh", "gelu", "silu", "hardswish",
                   "hardsigmoid", "prelu", "softmax"),
    "pool": ("maxpool", "avgpool", "adaptive_avgpool", "adaptive_maxpool", "global_avgpool", "global_maxpool"),
    "merge": MERGE_TYPES,
    "input": ("input",),
}
FAMILY_OF = {t: family for family, types in FAMILIES.items() for t in types}


@record
class DiagramNode:
    id: str                 # unique: a layer's or group's full name, or a graph input's name
    name: str               # the full dotted name
    label: str              # the name without the enclosing open group's prefix
    type: str               # the layer type, the block type of a collapsed group, or "input"
    kind: str               # layer | merge | block | input
    family: str             # colour family (see FAMILIES), "block" or "other"
    group: str | None       # id of the innermost open group holding it
    detail: str             # kernel/stride/... in a few characters ("3x3 s2"), or ""
    output_shape: str
    params: object
    macs: object
    members: int            # layers summed into this node (1 for a layer)
    receptive_field: str
    line: int | None
    is_output: bool = False


@record
class DiagramGroup:
    id: str
    type: str               # the block type, or the layer type of a repeat group
    parent: str | None
    params: object
    macs: object
    members: int


@record
class Diagram:
    name: str
    nodes: tuple
    edges: tuple            # (source id, target id), deduplicated, in the order first met
    groups: tuple           # open groups, outermost first
    depth: int | None
    params: object
    macs: object


def _pair_text(value, sep="x") -> str:
    if isinstance(value, tuple):
        if len(set(map(num.show, value))) == 1:
            value = value[0]
        else:
            return sep.join(num.show(v) for v in value)
    return num.show(value)


def layer_detail(node) -> str:
    """Kernel, stride, groups, factor: what tells two layers of a type apart at a glance."""
    if node is None:
        return ""
    a = node.attrs
    parts = []
    kernel = a.get("kernel")
    if kernel is not None:
        k = _pair_text(kernel)
        parts.append(f"{k}x{k}" if "x" not in k else k)
    stride = a.get("stride")
    if stride is not None and _pair_text(stride) != "1":
        parts.append(f"s{_pair_text(stride)}")
    dilation = a.get("dilation")
    if dilation is not None and _pair_text(dilation) != "1":
        parts.append(f"d{_pair_text(dilation)}")
    groups = a.get("groups")
    if node.type == "conv" and groups is not None and num.show(groups) != "1":
        parts.append(f"g{num.show(groups)}")
    if node.type == "upsample" and a.get("scale") is not None:
        parts.append(f"x{_pair_text(a['scale'])} {a.get('mode', '')}".rstrip())
    if node.type == "dropout" and a.get("p") is not None:
        parts.append(f"p={num.show(a['p'])}")
    return " ".join(parts)


def _strip(name: str, group: str | None) -> str:
    return name[len(group) + 1:] if group and name.startswith(group + ".") else name


def build(analysis: Analysis, depth: int | None = None) -> Diagram:
    """The nodes visible at ``depth`` (None: every layer), edges between them, and the groups left open.

    >>> from paramcalc import analyze_file
    >>> d = build(analyze_file("resnet50"), depth=0)
    >>> [n.id for n in d.nodes][:4], d.groups
    (['input', 'conv1', 'bn1', 'relu'], ())
    """
    graph_nodes = {n.name: n for n in analysis.graph.nodes} if analysis.graph is not None else {}
    outputs = {n for n, _ in analysis.outputs}
    nodes: list[DiagramNode] = []
    visible: dict[str, str] = {}          # layer or input name -> id of the node that shows it
    group_stats: dict[str, dict] = {}
    groups: dict[str, DiagramGroup] = {}
    for name, shape in analysis.inputs:
        nodes.append(DiagramNode(name, name, name, "input", "input", "input", None, "", shape_text(shape), 0, 0,
                                 0, "", None))
        visible[name] = name
    collapsed: dict[str, int] = {}        # collapsed group id -> index in nodes
    for r in analysis.layers:
        for g, gtype in r.scope:
            s = group_stats.setdefault(g, {"type": gtype, "params": 0, "macs": 0, "members": 0})
            s["params"] = num.normalize(s["params"] + r.params)
            s["macs"] = num.normalize(s["macs"] + r.macs)
            s["members"] += 1
        open_scope = r.scope if depth is None else r.scope[:depth]
        parent = None
        for g, gtype in open_scope:
            groups.setdefault(g, (g, gtype, parent))
            parent = g
        if depth is not None and len(r.scope) > depth:
            gid, gtype = r.scope[depth]
            visible[r.name] = gid
            node = DiagramNode(gid, gid, _strip(gid, parent), gtype, "block", "block", parent, "",
                               shape_text(r.output_shape), 0, 0, 0, field_text(r.receptive_field), r.line,
                               r.name in outputs)
            if gid in collapsed:
                previous = nodes[collapsed[gid]]
                node = replace(previous, output_shape=node.output_shape, receptive_field=node.receptive_field,
                               is_output=previous.is_output or node.is_output)
                nodes[collapsed[gid]] = node
            else:
                collapsed[gid] = len(nodes)
                nodes.append(node)
            continue
        visible[r.name] = r.name
        kind = "merge" if r.type in MERGE_TYPES else "layer"
        nodes.append(DiagramNode(r.name, r.name, _strip(r.name, parent), r.type, kind,
                                 FAMILY_OF.get(r.type, "other"), parent, layer_detail(graph_nodes.get(r.name)),
                                 shape_text(r.output_shape), r.params, r.macs, 1, field_text(r.receptive_field),
                                 r.line, r.name in outputs))
    # collapsed groups carry their summed params and MACs
    nodes = [replace(n, params=group_stats[n.id]["params"], macs=group_stats[n.id]["macs"],
                     members=group_stats[n.id]["members"]) if n.kind == "block" else n for n in nodes]
    edges: dict[tuple, None] = {}
    for r in analysis.layers:
        target = visible[r.name]
        for src in r.inputs:
            source = visible[src]
            if source != target:
                edges[(source, target)] = None
    open_groups = tuple(DiagramGroup(g, gtype, parent, group_stats[g]["params"], group_stats[g]["macs"],
                                     group_stats[g]["members"]) for g, gtype, parent in groups.values())
    return Diagram(analysis.name, tuple(nodes), tuple(edges), open_groups, depth, analysis.totals.params,
                   analysis.totals.macs)


def tree(diagram: Diagram) -> dict:
    """Open group id (None: the top) -> its nodes and child groups, ("node" | "group", item), in diagram order."""
    groups = {g.id: g for g in diagram.groups}
    members: dict = {None: []}
    for n in diagram.nodes:
        chain, g = [], n.group
        while g is not None and g not in members:
            chain.append(groups[g])
            g = groups[g].parent
        for group in reversed(chain):
            members[group.parent].append(("group", group))
            members[group.id] = []
        members[n.group].append(("node", n))
    return members


def node_lines(node: DiagramNode, receptive_field: bool = False) -> list[str]:
    """The text of a node's box, line by line (every writer prints these; the layout sizes boxes by them)."""
    if node.kind == "input":
        return [node.label, f"input {node.output_shape}"]
    if node.kind == "merge":
        return [f"{MERGE_SYMBOLS[node.type]} {node.type}", node.output_shape]
    head = f"{node.type} ({node.members} layers)" if node.kind == "block" else \
        f"{node.type} {node.detail}".rstrip()
    lines = [node.label, f"{head}  {node.output_shape}"]
    figures = []
    if not (num.is_concrete(node.params) and node.params == 0):
        figures.append(f"{num.human(node.params)} params")
    if not (num.is_concrete(node.macs) and node.macs == 0):
        figures.append(f"{num.human(node.macs)} MACs")
    if figures:
        lines.append(" · ".join(figures))
    if receptive_field and node.receptive_field:
        lines.append(f"RF {node.receptive_field}")
    return lines


def node_tooltip(node: DiagramNode) -> str:
    """Everything about a node, for a hover title."""
    parts = [f"{node.name} ({node.type})", f"output {node.output_shape}"]
    if node.kind != "input":
        parts.append(f"params {num.exact(node.params)}")
        parts.append(f"MACs {num.exact(node.macs)}")
    if node.receptive_field:
        parts.append(f"receptive field {node.receptive_field}")
    if node.members > 1:
        parts.append(f"{node.members} layers")
    if node.line is not None:
        parts.append(f"line {node.line}")
    return "\n".join(parts)


def group_label(group: DiagramGroup, parent: str | None) -> str:
    return f"{_strip(group.id, parent)} ({group.type}) · {num.human(group.params)}"
