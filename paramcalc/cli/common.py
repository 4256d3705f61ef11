"""Options shared by the commands that analyse a model, and the one way they load it.

Importing it does not import click (the quick `show` path uses parse_sets and load_analysis); the option
decorators import click when they are applied."""

from __future__ import annotations

from ..engine import DTYPE_BYTES

FORMATS = ("table", "json", "markdown", "csv")  # `show`'s --format choices; the first is the default
DTYPES = ("fp32", "fp16", "bf16", "int8")  # --dtype choices; the first is the default


def model_options(f):
    """--set, --symbolic, --batch and --dtype."""
    import click

    f = click.option("--dtype", type=click.Choice(DTYPES), default=DTYPES[0],
                     show_default=True, help="Element type for weight and activation memory.")(f)
    f = click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Batch size (shapes, MACs and activation memory scale with it).")(f)
    f = click.option("--symbolic", is_flag=True,
                     help="Keep every symbol not given by --set symbolic, ignoring the file's defaults.")(f)
    f = click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
                     help="Give a symbol a value (128, 0.75, 3/4); repeatable.")(f)
    return f


def parse_sets(sets, flag_name: str = "--set") -> dict:
    """--set NAME=VALUE items as {name: value text}; a malformed one is a UsageError naming the flag (one line,
    exit code 2), not click's usage block.

    >>> parse_sets(["c=128", " w = 3/4 "])
    {'c': '128', 'w': '3/4'}
    """
    from ..errors import UsageError, shorten
    from ..expr import ExprError, evaluate

    out: dict = {}
    for item in sets:
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        flag = f"{flag_name} {shorten(item, quote=False)}"
        if not eq:
            raise UsageError(f"{flag}: expected NAME=VALUE, e.g. {flag_name} c=128")
        if not name:
            raise UsageError(f"{flag}: the symbol's name before '=' is missing")
        if not name.isidentifier():
            raise UsageError(f"{flag}: {shorten(name)} is not a symbol name")
        if not value:
            raise UsageError(f"{flag}: the value after '=' is missing (a number: 128, 0.75, 3/4)")
        try:
            number = evaluate(value, {}, name)
        except ExprError as e:
            reason = str(e)
            if any(word in reason for word in ("undeclared", "cannot read", "not allowed")):
                reason = f"expected a number (128, 0.75, 3/4), got {shorten(value)}"
            raise UsageError(f"{flag}: {reason}") from None
        if number < 0:
            raise UsageError(f"{flag}: a size cannot be negative")
        if name in out and out[name] != value:
            raise UsageError(f"{flag}: {name} is already set to {out[name]}")
        out[name] = value
    return out


def load_analysis(target, sets=(), symbolic=False, batch=1, dtype="fp32", block_input=None):
    """Resolve a path, a bundled name, '-' (standard input) or FILE#BLOCK (a block built alone, on ``block_input``,
    the --input text '256,56,56'), build its graph with the --set values, analyse it."""
    from .. import analyze_file

    assert dtype in DTYPE_BYTES
    overrides = parse_sets(sets)
    block = None
    if "#" in str(target):  # FILE#BLOCK, unless a file of that very name exists
        from ..compare import split_target

        target, block = split_target(target)
    if block_input is not None:
        from ..compare import parse_input
        from ..errors import UsageError

        if block is None:
            raise UsageError("--input gives the input of a FILE#BLOCK target (a block built alone); a whole file "
                             "keeps its own input")
        block_input = parse_input(block_input)
    return analyze_file(target, overrides=overrides, symbolic=symbolic, batch=batch, dtype=dtype, block=block,
                        block_input=block_input)


def input_option(f):
    """--input C,H,W: the input of a FILE#BLOCK target."""
    import click

    return click.option("--input", "block_input", metavar="C,H,W",
                        help="Input of a FILE#BLOCK target (a block built alone), e.g. 256,56,56 or 4*c,H,H "
                             "(default: the file's own input).")(f)


# The profiles of paramcalc.conventions, named here so that --help does not import it (a test keeps them equal).
CONVENTION_NAMES = ("paramcalc", "torchvision", "flopcounter", "fvcore", "ptflops", "thop", "keras")


def complete_conventions(ctx, param, incomplete):
    """Shell completion of --convention: the profiles' names."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(name) for name in CONVENTION_NAMES if name.startswith(incomplete)]


def complete_target(ctx, param, incomplete):
    """Shell completion of FILE_OR_NAME: bundled architectures and, beside them, files and folders.

    What looks like a path (holds '/', starts with '.' or '~') or matches no bundled name is left to the shell's own
    file completion; otherwise the bundled names come first, then the YAML files and folders of the current folder.
    """
    import os

    from click.shell_completion import CompletionItem

    from ..bundled import names

    bundled = [n for n in names() if n.startswith(incomplete)]
    if not bundled or incomplete.startswith((".", "~")) or os.sep in incomplete:
        return [CompletionItem(incomplete, type="file")]
    try:
        local = sorted(e.name + ("/" if e.is_dir() else "") for e in os.scandir(".")
                       if e.name.startswith(incomplete) and (e.is_dir() or e.name.endswith((".yaml", ".yml"))))
    except OSError:
        local = []
    return [CompletionItem(n) for n in bundled + local]


def complete_path(ctx, param, incomplete):
    """Shell completion of files and folders (check, snapshot)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


def convention_option(f):
    """--convention NAME (validated by paramcalc.conventions.get, which lists the known names)."""
    import click

    return click.option("--convention", default=None, metavar="NAME", shell_complete=complete_conventions,
                        help="Also count as another tool does: " + ", ".join(CONVENTION_NAMES) +
                             " (README: 'Other tools' conventions').")(f)
