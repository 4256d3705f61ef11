"""Blocks: named, parameterised sub-graphs — reading their declarations and binding one instance's arguments.

    blocks: {down: {args: {c: null, stride: 2}, layers: [...]}}   +   {type: down, c: 64}   -->  {'c': 64, 'stride': 2}
"""

from __future__ import annotations

from .errors import RuleError
from .expr import ExprError, evaluate, parse
from .layers import REGISTRY
from .records import record
from .spec import LineDict
from .symbols import NAME, REFERENCE_WORDS, is_symbol_name, suggest

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Any, Callable

BLOCK_KEYS = ("args", "inputs", "layers", "description")
NOT_VALUES = ("name", "note", "input", "inputs")   # layer keys whose values are names, not argument values

# How a block's layers use an argument:
TYPE_USE = "type"             # `type: act` - the argument names the layer type (or block) to use
WHOLE_USE = "whole value"     # `padding: pad`, `kernel: k` - the argument is an attribute's whole value
ARITHMETIC_USE = "arithmetic"  # `out: 4*c` - the argument is computed with, so it must be a number


@record
class Use:
    kind: str
    text: str      # 'out: 4*c'
    line: int | None


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
        block_inputs(name, block, error)
    return dict(blocks)


def block_inputs(name, block, error: Callable[..., Exception]) -> tuple:
    """The names a block gives its inputs (`inputs: [x, skip]`); a block without them takes one input, `in`."""
    names = block.get("inputs")
    if names is None:
        return ("in",)
    if isinstance(names, str):
        names = [names]
    line = block.line_of("inputs")
    if not isinstance(names, list) or not names:
        raise error(f"block '{name}': `inputs:` must be a list of names for its inputs, e.g. [x, skip]", line=line)
    for n in names:
        if not isinstance(n, str) or not NAME.match(n) or n in REFERENCE_WORDS:
            raise error(f"block '{name}': '{n}' is not a valid input name (not 'prev' or 'in')", line=line)
    if len(set(names)) != len(names):
        raise error(f"block '{name}': an input name is given twice in {names}", line=line)
    args = block.get("args") or {}
    clash = [n for n in names if n in args]
    if clash:
        raise error(f"block '{name}': '{clash[0]}' is both an input and an argument", line=line)
    return tuple(names)


def argument_uses(block) -> dict:
    """{argument: [Use, ...]}: every place the block's layers (and its other arguments' defaults) use each
    argument, so a value can be checked against how it will be used when the block is instantiated."""
    args = block.get("args") or {}
    uses: dict[str, list] = {arg: [] for arg in args}

    def visit(value, key, line):
        if isinstance(value, list):
            for item in value:
                visit(item, key, line)
        elif isinstance(value, str):
            if value in uses:  # a repeat count is computed with even when it stands alone
                uses[value].append(Use(ARITHMETIC_USE if key == "repeat" else WHOLE_USE, f"{key}: {value}", line))
                return
            try:
                names = parse(value).names
            except ExprError:
                return
            for n in names:
                if n in uses:
                    uses[n].append(Use(ARITHMETIC_USE, f"{key}: {value}", line))

    for arg, default in args.items():
        visit(default, arg, block.line_of("args"))
    layers = block.get("layers")
    for layer in layers if isinstance(layers, list) else ():
        if not isinstance(layer, LineDict):
            continue
        for key, value in layer.items():
            if key == "type" and isinstance(value, str) and value in uses:
                uses[value].append(Use(TYPE_USE, f"type: {value}", layer.line_of(key)))
            elif key not in NOT_VALUES and key != "type":
                visit(value, key, layer.line_of(key))
    return uses


def unused_arguments(blocks) -> list:
    """Warnings for declared arguments that no layer of their block uses (often a misspelt name)."""
    out = []
    for name, block in blocks.items():
        for arg, found in argument_uses(block).items():
            if not found:
                out.append(f"block '{name}' (line {block.line_of('args')}): argument '{arg}' is declared but none "
                           f"of its layers uses it")
    return out


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
        return evaluate(raw, numbers_only(env), what)
    except ExprError:
        if isinstance(raw, str) and NAME.match(raw):
            return raw
        raise


def _shorten(value, limit=40) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_argument(block_name, arg, value, uses, types) -> None:
    """Refuse a value that cannot serve where the block uses the argument: a word or list that the block computes
    with, or a word used as a layer type that is no layer type or block. Raises RuleError."""
    if isinstance(value, (str, list, bool)):
        what = ("the word " if isinstance(value, str) else "the list " if isinstance(value, list)
                else "the boolean ") + _shorten(value)
        for use in uses:
            if use.kind == ARITHMETIC_USE:
                hint = " (not a number, an expression or a declared symbol)" if isinstance(value, str) else ""
                raise RuleError(f"argument '{arg}' of block '{block_name}' is {what}{hint}, but the block computes "
                                f"with it (`{use.text}` on line {use.line}); give a number")
    for use in uses:
        if use.kind == TYPE_USE:
            if not isinstance(value, str) or value not in types:
                raise RuleError(f"argument '{arg}' of block '{block_name}' names the layer type of line {use.line}, "
                                f"but {_shorten(value)} is not a layer type or block{suggest(value, types)}")


_NOT_NUMBERS = (str, list, bool)


def numbers_only(env) -> dict:
    """``env`` without the arguments that hold words, lists or booleans: what arithmetic may see."""
    if not any(isinstance(v, _NOT_NUMBERS) for v in env.values()):
        return env
    return {k: v for k, v in env.items() if not isinstance(v, _NOT_NUMBERS)}


def bind_arguments(block_name, block, call, env, outer_env, layer_keys, error: Callable[..., Exception], *,
                   uses=None, types=()) -> dict:
    """The environment a block instance's layers see: the file's symbols, then each declared argument from the
    call (evaluated in the caller's ``env``) or its default (evaluated among the arguments bound before it).

    ``uses`` (from ``argument_uses``) lets each value be checked here, where it is bound, against how the block
    uses it; ``types`` are the names a `type:` argument may take."""
    declared = block.get("args") or {}
    uses = uses or {}
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
            check_argument(block_name, arg, bound[arg], uses.get(arg, ()), types)
        except RuleError as e:
            raise error(str(e), line=call.line_of(arg)) from None
    return bound
