"""From parsed YAML to a frozen layer graph: symbols bound, blocks and repeats expanded, names and references resolved.

    raw YAML (LineDicts) --build_graph--> Graph(inputs, nodes in topological order, outputs)

Nodes keep the line they were declared on, so every later error can point at it.
"""

from __future__ import annotations

import os

from . import num
from .blocks import argument_uses, bind_arguments, block_inputs, numbers_only, read_blocks, unused_arguments
from .collector import paused
from .errors import RuleError, SpecError
from .expr import evaluate
from .layers import REGISTRY, REQUIRED, Attrs, canonical, read_attr
from .records import field, record
from .references import Names
from .spec import LineDict, load_file
from .symbols import NAME as _NAME
from .symbols import REFERENCE_WORDS, bind_symbols, block_symbols, declared_symbols, parse_value, suggest

TYPE_CHECKING = False  # typing is not imported at run time: annotations only
if TYPE_CHECKING:
    from typing import Any, Mapping

__all__ = ["Graph", "Node", "build_graph", "declared_symbols", "load_graph", "parse_value", "used_at"]

MAX_LAYERS = 20_000
MAX_REPEAT = 10_000
MAX_BLOCK_DEPTH = 16

TOP_LEVEL_KEYS = ("name", "description", "source", "notes", "symbols", "input", "inputs", "blocks", "layers",
                  "outputs", "budget")
LAYER_KEYS = ("type", "name", "input", "inputs", "repeat", "trainable", "note", "tie")


@record
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


@record
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
    warnings: tuple = ()      # found while building: block arguments no layer uses

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


@paused  # the build frees nothing until it returns: collections would only rescan what is alive
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


def load_graph(path, **kwargs) -> Graph:
    """Read and build an architecture file."""
    return build_graph(load_file(path), str(path), **kwargs)


