"""From parsed YAML to a frozen layer graph: symbols bound, blocks and repeats expanded, names and references resolved.

    raw YAML (LineDicts) --build_graph--> Graph(inputs, nodes in topological order, outputs)

Nodes keep the line they were declared on, so every later error can point at it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from . import num
from .errors import RuleError, SpecError, UsageError
from .expr import ExprError, evaluate
from .layers import REGISTRY, REQUIRED, Attrs, canonical, read_attr
from .spec import LineDict, load_file

MAX_LAYERS = 20_000
MAX_REPEAT = 10_000
MAX_BLOCK_DEPTH = 16

TOP_LEVEL_KEYS = ("name", "description", "source", "notes", "symbols", "input", "inputs", "blocks", "layers",
                  "outputs", "budget")
LAYER_KEYS = ("type", "name", "input", "inputs", "repeat", "trainable", "note", "tie")
REFERENCE_WORDS = ("prev", "in")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Node:
    """One layer of the expanded graph."""

    name: str                 # unique, dotted by block: "layer1.0.conv2"
    type: str                 # canonical registry type: "conv"
    attrs: Attrs              # validated attributes (ints, expressions, strings, bools)
    inputs: tuple             # names of earlier nodes or graph inputs
    scope: tuple = ()         # enclosing (group name, group type) pairs, outermost first
    line: int | None = None
    trainable: bool = True
    written_type: str = ""    # the type as written in the file ("conv2d", "bn")
    calls: tuple = ()         # (block type, line it is used on) for each enclosing block instance, outermost first
    tie: str | None = None    # an earlier layer whose tensors of the same name and shape this layer shares


@dataclass(frozen=True)
class Graph:
    """A validated architecture: inputs, nodes in topological order, outputs."""

    name: str
    file: str
    symbols: tuple            # (name, value) pairs; value is a number, or a sympy Symbol when left symbolic
    inputs: tuple             # (name, shape) pairs, shapes without batch
    nodes: tuple
    outputs: tuple
    description: str = ""
    source: str = ""
    budget: Any = None        # the raw `budget:` mapping, for `paramcalc check`
    blocks: tuple = ()        # names of the blocks declared in the file
    line_of_key: Mapping = field(default_factory=dict)

    @property
    def symbolic(self) -> bool:
        return any(not num.is_concrete(v) for _, v in self.symbols)

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)


def used_at(calls) -> str:
    """' (in block 'down', used on line 30)': where a layer inside a block comes from, since the mistake is often
    in the arguments the block was given there."""
    if not calls:
        return ""
    return " (" + ", ".join(f"in block '{block}' used on line {line}" for block, line in reversed(calls)) + ")"


def _suggest(word, candidates) -> str:
    hint = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1)
    return f"; did you mean '{hint[0]}'?" if hint else ""


def parse_value(text: str, name: str = "value"):
    """A command-line number: 128, 0.75, 3/4 (an exact fraction)."""
    try:
        return evaluate(text, {}, name)
    except ExprError as e:
        raise UsageError(f"--set {name}={text}: {e}") from None


def build_graph(raw, file: str = "<input>", *, overrides: Mapping[str, Any] | None = None,
                symbolic: bool = False, block: str | None = None, block_input=None) -> Graph:
    """Build the graph from parsed YAML.

    overrides: symbol values (numbers, or strings like '128' and '3/4'); symbolic: ignore the file's default values
    so every declared symbol not overridden stays a symbol.

    block: build one block of the file on its own instead of its `layers:` (``file.yaml#bottleneck``). The block's
    arguments become symbols beside the file's (a required argument stays symbolic unless overridden; a numeric
    default is the symbol's default); its input is ``block_input`` (a shape without batch whose entries may be
    expressions over those symbols: ``["4*c", 56, 56]``), or else the file's own single input.
    """
    return _Builder(raw, file, overrides or {}, symbolic, block, block_input).build()


def declared_symbols(raw, block: str | None = None) -> tuple:
    """The names ``overrides`` may set for this file (and block): its symbols, plus the block's arguments."""
    names: list = []
    symbols = raw.get("symbols") if isinstance(raw, dict) else None
    if isinstance(symbols, dict):
        names += [k for k in symbols if isinstance(k, str)]
    names += [k for k in _block_symbols(raw, block) if k not in names]
    return tuple(names)


