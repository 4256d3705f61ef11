"""paramcalc: how big is this network, how much compute, how far does it see?

Exact parameter, MAC/FLOP, receptive-field and memory counts for architectures declared in YAML, with no
deep-learning framework needed.

>>> import paramcalc
>>> a = paramcalc.analyze_file("architectures/alexnet.yaml")   # doctest: +SKIP
>>> a.totals.params                                              # doctest: +SKIP
61100840
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "analyze", "analyze_file", "load_graph", "ParamcalcError", "SpecError"]

from .errors import ParamcalcError, SpecError  # noqa: E402


def load_graph(path, **kwargs):
    """Read and build an architecture file (``overrides={'c': 128}``, ``symbolic=True``)."""
    from .graph import load_graph as _load

    return _load(path, **kwargs)


def analyze(graph, **kwargs):
    """Analyse a built graph (``batch=1``, ``dtype='fp32'``)."""
    from .engine import analyze as _analyze

    return _analyze(graph, **kwargs)


def analyze_file(path, *, overrides=None, symbolic=False, batch=1, dtype="fp32"):
    """Read, build and analyse an architecture file, or a bundled one by name ('alexnet')."""
    from .bundled import resolve

    return analyze(load_graph(resolve(path), overrides=overrides, symbolic=symbolic), batch=batch, dtype=dtype)
