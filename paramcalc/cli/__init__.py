"""The `paramcalc` command: a thin click group; each command lives in its own module and calls domain code."""

from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..errors import ParamcalcError, one_line

CONVENTIONS = """\b
Counting conventions:
  params   elements of trainable tensors (PyTorch's parameters()); buffers such as
           BatchNorm's running mean/var are counted apart.
  MACs     multiply-accumulates of conv, transposed conv and linear layers and
           attention's Q.K^T and A.V (what torchvision publishes as "GFLOPS").
  FLOPs    2 x MACs, as torch.utils.flop_counter counts them; bias, norm,
           activation, pooling and element-wise work is kept per category.
"""


class _Group(click.Group):
    """Turns every ParamcalcError into one clear line on stderr and exit code 2 — never a traceback — and imports
    each command's module only when that command is looked up."""

    def list_commands(self, ctx):
        return sorted({*_COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx, cmd_name):
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            from importlib import import_module

            module, attr = _COMMANDS[cmd_name]
            self.add_command(getattr(import_module(f"{__name__}.{module}"), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader that went away (`| head`) is noticed here, not at interpreter exit
            return result
        except BrokenPipeError:
            _end_quietly_on_closed_pipe()
        except ParamcalcError as e:
            click.echo(f"paramcalc: error: {e}", err=True)
            sys.exit(e.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except RecursionError:
            click.echo("paramcalc: error: the architecture is nested too deeply to analyse", err=True)
            sys.exit(2)
        except Exception as e:  # a bug in paramcalc: say so in one line unless debugging
            if os.environ.get("PARAMCALC_DEBUG"):
                raise
            click.echo(one_line(f"paramcalc: internal error: {type(e).__name__}: {e} "
                                f"(please report it; PARAMCALC_DEBUG=1 shows the traceback)"), err=True)
            sys.exit(3)


def _end_quietly_on_closed_pipe():
    """The reader of our output closed the pipe (`paramcalc list | head -3`): stop at once, silently, with exit code
    0, as Unix tools do. Standard output is pointed at /dev/null so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # not a real file (tests capture output in memory)
        pass
    sys.exit(0)


@click.group(cls=_Group, epilog=CONVENTIONS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paramcalc")
def main():
    """How big is this network, how much compute, how far does it see?

    Exact parameters, MACs/FLOPs, receptive fields and memory for architectures declared in YAML.
    """


def entry():
    """The `paramcalc` program (console script and `python -m paramcalc`): main(), then a quick exit.

    Once a short command has written its output, what remains is the interpreter tearing down every module and object
    it made: 15-25 ms of a 150 ms `paramcalc show`. When nothing asked for work at exit (no atexit callback, such as
    a weakref finalizer, a temporary folder's clean-up or a library's hook, and no other thread), the streams are
    flushed and the process ends with os._exit and the same exit code; otherwise it exits the ordinary way."""
    try:
        main(prog_name="paramcalc")
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


def _nothing_to_do_at_exit() -> bool:
    import atexit

    count = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere, always the ordinary exit
    if count is None or count() > 0:
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() <= 1


# Each command's module is imported when that command runs (or when --help lists them), so `paramcalc show` pays
# for show alone, not for compare's, check's or the importers' imports.
_COMMANDS = {
    "show": ("show", "show"),
    "list": ("show", "list_command"),
    "compare": ("compare", "compare"),
    "check": ("check", "check"),
    "snapshot": ("snapshot", "snapshot"),
    "run": ("run", "run"),
    "solve": ("solve", "solve"),
    "sweep": ("sweep", "sweep"),
    "draw": ("draw", "draw"),
    "report": ("report", "report"),
    "schema": ("schema", "schema_command"),
    "import": ("importcmd", "import_command"),
}
