"""Tables fit 60, 80, 100 and 120 columns without cutting or wrapping a number: every number cell printed at a
narrow width equals the cell of the unconstrained table (or its short-unit form), parsed back from the output."""

from __future__ import annotations

import pytest

import render_golden
from paramcalc import analyze_file
from paramcalc.render import table
from paramcalc.render.compare_table import human_only
from paramcalc.render.grid import Column, Row, Terminal, draw

WIDTHS = (60, 80, 100, 120)
WIDE = Terminal(width=10_000, color=False)


def parse(lines):
    """(headers, rows of cells) of the first box in ``lines``; cells stripped."""
    start = next(i for i, l in enumerate(lines) if l.startswith("┃"))
    headers = [h.strip() for h in lines[start].strip("┃").split("┃")]
    rows = []
    for l in lines[start + 2:]:
        if not l.startswith("│"):
            break
        rows.append([c.strip() for c in l.strip("│").split("│")])
    return headers, rows


def box_widths(lines):
    return [len(l) for l in lines if l[:1] in ("┏", "┃", "┡", "│", "└")]


def _same_column(narrow: str, wide: str) -> bool:
    """A narrow header names the wide one: equal, shortened ('RF', 'resnet50' for 'resnet50 params') or cut."""
    return narrow == wide or (narrow != "" and narrow in wide) or \
        (narrow.endswith("…") and wide.startswith(narrow[:-1]))


def assert_numbers_whole(wide_lines, narrow_lines, width, number_headers, squeeze=lambda t: t, aliases=None):
    """Each number column of the wide table is in the narrow one (matched in order by header; only share columns
    may be dropped) with the same cells, whole, or their squeezed form; and the box fits ``width``."""
    wh, wrows = parse(wide_lines)
    nh, nrows = parse(narrow_lines)
    assert max(box_widths(narrow_lines)) <= width, f"box wider than {width}"
    assert len(nrows) == len(wrows)
    at = 0
    for wi, header in enumerate(wh):
        if header not in number_headers:
            continue
        ni = next((j for j in range(at, len(nh)) if _same_column((aliases or {}).get(nh[j], nh[j]), header)), None)
        if ni is None:
            assert header == "%", f"number column {header!r} is missing at {width} columns"
            continue
        at = ni + 1
        for wr, nr in zip(wrows, nrows):
            assert nr[ni] in (wr[wi], squeeze(wr[wi])), f"{nr[ni]!r} is not {wr[wi]!r} ({header})"
            assert "…" not in nr[ni]


CONCRETE = [n for n in render_golden.names() if n not in render_golden.FREE_SYMBOLS]


@pytest.mark.parametrize("name", CONCRETE)
def test_show_table_keeps_every_number_whole_at_60_to_120_columns(name):
    a = analyze_file(name)
    wide = table.lines(a, term=WIDE)
    for width in WIDTHS:
        narrow = table.lines(a, term=Terminal(width=width, color=False))
        assert_numbers_whole(wide, narrow, width, {"Params", "%", "MACs"})
        dropped = [l for l in narrow if l.startswith("(not shown at")]
        nh = parse(narrow)[0]
        for gone in ("Type", "Output shape", "Receptive field"):
            if gone not in nh and {"Output shape": "Shape", "Receptive field": "RF"}.get(gone) not in nh:
                assert dropped and gone in dropped[0], f"{gone} left out at {width} without a footer"


def test_alexnet_at_80_columns_shows_whole_params_and_headers():
    lines = table.lines(analyze_file("alexnet"), term=Terminal(width=80, color=False))
    headers, rows = parse(lines)
    assert "Params" in headers and "MACs" in headers
    by_name = {r[0]: r for r in rows}
    assert by_name["conv1"][headers.index("Params")] == "23.3K"   # 64*3*11*11 + 64 = 23,296
    assert by_name["fc6"][headers.index("Params")] == "37.8M"     # 9216*4096 + 4096 = 37,752,832


@pytest.fixture
def run_at():
    from click.testing import CliRunner

    from paramcalc.cli import main

    def _run(args, width):
        r = CliRunner().invoke(main, args, env={"COLUMNS": str(width)})
        assert r.exit_code == 0, r.output
        return r.stdout.splitlines()

    return _run


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_by_stage_keeps_numbers_whole(run_at, width):
    args = ["compare", "resnet50", "resnet101", "--by", "stage"]
    wide, narrow = run_at(args, 10_000), run_at(args, width)
    stage_wide = wide[wide.index("") + 1:]
    stage_narrow = narrow[narrow.index("") + 1:]
    numbers = {"resnet50 params", "%", "MACs", "resnet101 params", "params ratio"}
    assert_numbers_whole(stage_wide, stage_narrow, width, numbers, human_only)
    assert_numbers_whole(wide, narrow, width, {"resnet50", "resnet101", "ratio"}, human_only)
    assert "26,090,496" in "\n".join(narrow) or "26.1M" in "\n".join(stage_narrow)


