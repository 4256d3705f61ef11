"""README.md stays true: its architecture table matches the engine, and CI runs the test command it gives."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT


def test_readme_architecture_table_is_up_to_date():
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "architecture_table.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_ci_runs_the_test_command_readme_gives():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_command = next(c for c in commands if "pytest" in c)
    ci = (ROOT / ".ci" / "run").read_text()
    install, _, run = test_command.partition("&&")
    assert "'.[test]'" in install and "'.[test]'" in ci
    assert "pytest" in run and "python -m pytest" in ci


def test_readme_install_command_shows_a_bundled_architecture():
    readme = (ROOT / "README.md").read_text()
    first = re.findall(r"```sh\n(.*?)\n```", readme, re.S)[0]
    target = first.split("paramcalc show", 1)[1].split()[0]
    assert (ROOT / target).is_file()
