"""Plain-text tables fit to a terminal width: number cells are never cut; text columns shrink, then drop, first;
symbolic values too long for what is left wrap whole onto more lines of their row.

The drawing matches rich's HEAVY_HEAD box without edge padding (the look `paramcalc show` always had), but the layout
is computed here in one linear pass over the cells: rich cost ~0.4 ms a row, which made large tables slow.
Colour is a handful of ANSI codes, used only when the output is a terminal.
"""

from __future__ import annotations

import os
import sys
import textwrap

from ..records import record

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Callable

PIPE_WIDTH = 200  # the width when stdout is not a terminal and COLUMNS is unset (rich's choice before, kept)

BOLD, DIM, ITALIC, YELLOW = "1", "2", "3", "33"


@record
class Column:
    """One column: its header, alignment, and what may happen to it when the table is too wide.

    ``number`` cells are never cut or wrapped (only their header may be shortened to ``short``, and they may be
    ``squeeze``d to a shorter whole form, '26,090,496 (26.1M)' -> '26.1M', after the text columns were cut); a text
    column may be ``squeeze``d (a compaction such as '[1, 64, 55, 55]' -> '[1,64,55,55]'), then cut with '…' down
    to ``min_width``, then dropped, in ascending ``drop`` order (None: never dropped).
    """

    header: str
    right: bool = False
    number: bool = False
    short: str | None = None
    squeeze: Callable[[str], str] | None = None
    min_width: int = 6
    drop: int | None = None


@record
class Row:
    """Cells and their style: '' plain, 'group' (a block's header: first cell bold, the rest dim), 'bold', 'dim'."""

    cells: tuple
    style: str = ""


@record
class Terminal:
    """Where text goes, how wide it may be, and whether it may carry colour."""

    width: int
    color: bool

    def paint(self, text: str, *codes: str) -> str:
        if not self.color or not codes or not text:
            return text
        return f"\x1b[{';'.join(codes)}m{text}\x1b[0m"

    def print(self, text: str = "", *codes: str) -> None:
        sys.stdout.write(self.paint(text, *codes) + "\n")


def terminal(width: int | None = None) -> Terminal:
    """stdout's width: ``width`` if given, else $COLUMNS, else the terminal's, else 200 when piped; colour only on a
    terminal (and not with NO_COLOR)."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    if width is None:
        env = os.environ.get("COLUMNS", "")
        if env.isdigit() and int(env) > 0:
            width = int(env)
        elif tty:
            width = os.get_terminal_size(sys.stdout.fileno()).columns
        else:
            width = PIPE_WIDTH
    return Terminal(width=width, color=tty and "NO_COLOR" not in os.environ
                    and os.environ.get("TERM") != "dumb")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


def _pieces(text: str) -> list:
    """An expression cell's pieces, each ending where a line may break: after a space or a product's '*' (not
    inside a power's '**'), a sum's sign staying with the term before it: '4096*(H + 1)' -> '4096*', '(H + ', '1)'.
    A number ('61,100,840 (61.1M)') is one piece: it never wraps."""
    if "*" not in text and " + " not in text and " - " not in text:
        return [text]
    out, start = [], 0
    for k, ch in enumerate(text):
        if ch == " " or ch == "*" and text[k - 1:k] != "*" and text[k + 1:k + 2] != "*":
            piece = text[start:k + 1]
            if piece in ("+ ", "- ") and out:  # a sum's sign ends the line before it, never stands alone
                out[-1] += piece
            else:
                out.append(piece)
            start = k + 1
    if start < len(text):
        out.append(text[start:])
    return out


def _terms(text: str) -> list:
    """An expression cell's terms: its pieces joined between the breaks of its top-level sum ('212992*x**2 + ',
    '32768*y**2'); a product stays whole."""
    out, current, depth = [], "", 0
    for piece in _pieces(text):
        current += piece
        depth += piece.count("(") - piece.count(")")
        if depth == 0 and piece.endswith(("+ ", "- ")):
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return out


def _wrap(text: str, width: int) -> list:
    """``text`` over lines of at most ``width`` characters, broken only between ``_pieces`` (whole, never cut): each
    line ends at the last break that fits outside the most parentheses, between a sum's terms rather than a
    product's factors where it can: '221184*(floor(H/2 + 1/2) + 99)*' then '(floor(W/2 + 1/2) + 99)'."""
    pieces = _pieces(text)
    ranks, depth = [], 0  # of a break after each piece: fewer parentheses open first, then a sum's before a product's
    for p in pieces:
        depth += p.count("(") - p.count(")")
        ranks.append((depth, 0 if p.endswith(("+ ", "- ")) else 1 if p.endswith(" ") else 2))
    lines, start = [], 0
    while start < len(pieces):
        rest = "".join(pieces[start:]).rstrip()
        if len(rest) <= width:
            lines.append(rest)
            break
        best, length, k = start, 0, start
        while k < len(pieces) and length + len(pieces[k].rstrip()) <= width:
            if ranks[k] <= ranks[best] or k == start:
                best = k
            length += len(pieces[k])
            k += 1
        lines.append("".join(pieces[start:best + 1]).rstrip())
        start = best + 1
    return lines