@pytest.mark.parametrize("width", WIDTHS)
def test_thop_breakdown_keeps_numbers_whole(run_at, width):
    args = ["show", "resnet50", "--convention", "thop", "--breakdown"]
    wide, narrow = run_at(args, 10_000), run_at(args, width)
    headers = parse(wide)[0]
    assert_numbers_whole(wide, narrow, width, set(headers[2:]))


@pytest.mark.parametrize("width", WIDTHS)
def test_sweep_keeps_numbers_whole(run_at, width):
    args = ["sweep", "alexnet", "--set", "res=224,448", "--method", "concrete"]
    wide, narrow = run_at(args, 10_000), run_at(args, width)
    assert_numbers_whole(wide, narrow, width, set(parse(wide)[0]),
                         aliases={"weights": "weight bytes", "activations": "activation bytes", "RF": "receptive field"})


def test_a_column_that_cannot_fit_is_dropped_and_named():
    cols = [Column("Name", min_width=4), Column("Notes", drop=0, min_width=40), Column("N", right=True, number=True)]
    rows = [Row(("a", "x" * 50, "123,456,789"))]
    lines = draw(cols, rows, Terminal(width=30, color=False))
    assert "123,456,789" in lines[3] and "xxxx" not in lines[3]
    assert lines[-1].startswith("(not shown at 30 columns: Notes")


def _unwrapped(lines):
    """(headers, rows) of a table whose expression cells may wrap: a line with an empty first cell continues the row
    above, each of its cells joined to the cell above (a break after '*' joins directly, after a space with one)."""
    headers, physical = parse(lines)
    rows = []
    for cells in physical:
        if cells[0] or not rows:
            rows.append(cells)
            continue
        rows[-1] = [a if not b else a + ("" if a.endswith("*") else " ") + b for a, b in zip(rows[-1], cells)]
    return headers, rows


@pytest.mark.parametrize("width", (60, 80))
def test_symbolic_values_wrap_whole_and_the_layer_names_stay_readable(width):
    # fcn32s with H, W and classes free: a MACs cell is 4096*classes**2*(floor(H/32 + 5/32) + 1)*(...), longer than
    # the terminal. It wraps onto more lines, whole, and the layer's name beside it keeps its width.
    a = analyze_file("fcn32s_vgg16", symbolic=True)
    wide_headers, wide_rows = parse(table.lines(a, term=WIDE))
    narrow = table.lines(a, term=Terminal(width=width, color=False))
    assert max(box_widths(narrow)) <= width
    headers, rows = _unwrapped(narrow)
    assert len(rows) == len(wide_rows)
    assert any(not cells[0] for cells in parse(narrow)[1]), "nothing wrapped: the test no longer tests wrapping"
    for column in ("Layer", "Params", "MACs"):
        w, n = wide_headers.index(column), headers.index(column)
        assert [r[n] for r in rows] == [r[w] for r in wide_rows], column
    assert "102760448*(floor(H/32 + 5/32) + 1)*(floor(W/32 + 5/32) + 1)" in [r[headers.index("MACs")] for r in rows]


def test_an_expression_breaks_between_factors_or_terms_never_inside_a_number():
    from paramcalc.render.grid import _wrap

    assert _wrap("221184*(floor(H/2 + 1/2) + 99)*(floor(W/2 + 1/2) + 99)", 40) == \
        ["221184*(floor(H/2 + 1/2) + 99)*", "(floor(W/2 + 1/2) + 99)"]
    assert _wrap("4096*classes**2 + 4097*classes + 134260544", 20) == \
        ["4096*classes**2 +", "4097*classes +", "134260544"]
    assert _wrap("61,100,840 (61.1M)", 8) == ["61,100,840 (61.1M)"]  # a number is one piece: too wide, not cut
    assert _wrap("123456789*H", 4) == ["123456789*", "H"]
    assert _wrap("4096*classes**2", 13) == ["4096*", "classes**2"]  # never inside a power's '**'
    assert _wrap("38592*res**2 + 7077888*floor(res/16)**2 + 123633664", 26) == \
        ["38592*res**2 +", "7077888*floor(res/16)**2 +", "123633664"]  # between terms before inside one



def test_a_symbolic_sum_wraps_a_term_a_line_rather_than_push_a_column_out():
    # resnet50 --symbolic at depth 1: layer2's MACs are 1179648*floor(res/8 + 7/8)**2 + 32768*floor(res/4 + 3/4)**2.
    # At 100 columns the receptive-field column stays, and such sums take a line per term (never a break inside one).
    a = analyze_file("resnet50", symbolic=True)
    wide_headers, wide_rows = parse(table.lines(a, depth=1, term=WIDE))
    narrow = table.lines(a, depth=1, term=Terminal(width=100, color=False))
    assert max(box_widths(narrow)) <= 100
    headers, rows = _unwrapped(narrow)
    assert "RF" in headers or "Receptive field" in headers
    assert [r[headers.index("MACs")] for r in rows] == [r[wide_headers.index("MACs")] for r in wide_rows]
    physical = parse(narrow)[1]
    m = headers.index("MACs")
    breaks = [physical[k][m] for k in range(len(physical) - 1) if not physical[k + 1][0] and physical[k + 1][m]]
    assert breaks and all(line.endswith(("+", "-")) for line in breaks), breaks
