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


def load_graph(path, *, symbolic=False, overrides=None, block=None, block_input=None, **symbols):
    """Read and build an architecture file, a bundled one by name, or standard input ('-').

    Symbols get values as keywords, as ``to_torch`` takes them (``load_graph('vgg_two_3x3', c=128)``);
    ``symbolic=True`` leaves every symbol not given symbolic. ``overrides={'c': 128}`` is the older spelling.
    ``block='bottleneck'`` builds that block of the file alone (its arguments are symbols), on ``block_input``
    (a shape without batch, whose entries may use the symbols: ``('4*c', 56, 56)``) or else the file's input.
    """
    from .bundled import locate
    from .graph import build_graph
    from .spec import STDIN, STDIN_NAME, load_file

    values = _symbol_values(overrides, symbols)
    if str(path) == STDIN:
        raw, file = load_file(STDIN), STDIN_NAME
    else:
        file = locate(path)
        raw = load_file(file)
    _check_positive(raw, values)
    if block is None and block_input is not None:
        from .errors import UsageError

        raise UsageError("block_input is the input of a block built alone; give the block too")
    return build_graph(raw, file, overrides=values, symbolic=symbolic, block=block, block_input=block_input)


def analyze(graph, **kwargs):
    """Analyse a built graph (``batch=1``, ``dtype='fp32'``)."""
    from .engine import analyze as _analyze

    return _analyze(graph, **kwargs)


def analyze_file(path, *, symbolic=False, batch=1, dtype="fp32", overrides=None, block=None, block_input=None,
                 **symbols):
    """Read, build and analyse an architecture: a file, a bundled one by name ('alexnet'), or '-' (standard input).

    The one entry point for analysis. Symbols get values as keywords, as ``to_torch`` takes them
    (``analyze_file('vgg_two_3x3', c=128)``; values are numbers or text such as '3/4'); ``symbolic=True`` keeps every
    symbol not given symbolic; ``batch`` and ``dtype`` ('fp32', 'fp16', 'bf16', 'int8') set the memory figures.
    ``overrides={'c': 128}`` is the older spelling and still works. ``block`` and ``block_input`` analyse one block
    of the file alone, as ``load_graph`` builds it.

    >>> paramcalc.analyze_file("vgg_two_3x3", c=128).totals.params    # doctest: +SKIP
    295168
    """
    return analyze(load_graph(path, symbolic=symbolic, overrides=overrides, block=block, block_input=block_input,
                              **symbols), batch=batch, dtype=dtype)


def _symbol_values(overrides, symbols) -> dict:
    values = dict(overrides or {})
    values.update(symbols)
    return values


def _check_positive(raw, values) -> None:
    """A symbol is a size (a positive unknown): a value of 0 or less given to one is the caller's mistake."""
    from fractions import Fraction

    from .errors import UsageError
    from .expr import ExprError, evaluate

    declared = raw.get("symbols") if isinstance(raw, dict) else None
    for name, value in values.items():
        if not isinstance(declared, dict) or name not in declared:
            continue
        try:
            number = evaluate(value, {}, name)
        except ExprError:
            continue  # build_graph reports it
        if isinstance(number, (int, Fraction)) and number <= 0:
            raise UsageError(f"--set {name}={value}: a symbol is a size and must be positive")


def to_torch(path_or_graph, **kwargs):
    """The architecture as a torch.nn.Module with random weights, verified layer by layer against the engine.

    ``path_or_graph``: a file, a bundled name or a built Graph; keyword arguments give symbols values
    (``to_torch('resnet_basic', c=64)``), plus ``verify=False`` and ``device=``. Needs PyTorch
    (README: 'Install'); torch is imported here, on first call, never by ``import paramcalc``.
    """
    from .executor import to_torch as _to_torch

    return _to_torch(path_or_graph, **kwargs)
