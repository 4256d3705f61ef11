"""Shared helpers: build graphs from inline YAML and run the CLI."""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from paramcalc.engine import analyze
from paramcalc.graph import build_graph
from paramcalc.spec import load_text

# The parse cache of this run (in-process and in every subprocess the tests start): never the user's ~/.cache.
os.environ["PARAMCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="paramcalc-test-cache-")

ROOT = Path(__file__).resolve().parent.parent
ARCH = ROOT / "architectures"


def analyse_text(text: str, *, batch: int = 1, overrides=None, symbolic=False, file="test.yaml"):
    """Analyse inline YAML (dedented)."""
    graph = build_graph(load_text(textwrap.dedent(text), file), file, overrides=overrides, symbolic=symbolic)
    return analyze(graph, batch=batch)


def run_layers(layers, input_shape=None, *, inputs=None, symbols=None, batch=1, dtype="fp32"):
    """Analyse a small network given as Python data (written out as YAML flow text, which JSON is)."""
    import json

    doc = {"layers": layers}
    if symbols:
        doc["symbols"] = symbols
    if inputs:
        doc["inputs"] = inputs
    else:
        doc["input"] = list(input_shape)
    return analyze(build_graph(load_text(json.dumps(doc), "t.yaml"), "t.yaml"), batch=batch, dtype=dtype)


@pytest.fixture
def run_cli():
    """Invoke the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from click.testing import CliRunner

    from paramcalc.cli import main

    def _run(*args):
        return CliRunner().invoke(main, [str(a) for a in args])

    return _run
