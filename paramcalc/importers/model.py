"""What an importer produces, whatever the source format: layers with module paths, expected shapes and tensors."""

from __future__ import annotations

from ..errors import ParamcalcError
from ..records import field, record


class ImportError_(ParamcalcError):
    """A model that cannot be imported: one line, exit code 2."""


@record
class Op:
    """One paramcalc layer found in the source.

    ``scope``: the module paths that enclose it, outermost first (``("layer1", "layer1.0")``); ``local``: its name
    inside the innermost one (``conv1``); ``path`` joins them (``layer1.0.conv1``), which is also the prefix of its
    tensors in the source's state_dict. ``inputs`` are other ops' ids or the model's input names.
    """

    id: str
    scope: tuple
    local: str
    type: str
    attrs: dict
    inputs: tuple
    shape: tuple            # expected output shape, without the batch axis
    params: dict            # expected trainable tensors: PyTorch name -> shape
    buffers: dict = field(default_factory=dict)
    origin: str = ""        # where it came from, for messages: "torch.nn.Conv2d 'layer1.0.conv1' (net.py:12)"

    @property
    def path(self) -> str:
        return ".".join((self.scope[-1], self.local)) if self.scope else self.local


@record
class Unmapped:
    """An operation with no entry in the mapping table, and where it is."""

    op: str
    path: str
    where: str
    reason: str = ""

    def describe(self) -> str:
        text = f"{self.op} at '{self.path or '(top level)'}'"
        if self.where:
            text += f" ({self.where})"
        if self.reason:
            text += f": {self.reason}"
        return text


@record
class ImportedModel:
    name: str
    source: str                           # the `source:` line
    inputs: tuple                         # ((name, shape without batch: ints or symbol names), ...)
    symbols: dict                         # symbol -> default value (or None)
    ops: tuple                            # Op, in topological order
    outputs: tuple                        # op ids (or input names) that are the model's outputs
    classes: dict = field(default_factory=dict)     # module path -> class name (blocks group instances by it)
    containers: frozenset = frozenset()   # module paths that are containers (Sequential, ModuleList): never blocks
    total_params: int = 0                 # the source's own count
    uncalled: tuple = ()                  # (module path, parameters) of modules whose tensors no traced layer uses
    description: str = ""


def unmapped_error(unmapped, source: str, *, hint: str = "") -> ImportError_:
    """One line naming the first unmapped op and listing all of them."""
    kinds = sorted({u.op for u in unmapped})
    first = unmapped[0].describe()
    more = f"; {len(unmapped)} unmapped operations in all ({', '.join(kinds)})" if len(unmapped) > 1 else ""
    return ImportError_(f"{source}: no paramcalc layer type for {first}{more}{hint}")


def drop_defaults(kind: str, attrs: dict) -> dict:
    """Attributes equal to the layer type's default are left out, so the file reads like a hand-written one."""
    from ..layers import REGISTRY, REQUIRED

    spec = REGISTRY[kind].attributes
    out = {}
    for key, value in attrs.items():
        if value is None:
            continue
        default = spec[key].default if key in spec else REQUIRED
        if default is not REQUIRED and default is not None and _same_value(value, default):
            continue
        out[key] = value
    return out


def _same_value(value, default) -> bool:
    if isinstance(value, bool) or isinstance(default, bool):
        return value is default
    try:
        return float(value) == float(default)
    except (TypeError, ValueError):
        return value == default
