"""Python's cyclic garbage collector paused around work that allocates many objects and frees none of them."""

from __future__ import annotations

import functools
import gc


def paused(function):
    """Decorator: run ``function`` with the cyclic collector off, restored after whatever happens.

    Building, analysing and rendering a model allocate many small objects (tuples, dicts, results) that all stay
    alive until the call returns, so every collection the allocations trigger rescans what is alive and frees
    nothing: 20-50% of the time of a 10,000-layer model. Nothing is leaked: reference counting still frees what
    is dropped, and cycles made meanwhile are found by the next collection after the call.
    """

    @functools.wraps(function)
    def without_collection(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return without_collection
