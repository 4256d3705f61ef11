"""Display of `paramcalc solve`: the answer, the totals at it and one step past it, and what that step breaks."""

from __future__ import annotations

from .. import num


def _rows(s, budgets, convention):
    compute = "MACs" if not convention else f"compute ({convention})"
    return [
        ("params", lambda p: p.params, budgets.max_params, "<="),
        (compute, lambda p: p.compute, budgets.max_macs, "<="),
        ("activation bytes", lambda p: p.activation_bytes, budgets.max_activation_bytes, "<="),
        ("weight bytes", lambda p: p.weight_bytes, None, ""),
        ("receptive field", lambda p: p.receptive_field, budgets.min_rf, ">="),
    ]


def text(s, budgets, convention=None) -> str:
    if s.value is None:
        lines = [f"no value of {s.symbol} keeps every budget"]
        if s.next_broken:
            lines.append("  " + "; ".join(s.next_broken))
        return "\n".join(lines + [f"note: {n}" for n in s.notes]) + "\n"
    smallest = budgets.min_rf is not None and not budgets.has_upper
    what = "smallest value whose receptive field reaches the budget" if smallest else \
        "largest value that keeps every budget"
    lines = [f"{s.symbol} = {s.value}  ({what})", ""]
    points = [s.at] + ([s.next] if s.next else [])
    header = ["", *(f"{s.symbol}={p.values[0][1]}" for p in points), "budget"]
    table = [header]
    for label, get, limit, op in _rows(s, budgets, convention):
        cells = [num.exact(get(p)) if get(p) is not None else "-" for p in points]
        table.append([label, *cells, f"{op} {num.exact(limit)}" if limit is not None else ""])
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for r in table:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    if s.next is not None and s.next_broken:
        lines += ["", f"{s.symbol} = {s.next.values[0][1]} breaks: " + "; ".join(s.next_broken)]
    if s.lowest is not None and not smallest:
        lines.append(f"the receptive field reaches {budgets.min_rf} from {s.symbol} = {s.lowest}")
    lines += [f"note: {n}" for n in s.notes]
    return "\n".join(lines) + "\n"


def _point(p):
    if p is None:
        return None
    return {"values": dict(p.values), "params": p.params, "compute": p.compute, "weight_bytes": p.weight_bytes,
            "activation_bytes": p.activation_bytes, "receptive_field": p.receptive_field}


def to_dict(s, budgets) -> dict:
    return {
        "symbol": s.symbol,
        "value": s.value,
        "budgets": {"max_params": budgets.max_params, "max_macs": budgets.max_macs,
                    "max_activation_bytes": budgets.max_activation_bytes, "min_rf": budgets.min_rf},
        "at": _point(s.at),
        "next": _point(s.next),
        "next_breaks": list(s.next_broken),
        "smallest_reaching_rf": s.lowest,
        "monotone": s.monotone,
        "notes": list(s.notes),
    }
