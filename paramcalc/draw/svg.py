"""SVG writer: prints a laid-out Diagram as a standalone SVG (one <g class="node"> per visible node). No layout here."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from .. import num
from .layout import LINE_HEIGHT, PAD_Y, Layout
from .model import Diagram, group_label, node_lines, node_tooltip

# fill, border per colour family
COLOURS = {
    "conv": ("#dbe9f8", "#3b78b5"),
    "linear": ("#e8def5", "#7350a8"),
    "norm": ("#dff1e1", "#3f8a4a"),
    "activation": ("#fdf3d8", "#b38a1c"),
    "pool": ("#fde4d2", "#c0642a"),
    "merge": ("#fbe0e0", "#b83b3b"),
    "input": ("#eeeeee", "#555555"),
    "block": ("#f1f5fa", "#4a5f7a"),
    "other": ("#f4f4f4", "#888888"),
}
STYLE = """
text { font-family: 'DejaVu Sans', Arial, Helvetica, sans-serif; font-size: 11px; fill: #222; }
.node text.name { font-weight: bold; }
.group rect { fill: #f7f9fc; fill-opacity: 0.6; stroke: #8aa0bd; stroke-dasharray: 5 3; }
.group text { font-size: 10px; fill: #4a5f7a; font-style: italic; }
.edge { fill: none; stroke: #7a7a7a; stroke-width: 1.2; }
.node.output rect { stroke-width: 2.5; }
"""


def _fit(text: str, width: float) -> str:
    """Cut a group's title to its box (10px italic: about 5.6 px a character)."""
    most = max(int(width / 5.6), 4)
    return text if len(text) <= most else text[:most - 1] + "…"


def _points(points) -> str:
    return " ".join(f"{x:g},{y:g}" for x, y in points)


def render(diagram: Diagram, layout: Layout, receptive_field: bool = False) -> str:
    """The SVG text. Nodes carry data-name (the full layer or block name) and a <title> shown on hover."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{layout.width:g}" height="{layout.height:g}" '
           f'viewBox="0 0 {layout.width:g} {layout.height:g}" font-family="DejaVu Sans, Arial, sans-serif">',
           f"<title>{escape(diagram.name)}: {escape(num.human(diagram.params))} params, "
           f"{escape(num.human(diagram.macs))} MACs</title>",
           f"<style>{STYLE}</style>",
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#7a7a7a"/></marker></defs>',
           f'<rect width="{layout.width:g}" height="{layout.height:g}" fill="#ffffff"/>']
    for g in diagram.groups:
        b = layout.groups[g.id]
        out.append(f'<g class="group" data-name={quoteattr(g.id)}>'
                   f'<title>{escape(g.id)} ({escape(g.type)}): {escape(num.exact(g.params))} params, '
                   f'{escape(num.exact(g.macs))} MACs, {g.members} layers</title>'
                   f'<rect x="{b.x:g}" y="{b.y:g}" width="{b.w:g}" height="{b.h:g}" rx="6"/>'
                   f'<text x="{b.x + 8:g}" y="{b.y + 13:g}">{escape(_fit(group_label(g, g.parent), b.w - 14))}</text></g>')
    for u, v, points in layout.edges:
        out.append(f'<polyline class="edge" data-from={quoteattr(u)} data-to={quoteattr(v)} '
                   f'points="{_points(points)}" marker-end="url(#arrow)"/>')
    for n in diagram.nodes:
        b = layout.nodes[n.id]
        fill, stroke = COLOURS.get(n.family, COLOURS["other"])
        classes = f"node {n.kind}" + (" output" if n.is_output else "")
        rx = b.h / 2 if n.kind == "merge" else 10 if n.kind == "block" else 4
        lines = node_lines(n, receptive_field)
        out.append(f'<g class="{classes}" data-name={quoteattr(n.id)} data-type={quoteattr(n.type)}>'
                   f"<title>{escape(node_tooltip(n))}</title>"
                   f'<rect x="{b.x:g}" y="{b.y:g}" width="{b.w:g}" height="{b.h:g}" rx="{rx:g}" fill="{fill}" '
                   f'stroke="{stroke}"' + (' stroke-dasharray="6 2"' if n.kind == "block" else "") + "/>")
        for i, line in enumerate(lines):
            cls = ' class="name"' if i == 0 and n.kind not in ("merge",) else ""
            y = b.y + PAD_Y + LINE_HEIGHT * (i + 1) - 3
            out.append(f'<text{cls} x="{b.cx:g}" y="{y:g}" text-anchor="middle">{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
