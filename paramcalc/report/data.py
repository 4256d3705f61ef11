"""The data a report page shows, as plain JSON-ready dicts: every layer, the groups, stages, curves and totals.

Values stay exact: integers are JSON numbers, symbolic values strings ('18*c**2'); the page formats them. Nothing
here is drawn; paramcalc/report/page.py puts this into the HTML beside the vendored scripts.
"""

from __future__ import annotations

from .. import num
from ..draw.model import MERGE_TYPES, FAMILY_OF, layer_detail
from ..engine import DTYPE_BYTES, Analysis, collapse
from ..render import field_text, shape_text, symbols_text


def _value(x):
    return num.to_json(num.normalize(x))


def _human(x, bytes_=False) -> str:
    return num.human(x, bytes_=bytes_) if num.is_concrete(num.normalize(x)) else num.show(x)


def activation_timeline(analysis: Analysis) -> list:
    """Activation elements alive while each layer runs, in an inference pass that frees a tensor after its last use.

    The same model as the engine's peak (inputs alive from the start, a layer's output allocated before its inputs
    are freed, the graph's outputs kept); None for layers whose sizes are symbolic. Returns one entry per layer.
    """
    graph = analysis.graph
    sizes = {name: num.prod(shape[1:]) * analysis.batch for name, shape in analysis.inputs}
    for r in analysis.layers:
        sizes[r.name] = r.activation_elements
    if not all(num.is_concrete(v) for v in sizes.values()):
        return [None] * len(analysis.layers)
    last_use: dict = {}
    for i, r in enumerate(analysis.layers):
        for src in r.inputs:
            last_use[src] = i
    keep = {n for n, _ in analysis.outputs} if graph is None else set(graph.outputs)
    current = sum(sizes[n] for n, _ in analysis.inputs)
    live = {n for n, _ in analysis.inputs}
    out = []
    for i, r in enumerate(analysis.layers):
        current += sizes[r.name]
        live.add(r.name)
        out.append(current)
        for src in set(r.inputs):
            if last_use.get(src) == i and src not in keep and src in live:
                live.discard(src)
                current -= sizes[src]
        if r.name not in last_use and r.name not in keep:
            live.discard(r.name)
            current -= sizes[r.name]
    return out


def _field_size(rf):
    """The largest side of a receptive field in pixels, for the growth curve (None when not a concrete window)."""
    if rf is None or rf.whole or not all(num.is_concrete(s) for s in rf.size):
        return None
    return max(int(s) for s in rf.size)


def design(analysis: Analysis, label: str | None = None, depth: int | None = 1) -> dict:
    """One analysed architecture: totals, layers (with their enclosing groups), groups, stages and curves."""
    t = analysis.totals
    nbytes = DTYPE_BYTES[analysis.dtype]
    graph_nodes = {n.name: n for n in analysis.graph.nodes} if analysis.graph is not None else {}
    groups: dict = {}
    layers = []
    for r in analysis.layers:
        for level, (g, gtype) in enumerate(r.scope):
            entry = groups.setdefault(g, {"type": gtype, "level": level, "params": 0, "macs": 0, "members": 0})
            entry["params"] = num.normalize(entry["params"] + r.params)
            entry["macs"] = num.normalize(entry["macs"] + r.macs)
            entry["members"] += 1
        layers.append({
            "name": r.name, "type": r.type,
            "kind": "merge" if r.type in MERGE_TYPES else "layer",
            "family": FAMILY_OF.get(r.type, "other"),
            "scope": [g for g, _ in r.scope],
            "inputs": list(r.inputs),
            "shape": shape_text(r.output_shape),
            "detail": layer_detail(graph_nodes.get(r.name)),
            "params": _value(r.params), "macs": _value(r.macs),
            "activation_bytes": _value(r.activation_elements * nbytes),
            "rf": field_text(r.receptive_field), "rf_size": _field_size(r.receptive_field),
            "line": r.line,
        })
    for entry in groups.values():
        entry["params"], entry["macs"] = _value(entry["params"]), _value(entry["macs"])
    timeline = activation_timeline(analysis)
    live_bytes = [None if v is None else v * nbytes for v in timeline]
    peak = None
    if live_bytes and all(v is not None for v in live_bytes):
        at = max(range(len(live_bytes)), key=lambda i: live_bytes[i])
        peak = {"index": at, "layer": analysis.layers[at].name, "bytes": live_bytes[at]}
    stages = [{"name": row["name"], "type": row["type"], "params": _value(row["params"]),
               "macs": _value(row["macs"]), "members": row["members"]} for row in collapse(analysis, 0)]
    return {
        "label": label or analysis.name,
        "name": analysis.name,
        "file": analysis.file,
        "symbols": symbols_text(analysis.symbols),
        "symbolic": any(not num.is_concrete(v) for _, v in analysis.symbols),
        "batch": analysis.batch, "dtype": analysis.dtype,
        "depth": depth,
        "inputs": [{"name": n, "shape": shape_text(s)} for n, s in analysis.inputs],
        "outputs": [n for n, _ in analysis.outputs],
        "totals": [
            ["Params", num.exact(t.params), _human(t.params)],
            ["Trainable params", num.exact(t.trainable_params), _human(t.trainable_params)],
            ["Buffers", num.exact(t.buffers), _human(t.buffers)],
            ["MACs", num.exact(t.macs), _human(t.macs)],
            ["FLOPs", num.exact(t.flops), _human(t.flops)],
            ["Weight memory", num.exact(t.weight_bytes) + " B", _human(t.weight_bytes, True)],
            ["Activation memory", num.exact(t.activation_bytes) + " B", _human(t.activation_bytes, True)],
            ["Peak activation memory", "n/a" if t.peak_activation_bytes is None else
             num.exact(t.peak_activation_bytes) + " B",
             "n/a" if t.peak_activation_bytes is None else _human(t.peak_activation_bytes, True)],
            ["Layers (with params)", f"{len(analysis.layers)} ({t.layers_with_params})",
             f"{len(analysis.layers)} ({t.layers_with_params})"],
            ["Receptive field", field_text(t.spatial_receptive_field) or field_text(t.receptive_field),
             field_text(t.spatial_receptive_field) or field_text(t.receptive_field)],
        ],
        "layers": layers,
        "groups": groups,
        "stages": stages,
        "live_bytes": live_bytes,
        "peak": peak,
        "peak_activation_bytes": _value(t.peak_activation_bytes),
        "warnings": list(analysis.warnings),
    }


def comparison(comparison_result) -> dict:
    """The side-by-side totals of paramcalc.compare, as text cells (value and ratio to the first design)."""
    from ..render.compare_markdown import ratio_note, title, totals_grid

    header, rows = totals_grid(comparison_result)
    return {"title": title(comparison_result), "header": header, "rows": rows,
            "note": ratio_note(comparison_result), "differences": list(comparison_result.differences)}
