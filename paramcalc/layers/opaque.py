"""The opaque layer: an operation paramcalc cannot count, kept in the graph with a declared output shape and an
unknown cost, so that every report says its totals leave something out instead of counting it as zero."""

from __future__ import annotations

from ..errors import RuleError
from .base import REQUIRED, Attr, Layer, NoParams, WholeField, fmt_shape, register


@register
class Opaque(NoParams, WholeField, Layer):
    type = "opaque"
    arity = (1, None)
    summary = ("an operation whose cost is unknown (an importer's --opaque): output `shape` as declared, no "
               "parameters counted, operations unknown — every report marks its totals as incomplete")
    attributes = {"shape": Attr("sizes", REQUIRED, doc="output shape without the batch axis")}
    cost_known = False  # the engine warns that totals leave this layer's work out

    def shape(self, a, ins):
        return a.shape

    def ops(self, a, ins, out):
        return {}

    def unknown_cost_note(self, a, ins) -> str:
        return f"cost unknown (opaque, declared output {fmt_shape(a.shape)})"

    def torch(self, a, ins, out):
        raise RuleError("an opaque layer cannot run in PyTorch: paramcalc does not know its operation (map it in "
                        "paramcalc/importers/, or add a layer type for it)")
