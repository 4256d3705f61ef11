"""The shortcuts that make deep models quick change no number: a repeated block's layers reuse their rules' results,
JSON layers are written from shared pieces, and whole numbers skip Fraction arithmetic."""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramcalc import load_graph, num
from paramcalc.engine import LayerResult, analyze
from paramcalc.layers import Attrs
from paramcalc.render import jsonout
from paramcalc.render.grid import Column, Row, Terminal, draw
from paramcalc.render.jsontext import compact, dumps

# Repeated blocks (with and without a projection), dense concatenation, squeeze-excitation, attention with tied
# embeddings and a KV cache, windowed attention, upsampling (fractional receptive-field strides), a detector with
# tied heads, and symbolic sizes.
MODELS = [
    ("preresnet1001_cifar", {"overrides": {"n": 18}}), ("resnet50", {}), ("densenet121", {}),
    ("efficientnet_b0", {}), ("gpt2", {}), ("swin_t", {}), ("unet", {}), ("retinanet_resnet50_fpn", {}),
    ("resnet_bottleneck", {"symbolic": True}), ("resnet18", {"symbolic": True}),
    # layers written out one by one that share attributes by value (each conv's ReLU, Inception's branches)
    ("googlenet", {"symbolic": True}), ("inception_v3", {}),
]


def _unshared(graph):
    """The same graph with every node given its own copy of its attributes, so no layer's results can be reused."""
    nodes = tuple(dataclasses.replace(n, attrs=Attrs(n.attrs)) for n in graph.nodes)
    return dataclasses.replace(graph, nodes=nodes)


@pytest.mark.parametrize("name, options", MODELS, ids=[m for m, _ in MODELS])
def test_reusing_a_repeated_blocks_results_changes_no_number(name, options):
    graph = load_graph(name, **options)
    shared, alone = analyze(graph, batch=2), analyze(_unshared(graph), batch=2)
    assert [vars(l) for l in shared.layers] == [vars(l) for l in alone.layers]
    assert (shared.totals, shared.warnings, shared.constraints, shared.sequence) == \
        (alone.totals, alone.warnings, alone.constraints, alone.sequence)


def test_a_repeated_blocks_instances_share_their_attributes():
    graph = load_graph("preresnet1001_cifar", overrides={"n": 18})
    # 3 stages of 18 units of about 10 layers; each stage's 17 repeated units are read once.
    assert len(graph.nodes) == 548
    assert len({id(n.attrs) for n in graph.nodes}) < 100


def test_layers_of_one_type_with_equal_attributes_share_one_object_and_keep_their_own_numbers():
    from paramcalc.graph import _typed, build_graph
    from paramcalc.spec import load_text

    g = build_graph(load_text(
        "input: [3, 32, 32]\n"
        "layers:\n"
        "  - {name: c1, type: conv, out: 8, kernel: 3, padding: 1}\n"
        "  - {name: r1, type: relu}\n"
        "  - {name: c2, type: conv, out: 8, kernel: 3, padding: 1}\n"
        "  - {name: r2, type: relu}\n"
        "  - {name: c3, type: conv, out: 8, kernel: 3, padding: 1}\n"
        "  - {name: g1, type: gelu}\n"
        "  - {name: c4, type: conv, out: 8, kernel: 3, padding: 1, bias: false}\n"))
    n = {node.name: node for node in g.nodes}
    assert n["c1"].attrs is n["c2"].attrs is n["c3"].attrs and n["r1"].attrs is n["r2"].attrs
    assert n["c4"].attrs is not n["c1"].attrs  # another value
    assert n["g1"].attrs is not n["r1"].attrs  # another type, though both have no attributes
    by = {l.name: l for l in analyze(g).layers}
    # c1 sees 3 channels, c2 and c3 see 8 (c3 reuses c2's results): weights 8*in*3*3 plus 8 biases
    assert (by["c1"].params, by["c2"].params, by["c3"].params, by["c4"].params) == (224, 584, 584, 576)
    assert by["c3"].macs == by["c2"].macs == 8 * 8 * 9 * 32 * 32
    assert _typed((1, 2)) != _typed((True, 2)) and _typed(2) != _typed(2.0)  # equal values of other types differ


@pytest.mark.parametrize("name, options", MODELS, ids=[m for m, _ in MODELS])
def test_every_layer_result_has_every_field_and_stays_frozen(name, options):
    a = analyze(load_graph(name, **options))
    fields = {f.name for f in dataclasses.fields(LayerResult)}
    for layer in a.layers:
        assert set(vars(layer)) == fields
        assert layer == LayerResult(**vars(layer))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.layers[0].params = 0


@pytest.mark.parametrize("name, options", MODELS + [("fcn32s_vgg16", {}), ("vgg_two_3x3", {})],
                         ids=[m for m, _ in MODELS] + ["fcn32s_vgg16", "vgg_two_3x3"])
def test_json_written_from_pieces_equals_the_encoded_schema_object(name, options):
    a = analyze(load_graph(name, **options))
    write = jsonout.layer_writer()
    for layer in a.layers:
        assert write(layer) == compact(jsonout.layer_dict(layer))
    assert jsonout.render(a) == dumps(jsonout.to_dict(a), levels=2)


whole = st.integers(min_value=-10**30, max_value=10**30)
nonzero = whole.filter(lambda b: b != 0)


@given(whole, nonzero)
def test_whole_number_arithmetic_agrees_with_fractions(a, b):
    exact = Fraction(a, b)
    assert num.floordiv(a, b) == math.floor(exact) and type(num.floordiv(a, b)) is int
    assert num.ceildiv(a, b) == math.ceil(exact) and type(num.ceildiv(a, b)) is int
    assert num.div(a, b) == exact
    assert type(num.div(a, b)) is (int if exact.denominator == 1 else Fraction)
    assert num.divisible(a, b) is (exact.denominator == 1)
    assert num.equal(a, b) is (a == b)
    assert num.positive(a) is (a > 0)
    assert num.total([a, b, Fraction(1, 3)]) == a + b + Fraction(1, 3)
    assert num.prod([a, b]) == a * b and num.normalize(a) is a


@pytest.mark.parametrize("rule", [num.floordiv, num.ceildiv, num.div])
def test_dividing_a_whole_number_by_zero_still_raises(rule):
    with pytest.raises(ZeroDivisionError):
        rule(3, 0)
    assert num.divisible(3, 0) is False


def test_coloured_rows_paint_the_aligned_cell_and_leave_the_rules_plain():
    columns = [Column("Layer"), Column("Params", right=True, number=True)]
    rows = [Row(("block", "1.2M"), "group"), Row(("conv", "9"))]
    lines = draw(columns, rows, Terminal(width=80, color=True))
    bold, dim, end = "\x1b[1m", "\x1b[2m", "\x1b[0m"
    # Widths: 'Layer' 5, 'Params' 6. The header is bold, a group row's first cell bold and the rest dim, each cell
    # painted after it is padded to its column's width; a plain row is not painted.
    assert lines[1] == f"┃{bold}Layer{end} ┃ {bold}Params{end}┃"
    assert lines[3] == f"│{bold}block{end} │ {dim}  1.2M{end}│"
    assert lines[4] == "│conv  │      9│"