def _total(widths) -> int:
    n = len(widths)
    return sum(widths) + (n + 1) + 2 * (n - 1)  # cells, n+1 rules, one space each side except at the edges


@record
class Layout:
    columns: tuple           # indices of the columns shown
    headers: tuple
    widths: tuple
    squeezed: frozenset      # indices whose cells were squeezed
    dropped: tuple           # headers of the columns left out
    wrapped: frozenset = frozenset()  # number columns whose expression cells wrap onto more lines (kept whole)


def layout(columns: list[Column], rows: list[Row], width: int) -> Layout:
    """Choose headers and widths for ``width``: natural widths if they fit; else squeeze, shorten number headers,
    cut text columns, and drop text columns (lowest ``drop`` first), re-trying after each drop."""
    droppable = sorted((c.drop, i) for i, c in enumerate(columns) if c.drop is not None)
    texts = [set(column) for column in zip(*(r.cells for r in rows))] or [set() for _ in columns]  # distinct cells
    data_width = [max(map(len, column), default=0) for column in texts]
    natural = [max(len(c.header), w) for c, w in zip(columns, data_width)]
    squeezed_data = {i: max((len(c.squeeze(text)) for text in texts[i]), default=0)
                     for i, c in enumerate(columns) if c.squeeze is not None}
    squeezed_natural = {i: max(len(columns[i].header), w) for i, w in squeezed_data.items()}
    unit_width: dict = {}  # (column, squeezed, split) -> its cells' longest unbreakable unit: how narrow it wraps

    def narrowest(i, squeezed, split) -> int:
        key = (i, i in squeezed, split)
        if key not in unit_width:
            cells = [columns[i].squeeze(t) if key[1] else t for t in texts[i]]
            unit_width[key] = max([1, *(len(u.rstrip()) for t in cells for u in split(t))])
        return unit_width[key]

    def wrap(widths, shown, squeezed, excess, split) -> set:
        """Narrow the number columns whose cells are expressions, the widest first a character at a time (so that
        several end up alike), down to their longest unit (``split``: a sum's terms, or the pieces of a term),
        until ``excess`` is taken; the columns narrowed."""
        floors = {i: narrowest(i, squeezed, split) for i in shown if columns[i].number}
        wrapped = set()
        while excess > 0:
            i = max((i for i in floors if widths[i] > floors[i]), key=lambda i: widths[i], default=None)
            if i is None:
                break
            widths[i] -= 1
            excess -= 1
            wrapped.add(i)
        return wrapped

    best = None
    for n_dropped in range(len(droppable) + 1):
        gone = {i for _, i in droppable[:n_dropped]}
        shown = [i for i in range(len(columns)) if i not in gone]
        headers = {i: columns[i].header for i in shown}
        widths = {i: natural[i] for i in shown}
        squeezed = set()
        wrapped = set()

        def fits() -> bool:
            return _total([widths[i] for i in shown]) <= width

        for step in ("squeeze", "short", "cut", "squeeze numbers", "cut", "wrap"):
            if fits():
                break
            if step == "wrap":  # a symbolic sum wraps, a term a line, rather than push a column out
                wrapped = wrap(widths, shown, squeezed, _total([widths[i] for i in shown]) - width, _terms)
            elif step.startswith("squeeze"):
                for i in shown:
                    if columns[i].number != (step == "squeeze numbers"):
                        continue
                    if i in squeezed_natural and squeezed_natural[i] < widths[i]:
                        squeezed.add(i)
                        widths[i] = squeezed_natural[i]
            elif step == "short":
                for i in shown:
                    c = columns[i]
                    if c.short is not None and len(c.short) < len(headers[i]):
                        headers[i] = c.short
                        base = squeezed_data[i] if i in squeezed else data_width[i]
                        widths[i] = max(len(c.short), base)
            else:  # cut text columns to their minimum, the first to drop first, until it fits
                excess = _total([widths[i] for i in shown]) - width
                order = sorted((i for i in shown if not columns[i].number),
                               key=lambda i: (columns[i].drop is None, columns[i].drop or 0, i))
                for i in order:
                    if excess <= 0:
                        break
                    take = max(0, min(excess, widths[i] - columns[i].min_width))
                    widths[i] -= take
                    excess -= take
        result = Layout(tuple(shown), tuple(headers[i] for i in shown), tuple(widths[i] for i in shown),
                        frozenset(squeezed), tuple(columns[i].header for _, i in droppable[:n_dropped]),
                        frozenset(wrapped))
        if fits():
            return result
        if best is None:
            best = result
        if n_dropped == len(droppable):
            # still too wide with every droppable column gone: cut number headers to their cells, and text columns
            # to one character, before giving up and overflowing (numbers stay whole).
            widths = {i: (max(squeezed_data[i] if i in squeezed else data_width[i], 1) if columns[i].number
                          else widths[i]) for i in shown}
            excess = _total(list(widths.values())) - width
            # symbolic values wrap, whole, before a text column is cut below its minimum: the layer's name must
            # stay readable beside them
            wrapped = wrap(widths, shown, squeezed, excess, _pieces)
            excess = _total(list(widths.values())) - width
            headers = {i: _cut(headers[i], widths[i]) for i in shown}
            for i in sorted(shown, key=lambda i: -widths[i]):
                if excess <= 0:
                    break
                if not columns[i].number:
                    take = min(excess, widths[i] - 1)
                    widths[i] -= take
                    excess -= take
            return Layout(tuple(shown), tuple(headers[i] for i in shown), tuple(widths[i] for i in shown),
                          frozenset(squeezed), result.dropped, frozenset(wrapped))
    return best  # unreachable: the loop always returns


