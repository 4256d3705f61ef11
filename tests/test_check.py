"""`paramcalc check` and `paramcalc snapshot`: budgets, units, baselines, CI output formats, pre-commit and Actions.

Ground truth used here, independent of paramcalc:
- AlexNet has 61,100,840 parameters and 0.71 GFLOPS (multiply-accumulates): torchvision 0.15+,
  torchvision/models/alexnet.py, AlexNet_Weights.IMAGENET1K_V1.meta["num_params"] and ["_ops"].
- AlexNet's 8 layers with parameters (conv1-5, fc6-8) and its receptive field of 195 pixels before global pooling
  are derived by hand below from the layer list (Araujo, Norris & Sim, Distill 2019, eq. for r_0).
- vgg_two_3x3: two bias-free 3x3 convolutions c -> c hold 2 x 9 x c^2 = 18c^2 weights (Simonyan & Zisserman 2015, 2.3).
"""

from __future__ import annotations

import json
import re
import shlex
import textwrap
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from paramcalc.budget import BudgetError, parse_percent, parse_quantity

from conftest import ARCH, ROOT

ALEXNET_PARAMS = 61_100_840      # torchvision 0.15+, alexnet.py, AlexNet_Weights.IMAGENET1K_V1 num_params
ALEXNET_GMACS = Fraction(71, 100)  # same file, "_ops": 0.714 rounded to 0.71 (GFLOPS = multiply-accumulates)

# AlexNet's receptive field before the adaptive pool, by hand: r = 1 + sum (k_l - 1) * (product of earlier strides)
#   conv1 k11 s4 | pool1 k3 s2 | conv2 k5 | pool2 k3 s2 | conv3-5 k3 | pool5 k3 s2
ALEXNET_FIELD = 1 + (11 - 1) * 1 + (3 - 1) * 4 + (5 - 1) * 8 + (3 - 1) * 8 + 3 * (3 - 1) * 16 + (3 - 1) * 16
# alexnet.yaml without its bundled `budget:` section, so each test states the only budgets in play
ALEXNET_TEXT = (ARCH / "alexnet.yaml").read_text().split("\nbudget:")[0] + "\n"

# GitHub Actions workflow command: ::kind prop=value,prop=value::message, with ',' ':' '%' and newlines escaped
WORKFLOW_COMMAND = re.compile(
    r"^::(error|warning|notice|debug)"
    r"(?: ((?:file|line|endLine|col|endColumn|title)=[^,:\r\n]*(?:,(?:file|line|endLine|col|endColumn|title)"
    r"=[^,:\r\n]*)*))?::[^\r\n]*$")


def _props(line: str) -> dict:
    m = WORKFLOW_COMMAND.match(line)
    assert m, line
    return dict(p.split("=", 1) for p in m.group(2).split(",")) if m.group(2) else {}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh folder as the working directory, with no pyproject.toml above it that matters."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    return tmp_path


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def _alexnet_with_budget(folder: Path, budget: str, name="alexnet.yaml") -> tuple[Path, list[str]]:
    path = folder / name
    path.write_text(ALEXNET_TEXT + "budget:\n" + textwrap.indent(textwrap.dedent(budget), "  "))
    return path, path.read_text().splitlines()


def _line_of(lines, needle) -> int:
    return next(i for i, l in enumerate(lines, 1) if needle in l)


# ------------------------------------------------------------------------------------------ budgets hold or fail

def test_params_budget_at_the_true_count_passes(run_cli):
    r = run_cli("check", ARCH / "alexnet.yaml", "--no-config", "--max-params", ALEXNET_PARAMS)
    assert r.exit_code == 0, r.output


def test_params_budget_one_below_the_true_count_fails_by_exactly_one(run_cli):
    r = run_cli("check", ARCH / "alexnet.yaml", "--no-config", "--max-params", ALEXNET_PARAMS - 1)
    assert r.exit_code == 1, r.output
    fail = next(l for l in r.stdout.splitlines() if l.startswith("FAIL"))
    assert "alexnet.yaml" in fail and "max_params" in fail and "command line" in fail
    assert "61,100,840" in fail and "by 1 " in fail
    assert "(0.0000016%)" in fail           # 1 / 61,100,839 = 1.6e-8 = 0.0000016 %


