"""The YAML half of reading an architecture file: libyaml's (or PyYAML's pure-Python) parser behind a restricted
safe loader that keeps every mapping's line, and one pass over the parse events that refuses resource bombs before
anything is built. Imported only when a text is actually parsed (spec.load_file serves unchanged files from the parse
cache without importing yaml)."""

from __future__ import annotations

import re

import yaml

from .errors import SpecError, shorten
from .expr import MAX_MAGNITUDE  # the largest number a file may write, as a literal or an expression's value
from .spec import MAX_DEPTH, MAX_NODES, LineDict

_MAX_NUMBER_CHARS = 64  # a plain number longer than this is refused before it is converted

# libyaml when PyYAML was built with it (every PyPI wheel is), else the pure-Python classes: same events, same marks.
_CLoader = getattr(yaml, "CSafeLoader", None)
_Base = _CLoader or yaml.SafeLoader

# What YAML's reader refuses: control characters other than tab and line breaks, surrogates, U+FFFE/U+FFFF.
# The same pattern as yaml.reader's, so re's cache compiles it once.
_NOT_PRINTABLE = re.compile("[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")

_TAG_PREFIX = "tag:yaml.org,2002:"


class _Loader(_Base):
    """libyaml's (or PyYAML's) safe loader restricted to plain data: LineDict mappings, no duplicate keys, no
    timestamps or '=' values (both stay text), and whole numbers bounded by MAX_MAGNITUDE."""

    file = "<input>"
    # A plain 2001-13-45 would be built as a date (and fail): dates and the '=' value type stay strings here.
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in (_TAG_PREFIX + "timestamp", _TAG_PREFIX + "value")]
        for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()}


def _line(node_or_event) -> int:
    return node_or_event.start_mark.line + 1


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
    mapping.line = _line(node)
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = _line(key_node)
        try:
            hash(key)
        except TypeError:
            raise SpecError("a mapping key must be a plain value", file=loader.file, line=line) from None
        if key in mapping:
            # Inside a layer the keys read so far may already say which layer it is.
            name, kind = mapping.get("name"), mapping.get("type")
            named = isinstance(name, str)
            raise SpecError(f"duplicate key {shorten(key)} (first on line {mapping.key_lines[key]})"
                            + (f" in a {shorten(kind)} layer" if isinstance(kind, str) and not named else ""),
                            file=loader.file, line=line, layer=name if named else None,
                            layer_type=kind if isinstance(kind, str) else None)
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = line
    return mapping


def _too_large(text: str, loader: _Loader, node) -> SpecError:
    return SpecError(f"the number {shorten(text)} is too large: whole numbers in a file are limited to 2**63 "
                     f"(about 9.2e18)", file=loader.file, line=_line(node))


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> int:
    # Python refuses to convert more than 4,300 digits, and sexagesimal forms (1:30:00) grow with every part:
    # the text's length is bounded before conversion, the value after.
    if len(node.value) > _MAX_NUMBER_CHARS:
        raise _too_large(node.value, loader, node)
    value = yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)
    if abs(value) > MAX_MAGNITUDE:
        raise _too_large(node.value, loader, node)
    return value


_Loader.add_constructor(_TAG_PREFIX + "map", _construct_mapping)
_Loader.add_constructor(_TAG_PREFIX + "int", _construct_int)


def _where(mark) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}"


def _syntax_error(e: yaml.YAMLError, file: str) -> SpecError:
    """One line from a PyYAML/libyaml error: what was open and where it opened, what went wrong and where."""
    problem_mark = getattr(e, "problem_mark", None)
    context_mark = getattr(e, "context_mark", None)
    context, problem = getattr(e, "context", None), getattr(e, "problem", None)
    if problem is None and context is None:
        return SpecError(f"YAML error: {' '.join(str(e).split())}", file=file)
    if "nesting depth" in str(problem):  # libyaml's own limit (1,000 levels), hit while it scans ahead
        return SpecError(f"nesting deeper than {MAX_DEPTH} levels", file=file,
                         line=problem_mark.line + 1 if problem_mark else None)
    parts = []
    if context:
        opened = f" opened at {_where(context_mark)}" if context_mark is not None else ""
        parts.append(f"{context}{opened}")
    if problem:
        parts.append(f"{problem} at {_where(problem_mark)}" if problem_mark is not None else problem)
    mark = problem_mark or context_mark
    what = " ".join("; ".join(parts).split())  # libyaml's messages may hold line breaks
    return SpecError(f"YAML syntax error: {what}", file=file, line=mark.line + 1 if mark else None)


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG_PREFIX):] if tag.startswith(_TAG_PREFIX) else tag


