"""The `paramcalc` click group: a thin root; each command lives in its own module and calls domain code."""

from __future__ import annotations

import click

from .. import __version__
from .guard import guarded

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
    """Turns every ParamcalcError into one clear line on stderr and exit code 2 — never a traceback (see guard.py) —
    and imports each command's module only when that command is looked up."""

    def list_commands(self, ctx):
        return sorted({*_COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx, cmd_name):
        if cmd_name in _COMMANDS and cmd_name not in self.commands:
            from importlib import import_module

            module, attr = _COMMANDS[cmd_name]
            self.add_command(getattr(import_module(f"{__package__}.{module}"), attr), cmd_name)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx):
        return guarded(lambda: super(_Group, self).invoke(ctx),
                       passthrough=(click.exceptions.Exit, click.ClickException, click.Abort))


@click.group(cls=_Group, epilog=CONVENTIONS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="paramcalc")
def main():
    """How big is this network, how much compute, how far does it see?

    Exact parameters, MACs/FLOPs, receptive fields and memory for architectures declared in YAML.
    """


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