def test_budget_in_the_architecture_file_fails_by_one_and_names_its_line(project, run_cli):
    path, lines = _alexnet_with_budget(project, f"max_params: {ALEXNET_PARAMS - 1}\n")
    r = run_cli("check", path)
    assert r.exit_code == 1, r.output
    assert f"alexnet.yaml:{_line_of(lines, 'max_params')}" in r.stdout
    path, _ = _alexnet_with_budget(project, f"max_params: {ALEXNET_PARAMS}\n")
    assert run_cli("check", path).exit_code == 0


def test_macs_budget_brackets_torchvisions_published_gflops(run_cli):
    # 0.71 published with two decimals: the true count lies in [0.705G, 0.715G)
    low = run_cli("check", ARCH / "alexnet.yaml", "--no-config", "--max-macs", "0.705G")
    high = run_cli("check", ARCH / "alexnet.yaml", "--no-config", "--max-macs", "0.715G")
    assert (low.exit_code, high.exit_code) == (1, 0), low.output + high.output
    assert float(ALEXNET_GMACS) == 0.71


def test_flops_budget_is_twice_the_macs(run_cli):
    assert run_cli("check", "alexnet", "--no-config", "--max-flops", "1.43G").exit_code == 0   # 2 x 0.714G
    assert run_cli("check", "alexnet", "--no-config", "--max-flops", "1.42G").exit_code == 1


def test_depth_budget_counts_layers_with_parameters(run_cli):
    depth = 5 + 3                                              # conv1-5 and fc6-8
    assert run_cli("check", "alexnet", "--no-config", "--max-depth", depth).exit_code == 0
    assert run_cli("check", "alexnet", "--no-config", "--max-depth", depth - 1).exit_code == 1


def test_receptive_field_budget_uses_the_field_before_global_pooling(run_cli):
    assert ALEXNET_FIELD == 195
    ok = run_cli("check", "alexnet", "--no-config", "--min-receptive-field", ALEXNET_FIELD,
                 "--max-receptive-field", f"{ALEXNET_FIELD}x{ALEXNET_FIELD}")
    assert ok.exit_code == 0, ok.output
    r = run_cli("check", "alexnet", "--no-config", "--min-receptive-field", ALEXNET_FIELD + 1)
    assert r.exit_code == 1
    assert "195x195" in r.stdout and "below the minimum 196x196 by 1" in r.stdout and "avgpool" in r.stdout
    assert run_cli("check", "alexnet", "--no-config", "--max-receptive-field", ALEXNET_FIELD - 1).exit_code == 1


def test_weight_memory_budget_at_the_budgets_dtype(project, run_cli):
    fp16 = 2 * ALEXNET_PARAMS                                  # two bytes per parameter, no buffers
    path, _ = _alexnet_with_budget(project, f"dtype: fp16\nmax_weight_memory: {fp16}B\n")
    assert run_cli("check", path).exit_code == 0
    path, _ = _alexnet_with_budget(project, f"dtype: fp16\nmax_weight_memory: {fp16 - 1}\n")
    assert run_cli("check", path).exit_code == 1
    # the command line's --dtype applies to budgets that name no dtype
    assert run_cli("check", ARCH / "alexnet.yaml", "--no-config", "--dtype", "fp16",
                   "--max-weight-memory", fp16).exit_code == 0
    assert run_cli("check", ARCH / "alexnet.yaml", "--no-config",
                   "--max-weight-memory", fp16).exit_code == 1     # fp32 by default: twice as much


def test_symbolic_total_is_a_clear_error_until_the_symbol_has_a_value(run_cli):
    r = run_cli("check", "vgg_two_3x3", "--no-config", "--max-params", "1M")
    assert r.exit_code == 2
    assert "vgg_two_3x3.yaml" in r.stderr and "18*c**2" in r.stderr and "--set c=" in r.stderr
    weights = 18 * 128**2                                      # two 3x3 convs, 128 -> 128, no bias
    assert run_cli("check", "vgg_two_3x3", "--no-config", "--set", "c=128", "--max-params", weights).exit_code == 0
    assert run_cli("check", "vgg_two_3x3", "--no-config", "--set", "c=128",
                   "--max-params", weights - 1).exit_code == 1


def test_set_of_a_symbol_no_checked_file_declares_is_an_error(run_cli):
    r = run_cli("check", "alexnet", "--no-config", "--set", "width=3")
    assert r.exit_code == 2 and "width" in r.stderr


