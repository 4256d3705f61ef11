"""Reading architecture files: safe YAML with line numbers on every mapping, and limits against resource bombs.

Only plain YAML is read: untagged scalars (strings, numbers, booleans, null), sequences and mappings, and anchors,
aliases and merge keys between them. Any explicit tag (``!!int``, ``!!python/...``) is refused. Before anything is
built, one pass over libyaml's parse events (PyYAML's pure-Python parser where libyaml is absent) checks nesting depth,
tags and the number of values with aliases expanded, so a hostile file is refused in well under a second; then
libyaml composes the nodes (keeping every line) and a restricted constructor builds plain data. Every problem is a
SpecError naming the file and the line.
"""

from __future__ import annotations

import os
import stat
import sys

from .errors import SpecError

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 200_000  # YAML values after expanding aliases

STDIN = "-"  # the path that means standard input
STDIN_NAME = "<stdin>"


class LineDict(dict):
    """A YAML mapping that remembers the line it starts on and the line of each key."""

    line: int | None = None
    key_lines: dict

    def line_of(self, key) -> int | None:
        return self.key_lines.get(key, self.line)


def load_text(text: str, file: str = "<input>"):
    """Parse YAML text into plain data with LineDict mappings, refusing resource bombs and anything but plain data.

    >>> load_text("input: [3, 8, 8]\\nlayers:\\n  - {type: relu}\\n")["layers"][0].line
    3
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise SpecError(f"larger than {MAX_BYTES // 1024 // 1024} MiB (the limit on one file)", file=file)
    from .yamlparse import parse

    return parse(text, file)


def read_text(path: str | os.PathLike) -> tuple[str, str]:
    """The text of an architecture file (or of standard input for '-') and the name errors give it.

    Only regular files are read (a FIFO, a device such as /dev/zero or /dev/urandom is refused before reading), at
    most MAX_BYTES bytes, as strict UTF-8.
    """
    if str(path) == STDIN:
        file = STDIN_NAME
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
    else:
        file = str(path)
        try:
            # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise SpecError("no such file", file=file) from None
        except IsADirectoryError:
            raise SpecError("is a directory, not an architecture file", file=file) from None
        except OSError as e:
            raise SpecError(f"cannot read: {e.strerror}", file=file) from None
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            if stat.S_ISDIR(mode):
                raise SpecError("is a directory, not an architecture file", file=file)
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(
                mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
            raise SpecError(f"is {kind}, not a regular file (only files are read; use '-' for standard input)",
                            file=file)
        with os.fdopen(fd, "rb") as f:
            try:
                data = f.read(MAX_BYTES + 1)
            except OSError as e:
                raise SpecError(f"cannot read: {e.strerror}", file=file) from None
    if len(data) > MAX_BYTES:
        raise SpecError(f"larger than {MAX_BYTES // 1024 // 1024} MiB (the limit on one file)", file=file)
    try:
        return data.decode("utf-8"), file
    except UnicodeDecodeError as e:
        start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        column = len(data[start:e.start].decode("utf-8", "replace")) + 1
        raise SpecError(f"not UTF-8 text: byte 0x{data[e.start]:02X} at column {column} cannot be decoded",
                        file=file, line=line) from None


def load_file(path: str | os.PathLike):
    """Read an architecture file ('-': standard input); a missing or unreadable file is a SpecError naming it.

    A file read before, unchanged, comes from the parse cache (paramcalc.parsecache) without parsing it again."""
    text, file = read_text(path)
    if str(path) == STDIN:
        return load_text(text, file)
    from . import parsecache

    data = parsecache.get(path, text)
    if data is None:
        data = load_text(text, file)
        parsecache.put(path, text, data)
    return data
