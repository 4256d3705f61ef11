"""Blocks as the format spells them: arguments checked where they are bound, unused arguments warned about,
`repeat: 0`, blocks with several inputs, and an argument that chooses a layer type.

Expected values are derived by hand in each test (conv params = out * (in * k * k + 1)); where torch is installed the
same files are built in PyTorch, which must agree with the engine layer by layer.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from paramcalc.errors import SpecError
from paramcalc.graph import build_graph
from paramcalc.spec import load_text

from conftest import analyse_text


def write(tmp_path, text, name="net.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def one_error_line(result, path, line, layer, *fragments):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message, message
    assert message.startswith(f"paramcalc: error: {path}:{line}: layer '{layer}'"), message
    for fragment in fragments:
        assert fragment in message, message
    return message


BLOCK_COMPUTING_WITH_N = """
    input: [3, 8, 8]
    blocks:
      b:
        args: {n: 4}
        layers:
          - {type: conv, out: 2*n, kernel: 3}
    layers:
      - {type: relu}
      - {type: b, n: VALUE}
    """


@pytest.mark.parametrize("value,what", [("foo", "the word 'foo'"), ("[8, 16]", "the list [8, 16]"),
                                        ("true", "the boolean True")])
def test_a_block_argument_that_the_block_computes_with_must_be_a_number(tmp_path, run_cli, value, what):
    # The mistake is on line 9 (the call), and the message says where the block computes with it (line 6).
    path = write(tmp_path, BLOCK_COMPUTING_WITH_N.replace("VALUE", value))
    one_error_line(run_cli("show", path), path, 9, "b1", f"argument 'n' of block 'b' is {what}",
                   "`out: 2*n` on line 6", "give a number")


def test_a_word_default_that_the_block_computes_with_is_refused_where_the_block_is_used(tmp_path, run_cli):
    path = write(tmp_path, BLOCK_COMPUTING_WITH_N.replace("{n: 4}", "{n: same}").replace(", n: VALUE", ""))
    one_error_line(run_cli("show", path), path, 9, "b1", "argument 'n' of block 'b' is the word 'same'")


def test_a_list_passed_whole_to_a_list_attribute_is_still_fine():
    a = analyse_text("""
        input: [3, 8, 8]
        blocks:
          b:
            args: {k: 3}
            layers:
              - {type: conv, out: 4, kernel: k}
        layers:
          - {type: b, k: [1, 3]}
        """)
    # weight [4, 3, 1, 3] + bias [4]
    assert a.totals.params == 4 * 3 * 1 * 3 + 4
    assert a.outputs[0][1] == (1, 4, 8, 6)


def test_a_block_argument_that_names_a_block_argument_declared_outside_is_refused_as_a_word(tmp_path, run_cli):
    # `n: m` where m is nothing in scope: the word 'm' reaches no arithmetic.
    path = write(tmp_path, BLOCK_COMPUTING_WITH_N.replace("VALUE", "m"))
    one_error_line(run_cli("show", path), path, 9, "b1", "the word 'm'")


def test_an_unused_block_argument_is_a_warning_on_stderr_and_in_json(tmp_path, run_cli):
    path = write(tmp_path, """
        input: [3, 8, 8]
        blocks:
          b:
            args: {c: 8, widht: 2}
            layers:
              - {type: conv, out: c, kernel: 1}
        layers:
          - {type: b}
        """)
    result = run_cli("show", path, "--format", "json")
    assert result.exit_code == 0, result.output
    expected = "block 'b' (line 4): argument 'widht' is declared but none of its layers uses it"
    assert json.loads(result.stdout)["warnings"] == [expected]
    assert result.stderr.strip() == f"paramcalc: warning: {expected}"
    table = run_cli("show", path)
    assert f"note: {expected}" in table.stdout


def test_an_argument_used_only_by_another_arguments_default_is_used():
    a = analyse_text("""
        input: [8, 4, 4]
        blocks:
          b:
            args: {c: 8, mid: c//2}
            layers:
              - {type: conv, out: mid, kernel: 1}
        layers:
          - {type: b}
        """)
    assert a.warnings == ()
    assert a.totals.params == 4 * 8 + 4


# --------------------------------------------------------------------------------------------- repeat: 0

def test_repeat_zero_builds_nothing_and_passes_its_input_on():
    text = """
        input: [3, 8, 8]
        blocks:
          unit:
            layers:
              - {type: conv, out: 3, kernel: 3, padding: 1}
        symbols: {n: N}
        layers:
          - {type: conv, out: 3, kernel: 1, name: stem}
          - {type: unit, name: stage, repeat: n}
          - {type: add, inputs: [stage, stem]}
        """
    zero = analyse_text(text.replace("N", "0"))
    two = analyse_text(text.replace("N", "2"))
    stem = 3 * 3 + 3
    unit = 3 * 3 * 9 + 3
    assert zero.totals.params == stem
    assert two.totals.params == stem + 2 * unit
    assert [l.name for l in zero.layers] == ["stem", "add1"]
    assert zero.layer("add1").inputs == ("stem", "stem")   # 'stage' stands for its input, the stem


def test_repeat_zero_of_a_layer_with_two_inputs_is_refused(tmp_path, run_cli):
    path = write(tmp_path, """
        inputs: {a: [3, 4, 4], b: [3, 4, 4]}
        layers:
          - {type: add, inputs: [a, b], repeat: 0}
        """)
    one_error_line(run_cli("show", path), path, 3, "add1", "repeat: 0", "needs one input, got 2")


def test_a_negative_repeat_is_refused(tmp_path, run_cli):
    path = write(tmp_path, "input: [3, 4, 4]\nlayers:\n  - {type: relu, repeat: -1}\n")
    one_error_line(run_cli("show", path), path, 3, "relu1", "repeat must be between 0 and")


# ------------------------------------------------------------------------------------- several inputs

TWO_INPUT_BLOCK = """
    inputs: {low: [8, 4, 4], high: [4, 8, 8]}
    blocks:
      fuse:                      # a decoder step: upsample the coarse map, project the skip, add
        inputs: [coarse, skip]
        args: {c: null}
        layers:
          - {type: upsample, scale: 2, input: coarse}
          - {type: conv, out: c, kernel: 1, name: proj}
          - {type: conv, out: c, kernel: 1, input: skip, name: lateral}
          - {type: add, inputs: [proj, lateral]}
    layers:
      - {type: fuse, c: 6, inputs: [low, high]}
    """


def test_a_block_with_two_inputs_names_them_and_uses_each():
    a = analyse_text(TWO_INPUT_BLOCK)
    # proj: 6 x (8 + 1); lateral: 6 x (4 + 1)
    assert a.totals.params == 6 * 9 + 6 * 5
    assert a.layer("fuse1.proj").inputs == ("fuse1.upsample1",)
    assert a.layer("fuse1.upsample1").inputs == ("low",)
    assert a.layer("fuse1.lateral").inputs == ("high",)
    assert a.outputs[0][1] == (1, 6, 8, 8)


def test_a_two_input_block_given_one_input_says_how_many_it_takes(tmp_path, run_cli):
    path = write(tmp_path, TWO_INPUT_BLOCK.replace("inputs: [low, high]", "input: low"))
    one_error_line(run_cli("show", path), path, 12, "fuse1", "block 'fuse' takes 2 inputs (coarse, skip), got 1")


def test_a_block_input_name_that_is_also_an_argument_is_refused(tmp_path, run_cli):
    path = write(tmp_path, TWO_INPUT_BLOCK.replace("args: {c: null}", "args: {c: null, skip: 1}"))
    result = run_cli("show", path)
    assert result.exit_code == 2
    assert f"{path}:4:" in result.stderr and "'skip' is both an input and an argument" in result.stderr


def test_repeat_of_a_two_input_block_feeds_the_first_input_and_keeps_the_second():
    a = analyse_text("""
        inputs: {x: [4, 4, 4], context: [4, 1, 1]}
        blocks:
          gate:
            inputs: [trunk, ctx]
            layers:
              - {type: conv, out: 4, kernel: 1, input: trunk}
              - {type: multiply, inputs: [prev, ctx]}
        layers:
          - {type: gate, inputs: [x, context], repeat: 3}
        """)
    assert a.totals.params == 3 * (4 * 4 + 4)
    assert a.layer("gate1.1.conv1").inputs == ("gate1.0.multiply1",)
    assert a.layer("gate1.2.multiply1").inputs == ("gate1.2.conv1", "context")


def test_a_two_input_block_built_alone_takes_the_files_inputs():
    graph = build_graph(load_text(textwrap.dedent(TWO_INPUT_BLOCK), "f.yaml"), "f.yaml", block="fuse",
                        overrides={"c": 6})
    assert [n for n, _ in graph.inputs] == ["low", "high"]
    with pytest.raises(SpecError, match="takes 2 inputs"):
        build_graph(load_text(textwrap.dedent(TWO_INPUT_BLOCK), "f.yaml"), "f.yaml", block="fuse",
                    block_input=["8", "4", "4"])


# ------------------------------------------------------------------------------ a layer type as argument

MBCONV = """
    input: [16, 8, 8]
    blocks:
      unit:                      # MobileNetV3's choice of non-linearity, one block instead of two
        args: {act: relu}
        layers:
          - {type: conv, out: 16, kernel: 1, bias: false}
          - {type: act}
          - {type: conv, out: 16, kernel: 1, bias: false}
          - {type: act, name: last}
    layers:
      - {type: unit}
      - {type: unit, act: hardswish}
    """


def test_a_block_argument_chooses_the_layer_type():
    a = analyse_text(MBCONV)
    assert [l.type for l in a.layers] == ["conv", "relu", "conv", "relu", "conv", "hardswish", "conv", "hardswish"]
    assert a.layer("unit2.hardswish1").type == "hardswish"   # named after the type it became
    assert a.totals.params == 4 * 16 * 16


def test_a_type_argument_that_is_no_type_is_refused_where_it_is_given(tmp_path, run_cli):
    path = write(tmp_path, MBCONV.replace("act: hardswish", "act: hardswich"))
    one_error_line(run_cli("show", path), path, 12, "unit2", "argument 'act' of block 'unit' names the layer type",
                   "did you mean 'hardswish'?")


def test_a_type_argument_may_name_a_block():
    a = analyse_text("""
        input: [4, 6, 6]
        blocks:
          plain:
            layers: [{type: conv, out: 4, kernel: 3, padding: 1}]
          wrapper:
            args: {inner: plain}
            layers: [{type: inner}]
        layers:
          - {type: wrapper}
        """)
    assert a.totals.params == 4 * 4 * 9 + 4


def test_blocks_with_several_inputs_and_a_type_argument_build_in_pytorch():
    pytest.importorskip("torch")
    from paramcalc.executor import to_torch

    for text in (TWO_INPUT_BLOCK, MBCONV):
        to_torch(build_graph(load_text(textwrap.dedent(text), "t.yaml"), "t.yaml"))  # verifies every layer


# ------------------------------------------------------------------------------------ any value, no crash

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from paramcalc.engine import analyze  # noqa: E402
from paramcalc.errors import ParamcalcError  # noqa: E402

_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 40), st.sampled_from(
        ["foo", "same", "relu", "hardswish", "c", "2*c", "c//0", "bilinear", "n", "1.5", "in", "prev", "conv", "b"])),
    lambda inner: st.lists(inner, max_size=3), max_leaves=5)

_TEMPLATE = {
    "input": [4, 9, 9],
    "symbols": {"c": 4},
    "blocks": {"b": {"args": {"n": 2, "k": 3, "pad": 1, "act": "relu", "m": "n*2"},
                     "layers": [{"type": "conv", "out": "n", "kernel": "k", "padding": "pad"},
                                {"type": "act"},
                                {"type": "conv", "out": "m", "kernel": 1, "repeat": "n"}]}},
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(["n", "k", "pad", "act", "m"]), _VALUES, max_size=4))
def test_any_block_argument_value_gives_a_result_or_one_located_error(args):
    doc = dict(_TEMPLATE, layers=[dict({"type": "b"}, **args)])
    try:
        a = analyze(build_graph(load_text(json.dumps(doc), "fuzz.yaml"), "fuzz.yaml"))
    except ParamcalcError as e:
        assert "\n" not in str(e)
        return
    assert isinstance(a.totals.params, int) and isinstance(a.totals.peak_activation_bytes, int)