# ------------------------------------------------------------------------------------------ units

@pytest.mark.parametrize("text, expected", [
    ("25M", 25_000_000), ("4.5G", 4_500_000_000), ("0.72G", 720_000_000), ("1T", 10**12), ("2k", 2_000),
    ("2K", 2_000), ("1Ki", 1024), ("1.5Mi", 3 * 2**19), ("2Gi", 2 * 2**30), ("1Ti", 2**40),
    ("61,100,840", 61_100_840), ("61_100_840", 61_100_840), ("2.5e7", 25_000_000), (" 7 ", 7),
    (7, 7), (2.5e7, 25_000_000), (0, 0),
])
def test_quantities_parse_exactly(text, expected):
    value = parse_quantity(text)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize("text, expected", [
    ("256MiB", 256 * 2**20), ("1GB", 10**9), ("1.5KiB", 1536), ("512B", 512), ("4Gi", 4 * 2**30),
])
def test_memory_quantities_take_a_byte_suffix(text, expected):
    assert parse_quantity(text, bytes_=True) == expected


@pytest.mark.parametrize("text, message", [
    ("25m", "did you mean 'M'"), ("3g", "unknown unit 'g'"), ("25MB", "byte unit"), ("lots", "not a number"),
    ("-5M", "negative"), ("1.5", "not a whole number"), ("1,00", "thousands separators"), ("", "not a number"),
    (True, "expected a number"), (None, "expected a number"), ([1], "expected a number"), (float("inf"), "finite"),
])
def test_bad_quantities_are_refused_with_a_reason(text, message):
    with pytest.raises(BudgetError, match=re.escape(message)):
        parse_quantity(text)


@pytest.mark.parametrize("text, expected", [
    ("5%", Fraction(5, 100)), ("0.5%", Fraction(5, 1000)), ("5", Fraction(5, 100)), (10, Fraction(1, 10)),
    ("0%", 0), (2.5, Fraction(25, 1000)),
])
def test_percentages_parse_exactly(text, expected):
    assert parse_percent(text) == expected


@pytest.mark.parametrize("bad", ["five", "-5%", "5%%", -1])
def test_bad_percentages_are_refused(bad):
    with pytest.raises(BudgetError):
        parse_percent(bad)


@pytest.mark.parametrize("option, value", [
    ("--max-params", "25m"), ("--max-macs", "lots"), ("--max-params", "25MB"), ("--max-depth", "-1"),
    ("--min-receptive-field", "100xabc"),
])
def test_bad_units_on_the_command_line_exit_2_naming_the_option(run_cli, option, value):
    r = run_cli("check", "alexnet", "--no-config", option, value)
    assert r.exit_code == 2, r.output
    assert option in r.stderr and "Traceback" not in r.output


def test_bad_max_growth_exits_2(project, run_cli):
    r = run_cli("check", ARCH / "alexnet.yaml", "--baseline", "x.json", "--max-growth", "lots")
    assert r.exit_code == 2 and "--max-growth" in r.stderr


# ------------------------------------------------------------------------------------------ malformed budgets

def test_unknown_budget_key_names_file_line_and_suggests(project, run_cli):
    path, lines = _alexnet_with_budget(project, "max_param: 25M\n")
    r = run_cli("check", path)
    assert r.exit_code == 2
    assert f"alexnet.yaml:{_line_of(lines, 'max_param:')}" in r.stderr
    assert "did you mean 'max_params'" in r.stderr and "Traceback" not in r.output


def test_non_numeric_budget_value_names_file_and_line(project, run_cli):
    path, lines = _alexnet_with_budget(project, "max_params: 25M\nmax_macs: lots\n")
    r = run_cli("check", path)
    assert r.exit_code == 2
    assert f"alexnet.yaml:{_line_of(lines, 'max_macs')}" in r.stderr and "'lots'" in r.stderr


@pytest.mark.parametrize("budget, message", [
    ("budget: 25M\n", "must be a mapping"),
    ("budget:\n  dtype: fp12\n  max_params: 1\n", "dtype"),
    ("budget:\n  batch: 0\n  max_params: 1\n", "batch"),
    ("budget:\n  max_receptive_field: [1, 2, 3]\n", "spatial axes"),
])
def test_other_malformed_budgets_exit_2(project, run_cli, budget, message):
    path = project / "net.yaml"
    path.write_text(ALEXNET_TEXT + budget)
    r = run_cli("check", path)
    assert r.exit_code == 2, r.output
    assert "net.yaml" in r.stderr and message in r.stderr


