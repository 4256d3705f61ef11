"""The `paramcalc` program: `entry` (the console script and `python -m paramcalc`) and `main`, the click group.

`paramcalc show NAME` with the commonest options is parsed without importing click (see quick.py); every other
command line goes to `main` (group.py), which this module loads when it is first asked for.
"""

from __future__ import annotations

import os
import sys


def __getattr__(name):
    if name == "main":  # the click group, imported on first use: `from paramcalc.cli import main` works as ever
        from .group import main

        globals()["main"] = main
        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def entry():
    """The `paramcalc` program: the quick `show` or main(), then a quick exit.

    Once a short command has written its output, what remains is the interpreter tearing down every module and object
    it made: 15-25 ms of a 150 ms `paramcalc show`. When nothing asked for work at exit (no atexit callback, such as
    a weakref finalizer, a temporary folder's clean-up or a library's hook, and no other thread), the streams are
    flushed and the process ends with os._exit and the same exit code; otherwise it exits the ordinary way."""
    try:
        code = _quick(sys.argv[1:])
        if code is None:
            sys.modules[__name__].main(prog_name="paramcalc")
            code = 0
    except SystemExit as e:
        code = 0 if e.code is None else e.code
    if not isinstance(code, int) or not _nothing_to_do_at_exit():
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # let the ordinary exit report or ignore it as it always has
        sys.exit(code)
    os._exit(code)


def _quick(args: list[str]) -> int | None:
    """The exit code of a `show` command line quick.py can run without click; None for every other command line
    (and while the shell asks click to complete a word)."""
    if args[:1] != ["show"] or "_PARAMCALC_COMPLETE" in os.environ:
        return None
    from .quick import show

    return show(args[1:])


def _nothing_to_do_at_exit() -> bool:
    import atexit

    count = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere, always the ordinary exit
    if count is None or count() > 0:
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() <= 1
