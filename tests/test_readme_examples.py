"""Every `paramcalc ...` example in README.md's shell blocks runs as written (README stays true).

Examples that name files a reader would bring (models/, deep.yaml) or need a GPU are skipped, saying why; `run`
examples need torch. `check` may exit 1 (a budget exceeded is its job); everything else must exit 0.
"""

from __future__ import annotations

import importlib.util
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from paramcalc.bundled import names
from paramcalc.cli import main

from conftest import ROOT


def readme_commands() -> list[str]:
    lang, commands = None, []
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            lang = line[3:].strip() if lang is None else None
            continue
        text = line.strip()
        if lang in ("sh", "bash") and text.startswith("paramcalc "):
            commands.append(text.split("  #")[0].strip())
    return commands


COMMANDS = readme_commands()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A scratch folder holding the bundled architectures, so examples that write files leave the checkout alone."""
    d = tmp_path_factory.mktemp("readme")
    (d / "architectures").symlink_to(ROOT / "architectures")
    return d


def _missing_inputs(args, cwd: Path) -> list[str]:
    missing = []
    for a in args:
        path = a.split("#")[0]
        looks_like_path = "/" in path or path.endswith((".yaml", ".yml", ".json"))
        if looks_like_path and "*" not in path and not (cwd / path).exists() and path not in names():
            missing.append(a)
        if "*" in path and not list(cwd.glob(path)):
            missing.append(a)
    return missing


def test_readme_has_examples_of_every_command():
    used = {c.split()[1] for c in COMMANDS}
    assert {"show", "list", "compare", "check", "snapshot", "solve", "sweep", "run"} <= used


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_example_runs(command, workdir, monkeypatch):
    args = shlex.split(command)[1:]
    output = None
    if ">" in args:
        output = args[args.index(">") + 1]
        args = args[:args.index(">")]
    if "--baseline" in args and not (workdir / args[args.index("--baseline") + 1]).exists():
        pytest.skip("needs the lock file of the snapshot example above it")
    missing = _missing_inputs(args, workdir)
    if missing:
        pytest.skip(f"names a reader's own files: {', '.join(missing)}")
    if args[0] == "run":
        if importlib.util.find_spec("torch") is None:
            pytest.skip("`paramcalc run` needs torch")
        if "cuda" in args:
            pytest.skip("needs a CUDA GPU")
        if "--iters" in args:  # as written, but fewer iterations: this checks that it runs, not how fast
            args[args.index("--iters") + 1] = "2"
        args += ["--warmup", "1"]
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(main, args)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    allowed = (0, 1) if args[0] == "check" else (0,)
    assert result.exit_code in allowed, (command, result.output)
    if output:
        (workdir / output).write_text(result.stdout)