# ------------------------------------------------------------------------------------------ which files

def test_folder_search_skips_yaml_that_is_not_an_architecture(project, run_cli):
    _write(project / "models" / "alexnet.yaml", ALEXNET_TEXT)
    _write(project / "models" / "settings.yaml", "learning_rate: 0.1\n")
    _write(project / "models" / ".hidden" / "broken.yaml", "layers: [\n")   # hidden folders are not searched
    r = run_cli("check", "models", "--max-params", ALEXNET_PARAMS)
    assert r.exit_code == 0, r.output
    assert "skip models/settings.yaml: not an architecture" in r.stdout
    assert "broken" not in r.output


def test_only_non_architectures_is_not_a_failure(project, run_cli):
    _write(project / "ci.yaml", "on: push\n")
    r = run_cli("check", "ci.yaml")
    assert r.exit_code == 0 and "skip ci.yaml" in r.stdout


def test_an_unusable_file_exits_2_naming_it_while_others_are_still_checked(project, run_cli):
    _write(project / "a.yaml", ALEXNET_TEXT)
    _write(project / "b.yaml", "input: [3, 8, 8]\nlayers:\n  - {type: conv, out: 4, kernel: 9}\n")
    r = run_cli("check", "a.yaml", "b.yaml", "--max-params", ALEXNET_PARAMS - 1)
    assert r.exit_code == 2
    assert "b.yaml:3" in r.stderr and "kernel" in r.stderr
    assert "FAIL a.yaml" in r.stdout


@pytest.mark.parametrize("target, message", [("nothere.yaml", "no such file"), ("models/*.yaml", "no file matches"),
                                             ("empty", "no *.yaml or *.yml file")])
def test_missing_paths_exit_2_naming_them(project, run_cli, target, message):
    (project / "empty").mkdir()
    r = run_cli("check", target)
    assert r.exit_code == 2 and target in r.stderr and message in r.stderr


def test_globs_select_files(project, run_cli):
    _write(project / "m" / "a.yaml", ALEXNET_TEXT)
    _write(project / "m" / "sub" / "b.yaml", ALEXNET_TEXT)
    r = run_cli("check", "m/**/*.yaml", "--max-params", ALEXNET_PARAMS - 1, "--format", "json")
    assert r.exit_code == 1
    assert sorted(x["file"] for x in json.loads(r.stdout)["results"]) == ["m/a.yaml", "m/sub/b.yaml"]


# ------------------------------------------------------------------------------------------ pyproject

def test_pyproject_paths_and_budget_globs(project, run_cli):
    _write(project / "models" / "alexnet.yaml", ALEXNET_TEXT)
    _write(project / "models" / "other" / "small.yaml", "input: [3, 8, 8]\nlayers:\n  - {type: conv, out: 4, "
                                                       "kernel: 3}\n")
    _write(project / "pyproject.toml", f"""\
        [project]
        name = "demo"

        [tool.paramcalc]
        paths = ["models"]

        [[tool.paramcalc.budget]]
        files = ["models/alex*.yaml"]
        max-params = "{ALEXNET_PARAMS - 1}"
        """)
    r = run_cli("check", "--format", "github")
    assert r.exit_code == 1, r.output
    errors = [l for l in r.stdout.splitlines() if l.startswith("::error")]
    assert len(errors) == 1                                    # small.yaml matches no budget glob
    props = _props(errors[0])
    lines = (project / "pyproject.toml").read_text().splitlines()
    assert props["file"] == "pyproject.toml" and int(props["line"]) == _line_of(lines, "max-params")
    assert "models/alexnet.yaml" in errors[0]
    _write(project / "pyproject.toml", f"""\
        [tool.paramcalc]
        paths = ["models"]
        [[tool.paramcalc.budget]]
        files = ["models/**/*.yaml"]
        max-params = "{ALEXNET_PARAMS}"
        """)
    assert run_cli("check").exit_code == 0


