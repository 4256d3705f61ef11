"""`show --breakdown`: where the compute goes, per layer and in total, by category or by a convention's terms."""

from __future__ import annotations

import csv
import io
import json

from paramcalc import analyze_file
from paramcalc.breakdown import build


def test_category_breakdown_rows_sum_to_the_engine_totals():
    a = analyze_file("resnet50")
    bd = build(a)
    for i, column in enumerate(bd.columns):
        assert sum(r.values[i] for r in bd.rows) == bd.totals[i] == a.totals.ops[column]
    assert "upsampling" not in bd.columns  # columns that are zero everywhere are left out


def test_alexnet_categories_by_hand():
    bd = build(analyze_file("alexnet"))
    totals = dict(zip(bd.columns, bd.totals))
    # ReLU after each of the 5 convs and the first two linears
    assert totals["activation"] == 64 * 55 * 55 + 192 * 27 * 27 + 384 * 13 * 13 + 2 * 256 * 13 * 13 + 2 * 4096
    # max pools read output x window (3x3) elements; the adaptive pool reads its input once
    assert totals["pooling"] == 9 * (64 * 27 * 27 + 192 * 13 * 13 + 256 * 6 * 6) + 256 * 6 * 6


def test_depth_groups_rows_and_keeps_the_totals():
    a = analyze_file("resnet50")
    flat, grouped = build(a, "thop"), build(a, "thop", depth=1)
    assert len(grouped.rows) < len(flat.rows)
    assert grouped.totals == flat.totals
    assert any(r.name == "layer1.first" and r.members == 12 for r in grouped.rows)


def test_breakdown_csv_total_row_is_the_convention_figure(run_cli):
    r = run_cli("show", "resnet50", "--convention", "thop", "--breakdown", "--format", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[-1]["name"] == "TOTAL" and int(rows[-1]["total"]) == 4_133_742_592  # ultralytics/thop README
    assert sum(int(row["total"]) for row in rows[:-1]) == 4_133_742_592


def test_breakdown_json_and_markdown_and_table(run_cli):
    d = json.loads(run_cli("show", "alexnet", "--breakdown", "--format", "json").stdout)
    assert d["breakdown"]["total"] == sum(d["breakdown"]["totals"].values())
    assert d["breakdown"]["totals"]["conv"] + d["breakdown"]["totals"]["linear"] == d["totals"]["macs"]
    md = run_cli("show", "alexnet", "--breakdown", "--format", "markdown").stdout
    assert md.startswith("### operations by category") and "| **TOTAL** |" in md
    table = run_cli("show", "alexnet", "--breakdown").stdout
    assert "conv1" in table and "TOTAL" in table and "\x1b[" not in table
