"""Names in the graph being built, and how a layer's `input:` reference is resolved to one of them.

A reference is `prev`, `in` (the enclosing block's input), a name declared earlier in the same block, a graph
input, a block instance or repeat group (standing for its output), or a full dotted layer name.
"""

from __future__ import annotations

from .errors import RuleError
from .symbols import suggest


class Names:
    """The nodes created so far, the graph inputs, and the aliases of block instances and repeat groups."""

    def __init__(self, inputs=()):
        self.inputs = set(inputs)
        self.nodes: dict = {}     # full name -> Node
        self.aliases: dict = {}   # block instance / repeat group name -> the name of its output node

    def resolve(self, ref, local, prev, declared, what="input") -> str:
        """The node or input name ``ref`` stands for; ``local`` maps the enclosing block's names (and `in`),
        ``declared`` holds the names declared anywhere in that block (to tell "defined later" from "unknown")."""
        if not isinstance(ref, str):
            raise RuleError(f"an {what} must be a layer name, got {ref!r}")
        if ref == "prev":
            return prev
        if ref in local:
            return local[ref]
        if ref in self.inputs:
            return ref
        if ref in self.aliases:
            return self.aliases[ref]
        if ref in self.nodes:
            return ref
        if ref in declared:
            raise RuleError(f"input '{ref}' is defined later; a layer can only take earlier layers as input "
                            f"(this keeps the graph free of cycles)")
        candidates = [k for k in local if k != "in"] + sorted(self.inputs) + ["prev", "in"]
        raise RuleError(f"unknown {what} '{ref}'{suggest(ref, candidates)}")