def test_pyproject_unknown_key_exits_2_with_its_line(project, run_cli):
    _write(project / "pyproject.toml", """\
        [tool.paramcalc]
        paths = ["."]
        [[tool.paramcalc.budget]]
        files = ["*.yaml"]
        max-parms = "1M"
        """)
    _write(project / "a.yaml", ALEXNET_TEXT)
    r = run_cli("check")
    assert r.exit_code == 2
    assert "pyproject.toml:5" in r.stderr and "did you mean 'max_params'" in r.stderr


def test_pyproject_baseline_and_growth(project, run_cli):
    _write(project / "a.yaml", ALEXNET_TEXT)
    assert run_cli("snapshot", "a.yaml").exit_code == 0
    (project / "lock.json").write_text(run_cli("snapshot", "a.yaml").stdout)
    _write(project / "pyproject.toml", '[tool.paramcalc]\npaths = ["a.yaml"]\nbaseline = "lock.json"\n'
                                       'max-growth = "1%"\n')
    assert run_cli("check").exit_code == 0
    _write(project / "a.yaml", ALEXNET_TEXT.replace("out: 1000", "out: 2000"))
    assert run_cli("check").exit_code == 1


def test_no_config_flag_ignores_pyproject(project, run_cli):
    _write(project / "pyproject.toml", '[tool.paramcalc]\npaths = ["nothere"]\n')
    assert run_cli("check", "--no-config").exit_code == 2      # nothing to check
    assert "nothing to check" in run_cli("check", "--no-config").stderr


# ------------------------------------------------------------------------------------------ baseline

def test_snapshot_records_published_totals(project, run_cli):
    _write(project / "models" / "alexnet.yaml", ALEXNET_TEXT)
    r = run_cli("snapshot", "models")
    assert r.exit_code == 0, r.output
    lock = json.loads(r.stdout)
    entry = lock["models"]["models/alexnet.yaml"]
    assert entry["totals"]["params"] == ALEXNET_PARAMS
    assert entry["totals"]["layers_with_params"] == 8
    assert lock["batch"] == 1 and lock["dtype"] == "fp32"


def test_snapshot_of_a_symbolic_model_exits_2(run_cli):
    r = run_cli("snapshot", "vgg_two_3x3", "--no-config")
    assert r.exit_code == 2 and "vgg_two_3x3" in r.stderr


def test_baseline_growth_within_and_beyond_the_limit(project, run_cli):
    path = _write(project / "alexnet.yaml", ALEXNET_TEXT)
    (project / "lock.json").write_text(run_cli("snapshot", "alexnet.yaml").stdout)
    assert run_cli("check", "alexnet.yaml", "--baseline", "lock.json").exit_code == 0   # unchanged, 0% allowed
    # widen fc6 and fc7 from 4096 to 4200 units; by hand:
    fc6 = (9216 * 4200 + 4200) - (9216 * 4096 + 4096)
    fc7 = (4200 * 4200 + 4200) - (4096 * 4096 + 4096)
    fc8 = 1000 * (4200 - 4096)
    grown = fc6 + fc7 + fc8
    assert grown == 1_925_456
    path.write_text(ALEXNET_TEXT.replace("out: 4096", "out: 4200"))
    growth = Fraction(grown, ALEXNET_PARAMS)                    # 3.15 %
    assert Fraction(3, 100) < growth < Fraction(4, 100)
    assert run_cli("check", "alexnet.yaml", "--baseline", "lock.json", "--max-growth", "4%").exit_code == 0
    r = run_cli("check", "alexnet.yaml", "--baseline", "lock.json", "--max-growth", "3%")
    assert r.exit_code == 1, r.output
    assert "growth of params" in r.stdout
    assert f"61,100,840 -> {ALEXNET_PARAMS + grown:,} (+1,925,456, +3.15%)" in r.stdout   # the delta per model
    allowed = ALEXNET_PARAMS * 103 // 100
    assert f"over the allowed {allowed:,} by {ALEXNET_PARAMS + grown - allowed:,}" in r.stdout


def test_baseline_reports_models_it_does_not_know_without_failing(project, run_cli):
    _write(project / "a.yaml", ALEXNET_TEXT)
    (project / "lock.json").write_text(run_cli("snapshot", "a.yaml").stdout)
    _write(project / "b.yaml", ALEXNET_TEXT)
    r = run_cli("check", "a.yaml", "b.yaml", "--baseline", "lock.json", "--max-growth", "5%")
    assert r.exit_code == 0 and "b.yaml (alexnet): new, not in the baseline" in r.stdout


