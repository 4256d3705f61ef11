"""An imported model as readable YAML: module instances become blocks (one per class and structure, differing
attributes as arguments), runs of identical instances become `repeat`, layer names follow the module paths."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from fractions import Fraction

import yaml

from ..layers import REGISTRY
from ..records import replace
from .model import ImportedModel, Op

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
_RESERVED = {"in", "prev"}


# ------------------------------------------------------------------------------------------------ the tree


class _Tree:
    """Which ops each module path holds, and which modules can stand as one block instance."""

    def __init__(self, model: ImportedModel):
        self.model = model
        self.ops = model.ops
        self.index = {op.id: i for i, op in enumerate(model.ops)}
        self.by_id = {op.id: op for op in model.ops}
        self.members: dict[str, list[Op]] = {}
        for op in model.ops:
            for path in op.scope:
                self.members.setdefault(path, []).append(op)
        consumers: dict[str, list[str]] = {}
        for op in model.ops:
            for src in op.inputs:
                consumers.setdefault(src, []).append(op.id)
        self.consumers = consumers
        self.outputs = set(model.outputs)
        self._blockable: dict[str, str | None] = {}

    def blockable(self, path: str):
        """The one outside tensor the module reads when it can be a block instance (two or more ops, not a
        container, one output that is its last op), else None."""
        if path in self._blockable:
            return self._blockable[path]
        result = None
        ops = self.members.get(path, [])
        ids = {op.id for op in ops}
        if len(ops) >= 2 and path not in self.model.containers:
            outside = {src for op in ops for src in op.inputs if src not in ids}
            escaping = [op.id for op in ops
                        if op.id in self.outputs or any(c not in ids for c in self.consumers.get(op.id, ()))]
            if len(outside) == 1 and escaping == [ops[-1].id]:
                result = outside.pop()
        self._blockable[path] = result
        return result


_MERGES = ("concat", "add", "multiply")


def hoist_leading_merges(model: ImportedModel) -> ImportedModel:
    """A module that reads several tensors only through its first operation, a merge (DenseNet's layers concatenate
    the features they are given), can be a block once that merge moves out in front of it: the merge keeps its
    name (``denselayer2_concat`` beside ``denselayer2``), so nothing is renamed in the state_dict."""
    ops = list(model.ops)
    paths = sorted({p for op in ops for p in op.scope}, key=lambda p: -p.count("."))
    for path in paths:
        if path in model.containers:
            continue
        members = [i for i, op in enumerate(ops) if path in op.scope]
        if len(members) < 3:
            continue
        ids = {ops[i].id for i in members}
        outside = {src for i in members for src in ops[i].inputs if src not in ids}
        first = ops[members[0]]
        if len(outside) < 2 or first.type not in _MERGES or set(first.inputs) != outside:
            continue
        if any(src in outside for i in members[1:] for src in ops[i].inputs):
            continue
        depth = first.scope.index(path)
        parent = first.scope[:depth]
        local = (path[len(parent[-1]) + 1:] if parent else path) + "." + \
            first.path[len(path) + 1:]
        ops[members[0]] = replace(first, scope=parent, local=local.replace(".", "_"))
    return replace(model, ops=tuple(ops))


def _rel(path: str, base: str) -> str:
    rel = path[len(base) + 1:] if base else path
    return rel.replace(".", "_")


# ------------------------------------------------------------------------------------------------ entries


class _Entry:
    """One line of a layers list: a layer, or a block instance (``block`` set, ``attrs`` its argument values)."""

    def __init__(self, name, type_, attrs, inputs, *, block_path=None, repeat=1):
        self.name = name
        self.type = type_
        self.attrs = dict(attrs)
        self.inputs = list(inputs)
        self.block_path = block_path
        self.repeat = repeat


class _Writer:
    def __init__(self, model: ImportedModel):
        self.model = model
        self.tree = _Tree(model)
        self.bodies: dict[str, list[_Entry]] = {}     # block instance path -> its body (concrete values)
        self.block_of: dict[str, str] = {}            # block instance path -> block name
        self.blocks: dict[str, dict] = {}              # block name -> {"args": [...], "layers": [...]}
        self.signatures: dict[tuple, str] = {}
        self.instances: dict[str, list[str]] = {}      # block name -> instance paths

    # -- scopes
    def scope_entries(self, base: str, ops: list[Op], external: dict) -> tuple[list[_Entry], dict]:
        """The entries of one scope (the whole model, or one block instance at ``base``), and which entry name
        stands for each op id."""
        depth = len(base.split(".")) if base else 0
        names: dict[str, str] = dict(external)  # op id -> entry name in this scope
        entries: list[_Entry] = []
        for op in ops:
            inner = self.outer_block(op, depth, base)
            if inner is not None:
                if op.id != self.tree.members[inner][-1].id:
                    continue
                self.block_body(inner)
                name = _rel(inner, base)
                entries.append(_Entry(name, None, {}, [names[self.tree.blockable(inner)]], block_path=inner))
                names[op.id] = name
                continue
            name = _rel(op.path, base)
            entries.append(_Entry(name, op.type, op.attrs, [names[s] for s in op.inputs]))
            names[op.id] = name
        entries, renamed = self.collapse_runs(entries)
        return entries, {k: renamed.get(v, v) for k, v in names.items()}

    def outer_block(self, op: Op, depth: int, base: str):
        """The outermost module below the current scope that holds ``op`` and can be a block instance."""
        for path in op.scope[depth:]:
            if self.tree.blockable(path) is not None and _IDENT.match(_rel(path, base)):
                return path
        return None

    def block_body(self, path: str) -> list[_Entry]:
        if path not in self.bodies:
            src = self.tree.blockable(path)
            body, _ = self.scope_entries(path, self.tree.members[path], {src: "in"})
            self.bodies[path] = body
            self.register(path, body)
        return self.bodies[path]

    # -- blocks: group instances by class and structure
    def register(self, path: str, body: list[_Entry]) -> None:
        cls = self.model.classes.get(path, "block")
        # Attribute keys are left out: a key one instance omits (at its default) may be an argument of the block.
        shape = tuple((e.name, e.type or self.block_of[e.block_path], tuple(e.inputs), e.repeat) for e in body)
        key = (cls, shape)
        name = self.signatures.get(key)
        if name is None:
            base = _snake(cls)
            if base in REGISTRY or base in _RESERVED:
                base += "_block"
            name, n = base, 1
            while name in self.instances:
                n += 1
                name = f"{base}_{n}"
            self.signatures[key] = name
            self.instances[name] = []
        self.block_of[path] = name
        self.instances[name].append(path)

    def finish_blocks(self) -> None:
        """Arguments: attribute values that differ between a block's instances (equal columns share one)."""
        self.args_of: dict[str, dict[str, dict]] = {}  # block name -> instance path -> {arg: value}
        for name in self.dependency_order():
            paths = self.instances[name]
            for p in paths:
                for e in self.bodies[p]:
                    if e.block_path is not None:
                        e.attrs = dict(self.args_of[self.block_of[e.block_path]][e.block_path])
            bodies = [self.bodies[p] for p in paths]
            template = bodies[0]
            columns: dict[tuple, str] = {}
            args: list[str] = []
            values: dict[str, list] = {}
            layers = []
            for i, entry in enumerate(template):
                attrs = {}
                keys = list(dict.fromkeys(k for b in bodies for k in b[i].attrs))
                spec = REGISTRY[entry.type].attributes if entry.type in REGISTRY else {}
                for b in bodies:  # a key an instance leaves out has the layer type's default there
                    for key in keys:
                        if key not in b[i].attrs and key in spec:
                            b[i].attrs[key] = spec[key].default
                for key in keys:
                    column = tuple(_frozen(b[i].attrs[key]) for b in bodies)
                    if len(set(column)) == 1:
                        if not (key in spec and len(bodies) > 1 and column[0] == _frozen(spec[key].default)):
                            attrs[key] = entry.attrs[key]
                        continue
                    if column in columns:
                        attrs[key] = columns[column]
                        continue
                    expr = _multiple_of(column, columns)
                    if expr is None:
                        arg = key if key not in args and key not in _RESERVED else f"{entry.name}_{key}"
                        arg = arg.replace("-", "_")
                        args.append(arg)
                        values[arg] = [b[i].attrs[key] for b in bodies]
                        columns[column] = arg
                        expr = arg
                    attrs[key] = expr
                layers.append(_Entry(entry.name, entry.type or self.block_of[entry.block_path], attrs,
                                     entry.inputs, repeat=entry.repeat))
            self.blocks[name] = {"args": args, "layers": layers}
            self.args_of[name] = {p: {a: values[a][k] for a in args} for k, p in enumerate(paths)}

    def dependency_order(self) -> list[str]:
        """Block names, each after the blocks its bodies use."""
        order: list[str] = []
        seen: set = set()

        def visit(name):
            if name in seen:
                return
            seen.add(name)
            for p in self.instances[name]:
                for e in self.bodies[p]:
                    if e.block_path is not None:
                        visit(self.block_of[e.block_path])
            order.append(name)

        for name in self.instances:
            visit(name)
        return order

    # -- repeat: a container's children that are identical chained instances
    def collapse_runs(self, entries: list[_Entry]) -> tuple[list[_Entry], dict]:
        out: list[_Entry] = []
        renamed: dict[str, str] = {}
        i = 0
        while i < len(entries):
            run = self.run_at(entries, i)
            if run > 1:
                first = entries[i]
                prefix = first.name[:-2]
                out.append(_Entry(prefix, None, {}, first.inputs, block_path=first.block_path, repeat=run))
                last = entries[i + run - 1].name
                for later in entries[i + run:]:
                    later.inputs = [prefix if s == last else s for s in later.inputs]
                renamed[last] = prefix
                i += run
                continue
            out.append(entries[i])
            i += 1
        return out, renamed

    def run_at(self, entries, i) -> int:
        first = entries[i]
        if first.block_path is None or not first.name.endswith("_0"):
            return 1
        prefix = first.name[:-2]
        if not _IDENT.match(prefix) or any(e.name == prefix for e in entries):
            return 1
        n = 1
        while i + n < len(entries):
            e = entries[i + n]
            if e.block_path is None or e.name != f"{prefix}_{n}" or e.inputs != [entries[i + n - 1].name]:
                break
            n += 1
        if n < 2:
            return 1
        names = {entries[i + k].name for k in range(n - 1)}
        if any(s in names for e in entries[i + n:] for s in e.inputs):
            return 1  # a later layer reads an inner member of the run
        if any(e.name.startswith(prefix + "_") and e.name[len(prefix) + 1:].isdigit() for e in entries[i + n:]):
            return 1  # the container has more children than the run
        return n if self._same_block(entries[i:i + n]) else 1

    def _same_block(self, run) -> bool:
        # Decided once blocks are grouped; bodies are registered by now.
        names = {self.block_of[e.block_path] for e in run}
        if len(names) != 1:
            return False
        bodies = [self.bodies[e.block_path] for e in run]
        return all(self.same_body(bodies[0], b) for b in bodies[1:])

    def same_body(self, a, b) -> bool:
        """Two instance bodies with the same layers, values and wiring (nested instances compared likewise)."""
        if len(a) != len(b):
            return False
        for x, y in zip(a, b):
            if (x.name, x.type, x.attrs, x.inputs, x.repeat) != (y.name, y.type, y.attrs, y.inputs, y.repeat):
                return False
            if (x.block_path is None) != (y.block_path is None):
                return False
            if x.block_path is not None and (self.block_of[x.block_path] != self.block_of[y.block_path] or
                                             not self.same_body(self.bodies[x.block_path],
                                                                self.bodies[y.block_path])):
                return False
        return True


