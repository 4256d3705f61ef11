"""The JSON Schemas: generated from the registry, shipped unchanged, and agreeing with paramcalc about what is valid."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ARCH

from paramcalc import schema
from paramcalc.graph import LAYER_KEYS, TOP_LEVEL_KEYS, build_graph
from paramcalc.errors import SpecError
from paramcalc.layers import REGISTRY, REQUIRED
from paramcalc.spec import load_text

jsonschema = pytest.importorskip("jsonschema")

BUNDLED = sorted(ARCH.glob("*.yaml"))


@pytest.fixture(scope="module")
def architecture_validator():
    s = schema.architecture_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


@pytest.fixture(scope="module")
def output_validator():
    s = schema.output_schema()
    jsonschema.Draft202012Validator.check_schema(s)
    return jsonschema.Draft202012Validator(s)


def test_shipped_schema_files_equal_the_generated_ones():
    # Regenerate with: python -m paramcalc.schema --write
    assert schema.shipped(schema.ARCHITECTURE_FILE) == schema.text(schema.architecture_schema())
    assert schema.shipped(schema.OUTPUT_FILE) == schema.text(schema.output_schema())


def test_schema_types_and_aliases_equal_the_registry():
    s = schema.architecture_schema()
    named = set()
    for key, d in s["$defs"].items():
        if key.startswith("layer."):
            named.update(d["properties"]["type"]["enum"])
    assert named == set(REGISTRY)
    layer_defs = {k.removeprefix("layer.") for k in s["$defs"] if k.startswith("layer.")}
    assert layer_defs == {type(layer).type for layer in REGISTRY.values()}


def test_every_attribute_appears_with_its_doc_and_default():
    defs = schema.architecture_schema()["$defs"]
    for name, layer in REGISTRY.items():
        d = defs[f"layer.{type(layer).type}"]
        assert set(d["properties"]) == set(LAYER_KEYS) | set(layer.attributes), name
        for attr_name, attr in layer.attributes.items():
            prop = d["properties"][attr_name]
            if attr.doc:
                assert attr.doc in prop["description"]
            if attr.default is REQUIRED:
                assert attr_name in d["required"]
            elif attr.default is not None:
                assert prop["default"] == attr.default  # Fraction(1, 2) == 0.5 too


def test_top_level_and_layer_keys_equal_the_parser():
    s = schema.architecture_schema()
    assert set(s["properties"]) == set(TOP_LEVEL_KEYS)
    assert {k.removeprefix("layer_key.") for k in s["$defs"] if k.startswith("layer_key.")} == set(LAYER_KEYS)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_architecture_validates(path, architecture_validator):
    errors = [e.message for e in architecture_validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


MISSPELT = """\
input: [3, 32, 32]
blocks:
  pair:
    args: {c: null, mode: nearest}
    layers:
      - {type: conv, out: c, kernel: 3, padding: 1}
      - {type: upsample, scale: 2, mode: mode}
layers:
  - {type: conv, out: 8, {where}: 3}
  - {type: pair, c: 8}
"""


def _paramcalc_error(text):
    try:
        build_graph(load_text(text, "m.yaml"), "m.yaml")
    except SpecError as e:
        return str(e)
    return None


@pytest.mark.parametrize("key, flagged", [("kernel", False), ("kernal", True), ("strides", True), ("stride", False)])
def test_a_misspelt_attribute_is_flagged_by_the_schema_as_by_paramcalc(key, flagged, architecture_validator):
    text = MISSPELT.replace("{where}", key).replace("out: 8, stride", "out: 8, kernel: 3, stride")
    errors = [e.message for e in architecture_validator.iter_errors(yaml.safe_load(text))]
    message = _paramcalc_error(text)
    assert bool(errors) == flagged == (message is not None)
    if flagged:
        assert any(key in e for e in errors) and f"unknown attribute '{key}'" in message


def test_a_misspelt_choice_and_a_wrong_kind_are_flagged(architecture_validator):
    bad_choice = "input: [3, 8, 8]\nlayers:\n  - {type: upsample, scale: 2, mode: bilinaer}\n"
    bad_bool = "input: [3, 8, 8]\nlayers:\n  - {type: conv, out: 4, kernel: 1, bias: yes_please}\n"
    for text in (bad_choice, bad_bool):
        assert list(architecture_validator.iter_errors(yaml.safe_load(text)))
        assert _paramcalc_error(text) is not None


def test_a_block_argument_name_is_accepted_where_paramcalc_accepts_it(architecture_validator):
    text = MISSPELT.replace("{where}", "kernel")
    assert _paramcalc_error(text) is None
    assert list(architecture_validator.iter_errors(yaml.safe_load(text))) == []


def test_unknown_top_level_key_and_missing_input_are_flagged(architecture_validator):
    for text in ("input: [3, 8, 8]\nlayer:\n  - {type: relu}\n", "layers:\n  - {type: relu}\n"):
        assert list(architecture_validator.iter_errors(yaml.safe_load(text)))
        assert _paramcalc_error(text) is not None


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_show_json_of_every_bundled_file_validates_against_the_output_schema(path, output_validator):
    from paramcalc import analyze_file
    from paramcalc.render import jsonout

    document = json.loads(jsonout.render(analyze_file(path)))
    errors = [f"{list(e.path)}: {e.message}" for e in output_validator.iter_errors(document)]
    assert errors == []


def test_output_schema_rejects_a_float_where_an_exact_value_belongs(output_validator):
    from paramcalc import analyze_file
    from paramcalc.render import jsonout

    document = json.loads(jsonout.render(analyze_file(ARCH / "lenet5.yaml")))
    document["totals"]["params"] = 61706.5
    assert list(output_validator.iter_errors(document))


def test_schema_command_prints_the_shipped_schemas(run_cli):
    r = run_cli("schema")
    assert r.exit_code == 0 and json.loads(r.output)["title"].startswith("paramcalc architecture")
    r = run_cli("schema", "--output")
    assert r.exit_code == 0 and json.loads(r.output)["properties"]["schema"] == {"const": 1}