@pytest.mark.parametrize("content, message", [
    (None, "no such baseline"), ("not json", "not JSON"), ('{"a": 1}', "not a paramcalc lock file"),
])
def test_unusable_baseline_exits_2(project, run_cli, content, message):
    _write(project / "a.yaml", ALEXNET_TEXT)
    if content is not None:
        (project / "lock.json").write_text(content)
    r = run_cli("check", "a.yaml", "--baseline", "lock.json")
    assert r.exit_code == 2 and "lock.json" in r.stderr and message in r.stderr


def test_max_growth_without_baseline_exits_2(run_cli):
    r = run_cli("check", "alexnet", "--no-config", "--max-growth", "5%")
    assert r.exit_code == 2 and "--baseline" in r.stderr


# ------------------------------------------------------------------------------------------ output formats

def _two_budgets_one_failing(project, run_cli, fmt):
    path, lines = _alexnet_with_budget(project, f"max_params: {ALEXNET_PARAMS - 1}\nmax_macs: 0.72G\n")
    r = run_cli("check", path.name, "--max-depth", 8, "--format", fmt)
    assert r.exit_code == 1, r.output
    return r, lines


def test_json_format_lists_every_outcome(project, run_cli):
    r, lines = _two_budgets_one_failing(project, run_cli, "json")
    d = json.loads(r.stdout)
    assert d["exit_code"] == 1 and d["summary"] == {"models": 1, "budgets": 3, "exceeded": 1, "errors": 0,
                                                     "skipped": 0}
    failed = [x for x in d["results"] if not x["passed"]]
    assert len(failed) == 1
    f = failed[0]
    assert (f["budget"], f["measured"], f["limit"], f["over"]) == ("max_params", ALEXNET_PARAMS,
                                                                    ALEXNET_PARAMS - 1, 1)
    assert f["over_percent"] == pytest.approx(100 / (ALEXNET_PARAMS - 1))
    assert f["source"] == {"origin": "architecture", "file": "alexnet.yaml", "line": _line_of(lines, "max_params")}
    assert {x["source"]["origin"] for x in d["results"]} == {"architecture", "command line"}


def test_junit_format_parses_and_counts_failures(project, run_cli):
    r, _ = _two_budgets_one_failing(project, run_cli, "junit")
    root = ET.fromstring(r.stdout.split("\n", 1)[1])
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == 3                                     # one model x three budgets
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == 1 and int(root.get("failures")) == 1 and int(root.get("tests")) == 3
    suite = root.find("testsuite")
    assert (suite.get("name"), suite.get("failures"), suite.get("errors")) == ("alexnet.yaml", "1", "0")
    assert "61,100,840" in failures[0].find("failure").get("message")
    assert len({c.get("name") for c in cases}) == 3            # names are unique within the suite


def test_junit_reports_unusable_input_as_errors_and_non_architectures_as_skipped(project, run_cli):
    _write(project / "bad.yaml", "input: [3, 8, 8]\nlayers:\n  - {type: nonsense}\n")
    _write(project / "cfg.yaml", "x: 1\n")
    r = run_cli("check", "bad.yaml", "cfg.yaml", "--format", "junit")
    assert r.exit_code == 2
    root = ET.fromstring(r.stdout.split("\n", 1)[1])
    assert int(root.get("errors")) == 1 and int(root.get("skipped")) == 1


def test_github_format_is_workflow_commands_pointing_at_the_budget_key(project, run_cli):
    r, lines = _two_budgets_one_failing(project, run_cli, "github")
    out = r.stdout.splitlines()
    assert out and all(WORKFLOW_COMMAND.match(l) for l in out), out
    errors = [l for l in out if l.startswith("::error")]
    assert len(errors) == 1
    props = _props(errors[0])
    assert props["file"] == "alexnet.yaml" and props["line"] == str(_line_of(lines, "max_params"))
    assert "max_params" in props["title"]
    message = errors[0].split("::", 2)[2]
    assert "61,100,840" in message and "by 1 " in message


