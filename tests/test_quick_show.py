"""The quick `paramcalc show` (paramcalc/cli/quick.py): the command lines it reads give exactly what the click command
gives (output, warnings, errors, exit codes), every other line is left to click, and its options stay in step with
the click command's."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

from paramcalc.cli import quick

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARCH = os.path.join(ROOT, "architectures")


def test_parse_reads_the_common_lines():
    assert quick.parse(["alexnet"]) == {"target": "alexnet", "sets": ()}
    assert quick.parse(["--format", "json", "resnet50"]) == {"target": "resnet50", "fmt": "json", "sets": ()}
    assert quick.parse(["vgg_two_3x3", "--set", "c=128", "--set=H=56", "--symbolic", "--batch=8", "--dtype", "bf16",
                        "--depth", "0", "--format=csv"]) == {
        "target": "vgg_two_3x3", "sets": ("c=128", "H=56"), "symbolic": True, "batch": 8, "dtype": "bf16",
        "depth": 0, "fmt": "csv"}
    assert quick.parse(["-", "--format", "markdown"]) == {"target": "-", "fmt": "markdown", "sets": ()}


@pytest.mark.parametrize("args", [
    [], ["--format", "json"],                                  # no target
    ["a", "b"], ["alexnet", ""],                               # a second or an empty target
    ["alexnet", "--help"], ["alexnet", "-h"], ["--", "alexnet"],
    ["alexnet", "--convention", "thop"], ["alexnet", "--breakdown"], ["alexnet", "--fmt", "json"],
    ["alexnet", "--format"], ["alexnet", "--format", "xml"], ["alexnet", "--format="],
    ["alexnet", "--format", "json", "--format", "csv"],        # click keeps the last; click decides
    ["alexnet", "--depth", "-1"], ["alexnet", "--depth", "1.5"], ["alexnet", "--depth", "\u0663"],
    ["alexnet", "--batch", "0"], ["alexnet", "--batch", " 2"], ["alexnet", "--dtype", "fp64"],
    ["alexnet", "--symbolic=yes"], ["alexnet", "--symbolic", "--symbolic"], ["alexnet", "--set"],
    ["alexnet", "--set", "--symbolic"], ["-x.yaml"], ["alexnet", "--input"], ["a#b", "--input", "1", "--input", "2"],
])
def test_other_lines_are_left_to_click(args):
    assert quick.parse(args) is None
    assert quick.show(args) is None


@pytest.mark.parametrize("args", [
    ["alexnet"], ["--format", "json", "resnet50"], ["-", "--set", "c=1", "--set", "c=2"],
    ["vgg_two_3x3", "--set", "c=128", "--set=H=56", "--symbolic", "--batch=8", "--dtype", "bf16", "--depth", "0",
     "--format=csv"],
    ["alexnet", "--batch", "0012", "--depth", "3", "--set=res=160"],
    ["resnet50#bottleneck", "--input", "256,56,56", "--set", "width=64"], ["resnet50#bottleneck", "--input=4*c,H,H"],
])
def test_parse_gives_the_click_command_s_parameters(args):
    from paramcalc.cli.show import show
    from paramcalc.cli.show_output import write

    defaults = {name: p.default for name, p in inspect.signature(write).parameters.items() if name != "target"}
    clicked = show.make_context("show", list(args)).params
    assert {**defaults, **quick.parse(args)} == {**clicked, "sets": tuple(clicked["sets"])}


def _quick(capsys, args):
    code = quick.show(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args", [
    ["alexnet"],
    ["resnet50", "--format", "json"],
    ["densenet121", "--depth", "1", "--format", "markdown"],
    ["vgg_two_3x3", "--set", "c=128", "--format=csv"],
    ["vgg_two_3x3", "--symbolic", "--format", "json"],
    ["mobilenet_v2", "--batch", "8", "--dtype", "bf16", "--depth=0"],
    [os.path.join(ARCH, "resnet_basic.yaml"), "--set", "H=7", "--format", "json"],
    ["no_such_network"],                                       # a mistake: one line, exit code 2
    ["alexnet", "--set", "res"],                               # a malformed --set
    ["alexnet", "--set", "res=abc", "--format", "json"],
    ["alexnet", "--set", "nosuch=3"],
    ["alexnet", "--set", "res=7"],                             # too small an input for the network
    ["resnet50#bottleneck", "--input", "256,56,56", "--set", "width=64", "--format", "json"],  # a block alone
    ["resnet50#nosuch"], ["resnet50#bottleneck", "--input", "256,x"], ["alexnet", "--input", "3,8,8"],
])
def test_same_output_errors_and_exit_code_as_the_click_command(capsys, run_cli, args):
    code, out, err = _quick(capsys, args)
    assert code is not None, "quick.py should read this line"
    clicked = run_cli("show", *args)
    assert (code, out, err) == (clicked.exit_code, clicked.stdout, clicked.stderr)


def test_warnings_go_to_stderr_as_the_click_command_writes_them(capsys, run_cli, tmp_path):
    net = tmp_path / "warned.yaml"
    net.write_text("input: [3, 32, 32]\nlayers:\n  - {type: conv, out: 8, k: 3}\n  - {type: dropout, p: 0.5}\n"
                   "  - {type: maxpool, k: 2}\n  - {type: flatten}\n  - {type: linear, out: 10}\n")
    for fmt in ("json", "markdown", "csv", "table"):
        code, out, err = _quick(capsys, [str(net), "--format", fmt])
        clicked = run_cli("show", str(net), "--format", fmt)
        assert (code, out, err) == (clicked.exit_code, clicked.stdout, clicked.stderr)


def test_options_match_the_click_command():
    """Every option quick.py reads has the click command's name, kind, choices, bounds and default; the others are
    the ones it leaves to click on purpose."""
    import click

    from paramcalc.cli.show import show
    from paramcalc.cli.show_output import write

    defaults = {name: p.default for name, p in inspect.signature(write).parameters.items()}
    clicked = show.make_context("show", ["alexnet"]).params  # every parameter at its default
    read = {}
    for param in show.params:
        if isinstance(param, click.Argument):
            assert param.name == "target"
            continue
        option = max(param.opts, key=len)
        if option not in quick.OPTIONS:
            assert option in ("--convention", "--breakdown"), f"quick.py does not know {option}"
            continue
        keyword, kind = quick.OPTIONS[option]
        read[option] = keyword
        assert keyword == param.name and param.opts == [option] and not param.secondary_opts
        default = clicked[keyword]
        assert defaults[keyword] == default, option
        if kind == "flag":
            assert param.is_flag and default is False
        elif kind == "multiple":
            assert param.multiple and param.nargs == 1
        elif kind == "text":
            assert param.type is click.STRING and not param.multiple and param.nargs == 1 and default is None
        elif isinstance(kind, tuple):
            assert isinstance(param.type, click.Choice) and tuple(param.type.choices) == kind and default == kind[0]
        else:
            assert isinstance(param.type, click.IntRange) and param.type.min == kind and param.type.max is None
            assert not param.type.min_open
    assert set(read) == set(quick.OPTIONS)


def _modules_after(*args, stdin=None):
    code = ("import atexit, sys\n"
            "atexit.register(lambda: sys.stderr.write('click imported: %s' % ('click' in sys.modules)))\n"
            "from paramcalc.cli import entry\nsys.argv = ['paramcalc', *sys.argv[1:]]\nentry()\n")
    env = {**os.environ, "PYTHONPATH": ROOT}
    env.pop("_PARAMCALC_COMPLETE", None)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, input=stdin,
                          timeout=120)


def test_the_common_show_imports_no_click_and_the_rest_still_does():
    import json

    quick_run = _modules_after("show", "resnet50", "--format", "json")
    assert quick_run.returncode == 0, quick_run.stderr
    assert json.loads(quick_run.stdout)["totals"]["params"] == 25_557_032  # torchvision's published resnet50
    assert quick_run.stderr.endswith("click imported: False")
    with open(os.path.join(ARCH, "vgg_two_3x3.yaml")) as f:  # standard input
        piped = _modules_after("show", "-", "--set", "c=64", "--format", "csv", stdin=f.read())
    assert piped.returncode == 0, piped.stderr
    rows = piped.stdout.splitlines()
    assert rows[0].startswith("name,type,output_shape,params,")
    assert sum(int(r.split('"')[2].split(",")[1]) for r in rows[1:] if not r.startswith("TOTAL,")) == 2 * 3 * 3 * 64 * 64  # two 3x3 convs c->c
    assert piped.stderr.endswith("click imported: False")
    helped = _modules_after("show", "alexnet", "--help")
    assert helped.returncode == 0 and "Usage: paramcalc show" in helped.stdout
    assert helped.stderr.endswith("click imported: True")
    bad = _modules_after("show", "alexnet", "--format", "xml")
    assert bad.returncode == 2 and "'xml' is not one of" in bad.stderr