def _frozen(value):
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return (type(value).__name__, value) if isinstance(value, bool) else value


def _multiple_of(column, columns):
    """'4*width' when every value is k times an existing argument's (k whole, the same for all)."""
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in column):
        return None
    for other, arg in columns.items():
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in other):
            continue
        if all(v % o == 0 for v, o in zip(column, other)):
            ks = {v // o for v, o in zip(column, other)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return f"{k}*{arg}"
        if all(o % v == 0 for v, o in zip(column, other)):
            ks = {o // v for v, o in zip(column, other)}
            if len(ks) == 1 and (k := ks.pop()) > 1:
                return f"{arg}//{k}"
    return None


def _snake(name: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "_", name)
    name = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower().strip("_")
    return name if name and not name[0].isdigit() else f"block_{name}"


# ------------------------------------------------------------------------------------------------ text


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    text = str(value)
    try:
        if yaml.safe_load("{k: " + text + "}") == {"k": text}:
            return text
    except yaml.YAMLError:
        pass
    return json.dumps(text)


def _flow(items) -> str:
    return "{" + ", ".join(f"{k}: {_scalar(v)}" for k, v in items) + "}"


def _entry_line(e: _Entry, prev: str | None, type_name: str, attrs: dict) -> str:
    items = [("name", e.name), ("type", type_name)]
    items += list(attrs.items())
    if e.inputs and e.inputs != [prev]:  # a layer with no input (a parameter) names none
        items += [("input", e.inputs[0])] if len(e.inputs) == 1 else [("inputs", e.inputs)]
    if e.repeat > 1:
        items.append(("repeat", e.repeat))
    return "- " + _flow(items)


def _layer_lines(writer: _Writer, entries, first_prev) -> list[str]:
    lines = []
    prev = first_prev
    for e in entries:
        if e.block_path is not None:
            block = writer.block_of[e.block_path]
            lines.append(_entry_line(e, prev, block, writer.args_of[block][e.block_path]))
        else:
            lines.append(_entry_line(e, prev, e.type, e.attrs))
        prev = e.name
    return lines


def write_yaml(model: ImportedModel) -> str:
    """The model as paramcalc YAML text."""
    model = hoist_leading_merges(model)
    writer = _Writer(model)
    # One input is `input:` in the file, and its name there is 'input'.
    input_names = {name: (name if len(model.inputs) > 1 else "input") for name, _ in model.inputs}
    top, top_names = writer.scope_entries("", list(model.ops), input_names)
    writer.finish_blocks()
    out = []
    out.append(f"name: {_scalar(model.name)}")
    if model.description:
        out.append(f"description: {_scalar(model.description)}")
    out.append(f"source: {_scalar(model.source)}")
    if model.symbols:
        out.append("symbols: " + _flow(model.symbols.items()).replace("None", "null"))
    if len(model.inputs) == 1:
        out.append(f"input: {_scalar(list(model.inputs[0][1]))}")
        first_prev = "input"
    else:
        out.append("inputs:")
        out += [f"  {name}: {_scalar(list(shape))}" for name, shape in model.inputs]
        first_prev = model.inputs[0][0]
    if writer.blocks:
        out.append("blocks:")
        for name, block in writer.blocks.items():
            out.append(f"  {name}:  # {model.classes.get(writer.instances[name][0], '')}, "
                       f"{len(writer.instances[name])} instance{'s' if len(writer.instances[name]) > 1 else ''}")
            if block["args"]:
                out.append("    args: " + _flow((a, None) for a in block["args"]).replace("None", "null"))
            out.append("    layers:")
            out += ["      " + line for line in _block_lines(block["layers"])]
    out.append("layers:")
    top_lines = _layer_lines(writer, top, first_prev)
    out += ["  " + line for line in top_lines]
    last = top[-1].name
    names = [top_names[o] for o in model.outputs]
    if names != [last]:
        out.append("outputs: " + _scalar(names))
    return "\n".join(out) + "\n"


def _block_lines(layers) -> list[str]:
    lines = []
    prev = "in"
    for e in layers:
        lines.append(_entry_line(e, prev, e.type, e.attrs))
        prev = e.name
    return lines