def test_github_format_points_command_line_budgets_at_line_1(run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    r = run_cli("check", "architectures/alexnet.yaml", "--no-config", "--max-depth", 7, "--format", "github")
    assert r.exit_code == 1
    errors = [l for l in r.stdout.splitlines() if l.startswith("::error")]
    assert [(_props(l)["file"], _props(l)["line"]) for l in errors] == [("architectures/alexnet.yaml", "1")]


def test_github_format_escapes_special_characters():
    from paramcalc.render.check_report import command

    line = command("error", "50% over\nsecond line", file="a,b.yaml", line=3, title="x: y")
    assert WORKFLOW_COMMAND.match(line)
    assert line == "::error file=a%2Cb.yaml,line=3,title=x%3A y::50%25 over%0Asecond line"


def test_github_format_annotates_unusable_input(project, run_cli):
    path, lines = _alexnet_with_budget(project, "max_macs: lots\n")
    r = run_cli("check", path.name, "--format", "github")
    assert r.exit_code == 2
    errors = [l for l in r.stdout.splitlines() if l.startswith("::error")]
    assert len(errors) == 1 and _props(errors[0])["line"] == str(_line_of(lines, "max_macs"))


def test_markdown_format_is_a_summary_table(project, run_cli):
    r, _ = _two_budgets_one_failing(project, run_cli, "markdown")
    md = r.stdout
    assert md.startswith("## paramcalc check: ❌ 1 budget(s) exceeded")
    rows = [l for l in md.splitlines() if l.startswith("| ")]
    assert rows[0].startswith("| | model | budget | limit | measured | over |")
    body = [l for l in rows[1:] if "alexnet.yaml" in l]
    assert len(body) == 3 and sum("❌" in l for l in body) == 1
    assert "+1 (0.0000016%)" in md


def test_markdown_format_shows_the_baseline_delta(project, run_cli):
    path = _write(project / "a.yaml", ALEXNET_TEXT)
    (project / "lock.json").write_text(run_cli("snapshot", "a.yaml").stdout)
    path.write_text(ALEXNET_TEXT.replace("out: 1000", "out: 1001"))        # fc8 gains one unit: 4096 + 1 params
    r = run_cli("check", "a.yaml", "--baseline", "lock.json", "--max-growth", "5%", "--format", "markdown")
    assert r.exit_code == 0
    assert f"61,100,840 -> {ALEXNET_PARAMS + 4097:,} (+4,097," in r.stdout


# ------------------------------------------------------------------------------------------ pre-commit and Actions

def test_pre_commit_hook_definition_parses_and_its_entry_runs(run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "paramcalc-check")
    assert hook["language"] == "python"
    assert re.search(hook["files"], "architectures/alexnet.yaml") and not re.search(hook["files"], "README.md")
    entry = shlex.split(hook["entry"])
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(rf'^{entry[0]} = "paramcalc.cli:entry"', pyproject, re.M)     # the console script it calls
    r = run_cli(*entry[1:], "architectures/alexnet.yaml", ".pre-commit-hooks.yaml")  # as pre-commit passes them
    assert r.exit_code == 0, r.output
    r = run_cli(*entry[1:], "architectures/alexnet.yaml", "--max-params", ALEXNET_PARAMS - 1)
    assert r.exit_code == 1


def _readme_workflow() -> dict:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```yaml\n(# \.github/workflows/[^\n]*\n.*?)```", text, re.S)
    assert block, "README has no GitHub Actions example"
    return yaml.safe_load(block.group(1))


def test_readme_github_actions_example_runs(project, run_cli):
    workflow = _readme_workflow()
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    runs = [s["run"] for s in steps if "run" in s and "paramcalc" in s["run"] and "pip" not in s["run"]]
    assert runs
    _write(project / "architectures" / "alexnet.yaml", ALEXNET_TEXT + f"budget:\n  max_params: {ALEXNET_PARAMS}\n")
    _write(project / "pyproject.toml", '[tool.paramcalc]\npaths = ["architectures"]\n')
    (project / "paramcalc.lock.json").write_text(run_cli("snapshot").stdout)
    for run in runs:
        words = shlex.split(run)
        words = words[:next((i for i, w in enumerate(words) if w in (">>", ">", "||", "|")), len(words))]
        assert words[:2] == ["paramcalc", "check"], run
        r = run_cli(*words[1:])
        assert r.exit_code == 0, (run, r.output)
        if "github" in words:
            assert all(WORKFLOW_COMMAND.match(l) for l in r.stdout.splitlines())


def test_the_repository_checks_its_own_architectures_from_pyproject(run_cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    # pyproject.toml: [tool.paramcalc] paths = ["architectures"]; alexnet.yaml's budget sits above torchvision's
    # published 61,100,840 parameters and 0.71 GMACs
    r = run_cli("check", "--format", "json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["summary"]["models"] == len(list(ARCH.glob("*.yaml")))
    assert {x["budget"] for x in d["results"] if x["file"] == "architectures/alexnet.yaml"} >= {"max_params",
                                                                                                "max_macs"}


def test_budget_module_examples_hold():
    import doctest

    import paramcalc.budget

    assert doctest.testmod(paramcalc.budget).failed == 0


def test_receptive_field_budget_on_a_model_without_spatial_axes_exits_2(project, run_cli):
    _write(project / "mlp.yaml", "input: [64]\nlayers:\n  - {type: linear, out: 10}\nbudget:\n"
                                 "  min_receptive_field: 3\n")
    r = run_cli("check", "mlp.yaml")
    assert r.exit_code == 2 and "mlp.yaml:5" in r.stderr and "no spatial axes" in r.stderr


def test_snapshot_of_a_symbolic_model_asks_for_values(run_cli):
    r = run_cli("snapshot", "vgg_two_3x3")
    assert r.exit_code == 2
    assert "a snapshot needs numbers but the parameters are 18*c**2" in r.stderr and "--set" in r.stderr
    ok = run_cli("snapshot", "vgg_two_3x3", "--set", "c=128")
    assert ok.exit_code == 0 and json.loads(ok.stdout)["models"]


SYMBOLIC_TEXT = """\
name: two3x3
symbols: {c: null}
input: [c, 56, 56]
layers:
  - {type: conv, out: c, kernel: 3, padding: 1, bias: false}
  - {type: conv, out: c, kernel: 3, padding: 1, bias: false}
"""


def test_a_folder_scan_skips_symbolic_models_with_the_reason_and_checks_the_rest(tmp_path, run_cli):
    models = tmp_path / "models"
    models.mkdir()
    (models / "alexnet.yaml").write_text(ALEXNET_TEXT)
    (models / "two3x3.yaml").write_text(SYMBOLIC_TEXT)
    # AlexNet's published 61,100,840 parameters: one under fails, the symbolic design is skipped, not an error.
    r = run_cli("check", str(models), "--no-config", "--max-params", "61100839")
    assert r.exit_code == 1, r.output
    assert "two3x3.yaml: symbolic: its totals depend on c" in r.stdout and "--set c=" in r.stdout
    junit_xml = run_cli("check", str(models), "--no-config", "--max-params", "61100840", "--format", "junit")
    assert junit_xml.exit_code == 0
    root = ET.fromstring(junit_xml.stdout)
    assert root.get("skipped") == "1" and root.get("failures") == "0" and root.get("errors") == "0"
    # Given a value, the design is measured: 18 * 64^2 weights.
    assert run_cli("check", str(models), "--no-config", "--set", "c=64",
                   "--max-params", 18 * 64 * 64 - 1).exit_code == 1


def test_a_symbolic_model_with_its_own_budget_is_an_error_at_the_budget_line(tmp_path, run_cli):
    path = tmp_path / "two3x3.yaml"
    path.write_text(SYMBOLIC_TEXT + "budget:\n  max_params: 1M\n")
    r = run_cli("check", str(tmp_path), "--no-config")
    assert r.exit_code == 2
    assert f"{path}:8:" in r.stderr and "18*c**2" in r.stderr


def test_snapshot_of_a_folder_skips_symbolic_models_and_records_the_rest(tmp_path, run_cli):
    (tmp_path / "alexnet.yaml").write_text(ALEXNET_TEXT)
    (tmp_path / "two3x3.yaml").write_text(SYMBOLIC_TEXT)
    r = run_cli("snapshot", str(tmp_path), "--no-config")
    assert r.exit_code == 0
    assert "skipped" in r.stderr and "two3x3.yaml" in r.stderr
    models = json.loads(r.stdout)["models"]
    assert len(models) == 1 and next(iter(models.values()))["totals"]["params"] == 61_100_840
