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
