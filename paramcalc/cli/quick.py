"""`paramcalc show` without click: the commonest command lines parsed here, everything else left to click.

Importing click costs 40-50 ms (it brings inspect, typing, enum, uuid, datetime): a third of a whole `paramcalc
show resnet50`. The command lines most people type — a target and the options below, each valid and given once —
are read here and run through the same code as the click command (show_output.write, inside guard.guarded), so
output, errors and exit codes are the same. Anything else (--help, another option, a repeated or invalid value, a
second target, `--`) makes `parse` return None, and click reads the line and reports what is wrong, as it always did.
A test keeps OPTIONS in step with the click command's parameters.
"""

from __future__ import annotations

from .common import DTYPES, FORMATS

# option -> (keyword of show_output.write, kind): "flag", "multiple" (repeatable), "text" (any value), a tuple of
# choices, or the least whole number allowed. Every other option of `show` (--convention, --breakdown, --help) is
# click's.
OPTIONS = {
    "--format": ("fmt", FORMATS),
    "--depth": ("depth", 0),
    "--set": ("sets", "multiple"),
    "--symbolic": ("symbolic", "flag"),
    "--batch": ("batch", 1),
    "--dtype": ("dtype", DTYPES),
    "--input": ("block_input", "text"),
}


def parse(args: list[str]) -> dict | None:
    """The keywords of show_output.write for a `show` command line (without the word `show`), or None when click
    should read it.

    >>> parse(["resnet50", "--format", "json", "--set=res=160"])
    {'sets': ('res=160',), 'target': 'resnet50', 'fmt': 'json'}
    >>> parse(["resnet50", "--help"]) is None
    True
    """
    found: dict = {"sets": ()}
    given: set = set()
    rest = iter(args)
    for arg in rest:
        if not arg.startswith("-") or arg == "-":  # the target ('-' is standard input)
            if "target" in found or not arg:
                return None
            found["target"] = arg
            continue
        option, eq, value = arg.partition("=")
        if option not in OPTIONS or (option in given and OPTIONS[option][1] != "multiple"):
            return None
        given.add(option)
        keyword, kind = OPTIONS[option]
        if kind == "flag":
            if eq:
                return None
            found[keyword] = True
            continue
        if not eq:
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
        if kind == "multiple":
            found[keyword] += (value,)
        elif kind == "text":
            found[keyword] = value
        elif isinstance(kind, tuple):
            if value not in kind:
                return None
            found[keyword] = value
        else:
            if not value.isascii() or not value.isdigit() or int(value) < kind:
                return None
            found[keyword] = int(value)
    return found if "target" in found else None


def show(args: list[str]) -> int | None:
    """Run `paramcalc show ARGS` when `parse` reads them; its exit code, or None to leave the line to click."""
    keywords = parse(args)
    if keywords is None:
        return None
    from .guard import guarded
    from .show_output import write

    try:
        guarded(lambda: write(**keywords))
    except SystemExit as e:
        return 0 if e.code is None else e.code
    return 0
