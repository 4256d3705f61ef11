"""The executor: build a declared architecture as one torch.nn.Module, check the engine against it, and time it.

Only `paramcalc run`, ``paramcalc.to_torch`` and the tests import this package; importing it does not import torch
(its submodules do). ``require_torch`` turns a missing PyTorch into one clear line saying how to install it.
"""

from __future__ import annotations

from ..errors import UsageError

INSTALL_HINT = ("PyTorch is not installed; the executor needs it: pip install torch in the virtual environment "
                "paramcalc runs in (the CPU-only build: pip install torch --index-url "
                "https://download.pytorch.org/whl/cpu), or pip install '.[torch]' from a paramcalc checkout")


def require_torch():
    """The torch module, or a UsageError (exit code 2) saying how to install it."""
    import warnings

    # torch without numpy warns once at import; nothing here uses numpy.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    try:
        import torch
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return torch


def to_torch(path_or_graph, *, verify: bool = True, device=None, **overrides):
    """Build an architecture (a file, a bundled name, or a built Graph) as a ``GraphModule`` with random weights.

    ``overrides`` give symbols values (``to_torch('resnet_basic', c=64)``). ``device`` (default: PyTorch's current
    default device) is where the module is built and verified. With ``verify`` (the default) every layer's output
    shape and parameter and buffer shapes are checked against the engine's predictions on a batch of one, run
    without gradients; a disagreement raises ``VerificationError`` naming the layer and both values.

    >>> model = to_torch("alexnet")                                   # doctest: +SKIP
    >>> sum(p.numel() for p in model.parameters())                    # doctest: +SKIP
    61100840
    """
    torch = require_torch()
    from .build import build

    if device is None:
        model = build(path_or_graph, overrides)
    else:
        with torch.device(device):
            model = build(path_or_graph, overrides)
    if verify:
        from .verify import verify as _verify

        _verify(model, device=device)
    return model


__all__ = ["INSTALL_HINT", "require_torch", "to_torch"]
