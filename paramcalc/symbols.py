"""Symbols of an architecture file: the names it declares, the values they are bound to, and values from --set.

    symbols: {c: 64, H: null}  --bind_symbols(overrides={'c': '128'})-->  {'c': 128, 'H': Symbol('H')}
"""

from __future__ import annotations

import re

from . import num
from .errors import RuleError, UsageError
from .expr import ExprError, evaluate
from .spec import LineDict

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Any, Callable, Mapping

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
REFERENCE_WORDS = ("prev", "in")


def suggest(word, candidates) -> str:
    """'; did you mean 'x'?' for the closest candidate, or ''."""
    import difflib  # only for a 'did you mean' hint: kept off the start-up path

    hint = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def is_symbol_name(name) -> bool:
    """A name usable in expressions: an identifier without '-', and not a reference word."""
    return isinstance(name, str) and bool(NAME.match(name)) and "-" not in name and name not in REFERENCE_WORDS


def parse_value(text: str, name: str = "value"):
    """A command-line number: 128, 0.75, 3/4 (an exact fraction)."""
    try:
        return evaluate(text, {}, name)
    except ExprError as e:
        raise UsageError(f"--set {name}={text}: {e}") from None


def declared_symbols(raw, block: str | None = None) -> tuple:
    """The names ``overrides`` may set for this file (and block): its symbols, plus the block's arguments."""
    names: list = []
    symbols = raw.get("symbols") if isinstance(raw, dict) else None
    if isinstance(symbols, dict):
        names += [k for k in symbols if isinstance(k, str)]
    names += [k for k in block_symbols(raw, block) if k not in names]
    return tuple(names)


def block_symbols(raw, block) -> dict:
    """A block's arguments that act as symbols when the block is built alone: required ones and numeric defaults."""
    blocks = raw.get("blocks") if isinstance(raw, dict) and block is not None else None
    spec = blocks.get(block) if isinstance(blocks, dict) else None
    args = spec.get("args") if isinstance(spec, dict) else None
    if not isinstance(args, dict):
        return {}
    return {k: v for k, v in args.items() if isinstance(k, str)
            and (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)))}


def bind_symbols(symbols, *, overrides: Mapping[str, Any], symbolic: bool, file: str, line,
                 error: Callable[..., Exception]) -> dict:
    """Each declared symbol's value: an override, else (unless ``symbolic``) its default, else a sympy symbol.

    ``error(message, line=...)`` makes the located error to raise; an override of an undeclared name is a
    UsageError naming the flag.
    """
    env: dict[str, Any] = {}
    if symbols is None:
        symbols = {}
    if not isinstance(symbols, dict):
        raise error("`symbols:` must be a mapping of name: default value (or null to stay symbolic)", line=line)
    for name, default in symbols.items():
        where = symbols.line_of(name) if isinstance(symbols, LineDict) else line
        if not is_symbol_name(name):
            raise error(f"'{name}' is not a valid symbol name", line=where)
        if name in overrides:
            value = overrides[name]
            env[name] = parse_value(value, name) if isinstance(value, str) else value
        elif default is None or symbolic:
            env[name] = num.symbol(name)
        else:
            try:
                env[name] = evaluate(default, env, f"symbol {name}")
            except RuleError as e:
                raise error(str(e), line=where) from None
    unknown = [k for k in overrides if k not in env]
    if unknown:
        declared = ", ".join(sorted(env)) or "none"
        raise UsageError(f"--set {unknown[0]}: {file} declares no symbol '{unknown[0]}'"
                         f"{suggest(unknown[0], env) or f' (declared: {declared})'}")
    return env