class _Builder:
    """Walks the layer lists: blocks are instantiated, repeats unrolled, references resolved, attributes read.

    Symbol binding lives in ``symbols.py``, block declarations and arguments in ``blocks.py``, name resolution in
    ``references.py``; this class keeps the expansion itself.
    """

    def __init__(self, raw, file, overrides, symbolic, block=None, block_input=None):
        self.raw = raw
        self.file = file
        self.overrides = dict(overrides)
        self.symbolic = symbolic
        self.block = block
        self.block_input = block_input
        self.nodes: list[Node] = []
        self.names = Names()
        self.calls: tuple = ()             # the block instances being expanded: (block type, line used on)
        # What a layer entry or block call gave in one environment, read once: (id(entry), id(env)) -> (entry, env,
        # result). The entry and env are kept, so their ids cannot be reused while the graph is built.
        self.read_before: dict[tuple, tuple] = {}
        self.same_attributes: dict[tuple, Attrs] = {}  # (type, their items) -> the one attributes object

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
                raise self.error(f"unknown top-level key '{key}'{suggest(key, TOP_LEVEL_KEYS)}",
                                 line=raw.line_of(key))
        name = raw.get("name", os.path.splitext(os.path.basename(self.file))[0])
        if not isinstance(name, str):
            name = str(name)
        if self.block is not None:
            return self.build_block(raw, name)
        self.env = self.bind_symbols(raw.get("symbols"))
        inputs = self.read_inputs(raw)
        self.names.inputs = {n for n, _ in inputs}
        self.read_blocks(raw)
        if "layers" not in raw:
            raise self.error("missing `layers:` (the list of layers)", line=raw.line)
        self.expand(raw["layers"], self.env, "", (), {"in": inputs[0][0]}, (), True, raw.line_of("layers"))
        outputs = self.read_outputs(raw, self.last)
        return self.graph(name, inputs, outputs)

    def graph(self, name, inputs, outputs) -> Graph:
        raw = self.raw
        return Graph(
            name=name, file=self.file,
            symbols=tuple((k, v) for k, v in self.env.items() if k in self.declared),
            inputs=tuple(inputs), nodes=tuple(self.nodes), outputs=tuple(outputs),
            description=str(raw.get("description", "") or ""), source=str(raw.get("source", "") or ""),
            budget=raw.get("budget"), blocks=tuple(self.blocks), line_of_key=dict(raw.key_lines),
            warnings=tuple(unused_arguments(self.blocks)),
        )

    def build_block(self, raw, name) -> Graph:
        """One block alone: its arguments join the symbols, and it is instantiated once on the chosen input."""
        self.read_blocks(raw)
        if self.block not in self.blocks:
            listing = ", ".join(self.blocks) or "none"
            raise self.error(f"no block '{self.block}' in this file"
                             f"{suggest(self.block, self.blocks) or f' (its blocks: {listing})'}",
                             line=raw.line_of("blocks"))
        symbols = raw.get("symbols")
        merged = LineDict(symbols if isinstance(symbols, dict) else {})
        merged.line = raw.line_of("symbols")
        merged.key_lines = dict(getattr(symbols, "key_lines", {}))
        spec = self.blocks[self.block]
        args_line = spec.line_of("args")
        for arg, default in block_symbols(raw, self.block).items():
            if arg not in merged:
                merged[arg] = default
                merged.key_lines[arg] = args_line
        if symbols is not None and not isinstance(symbols, dict):
            merged = symbols  # let bind_symbols report it
        self.env = self.bind_symbols(merged)
        wanted = block_inputs(self.block, spec, self.error)
        if self.block_input is not None:
            if len(wanted) > 1:
                raise self.error(f"block '{self.block}' takes {len(wanted)} inputs ({', '.join(wanted)}); --input "
                                 f"gives one shape, so build it with the file's inputs instead")
            shape = [v.strip() if isinstance(v, str) else v for v in self.block_input]
            try:
                inputs = [("input", self.read_shape(shape, None, "input"))]
            except SpecError as e:
                given = ",".join(str(v) for v in shape)
                raise self.error(f"input {given} of block '{self.block}': {e.message}") from None
        else:
            inputs = self.read_inputs(raw)
            if len(inputs) != len(wanted):
                hint = " (e.g. --input 64,56,56)" if len(wanted) == 1 else ""
                raise self.error(f"the file has {len(inputs)} inputs; block '{self.block}' takes {len(wanted)}"
                                 f"{hint}", line=raw.line_of("inputs") or raw.line_of("input"))
        self.names.inputs = {n for n, _ in inputs}
        instance = LineDict({"name": self.block, "type": self.block})
        instance.line = self.raw.line_of("blocks") if spec.line is None else spec.line
        instance.key_lines = {}
        if len(wanted) > 1:
            instance["inputs"] = [n for n, _ in inputs]
        for arg in (spec.get("args") or {}):
            if arg in self.env:  # pass the symbol of the same name; other arguments keep their defaults
                instance[arg] = arg
        out = self.expand([instance], self.env, "", (), {"in": inputs[0][0]}, (), True, instance.line)
        return self.graph(f"{name}#{self.block}", inputs, [out])

    def read_blocks(self, raw):
        self.blocks = read_blocks(raw.get("blocks"), raw.line_of("blocks"), self.error)
        self.block_uses = {name: argument_uses(block) for name, block in self.blocks.items()}
        self.layer_types = sorted(set(REGISTRY) | set(self.blocks))

    def bind_symbols(self, symbols) -> dict:
        env = bind_symbols(symbols, overrides=self.overrides, symbolic=self.symbolic, file=self.file,
                           line=self.raw.line_of("symbols"), error=self.error)
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

    def resolve(self, ref, local, prev, declared, line, full, type_name, what="input") -> str:
        try:
            return self.names.resolve(ref, local, prev, declared, what)
        except RuleError as e:
            raise self.error(str(e), line=line, layer=full, layer_type=type_name) from None

    # -- expansion
    def expand(self, layers, env, prefix, scope, entry, stack, trainable, line) -> str:
        """Add the nodes of ``layers``; ``entry`` maps the names the layers may use for their inputs (`in`, and
        a block's named inputs) to nodes. Returns the last layer's output."""
        where = f"block '{stack[-1]}'" if stack else "`layers:`"
        if not isinstance(layers, list) or not layers:
            raise self.error(f"{where} must be a non-empty list of layers", line=line)
        local: dict[str, str] = dict(entry)
        block_input = entry["in"]
        declared = {l["name"] for l in layers if isinstance(l, dict) and isinstance(l.get("name"), str)}
        counters: dict[str, int] = {}
        prev = block_input
        self.values = numbers_only(env)  # what arithmetic may see (no word, list or boolean arguments)
        for raw in layers:
            if not isinstance(raw, LineDict):
                raise self.error(f"each entry of {where} must be a mapping like {{type: conv, out: 64, kernel: 3}}, "
                                 f"got {raw!r}", line=line)
            lline = raw.line
            type_name = raw.get("type")
            if not isinstance(type_name, str):
                raise self.error("every layer needs a `type:`", line=lline, layer=raw.get("name"))
            if isinstance(env.get(type_name), str):  # `type: act`, a block argument naming the type
                type_name = env[type_name]
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
            elif name in local or (not prefix and name in self.names.inputs):
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
            elif repeat == 0:  # no copies: the group stands for its input
                if len(sources) != 1:
                    raise self.error(f"with repeat: 0 nothing is built and the input is passed on, so it needs one "
                                     f"input, got {len(sources)}", line=raw.line_of("repeat"), layer=full,
                                     layer_type=type_name)
                out = sources[0]
                self.names.aliases[full] = out
            else:
                group_scope = scope + ((full, canonical(type_name) if type_name in REGISTRY else type_name),)
                out = None
                for i in range(repeat):
                    out = self.instance(type_name, raw, env, f"{full}.{i}", group_scope, sources, stack,
                                        is_trainable)
                    sources = [out, *sources[1:]]  # each copy feeds the next one's first input
                self.names.aliases[full] = out
            local[name] = out
            prev = out
        if not stack:
            self.top_local = local
            self.last = prev
        return prev

    def read_count(self, raw, env, full, type_name) -> int:
        if "repeat" not in raw:
            return 1
        line = raw.line_of("repeat")
        try:
            value = evaluate(raw["repeat"], self.values, "repeat")
        except RuleError as e:
            raise self.error(str(e), line=line, layer=full, layer_type=type_name) from None
        if not isinstance(value, int):
            raise self.error(f"repeat must be a whole number known when the file is read, got {num.show(value)}",
                             line=line, layer=full, layer_type=type_name)
        if not 0 <= value <= MAX_REPEAT:
            raise self.error(f"repeat must be between 0 and {MAX_REPEAT:,}, got {value:,}", line=line, layer=full,
                             layer_type=type_name)
        return value

    def read_trainable(self, raw, full, type_name) -> bool:
        value = raw.get("trainable", True)
        if not isinstance(value, bool):
            raise self.error("trainable must be true or false", line=raw.line_of("trainable"), layer=full,
                             layer_type=type_name)
        return value

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

    def instance(self, type_name, raw, env, full, scope, sources, stack, trainable) -> str:
        line = raw.line
        if type_name in self.blocks:
            return self.block_instance(type_name, raw, env, full, scope, sources, stack, trainable)
        layer = REGISTRY.get(type_name)
        if layer is None:
            candidates = list(REGISTRY) + list(self.blocks)
            raise self.error(f"unknown layer type '{type_name}'{suggest(type_name, candidates)}", line=line,
                             layer=full)
        kind = canonical(type_name)
        lo, hi = layer.arity
        if len(sources) < lo or (hi is not None and len(sources) > hi):
            want = f"{lo}" if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
            hint = " (list them in `inputs: [a, b]`)" if lo > 1 else ""
            raise self.error(f"takes {want} inputs, got {len(sources)}{hint}", line=line, layer=full, layer_type=kind)
        attrs = self.once(raw, env, lambda: self.attributes(layer, kind, raw, env, full))
        if full in self.names.nodes or full in self.names.inputs:
            raise self.error(f"the name '{full}' is used twice", line=line, layer=full, layer_type=kind)
        if len(self.nodes) >= MAX_LAYERS:
            raise self.error(f"the architecture expands to more than {MAX_LAYERS:,} layers", line=line, layer=full,
                             layer_type=kind)
        tie = None
        if "tie" in raw:
            tie = self.resolve(raw["tie"], self.locals_now, None, set(), raw.line_of("tie"), full, kind,
                               what="`tie:` layer")
            if tie in self.names.inputs:
                raise self.error(f"`tie:` names a layer whose tensors this one shares, not the input '{tie}'",
                                 line=raw.line_of("tie"), layer=full, layer_type=kind)
        node = Node(full, kind, attrs, tuple(sources), scope, line, trainable, type_name, self.calls, tie)
        self.nodes.append(node)
        self.names.nodes[full] = node
        return full

    def once(self, raw, env, read):
        """``read()`` for this layer entry or block call in this environment, computed the first time only: every
        instance of a block repeated with the same arguments gets the same environment and the same attributes
        object (which lets the engine reuse its layers' results), and nothing is validated twice."""
        key = (id(raw), id(env))
        found = self.read_before.get(key)
        if found is None:
            found = self.read_before[key] = (raw, env, read())
        return found[2]

    def attributes(self, layer, kind, raw, env, full) -> Attrs:
        """A layer entry's attributes, read and checked against its type's schema in ``env``."""
        line = raw.line
        attrs = Attrs()
        for key in raw:
            if key not in LAYER_KEYS and key not in layer.attributes:
                known = list(layer.attributes) + list(LAYER_KEYS)
                listing = ", ".join(layer.attributes) or "none"
                hint = suggest(key, known) or f" ({kind} takes: {listing})"
                raise self.error(f"unknown attribute '{key}'{hint}", line=raw.line_of(key), layer=full,
                                 layer_type=kind)
        for key, spec in layer.attributes.items():
            if key in raw:
                try:
                    attrs[key] = read_attr(key, spec, self.substitute(raw[key], env), self.values)
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
        # Layers of one type with equal attributes share one object, as a repeated block's do: the engine reuses
        # the rules' results of a layer whose type, attributes object and input shapes it has seen (the ReLU after
        # each of GoogLeNet's convolutions, the same Linear in every window of a Swin stage).
        try:
            return self.same_attributes.setdefault((kind, _typed(tuple(attrs.items()))), attrs)
        except TypeError:  # an unhashable value: not shared
            return attrs

    def block_instance(self, type_name, raw, env, full, scope, sources, stack, trainable) -> str:
        line = raw.line
        if type_name in stack:
            raise self.error(f"block '{type_name}' uses itself", line=line, layer=full, layer_type=type_name)
        if len(stack) >= MAX_BLOCK_DEPTH:
            raise self.error(f"blocks nested more than {MAX_BLOCK_DEPTH} deep", line=line, layer=full,
                             layer_type=type_name)
        block = self.blocks[type_name]

        def located(message, line=None):
            return self.error(message, line=line, layer=full, layer_type=type_name)

        wanted = block_inputs(type_name, block, located)
        if len(sources) != len(wanted):
            named = f" ({', '.join(wanted)})" if len(wanted) > 1 else ""
            hint = " (list them in `inputs: [a, b]`)" if len(wanted) > 1 else ""
            raise located(f"block '{type_name}' takes {len(wanted)} input{'s' if len(wanted) > 1 else ''}{named}, "
                          f"got {len(sources)}{hint}", line=line)
        block_env = self.once(raw, env, lambda: bind_arguments(
            type_name, block, raw, env, self.env, LAYER_KEYS, located, uses=self.block_uses[type_name],
            types=self.layer_types))
        entry = {"in": sources[0], **dict(zip(wanted, sources))}
        outer = self.calls
        self.calls = outer + ((type_name, line),)
        try:
            out = self.expand(block["layers"], block_env, full + ".", scope + ((full, type_name),), entry,
                              stack + (type_name,), trainable, block.line_of("layers"))
        finally:
            self.calls = outer
            self.values = numbers_only(env)  # back in the caller's scope
        self.names.aliases[full] = out
        return out


def _typed(value):
    """``value`` with the type of every part beside it, so that equal values of other types (1 and True, 2 and 2.0)
    do not count as the same attribute."""
    if type(value) is tuple:
        return tuple, tuple(map(_typed, value))
    return type(value), value


from .layers.base import Attr  # noqa: E402

_SIZE = Attr("size")
