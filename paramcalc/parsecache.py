"""Parsed architecture files kept as JSON, as Python keeps compiled modules in __pycache__: a file read again unchanged
is rebuilt from its entry without importing or running the YAML parser (importing PyYAML alone is about 20 ms of a
150 ms `paramcalc show`).

Entries live in $PARAMCALC_CACHE_DIR, else $XDG_CACHE_HOME/paramcalc, else ~/.cache/paramcalc; PARAMCALC_CACHE_DIR=off
turns the cache off. An entry belongs to one file path and holds the whole text it was parsed from and a stamp of
what parsed it (paramcalc's YAML module and the PyYAML installation, by path, size and modification time). It is used
only when both are the same, character for character: the cache can skip work, never change a result. Only texts
that parsed without error are stored; writing is atomic (a concurrent reader sees the old entry or the new one) and
best effort (an unwritable folder means no cache, never an error).
"""

from __future__ import annotations

import json
import os
import sys
import zlib

from .spec import LineDict

FORMAT = 1  # raised whenever the layout of an entry changes
OFF = ("off", "0", "no", "false", "")


def directory() -> str | None:
    """The cache folder, or None when the cache is turned off."""
    chosen = os.environ.get("PARAMCALC_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in OFF else chosen
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "paramcalc")


def _file_stamp(path: str) -> str:
    st = os.stat(path)
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def _yaml_stamp() -> str:
    """The PyYAML that `import yaml` would load, found without importing it: the first yaml package on sys.path."""
    for entry in sys.path:
        init = os.path.join(entry or os.curdir, "yaml", "__init__.py")
        try:
            return _file_stamp(os.path.abspath(init))
        except OSError:
            continue
    return "no yaml"


def stamp() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return f"{FORMAT}|{_file_stamp(os.path.join(here, 'yamlparse.py'))}|{_yaml_stamp()}"


def _header(path) -> str:
    """An entry's first line: what parsed it, and for which file."""
    return json.dumps([stamp(), os.path.abspath(str(path))])


def _entry_path(folder: str, path: str) -> str:
    absolute = os.path.abspath(path)
    return os.path.join(folder, f"{zlib.crc32(absolute.encode('utf-8', 'surrogatepass')):08x}.json")


class _NotPlainData(Exception):
    pass


def _encode(value):
    kind = type(value)
    if kind is LineDict:
        return {"l": value.line, "k": [[key, value.key_lines.get(key), _encode(item)] for key, item in value.items()]}
    if kind is list:
        return [_encode(item) for item in value]
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    raise _NotPlainData(kind.__name__)


def _mapping(obj: dict) -> LineDict:
    mapping = LineDict()
    mapping.line = obj["l"]
    mapping.key_lines = {}
    for key, line, value in obj["k"]:
        mapping[key] = value
        mapping.key_lines[key] = line
    return mapping


def get(path, text: str):
    """The data parsed earlier from exactly ``text`` at ``path`` by the same parser, or None."""
    folder = directory()
    if folder is None:
        return None
    try:
        with open(_entry_path(folder, str(path)), encoding="utf-8") as f:
            raw = f.read()
        head, sep, _ = raw.partition("\n")
        if not sep or head != _header(path):
            return None
        entry_text, data = json.loads(raw[len(head) + 1:], object_hook=_mapping)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return data if entry_text == text else None


def put(path, text: str, data) -> None:
    """Remember ``data``, parsed from ``text`` at ``path``; silently nothing where the folder cannot be written."""
    folder = directory()
    if folder is None:
        return
    temporary = None
    try:
        body = json.dumps([text, _encode(data)], ensure_ascii=False, separators=(",", ":"))
        target = _entry_path(folder, str(path))
        os.makedirs(folder, exist_ok=True)
        temporary = f"{target}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(_header(path) + "\n" + body)
        os.replace(temporary, target)
    except (OSError, ValueError, RecursionError, _NotPlainData):
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