def _check_events(text: str, file: str) -> None:
    """Refuse, from the parse events alone and before any node is built: nesting deeper than MAX_DEPTH, more than
    MAX_NODES values with aliases expanded, aliases to nothing or to their own container, explicit tags, and a
    plain value that a comma inside { } or [ ] has cut in two."""
    if _CLoader is not None and len(text) > MAX_NODES and _brackets_nest_at_most(text, MAX_DEPTH):
        # Only a text this long can hold that many values. libyaml counts its events in C, without building them
        # (0.15 s for 2 MB); each value is at least one event, each collection two: more than 2 * MAX_NODES + 4
        # events prove the limit is passed, before the slower pass below builds 200,000 Python events.
        # Not on deep flow nesting: the libyaml in PyYAML 6.0's wheels (without the 1,000-level limit of later ones)
        # rescans every open bracket at each token, minutes for 100,000 of them; the pass below stops at MAX_DEPTH.
        parser = _CLoader(text)
        try:
            events = parser.raw_parse()
        except yaml.YAMLError:
            events = 0  # the pass below reports it with its line
        finally:
            parser.dispose()
        if events > 2 * MAX_NODES + 4:
            raise SpecError(f"more than {MAX_NODES:,} YAML values (the limit on one file)", file=file)
    open_collections: list[tuple[str | None, int, bool]] = []  # (anchor, values counted when it opened, flow)
    anchors: dict[str, int | None] = {}  # anchor -> values it expands to; None while still open
    total = 0
    aliased = False
    for event in yaml.parse(text, Loader=_Base):
        kind = type(event)
        if kind is yaml.AliasEvent:
            size = anchors.get(event.anchor, -1)
            if size == -1:
                raise SpecError(f"the alias *{shorten(event.anchor, 40, quote=False)} names no anchor defined "
                                f"before it", file=file, line=_line(event))
            if size is None:
                raise SpecError("a YAML alias refers to the structure that contains it", file=file,
                                line=_line(event))
            total += size
            aliased = True
        elif kind is yaml.ScalarEvent or kind is yaml.SequenceStartEvent or kind is yaml.MappingStartEvent:
            if event.tag is not None:
                raise SpecError(f"explicit YAML tags such as {shorten(_show_tag(event.tag), 60)} are not accepted: "
                                f"write plain values (quote text)", file=file, line=_line(event))
            total += 1
            if kind is yaml.ScalarEvent:
                if event.anchor is not None:
                    anchors[event.anchor] = 1
                if (not event.style and open_collections and open_collections[-1][2]
                        and event.value.count("(") > event.value.count(")")):
                    raise SpecError(f"the value {shorten(event.value)} was cut at a comma: inside {{ }} or [ ] a "
                                    f"comma separates entries, so quote an expression that holds one "
                                    f"(out: 'max(8, c//4)')", file=file, line=_line(event))
            else:
                if len(open_collections) >= MAX_DEPTH:
                    raise SpecError(f"nesting deeper than {MAX_DEPTH} levels", file=file, line=_line(event))
                if event.anchor is not None:
                    anchors[event.anchor] = None
                open_collections.append((event.anchor, total - 1, bool(event.flow_style)))
        elif kind is yaml.SequenceEndEvent or kind is yaml.MappingEndEvent:
            anchor, start, _ = open_collections.pop()
            if anchor is not None:
                anchors[anchor] = total - start
        if total > MAX_NODES:
            raise SpecError(f"more than {MAX_NODES:,} YAML values{' once aliases are expanded' if aliased else ''}"
                            f" (the limit on one file)", file=file, line=_line(event))


_BRACKETS = re.compile(r"[\[\]{}]")


def _brackets_nest_at_most(text: str, limit: int) -> bool:
    """Whether '[' and '{' nest at most ``limit`` deep, counting every bracket (also those in quotes or comments, so
    a False may be wrong, but never a True)."""
    depth = 0
    for bracket in _BRACKETS.findall(text):
        depth += 1 if bracket in "[{" else -1
        if depth > limit:
            return False
    return True


def _check_characters(text: str, file: str) -> None:
    bad = _NOT_PRINTABLE.search(text)
    if bad:
        pos = bad.start()
        line = text.count("\n", 0, pos) + 1
        column = pos - (text.rfind("\n", 0, pos) + 1) + 1
        raise SpecError(f"control character U+{ord(bad.group()):04X} at column {column} is not allowed in YAML "
                        f"(write it as an escape inside double quotes)", file=file, line=line)


def parse(text: str, file: str):
    """Plain data with LineDict mappings from YAML text whose size spec.load_text has checked."""
    _check_characters(text, file)
    try:
        _check_events(text, file)
        loader = _Loader(text)
        loader.file = file
        try:
            node = loader.get_single_node()
            return None if node is None else loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise _syntax_error(e, file) from None
    except RecursionError:  # not reachable within MAX_DEPTH; kept so no traceback can escape
        raise SpecError(f"nesting deeper than {MAX_DEPTH} levels", file=file) from None
