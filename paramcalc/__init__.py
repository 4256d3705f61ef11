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

__all__ = ["__version__", "analyze", "analyze_file", "load_graph", "to_torch", "ParamcalcError", "SpecError"]

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


def to_torch(path_or_graph, **kwargs):
    """The architecture as a torch.nn.Module with random weights, verified layer by layer against the engine.

    ``path_or_graph``: a file, a bundled name or a built Graph; keyword arguments give symbols values
    (``to_torch('resnet_basic', c=64)``), plus ``verify=False`` and ``device=``. Needs PyTorch
    (pip install 'paramcalc[torch]'); torch is imported here, on first call, never by ``import paramcalc``.
    """
    from .executor import to_torch as _to_torch

    return _to_torch(path_or_graph, **kwargs)
