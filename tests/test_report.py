"""paramcalc report: one self-contained HTML file whose data, curves and layout agree with the engine."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from conftest import ARCH, analyse_text

from paramcalc import analyze_file
from paramcalc.draw import layout, model
from paramcalc.report import data, page

BUNDLED = sorted(p.stem for p in ARCH.glob("*.yaml"))


def embedded(html_text):
    m = re.search(r'<script id="paramcalc-data" type="application/json">(.*?)</script>', html_text, re.S)
    return json.loads(m.group(1))


@pytest.mark.parametrize("name", BUNDLED)
def test_memory_curve_peaks_at_the_engines_peak_activation_memory(name):
    a = analyze_file(name)
    live = data.activation_timeline(a)
    if a.totals.peak_activation_bytes is None:
        assert all(v is None for v in live)
        return
    assert len(live) == len(a.layers)
    assert max(live) * 4 == a.totals.peak_activation_bytes  # fp32: the engine's figure, computed on its own


def test_memory_curve_by_hand_on_a_residual_block():
    a = analyse_text("""
        input: [1, 4, 4]
        layers:
          - {name: a, type: conv, out: 2, kernel: 1}
          - {name: b, type: relu}
          - {name: c, type: conv, out: 2, kernel: 1}
          - {name: s, type: add, inputs: [a, c]}
        """)
    # input 16 alive; a: +32 (input freed after) ; b: +32, a kept for s ; c: +32, b freed ; s: +32, a and c freed
    assert data.activation_timeline(a) == [16 + 32, 32 + 32, 32 + 32 + 32, 32 + 32 + 32]


def test_report_is_self_contained_and_carries_every_layer():
    a = analyze_file("googlenet")
    text = page.report(a)
    assert "<script src" not in text and "<link rel=\"stylesheet\"" not in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)
    payload = embedded(text)
    design = payload["designs"][0]
    assert [l["name"] for l in design["layers"]] == [r.name for r in a.layers]
    assert design["peak_activation_bytes"] == a.totals.peak_activation_bytes
    assert ["Params", "6,624,904", "6.6M"] in design["totals"]  # torchvision's published GoogLeNet count
    assert "Chart.js v4.6.1" in text
    assert len(text.encode()) < 1_000_000


def test_report_text_cannot_break_out_of_its_script(tmp_path):
    f = tmp_path / "evil.yaml"
    f.write_text("name: \"</script><script>alert(1)</script>\"\ninput: [3, 8, 8]\nlayers:\n  - {type: relu}\n")
    text = page.report(analyze_file(str(f)))
    assert "<script>alert(1)" not in text
    assert embedded(text)["designs"][0]["name"] == "</script><script>alert(1)</script>"


def test_stages_sum_to_the_totals():
    a = analyze_file("resnet50")
    design = data.design(a)
    assert sum(s["params"] for s in design["stages"]) == 25_557_032
    assert [s["name"] for s in design["stages"]][:6] == ["conv1", "bn1", "relu1", "maxpool", "layer1", "layer2"]


def test_symbolic_model_gives_expressions_and_no_curve():
    design = data.design(analyze_file("vgg_two_3x3"))
    assert design["symbolic"] and design["peak"] is None
    assert design["layers"][0]["params"] == "9*c**2"


def test_comparison_report_puts_the_designs_side_by_side(tmp_path, run_cli):
    out = tmp_path / "cmp.html"
    r = run_cli("report", "vgg_one_5x5", "vgg_two_3x3", "--set", "c=128", "-o", out)
    assert r.exit_code == 0, r.output
    payload = embedded(out.read_text())
    assert [d["label"] for d in payload["designs"]] == ["vgg_one_5x5", "vgg_two_3x3"]
    rows = {row[0]: row for row in payload["comparison"]["rows"]}
    assert "409,600" in rows["Params"][1] and "294,912" in rows["Params"][2]  # 25c^2, 18c^2 at c=128
    assert "18/25" in rows["Params"][3]


def test_report_cli_writes_name_html_and_reports_bad_input(tmp_path, run_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run_cli("report", "lenet5")
    assert r.exit_code == 0 and (tmp_path / "lenet5.html").is_file()
    r = run_cli("report", "lenet6")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1


def test_assets_ship_inside_the_package():
    # hatch's wheel target packages the whole paramcalc/ folder, so the assets travel with the Python files
    for name in ("report.html", "report.css", "report.js", "graph.js", "layout.js", "vendor/chart.umd.min.js",
                 "vendor/chart.js.LICENSE.md", "vendor/VENDORED.md"):
        assert (page.ASSETS / name).is_file(), name
    assert "4.6.1" in (page.ASSETS / "vendor" / "VENDORED.md").read_text()


LAYOUT_RUNNER = """
const fs = require("fs");
global.window = {};
eval(fs.readFileSync(process.argv[2], "utf8"));
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const placed = window.Paramcalc.layered(input.nodes, input.edges, input.groups);
process.stdout.write(JSON.stringify(placed));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.parametrize("name, depth", [("googlenet", None), ("unet", None), ("resnet50", 1), ("densenet121", 1),
                                         ("ssd300_vgg16", None)])
def test_the_browser_lays_out_exactly_as_the_svg_writer(name, depth, tmp_path):
    d = model.build(analyze_file(name), depth)
    expected = layout.layout(d)
    nodes = []
    for n in d.nodes:
        w, h = layout.box_size(model.node_lines(n), n.kind)
        nodes.append({"id": n.id, "width": w, "height": h, "parent": n.group})
    payload = {"nodes": nodes, "edges": [list(e) for e in d.edges], "groups": {g.id: g.parent for g in d.groups}}
    runner = tmp_path / "run.js"
    runner.write_text(LAYOUT_RUNNER)
    out = subprocess.run(["node", str(runner), str(page.ASSETS / "layout.js")], input=json.dumps(payload),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    placed = json.loads(out.stdout)
    for node_id, box in expected.nodes.items():
        got = placed["nodes"][node_id]
        assert (got["x"], got["y"], got["w"], got["h"]) == pytest.approx((box.x, box.y, box.w, box.h), abs=0.01)
    for group_id, box in expected.groups.items():
        got = placed["groups"][group_id]
        assert (got["x"], got["y"], got["w"], got["h"]) == pytest.approx((box.x, box.y, box.w, box.h), abs=0.01)
    assert placed["width"] == pytest.approx(expected.width, abs=0.1)
    assert placed["height"] == pytest.approx(expected.height, abs=0.1)
