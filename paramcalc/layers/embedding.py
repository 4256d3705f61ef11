"""Token embeddings of text models: a learnt [vocab, dim] table looked up by token id (or by position)."""

from __future__ import annotations

from .base import CONSTANT, Attr, Layer, NoOps, REQUIRED, fmt_shape, register, torch_modules
from ..errors import RuleError


@register
class Embedding(NoOps, Layer):
    """nn.Embedding: [L] token ids -> [L, dim]; weight [vocab, dim]. With ``positions: true`` the ids are the
    positions 0..L-1 whatever the input holds (GPT-2's wpe, BERT's position_embeddings), so L may not exceed vocab."""

    type = "embedding"
    aliases = ("token_embedding",)
    summary = "table lookup [L] ids -> [L, dim]; weight [vocab, dim]; `positions: true` looks up 0..L-1"
    attributes = {
        "vocab": Attr("size", REQUIRED, doc="rows of the table: vocabulary size (or positions)"),
        "dim": Attr("size", REQUIRED, doc="embedding width"),
        "positions": Attr("bool", False),
    }

    def shape(self, a, ins):
        if len(ins[0]) != 1:
            raise RuleError(f"needs a [L] input of token ids, got {fmt_shape(ins[0])}")
        from .. import num

        if a.positions and num.nonnegative(a.vocab - ins[0][0]) is False:
            raise RuleError(f"a sequence of {num.show(ins[0][0])} positions needs at least that many rows, "
                            f"the table has {num.show(a.vocab)}")
        return (ins[0][0], a.dim)

    def params(self, a, ins, out):
        return {"weight": (a.vocab, a.dim)}

    def buffers(self, a, ins, out):
        return {}

    def receptive_field(self, a, ins, fields):
        return CONSTANT  # text has no pixels: no receptive field from here on

    def torch(self, a, ins, out):
        return torch_modules().TokenEmbedding(a.vocab, a.dim, a.positions)
