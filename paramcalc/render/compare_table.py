"""The terminal view of `paramcalc compare`: totals side by side, differences, the stage view, fit to the width."""

from __future__ import annotations

import sys

from ..compare import Comparison
from .compare_markdown import ratio_note, stage_heading, stages_grid, title, totals_grid
from .grid import DIM, YELLOW, Column, Row, Terminal, draw, terminal


# Shorter forms of the long quantity labels, used only when the table would not fit the width otherwise.
SHORT_LABELS = {
    "Peak activation memory": "Peak activations",
    "Depth (layers with params)": "Depth",
    "Receptive field at the output": "RF at output",
    "Receptive field at the last spatial layer": "RF, last spatial",
    "Activation memory": "Activations",
    "Trainable params": "Trainable",
}


def human_only(text: str) -> str:
    """'26,090,496 (26.1M)' -> '26.1M' (the same count in its short unit), 'whole input (224x224)' -> 'whole input':
    the shorter form, to fit a narrow terminal."""
    if text.endswith(")") and " (" in text:
        return text[text.rindex(" (") + 2:-1] if text[0].isdigit() else text[:text.rindex(" (")]
    return text


def _first_shapes(text: str) -> str:
    """'[1, 364, 38, 38], [1, 16, 38, 38], ...' (a detector's twelve outputs) -> '[1, 364, 38, 38] +11 more': the
    note under the table lists them all when they differ."""
    parts = text.split("], [")
    return text if len(parts) <= 2 else parts[0] + f"] +{len(parts) - 1} more"


def _totals_rows(rows) -> list[Row]:
    return [Row(tuple(r if r[0] not in ("Input shape", "Output shape") else [r[0], *map(_first_shapes, r[1:])]))
            for r in rows]


def _totals_columns(header) -> list[Column]:
    return [Column(header[0], min_width=12, squeeze=lambda t: SHORT_LABELS.get(t, t))] + \
        [Column(h, right=True, number=True, squeeze=human_only) for h in header[1:]]


def _stage_columns(header) -> list[Column]:
    """Stage (cut to 12 at most) and type (dropped first), then per design params, %, MACs (and params ratio):
    number columns, never cut; counts fall back to their short unit and shares are dropped before overflowing."""
    out = [Column(header[0], min_width=12), Column(header[1], min_width=6, drop=0)]
    for h in header[2:]:
        if h == "%":
            out.append(Column(h, right=True, number=True, drop=1))
        elif h == "params ratio":
            out.append(Column(h, right=True, number=True, short="ratio"))
        elif h.endswith(" params"):
            out.append(Column(h, right=True, number=True, squeeze=human_only, short=h[:-len(" params")]))
        else:
            out.append(Column(h, right=True, number=True, squeeze=human_only))
    return out


def lines(c: Comparison, term: Terminal | None = None) -> list[str]:
    term = term or terminal()
    header, rows = totals_grid(c)
    out = draw(_totals_columns(header), _totals_rows(rows), term, title(c))
    out.append(term.paint(ratio_note(c), DIM))
    for d in c.differences:
        out.append(term.paint("note: " + d, YELLOW))
    if c.stages is not None:
        header, rows = stages_grid(c)
        out.append("")
        out += draw(_stage_columns(header), [Row(tuple(r)) for r in rows], term, stage_heading(c))
    return out


def render(c: Comparison, console=None, term: Terminal | None = None) -> None:
    """Print the comparison to stdout (no colours when it is not a terminal). ``console`` is ignored (kept for
    callers of the rich-based version)."""
    sys.stdout.write("\n".join(lines(c, term)) + "\n")