def _block_symbols(raw, block) -> dict:
    """A block's arguments that act as symbols when the block is built alone: required ones and numeric defaults."""
    blocks = raw.get("blocks") if isinstance(raw, dict) and block is not None else None
    spec = blocks.get(block) if isinstance(blocks, dict) else None
    args = spec.get("args") if isinstance(spec, dict) else None
    if not isinstance(args, dict):
        return {}
    return {k: v for k, v in args.items() if isinstance(k, str)
            and (v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)))}


def load_graph(path, **kwargs) -> Graph:
    """Read and build an architecture file."""
    return build_graph(load_file(path), str(path), **kwargs)


class _Builder:
    def __init__(self, raw, file, overrides, symbolic, block=None, block_input=None):
        self.raw = raw
        self.file = file
        self.overrides = dict(overrides)
        self.symbolic = symbolic
        self.block = block
        self.block_input = block_input
        self.nodes: list[Node] = []
        self.names: dict[str, Node] = {}
        self.aliases: dict[str, str] = {}  # block instance / repeat group name -> its output node
        self.calls: tuple = ()             # the block instances being expanded: (block type, line used on)

    # -- errors
    def error(self, message, line=None, layer=None, layer_type=None):
        return SpecError(message + used_at(self.calls), file=self.file, line=line, layer=layer,
                         layer_type=layer_type)

    # -- top level
    def build(self) -> Graph:
        raw = self.raw
        if raw is None:
            raise self.error("the file is empty; an architecture needs at least `input:` and `layers:`")
        if not isinstance(raw, LineDict):
            raise self.error("an architecture file must be a mapping with `input:` and `layers:`",
                             line=getattr(raw, "line", 1))
        for key in raw:
            if key not in TOP_LEVEL_KEYS:
                raise self.error(f"unknown top-level key '{key}'{_suggest(key, TOP_LEVEL_KEYS)}",
                                 line=raw.line_of(key))
        name = raw.get("name", Path(self.file).stem)
        if not isinstance(name, str):
            name = str(name)
        if self.block is not None:
            return self.build_block(raw, name)
        self.env = self.bind_symbols(raw.get("symbols"))
        inputs = self.read_inputs(raw)
        self.input_names = {n for n, _ in inputs}
        self.blocks = self.read_blocks(raw.get("blocks"))
        if "layers" not in raw:
            raise self.error("missing `layers:` (the list of layers)", line=raw.line)
        top_local = self.expand(raw["layers"], self.env, "", (), inputs[0][0], (), True, raw.line_of("layers"))
        outputs = self.read_outputs(raw, top_local)
        return self.graph(name, inputs, outputs)

    def graph(self, name, inputs, outputs) -> Graph:
        raw = self.raw
        return Graph(
            name=name, file=self.file,
            symbols=tuple((k, v) for k, v in self.env.items() if k in self.declared),
            inputs=tuple(inputs), nodes=tuple(self.nodes), outputs=tuple(outputs),
            description=str(raw.get("description", "") or ""), source=str(raw.get("source", "") or ""),
            budget=raw.get("budget"), blocks=tuple(self.blocks), line_of_key=dict(raw.key_lines),
        )

    def build_block(self, raw, name) -> Graph:
        """One block alone: its arguments join the symbols, and it is instantiated once on the chosen input."""
        self.blocks = self.read_blocks(raw.get("blocks"))
        if self.block not in self.blocks:
            listing = ", ".join(self.blocks) or "none"
            raise self.error(f"no block '{self.block}' in this file"
                             f"{_suggest(self.block, self.blocks) or f' (its blocks: {listing})'}",
                             line=raw.line_of("blocks"))
        symbols = raw.get("symbols")
        merged = LineDict(symbols if isinstance(symbols, dict) else {})
        merged.line = raw.line_of("symbols")
        merged.key_lines = dict(getattr(symbols, "key_lines", {}))
        spec = self.blocks[self.block]
        args_line = spec.line_of("args")
        for arg, default in _block_symbols(raw, self.block).items():
            if arg not in merged:
                merged[arg] = default
                merged.key_lines[arg] = args_line
        if symbols is not None and not isinstance(symbols, dict):
            merged = symbols  # let bind_symbols report it
        self.env = self.bind_symbols(merged)
        if self.block_input is not None:
            shape = [v.strip() if isinstance(v, str) else v for v in self.block_input]
            try:
                inputs = [("input", self.read_shape(shape, None, "input"))]
            except SpecError as e:
                given = ",".join(str(v) for v in shape)
                raise self.error(f"input {given} of block '{self.block}': {e.message}") from None
        else:
            inputs = self.read_inputs(raw)
            if len(inputs) != 1:
                raise self.error(f"the file has {len(inputs)} inputs; give block '{self.block}' its input "
                                 f"(e.g. --input 64,56,56)", line=raw.line_of("inputs"))
        self.input_names = {n for n, _ in inputs}
        instance = LineDict({"name": self.block, "type": self.block})
        instance.line = self.raw.line_of("blocks") if spec.line is None else spec.line
        instance.key_lines = {}
        for arg in (spec.get("args") or {}):
            if arg in self.env:  # pass the symbol of the same name; other arguments keep their defaults
                instance[arg] = arg
        out = self.expand([instance], self.env, "", (), inputs[0][0], (), True, instance.line)
        return self.graph(f"{name}#{self.block}", inputs, [out])

    def bind_symbols(self, symbols) -> dict:
        env: dict[str, Any] = {}
        line = self.raw.line_of("symbols")
        if symbols is None:
            symbols = {}
        if not isinstance(symbols, dict):
            raise self.error("`symbols:` must be a mapping of name: default value (or null to stay symbolic)",
                             line=line)
        for name, default in symbols.items():
            where = symbols.line_of(name) if isinstance(symbols, LineDict) else line
            if not isinstance(name, str) or not _NAME.match(name) or "-" in name or name in REFERENCE_WORDS:
                raise self.error(f"'{name}' is not a valid symbol name", line=where)
            if name in self.overrides:
                value = self.overrides[name]
                env[name] = parse_value(value, name) if isinstance(value, str) else value
            elif default is None or self.symbolic:
                env[name] = num.symbol(name)
            else:
                try:
                    env[name] = evaluate(default, env, f"symbol {name}")
                except RuleError as e:
                    raise self.error(str(e), line=where) from None
        unknown = [k for k in self.overrides if k not in env]
        if unknown:
            declared = ", ".join(sorted(env)) or "none"
            raise UsageError(f"--set {unknown[0]}: {self.file} declares no symbol '{unknown[0]}'"
                             f"{_suggest(unknown[0], env) or f' (declared: {declared})'}")
        self.declared = set(env)
        return env

    def read_shape(self, value, line, what):
        if not isinstance(value, list) or not value:
            raise self.error(f"{what} must be a list of sizes without the batch axis, e.g. [3, 224, 224]", line=line)
        try:
            return tuple(read_attr(what, _SIZE, v, self.env) for v in value)
        except RuleError as e:
            raise self.error(str(e), line=line) from None

    def read_inputs(self, raw):
        if ("input" in raw) == ("inputs" in raw):
            raise self.error("give exactly one of `input:` (a shape) or `inputs:` (a mapping of name: shape)",
                             line=raw.line)
        if "input" in raw:
            return [("input", self.read_shape(raw["input"], raw.line_of("input"), "input"))]
        spec = raw["inputs"]
        if not isinstance(spec, LineDict) or not spec:
            raise self.error("`inputs:` must be a mapping of name: shape", line=raw.line_of("inputs"))
        out = []
        for name, shape in spec.items():
            if not isinstance(name, str) or not _NAME.match(name) or name in REFERENCE_WORDS:
                raise self.error(f"'{name}' is not a valid input name", line=spec.line_of(name))
            out.append((name, self.read_shape(shape, spec.line_of(name), f"input {name}")))
        return out

    def read_blocks(self, blocks) -> dict:
        if blocks is None:
            return {}
        line = self.raw.line_of("blocks")
        if not isinstance(blocks, LineDict):
            raise self.error("`blocks:` must be a mapping of block name: {args, layers}", line=line)
        for name, block in blocks.items():
            where = blocks.line_of(name)
            if not isinstance(name, str) or not _NAME.match(name):
                raise self.error(f"'{name}' is not a valid block name", line=where)
            if name in REGISTRY:
                raise self.error(f"block '{name}' has the name of a built-in layer type; rename it", line=where)
            if not isinstance(block, LineDict) or "layers" not in block:
                raise self.error(f"block '{name}' needs `layers:` (and optionally `args:`)", line=where)
            for key in block:
                if key not in ("args", "layers", "description"):
                    raise self.error(f"block '{name}': unknown key '{key}'{_suggest(key, ('args', 'layers'))}",
                                     line=block.line_of(key))
            args = block.get("args") or {}
            if not isinstance(args, dict):
                raise self.error(f"block '{name}': `args:` must be a mapping of name: default (null = required)",
                                 line=block.line_of("args"))
            for arg in args:
                if not isinstance(arg, str) or not _NAME.match(arg) or "-" in arg or arg in REFERENCE_WORDS:
                    raise self.error(f"block '{name}': '{arg}' is not a valid argument name",
                                     line=block.line_of("args"))
        return dict(blocks)

    def read_outputs(self, raw, last):
        if "outputs" not in raw:
            return [last]
        spec = raw["outputs"]
        line = raw.line_of("outputs")
        if isinstance(spec, str):
            spec = [spec]
        if not isinstance(spec, list) or not spec:
            raise self.error("`outputs:` must be a list of layer names", line=line)
        return [self.resolve(ref, self.top_local, last, set(), line, None, None, what="`outputs:` entry")
                for ref in spec]

    # -- expansion
    def expand(self, layers, env, prefix, scope, block_input, stack, trainable, line) -> str:
        where = f"block '{stack[-1]}'" if stack else "`layers:`"
        if not isinstance(layers, list) or not layers:
            raise self.error(f"{where} must be a non-empty list of layers", line=line)
        local: dict[str, str] = {"in": block_input}
        declared = {l["name"] for l in layers if isinstance(l, dict) and isinstance(l.get("name"), str)}
        counters: dict[str, int] = {}
        prev = block_input
        for raw in layers:
            if not isinstance(raw, LineDict):
                raise self.error(f"each entry of {where} must be a mapping like {{type: conv, out: 64, kernel: 3}}, "
                                 f"got {raw!r}", line=line)
            lline = raw.line
            type_name = raw.get("type")
            if not isinstance(type_name, str):
                raise self.error("every layer needs a `type:`", line=lline, layer=raw.get("name"))
            name = raw.get("name")
            if name is None:
                n = counters.get(type_name, 0)
                while True:
                    n += 1
                    name = f"{type_name}{n}"
                    if name not in declared and name not in local:
                        break
                counters[type_name] = n
            elif not isinstance(name, str) or not _NAME.match(name) or name in REFERENCE_WORDS:
                raise self.error(f"'{name}' is not a valid layer name (letters, digits, _ and -; not 'in'/'prev')",
                                 line=raw.line_of("name"))
            elif name in local or (not prefix and name in self.input_names):
                raise self.error(f"the name '{name}' is used twice", line=raw.line_of("name"), layer=name)
            full = prefix + name
            if "input" in raw and "inputs" in raw:
                raise self.error("give `input:` or `inputs:`, not both", line=lline, layer=full, layer_type=type_name)
            refs = raw.get("inputs", raw.get("input"))
            if refs is None and type_name in REGISTRY and REGISTRY[type_name].arity[1] == 0:
                sources = []  # a learnt tensor takes no input
            elif refs is None:
                sources = [prev]
            else:
                if isinstance(refs, str):
                    refs = [refs]
                if not isinstance(refs, list) or not refs:
                    raise self.error("`inputs:` must be a list of layer names", line=raw.line_of("inputs"),
                                     layer=full, layer_type=type_name)
                key = "inputs" if "inputs" in raw else "input"
                sources = [self.resolve(r, local, prev, declared, raw.line_of(key), full, type_name) for r in refs]
            repeat = self.read_count(raw, env, full, type_name)
            self.locals_now = local  # where a `tie:` name is looked up
            is_trainable = trainable and self.read_trainable(raw, full, type_name)
            if repeat == 1:
                out = self.instance(type_name, raw, env, full, scope, sources, stack, is_trainable)
            else:
                group_scope = scope + ((full, canonical(type_name) if type_name in REGISTRY else type_name),)
                out = None
                for i in range(repeat):
                    out = self.instance(type_name, raw, env, f"{full}.{i}", group_scope, sources, stack,
                                        is_trainable)
                    sources = [out]
                self.aliases[full] = out
            local[name] = out
            prev = out
        if not stack:
            self.top_local = local
        return prev

    def read_count(self, raw, env, full, type_name) -> int:
        if "repeat" not in raw:
            return 1
        line = raw.line_of("repeat")
        try:
            value = evaluate(raw["repeat"], env, "repeat")
        except RuleError as e:
            raise self.error(str(e), line=line, layer=full, layer_type=type_name) from None
        if not isinstance(value, int):
            raise self.error(f"repeat must be a whole number known when the file is read, got {num.show(value)}",
                             line=line, layer=full, layer_type=type_name)
        if not 1 <= value <= MAX_REPEAT:
            raise self.error(f"repeat must be between 1 and {MAX_REPEAT:,}, got {value:,}", line=line, layer=full,
                             layer_type=type_name)
        return value

    def read_trainable(self, raw, full, type_name) -> bool:
        value = raw.get("trainable", True)
        if not isinstance(value, bool):
            raise self.error("trainable must be true or false", line=raw.line_of("trainable"), layer=full,
                             layer_type=type_name)
        return value

    def resolve(self, ref, local, prev, declared, line, full, type_name, what="input") -> str:
        if not isinstance(ref, str):
            raise self.error(f"an {what} must be a layer name, got {ref!r}", line=line, layer=full,
                             layer_type=type_name)
        if ref == "prev":
            return prev
        if ref in local:
            return local[ref]
        if ref in self.input_names:
            return ref
        if ref in self.aliases:
            return self.aliases[ref]
        if ref in self.names:
            return ref
        if ref in declared:
            raise self.error(f"input '{ref}' is defined later; a layer can only take earlier layers as input "
                             f"(this keeps the graph free of cycles)", line=line, layer=full, layer_type=type_name)
        candidates = [k for k in local if k != "in"] + sorted(self.input_names) + ["prev", "in"]
        raise self.error(f"unknown {what} '{ref}'{_suggest(ref, candidates)}", line=line, layer=full,
                         layer_type=type_name)

    def substitute(self, raw, env):
        """Block arguments can carry any value: a name standing alone is replaced by its value.

        Words, booleans and lists (a kernel [1, 7], a padding [0, 3]) are put in place as they are; numbers and
        expressions are left to the attribute's reader, which evaluates the name.
        """
        if isinstance(raw, str) and raw in env and isinstance(env[raw], (bool, str, list)):
            return env[raw]
        if isinstance(raw, list):
            return [self.substitute(x, env) for x in raw]
        return raw

    def block_arg(self, raw, env, what):
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw in env:
            return env[raw]
        if isinstance(raw, list):
            return [self.block_arg(x, env, what) for x in raw]
        try:
            return evaluate(raw, env, what)
        except ExprError:
            if isinstance(raw, str) and _NAME.match(raw):
                return raw  # a word such as 'same' or 'bilinear', passed through to an attribute
            raise

    def instance(self, type_name, raw, env, full, scope, sources, stack, trainable) -> str:
        line = raw.line
        if type_name in self.blocks:
            return self.block_instance(type_name, raw, env, full, scope, sources, stack, trainable)
        layer = REGISTRY.get(type_name)
        if layer is None:
            candidates = list(REGISTRY) + list(self.blocks)
            raise self.error(f"unknown layer type '{type_name}'{_suggest(type_name, candidates)}", line=line,
                             layer=full)
        kind = canonical(type_name)
        lo, hi = layer.arity
        if len(sources) < lo or (hi is not None and len(sources) > hi):
            want = f"{lo}" if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
            hint = " (list them in `inputs: [a, b]`)" if lo > 1 else ""
            raise self.error(f"takes {want} inputs, got {len(sources)}{hint}", line=line, layer=full, layer_type=kind)
        attrs = Attrs()
        for key in raw:
            if key not in LAYER_KEYS and key not in layer.attributes:
                known = list(layer.attributes) + list(LAYER_KEYS)
                listing = ", ".join(layer.attributes) or "none"
                hint = _suggest(key, known) or f" ({kind} takes: {listing})"
                raise self.error(f"unknown attribute '{key}'{hint}", line=raw.line_of(key), layer=full,
                                 layer_type=kind)
        for key, spec in layer.attributes.items():
            if key in raw:
                try:
                    attrs[key] = read_attr(key, spec, self.substitute(raw[key], env), env)
                except RuleError as e:
                    raise self.error(str(e), line=raw.line_of(key), layer=full, layer_type=kind) from None
            elif spec.default is REQUIRED:
                raise self.error(f"missing attribute '{key}'" + (f" ({spec.doc})" if spec.doc else ""), line=line,
                                 layer=full, layer_type=kind)
            else:
                attrs[key] = spec.default
        try:
            layer.check_attrs(attrs)
        except RuleError as e:
            raise self.error(str(e), line=line, layer=full, layer_type=kind) from None
        if full in self.names or full in self.input_names:
            raise self.error(f"the name '{full}' is used twice", line=line, layer=full, layer_type=kind)
        if len(self.nodes) >= MAX_LAYERS:
            raise self.error(f"the architecture expands to more than {MAX_LAYERS:,} layers", line=line, layer=full,
                             layer_type=kind)
        tie = None
        if "tie" in raw:
            tie = self.resolve(raw["tie"], self.locals_now, None, set(), raw.line_of("tie"), full, kind,
                               what="`tie:` layer")
            if tie in self.input_names:
                raise self.error(f"`tie:` names a layer whose tensors this one shares, not the input '{tie}'",
                                 line=raw.line_of("tie"), layer=full, layer_type=kind)
        node = Node(full, kind, attrs, tuple(sources), scope, line, trainable, type_name, self.calls, tie)
        self.nodes.append(node)
        self.names[full] = node
        return full

    def block_instance(self, type_name, raw, env, full, scope, sources, stack, trainable) -> str:
        line = raw.line
        if type_name in stack:
            raise self.error(f"block '{type_name}' uses itself", line=line, layer=full, layer_type=type_name)
        if len(stack) >= MAX_BLOCK_DEPTH:
            raise self.error(f"blocks nested more than {MAX_BLOCK_DEPTH} deep", line=line, layer=full,
                             layer_type=type_name)
        if len(sources) != 1:
            raise self.error(f"a block takes one input, got {len(sources)}", line=line, layer=full,
                             layer_type=type_name)
        block = self.blocks[type_name]
        declared_args = block.get("args") or {}
        block_env = {k: v for k, v in self.env.items()}
        for key in raw:
            if key not in LAYER_KEYS and key not in declared_args:
                listing = ", ".join(declared_args) or "none"
                raise self.error(f"block '{type_name}' has no argument '{key}'"
                                 f"{_suggest(key, declared_args) or f' (its args: {listing})'}",
                                 line=raw.line_of(key), layer=full, layer_type=type_name)
        for arg, default in declared_args.items():
            try:
                if arg in raw:
                    block_env[arg] = self.block_arg(raw[arg], env, arg)
                elif default is None:
                    raise self.error(f"block '{type_name}' needs argument '{arg}'", line=line, layer=full,
                                     layer_type=type_name)
                else:
                    block_env[arg] = self.block_arg(default, block_env, arg)
            except RuleError as e:
                raise self.error(str(e), line=raw.line_of(arg), layer=full, layer_type=type_name) from None
        outer = self.calls
        self.calls = outer + ((type_name, line),)
        try:
            out = self.expand(block["layers"], block_env, full + ".", scope + ((full, type_name),), sources[0],
                              stack + (type_name,), trainable, block.line_of("layers"))
        finally:
            self.calls = outer
        self.aliases[full] = out
        return out


from .layers.base import Attr  # noqa: E402

_SIZE = Attr("size")
