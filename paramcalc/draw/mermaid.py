"""Mermaid writer: a `flowchart TB` that GitHub renders in a README or pull request, blocks as nested subgraphs."""

from __future__ import annotations

from .model import Diagram, group_label, node_lines, tree
from .svg import COLOURS

# Mermaid's own defaults (mermaidAPI config maxTextSize, maxEdges), which GitHub keeps: past them it draws nothing.
MAX_TEXT = 50_000
MAX_EDGES = 500


def _label(lines) -> str:
    """A quoted label: entity codes for the characters Mermaid's grammar gives a meaning (quotes, #, angle brackets)."""
    safe = [line.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
            for line in lines]
    return '"' + "<br/>".join(safe) + '"'


def render(diagram: Diagram, receptive_field: bool = False) -> str:
    """The flowchart text. Node ids are n0, n1, ... and subgraph ids g0, g1, ... in the diagram's order."""
    node_id = {n.id: f"n{i}" for i, n in enumerate(diagram.nodes)}
    group_id = {g.id: f"g{i}" for i, g in enumerate(diagram.groups)}
    members = tree(diagram)

    out = [f"%% {diagram.name}: paramcalc draw --format mermaid", "flowchart TB"]

    def emit(owner, indent):
        for what, item in members[owner]:
            if what == "node":
                text = _label(node_lines(item, receptive_field))
                nid = node_id[item.id]
                if item.kind == "merge":
                    out.append(f"{indent}{nid}([{text}])")
                elif item.kind == "block":
                    out.append(f"{indent}{nid}({text})")
                else:
                    out.append(f"{indent}{nid}[{text}]")
            else:
                out.append(f"{indent}subgraph {group_id[item.id]}[{_label([group_label(item, item.parent)])}]")
                out.append(f"{indent}  direction TB")
                emit(item.id, indent + "  ")
                out.append(f"{indent}end")

    emit(None, "  ")
    for u, v in diagram.edges:
        out.append(f"  {node_id[u]} --> {node_id[v]}")
    families: dict = {}
    for n in diagram.nodes:
        families.setdefault(n.family, []).append(node_id[n.id])
    for family, ids in families.items():
        fill, stroke = COLOURS.get(family, COLOURS["other"])
        out.append(f"  classDef {family} fill:{fill},stroke:{stroke},color:#222")
        out.append(f"  class {','.join(ids)} {family}")
    return "\n".join(out) + "\n"


def too_large(text: str, diagram: Diagram) -> str | None:
    """Why GitHub would refuse to draw it (Mermaid's default limits), or None."""
    if len(text) > MAX_TEXT:
        return f"{len(text):,} characters, over Mermaid's default limit of {MAX_TEXT:,}"
    if len(diagram.edges) > MAX_EDGES:
        return f"{len(diagram.edges):,} edges, over Mermaid's default limit of {MAX_EDGES:,}"
    return None
