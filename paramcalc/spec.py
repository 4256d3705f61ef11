"""Reading architecture files: safe YAML with line numbers on every mapping, and limits against resource bombs.

Only what ``yaml.safe_load`` accepts is read (no Python tags). Before anything is built, the text is checked for
size, nesting depth and alias expansion, so a hostile file is refused in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import SpecError

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000  # YAML nodes after expanding aliases


class LineDict(dict):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        return self.key_lines.get(key, self.line)


class _Loader(yaml.SafeLoader):
    """SafeLoader whose mappings are LineDicts and which refuses duplicate keys."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise SpecError("a mapping key must be a plain value", file=loader.file, line=line) from None
        if key in mapping:
            # Inside a layer the keys read so far may already say which layer it is.
            name, kind = mapping.get("name"), mapping.get("type")
            named = isinstance(name, str)
            raise SpecError(f"duplicate key '{key}' (first on line {mapping.key_lines[key]})"
                            + (f" in a '{kind}' layer" if isinstance(kind, str) and not named else ""),
                            file=loader.file, line=line, layer=name if named else None,
                            layer_type=kind if isinstance(kind, str) else None)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)


# The pure-Python scanner is quadratic on runs of '[' / '{' (each opens a possible simple key it keeps re-checking):
# 100,000 of them take over a second before the depth limit is reached. libyaml's parser, when PyYAML has it, scans
# them in milliseconds; its events carry the same line marks.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_depth(text: str, file: str) -> None:
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_FAST_LOADER):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise SpecError(f"nesting deeper than {MAX_DEPTH} levels", file=file,
                                    line=event.start_mark.line + 1)
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as e:
        # libyaml (0.2.5 in PyYAML 6.0.2+) stops nesting at 1,000 levels with its own error, which it may raise while
        # scanning ahead, before the events above reach our limit: it is the same bomb, reported the same way.
        mark = getattr(e, "problem_mark", None)
        if "nesting depth" in str(getattr(e, "problem", "")):
            raise SpecError(f"nesting deeper than {MAX_DEPTH} levels", file=file,
                            line=mark.line + 1 if mark else None) from None
        if _FAST_LOADER is yaml.SafeLoader:
            raise
        # libyaml found a syntax error before any nesting bomb: the loader below reports it in its usual words.


def _expanded_size(node, memo: dict, active: set, file: str) -> int:
    key = id(node)
    if key in memo:
        return memo[key]
    if key in active:
        raise SpecError("a YAML alias refers to the structure that contains it", file=file,
                        line=node.start_mark.line + 1)
    active.add(key)
    size = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            size += _expanded_size(child, memo, active, file)
            if size > MAX_NODES:
                break
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            size += _expanded_size(k, memo, active, file) + _expanded_size(v, memo, active, file)
            if size > MAX_NODES:
                break
    active.discard(key)
    memo[key] = size
    if size > MAX_NODES:
        raise SpecError(f"the file expands to more than {MAX_NODES:,} YAML values (alias expansion?)", file=file,
                        line=node.start_mark.line + 1)
    return size


def load_text(text: str, file: str = "<input>"):
    """Parse YAML text into plain data with LineDict mappings, refusing resource bombs."""
    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise SpecError(f"file larger than {MAX_BYTES // 1024 // 1024} MiB", file=file)
    try:
        _check_depth(text, file)
        loader = _Loader(text)
        loader.file = file
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node, {}, set(), file)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = " ".join(x for x in (e.context, e.problem) if x)
        raise SpecError(f"YAML syntax error: {what}", file=file, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as e:
        raise SpecError(f"YAML error: {e}", file=file) from None
    except RecursionError:
        raise SpecError("the YAML is nested too deeply", file=file) from None


def load_file(path: str | Path):
    """Read an architecture file; a missing or unreadable file is a SpecError naming it."""
    path = Path(path)
    file = str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise SpecError(f"file larger than {MAX_BYTES // 1024 // 1024} MiB", file=file)
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("no such file", file=file) from None
    except IsADirectoryError:
        raise SpecError("is a directory, not an architecture file", file=file) from None
    except UnicodeDecodeError:
        raise SpecError("is not UTF-8 text", file=file) from None
    except OSError as e:
        raise SpecError(f"cannot read: {e.strerror}", file=file) from None
    return load_text(text, file)