def draw(columns: list[Column], rows: list[Row], term: Terminal, title: str | None = None) -> list[str]:
    """The table's lines (title, box, rows), fit to ``term.width``, and a footer naming any dropped columns."""
    lay = layout(columns, rows, term.width)
    cols = [columns[i] for i in lay.columns]
    widths = lay.widths
    total = _total(widths)
    out = []
    if title:
        for line in textwrap.wrap(title, max(total, 1), break_on_hyphens=False) or [""]:
            out.append(term.paint(line.ljust(total), ITALIC))

    def rule(left, fill, mid, right):
        parts = [fill * (w + (1 if k in (0, len(widths) - 1) else 2)) if len(widths) > 1 else fill * w
                 for k, w in enumerate(widths)]
        return left + mid.join(parts) + right

    justify = [str.rjust if c.right else str.ljust for c in cols]

    def line(cells, sep, codes_for=None):
        """'│ a │ b │': each cell cut and aligned to its width; ``codes_for(k)`` paints the k-th (not the space
        around it)."""
        texts = [fit(text if len(text) <= w else _cut(text, w), w) for text, w, fit in zip(cells, widths, justify)]
        if codes_for is not None and term.color:
            texts = [term.paint(text, *codes_for(k)) for k, text in enumerate(texts)]
        return sep + f" {sep} ".join(texts) + sep

    out.append(rule("┏", "━", "┳", "┓"))
    out.append(line(lay.headers, "┃", lambda k: (BOLD,)))
    out.append(rule("┡", "━", "╇", "┩"))
    index = lay.columns
    squeeze = [columns[i].squeeze if i in lay.squeezed else None for i in index]
    as_given = not any(squeeze) and index == tuple(range(len(columns)))
    wraps = [i in lay.wrapped for i in index]
    for r in rows:
        cells = r.cells if as_given else \
            [r.cells[i] if squeeze[k] is None else squeeze[k](r.cells[i]) for k, i in enumerate(index)]
        lines = [cells]
        if lay.wrapped:  # a cell too long for its column is spread over more lines of the row
            parts = [_wrap(c, widths[k]) if w and len(c) > widths[k] else [c]
                     for k, (c, w) in enumerate(zip(cells, wraps))]
            lines = [[p[j] if j < len(p) else "" for p in parts] for j in range(max(map(len, parts)))]
        for cells in lines:
            if not term.color or not r.style:
                out.append(line(cells, "│"))
            elif r.style == "group":
                out.append(line(cells, "│", lambda k: (BOLD,) if k == 0 else (DIM,)))
            else:
                code = BOLD if r.style == "bold" else DIM
                out.append(line(cells, "│", lambda k: (code,)))
    out.append(rule("└", "─", "┴", "┘"))
    if lay.dropped:
        out.append(term.paint(f"(not shown at {term.width} columns: {', '.join(dict.fromkeys(lay.dropped))}; "
                              "a wider terminal shows them)", DIM))
    return out
