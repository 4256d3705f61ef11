"""Blocks: named, parameterised sub-graphs — reading their declarations and binding one instance's arguments.

    blocks: {down: {args: {c: null, stride: 2}, layers: [...]}}   +   {type: down, c: 64}   -->  {'c': 64, 'stride': 2}
"""

from __future__ import annotations

from typing import Any, Callable

from .errors import RuleError
from .expr import ExprError, evaluate
from .layers import REGISTRY
from .spec import LineDict
from .symbols import NAME, is_symbol_name, suggest

BLOCK_KEYS = ("args", "layers", "description")


def read_blocks(blocks, line, error: Callable[..., Exception]) -> dict:
    """Check the `blocks:` mapping (names, keys, argument names) and return it as {name: LineDict}."""
    if blocks is None:
        return {}
    if not isinstance(blocks, LineDict):
        raise error("`blocks:` must be a mapping of block name: {args, layers}", line=line)
    for name, block in blocks.items():
        where = blocks.line_of(name)
        if not isinstance(name, str) or not NAME.match(name):
            raise error(f"'{name}' is not a valid block name", line=where)
        if name in REGISTRY:
            raise error(f"block '{name}' has the name of a built-in layer type; rename it", line=where)
        if not isinstance(block, LineDict) or "layers" not in block:
            raise error(f"block '{name}' needs `layers:` (and optionally `args:`)", line=where)
        for key in block:
            if key not in BLOCK_KEYS:
                raise error(f"block '{name}': unknown key '{key}'{suggest(key, ('args', 'layers'))}",
                            line=block.line_of(key))
        args = block.get("args") or {}
        if not isinstance(args, dict):
            raise error(f"block '{name}': `args:` must be a mapping of name: default (null = required)",
                        line=block.line_of("args"))
        for arg in args:
            if not is_symbol_name(arg):
                raise error(f"block '{name}': '{arg}' is not a valid argument name", line=block.line_of("args"))
    return dict(blocks)


def argument_value(raw, env, what):
    """One argument's value: a bool, a name in scope (its value), a list (item by item), an expression, or a word
    such as 'same' or 'bilinear' that is passed through to an attribute."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw in env:
        return env[raw]
    if isinstance(raw, list):
        return [argument_value(x, env, what) for x in raw]
    try:
        return evaluate(raw, env, what)
    except ExprError:
        if isinstance(raw, str) and NAME.match(raw):
            return raw
        raise


def bind_arguments(block_name, block, call, env, outer_env, layer_keys, error: Callable[..., Exception]) -> dict:
    """The environment a block instance's layers see: the file's symbols, then each declared argument from the
    call (evaluated in the caller's ``env``) or its default (evaluated among the arguments bound before it)."""
    declared = block.get("args") or {}
    for key in call:
        if key not in layer_keys and key not in declared:
            listing = ", ".join(declared) or "none"
            raise error(f"block '{block_name}' has no argument '{key}'"
                        f"{suggest(key, declared) or f' (its args: {listing})'}", line=call.line_of(key))
    bound: dict[str, Any] = dict(outer_env)
    for arg, default in declared.items():
        try:
            if arg in call:
                bound[arg] = argument_value(call[arg], env, arg)
            elif default is None:
                raise error(f"block '{block_name}' needs argument '{arg}'", line=call.line)
            else:
                bound[arg] = argument_value(default, bound, arg)
        except RuleError as e:
            raise error(str(e), line=call.line_of(arg)) from None
    return bound
