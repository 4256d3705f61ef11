"""How every paramcalc command ends, with or without click: output flushed, a mistake as one line on stderr with its
exit code, a closed pipe quietly, a bug in paramcalc as one line asking for a report."""

from __future__ import annotations

import os
import sys

from ..errors import ParamcalcError, one_line


def echo(text: str = "", nl: bool = True, err: bool = False) -> None:
    """Write ``text`` (and a newline) to stdout or stderr and flush, as click.echo does for text."""
    stream = sys.stderr if err else sys.stdout
    stream.write(f"{text}\n" if nl else text)
    stream.flush()


def guarded(command, passthrough: tuple = ()):
    """Run ``command()`` the way every paramcalc command runs: a ParamcalcError becomes ``paramcalc: error: ...`` and
    its exit code (2 for bad input), a reader that went away (`| head`) ends the program quietly with 0, any other
    exception is reported in one line with exit code 3 (PARAMCALC_DEBUG=1 shows the traceback). Exceptions in
    ``passthrough`` (click's own usage errors and exits) go on to their handler."""
    try:
        result = command()
        sys.stdout.flush()  # a reader that went away is noticed here, not at interpreter exit
        return result
    except BrokenPipeError:
        end_quietly_on_closed_pipe()
    except ParamcalcError as e:
        echo(f"paramcalc: error: {e}", err=True)
        sys.exit(e.exit_code)
    except (SystemExit, KeyboardInterrupt, *passthrough):
        raise
    except RecursionError:
        echo("paramcalc: error: the architecture is nested too deeply to analyse", err=True)
        sys.exit(2)
    except Exception as e:  # a bug in paramcalc: say so in one line unless debugging
        if os.environ.get("PARAMCALC_DEBUG"):
            raise
        echo(one_line(f"paramcalc: internal error: {type(e).__name__}: {e} "
                      f"(please report it; PARAMCALC_DEBUG=1 shows the traceback)"), err=True)
        sys.exit(3)


def end_quietly_on_closed_pipe():
    """The reader of our output closed the pipe (`paramcalc list | head -3`): stop at once, silently, with exit code
    0, as Unix tools do. Standard output is pointed at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture output in memory)
        pass
    sys.exit(0)
