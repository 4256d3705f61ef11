"""The `paramcalc` program's entry (paramcalc.cli.entry): same output and exit codes as main(), a quick exit only
when nothing is waiting to run at exit."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from paramcalc import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV = {**os.environ, "PYTHONPATH": ROOT}


def program(*args, code=None):
    command = [sys.executable, "-m", "paramcalc", *args] if code is None else [sys.executable, "-c", code, *args]
    return subprocess.run(command, capture_output=True, text=True, env=ENV, timeout=120)


def test_output_and_exit_codes_are_main_s(run_cli):
    big = program("show", "preresnet1001_cifar", "--set", "n=40", "--format", "json")
    assert big.returncode == 0 and big.stdout == run_cli("show", "preresnet1001_cifar", "--set", "n=40",
                                                          "--format", "json").stdout
    assert len(big.stdout) > 100_000  # more than a pipe buffer: everything was flushed before the quick exit
    bad = program("show", "no_such_network")
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.startswith("paramcalc: error: no_such_network")
    usage = program("show", "alexnet", "--depth", "-1")
    assert usage.returncode == 2 and "--depth" in usage.stderr
    assert program("--version").stdout.startswith("paramcalc, version")


def test_a_closed_pipe_still_ends_quietly():
    shell = subprocess.run(f"'{sys.executable}' -m paramcalc show densenet201 | head -1", shell=True,
                           capture_output=True, text=True, env=ENV, timeout=120)
    assert shell.returncode == 0 and shell.stderr == "" and shell.stdout.startswith("densenet201")


def test_exit_work_that_was_asked_for_still_runs():
    code = ("import atexit, sys\natexit.register(lambda: print('exit work ran'))\n"
            "from paramcalc.cli import entry\nsys.argv = ['paramcalc', *sys.argv[1:]]\nentry()\n")
    for args, rc in ((["show", "alexnet", "--format", "csv"], 0), (["show", "nothing_here"], 2)):
        r = program(*args, code=code)
        assert r.returncode == rc and r.stdout.rstrip().endswith("exit work ran"), r.stderr


@pytest.mark.parametrize("callbacks, threads, quick", [(0, 1, True), (1, 1, False), (0, 2, False)])
def test_quick_exit_only_when_nothing_is_waiting(monkeypatch, callbacks, threads, quick):
    import atexit
    import threading

    exits = []

    def fake_main(prog_name):
        print("output")
        raise SystemExit(3)

    class Exited(Exception):
        pass

    def record(code):
        exits.append(code)
        raise Exited

    monkeypatch.setattr(cli, "main", fake_main)
    monkeypatch.setattr(os, "_exit", record)
    monkeypatch.setattr(atexit, "_ncallbacks", lambda: callbacks, raising=False)
    monkeypatch.setattr(threading, "active_count", lambda: threads)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    with pytest.raises(Exited if quick else SystemExit) as e:
        cli.entry()
    assert exits == ([3] if quick else [])
    assert quick or e.value.code == 3
