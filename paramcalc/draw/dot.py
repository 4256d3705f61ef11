"""Graphviz DOT writer: nodes, edges and blocks as nested clusters, for users who have Graphviz (`dot -Tpdf`)."""

from __future__ import annotations

from .model import Diagram, group_label, node_lines, node_tooltip, tree
from .svg import COLOURS


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render(diagram: Diagram, receptive_field: bool = False) -> str:
    members = tree(diagram)
    out = [f"digraph {_quote(diagram.name)} {{", "  rankdir=TB;",
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
           '  edge [color="#7a7a7a"];']
    cluster = iter(range(len(diagram.groups)))

    def emit(owner, indent):
        for what, item in members[owner]:
            if what == "node":
                fill, stroke = COLOURS.get(item.family, COLOURS["other"])
                shape = ", shape=ellipse" if item.kind == "merge" else ", style=\"rounded,filled,dashed\"" \
                    if item.kind == "block" else ""
                width = ", penwidth=2.5" if item.is_output else ""
                out.append(f"{indent}{_quote(item.id)} [label={_quote(chr(10).join(node_lines(item, receptive_field)))}, "
                           f"tooltip={_quote(node_tooltip(item))}, fillcolor=\"{fill}\", color=\"{stroke}\"{shape}{width}];")
            else:
                out.append(f"{indent}subgraph cluster_{next(cluster)} {{")
                out.append(f"{indent}  label={_quote(group_label(item, item.parent))}; style=dashed; color=\"#8aa0bd\";"
                           f" fontname=\"Helvetica\"; fontsize=10;")
                emit(item.id, indent + "  ")
                out.append(f"{indent}}}")

    emit(None, "  ")
    for u, v in diagram.edges:
        out.append(f"  {_quote(u)} -> {_quote(v)};")
    out.append("}")
    return "\n".join(out) + "\n"
