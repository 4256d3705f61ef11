"""Markdown: a per-layer pipe table and totals, fit to paste into a pull request or a README."""

from __future__ import annotations

from .. import num
from ..engine import Analysis, collapse
from . import convention_lines, convention_rows, field_text, shape_text, share, symbols_text


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def render(a: Analysis, depth: int | None = None, convention=None) -> str:
    t = a.totals
    title = f"### {a.name}" + (f" ({symbols_text(a.symbols)})" if a.symbols else "")
    macs = "MACs" if convention is None else f"{convention.convention.unit} ({convention.name})"
    lines = [title, "", f"| Layer | Type | Output shape | Params | % | {macs} | Receptive field |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in convention_rows(collapse(a, depth), convention):
        lines.append("| " + " | ".join(_cell(x) for x in (
            r["name"], r["type"], shape_text(r["output_shape"]), num.exact(r["params"]),
            share(r["params"], t.params), num.exact(r["macs"]), field_text(r["receptive_field"]))) + " |")
    lines += ["", *totals_lines(a, bullet="- ")]
    if convention is not None:
        lines += convention_lines(convention, bullet="- ")
    return "\n".join(lines) + "\n"


def totals_lines(a: Analysis, bullet: str = "") -> list[str]:
    """Totals as exact 'label: value (human)' lines, shared by markdown and plain text."""
    t = a.totals

    def both(x, bytes_=False):
        h = num.human(x, bytes_=bytes_)
        return num.exact(x) if h in (num.show(x), num.exact(x)) else f"{h} ({num.exact(x)}{' bytes' if bytes_ else ''})"

    non_trainable = num.normalize(t.params - t.trainable_params)
    return [
        f"{bullet}Params: {both(t.params)}; trainable {num.exact(t.trainable_params)}, "
        f"non-trainable {num.exact(non_trainable)}; buffers {num.exact(t.buffers)}",
        f"{bullet}MACs: {both(t.macs)} at batch {a.batch}",
        f"{bullet}FLOPs: {both(t.flops)} = 2 x MACs",
        f"{bullet}Weight memory ({a.dtype}): {both(t.weight_bytes, True)}",
        f"{bullet}Activation memory ({a.dtype}): {both(t.activation_bytes, True)} in all; "
        f"peak at inference {both(t.peak_activation_bytes, True) if t.peak_activation_bytes is not None else 'depends on the sizes (give them with --set)'}",
        f"{bullet}Receptive field at the output: {field_text(t.receptive_field) or 'n/a'}"
        + (f" ({'x'.join(num.show(s) for s in t.receptive_field.size)} pixels)" if t.receptive_field
           and t.receptive_field.whole else "")
        + (f"; before that, {field_text(t.spatial_receptive_field)} at {t.spatial_receptive_field_layer}"
           if t.receptive_field and t.receptive_field.whole and t.spatial_receptive_field else ""),
    ] + ([f"{bullet}Shape constraints: " + "; ".join(f"{c.text} (needed by {', '.join(c.layers)})"
                                                      for c in a.constraints)] if a.constraints else []) \
        + ([sequence_line(a, both, bullet)] if a.sequence is not None else [])


def sequence_line(a: Analysis, both, bullet: str = "") -> str:
    """Token models: FLOPs per token of this forward pass and the key/value cache decoding keeps."""
    s = a.sequence
    return (f"{bullet}Sequence: {num.exact(s.sequence_length)} tokens x batch {a.batch}; "
            f"FLOPs per token {both(s.flops_per_token)}; "
            f"KV cache ({a.dtype}) {both(s.kv_cache_bytes, True)}")
