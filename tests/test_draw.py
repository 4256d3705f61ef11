"""paramcalc draw: a node per layer at the chosen depth, legible layouts, and SVG / Mermaid / DOT / PNG that parse."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
from conftest import ARCH

from paramcalc import analyze_file
from paramcalc.draw import dot, layout, mermaid, model, png, svg
from paramcalc.engine import collapse

BUNDLED = sorted(p.stem for p in ARCH.glob("*.yaml"))
SVG_NS = "{http://www.w3.org/2000/svg}"
_ANALYSES: dict = {}


def analysis(name):
    if name not in _ANALYSES:
        _ANALYSES[name] = analyze_file(name)
    return _ANALYSES[name]


def svg_nodes(text):
    root = ET.fromstring(text)
    return [g for g in root.iter(f"{SVG_NS}g") if "node" in g.get("class", "").split()]


def overlaps(a, b, slack=0.5):
    return a.x + a.w - slack > b.x and b.x + b.w - slack > a.x and a.y + a.h - slack > b.y and b.y + b.h - slack > a.y


@pytest.mark.parametrize("depth", [None, 1, 0])
@pytest.mark.parametrize("name", BUNDLED)
def test_svg_of_every_bundled_architecture_parses_with_a_node_per_row_of_show(name, depth):
    a = analysis(name)
    d = model.build(a, depth)
    text = svg.render(d, layout.layout(d))
    names = [g.get("data-name") for g in svg_nodes(text)]
    # show --depth's rows (engine.collapse) are the independent count: one node each, plus the graph's inputs
    expected = [n for n, _ in a.inputs] + [row["name"] for row in collapse(a, depth)]
    assert names == expected


@pytest.mark.parametrize("name", BUNDLED)
def test_full_depth_layout_keeps_boxes_apart_and_groups_around_their_members(name):
    d = model.build(analysis(name), None)
    placed = layout.layout(d)
    boxes = list(placed.nodes.items())
    by_rank: dict = {}
    for node_id, b in boxes:
        by_rank.setdefault(round(b.y + b.h / 2), []).append((node_id, b))
    for row in by_rank.values():
        row.sort(key=lambda item: item[1].x)
        for (n1, b1), (n2, b2) in zip(row, row[1:]):
            assert not overlaps(b1, b2), (n1, n2)
    for node in d.nodes:
        if node.group is not None:
            g, b = placed.groups[node.group], placed.nodes[node.id]
            assert g.x <= b.x and b.x + b.w <= g.x + g.w and g.y <= b.y and b.y + b.h <= g.y + g.h, node.id
    # every box overlaps no box of another rank either
    for i, (n1, b1) in enumerate(boxes):
        for n2, b2 in boxes[i + 1:]:
            assert not overlaps(b1, b2), (n1, n2)
    # edges leave the bottom of their source and reach the top of their target
    for u, v, points in placed.edges:
        assert points[0][1] == pytest.approx(placed.nodes[u].y + placed.nodes[u].h, abs=0.1)
        assert points[-1][1] == pytest.approx(placed.nodes[v].y, abs=0.1)


def test_sibling_groups_do_not_overlap_in_googlenet_densenet_and_unet():
    # (SSD's heads and Inception-v3's widest modules still overlap their neighbours by up to ~17 px: the members of
    # a group do not always stand in one column)
    for name in ("googlenet", "densenet121", "unet", "squeezenet1_0"):
        d = model.build(analysis(name), None)
        placed = layout.layout(d)
        siblings: dict = {}
        for g in d.groups:
            siblings.setdefault(g.parent, []).append(g.id)
        for ids in siblings.values():
            for i, a in enumerate(ids):
                for b in ids[i + 1:]:
                    assert not overlaps(placed.groups[a], placed.groups[b]), (name, a, b)


def test_merges_are_drawn_as_merges_with_their_symbol():
    a = analysis("resnet18")
    d = model.build(a, None)
    text = svg.render(d, layout.layout(d))
    merges = [g for g in svg_nodes(text) if "merge" in g.get("class").split()]
    assert len(merges) == sum(1 for r in a.layers if r.type == "add") == 8
    labels = [t.text for t in merges[0].iter(f"{SVG_NS}text")]
    assert labels[0] == "+ add"
    concat = model.build(analysis("googlenet"), None)
    assert {n.type for n in concat.nodes if n.kind == "merge"} == {"concat"}


def test_node_labels_carry_name_type_shape_params_macs_and_rf_on_request():
    d = model.build(analysis("alexnet"), None)
    conv1 = next(n for n in d.nodes if n.id == "features.conv1" or n.name.endswith("conv1"))
    lines = model.node_lines(conv1)
    assert lines[0].endswith("conv1")
    assert "conv 11x11 s4" in lines[1] and "[1, 64, 55, 55]" in lines[1]
    assert lines[2] == "23.3K params · 70.3M MACs"  # 64*3*11*11 + 64 = 23,296; 23,232 x 55 x 55 = 70,276,800
    assert model.node_lines(conv1, receptive_field=True)[-1] == "RF 11x11 s4"
    assert "receptive field 11x11 s4" in model.node_tooltip(conv1)


def test_collapsed_block_sums_its_layers():
    a = analysis("resnet50")
    d = model.build(a, 1)
    block = next(n for n in d.nodes if n.id == "layer1.first")
    members = [r for r in a.layers if r.name.startswith("layer1.first.")]
    assert block.kind == "block" and block.members == len(members)
    assert block.params == sum(r.params for r in members)
    assert block.output_shape == "[1, 256, 56, 56]"


MERMAID_LINE = re.compile(
    r'^(%%.*'
    r'|flowchart TB'
    r'|\s*n\d+(\["[^"]*"\]|\("[^"]*"\)|\(\["[^"]*"\]\))'
    r'|\s*subgraph g\d+\["[^"]*"\]'
    r'|\s*direction TB'
    r'|\s*end'
    r'|\s*n\d+ --> n\d+'
    r'|\s*classDef \w+ fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6},color:#222'
    r'|\s*class n\d+(,n\d+)* \w+)$')


def check_mermaid(text):
    """Mermaid's flowchart grammar, for the statements paramcalc writes: every line one statement, quoted labels
    free of quotes, subgraphs closed, edges between declared nodes, ids declared once."""
    declared, depth = set(), 0
    lines = text.splitlines()
    assert lines[1] == "flowchart TB"
    for line in lines:
        assert MERMAID_LINE.match(line), line
        m = re.match(r"\s*(n\d+)[\[(]", line)
        if m:
            assert m.group(1) not in declared, line
            declared.add(m.group(1))
        if line.strip().startswith("subgraph "):
            depth += 1
        if line.strip() == "end":
            depth -= 1
            assert depth >= 0
        e = re.match(r"\s*(n\d+) --> (n\d+)$", line)
        if e:
            assert e.group(1) in declared and e.group(2) in declared, line
    assert depth == 0
    return declared


@pytest.mark.parametrize("name", BUNDLED)
def test_mermaid_of_every_bundled_architecture_passes_the_grammar_check(name):
    a = analysis(name)
    d = model.build(a, 1)
    declared = check_mermaid(mermaid.render(d))
    assert len(declared) == len(a.inputs) + len(collapse(a, 1))


def test_mermaid_escapes_what_its_grammar_reserves():
    text = mermaid._label(['say "hi" #1 <b>'])
    assert text == '"say #quot;hi#quot; #35;1 #lt;b#gt;"'


def test_mermaid_warns_when_github_would_refuse_the_diagram(run_cli):
    r = run_cli("draw", "densenet201", "--format", "mermaid")
    assert r.exit_code == 0
    assert "over Mermaid's default limit" in r.stderr
    r = run_cli("draw", "densenet201", "--format", "mermaid", "--depth", "1")
    assert r.exit_code == 0 and "warning" not in r.stderr


def test_dot_output_has_balanced_clusters_and_every_node():
    a = analysis("googlenet")
    d = model.build(a, 1)
    text = dot.render(d)
    assert text.count("{") == text.count("}")
    assert text.count("subgraph cluster_") == len(d.groups)
    assert sum(1 for line in text.splitlines() if "[label=" in line) == len(d.nodes)
    if shutil.which("dot"):
        out = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr


def test_png_needs_cairosvg_or_a_browser_and_says_so(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_cairosvg(name, *args, **kwargs):
        if name == "cairosvg":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cairosvg)
    monkeypatch.setattr(png, "find_browser", lambda: None)
    from paramcalc.errors import UsageError

    with pytest.raises(UsageError, match=r"pip install cairosvg"):
        png.render("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>", 10, 10)


def test_png_is_written_when_a_rasteriser_is_there(tmp_path, run_cli):
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        if png.find_browser() is None:
            pytest.skip("neither CairoSVG nor Chromium is installed")
    out = tmp_path / "lenet.png"
    r = run_cli("draw", "lenet5", "-o", out)
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    d = model.build(analysis("lenet5"), None)
    placed = layout.layout(d)
    assert (width, height) in ((round(placed.width), round(placed.height)),
                               (int(placed.width) + 1, int(placed.height) + 1))


def test_draw_picks_the_format_from_the_suffix_and_reports_bad_input_in_one_line(tmp_path, run_cli):
    for suffix, start in ((".svg", "<svg"), (".mmd", "%%"), (".dot", "digraph"), (".html", "<!DOCTYPE html>")):
        out = tmp_path / f"net{suffix}"
        r = run_cli("draw", "resnet18", "--depth", "1", "-o", out)
        assert r.exit_code == 0, r.output
        assert out.read_text().startswith(start)
    r = run_cli("draw", "resnet1")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "resnet18" in r.stderr
    r = run_cli("draw", "resnet18", "-o", tmp_path / "missing" / "x.svg")
    assert r.exit_code == 2 and "cannot write" in r.stderr


def test_large_graphs_lay_out_quickly():
    # a loose bound that only a blow-up breaks (ResNet-152 at full depth takes about 0.3 s on one core)
    for name in ("resnet152", "densenet201"):
        d = model.build(analysis(name), None)
        started = time.perf_counter()
        layout.layout(d)
        assert time.perf_counter() - started < 20
