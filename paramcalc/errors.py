"""One error family: every mistake a user can make, reported with the file, line and layer it is in."""

from __future__ import annotations


class ParamcalcError(Exception):
    """Base of every error paramcalc reports to a user; the CLI prints it and exits with ``exit_code``."""

    exit_code = 2


class RuleError(ParamcalcError):
    """A layer rule or an expression found a problem; the caller adds where it happened."""


class SpecError(ParamcalcError):
    """A problem in an architecture file, located by file, line and layer.

    >>> str(SpecError("kernel 13 is larger than its padded input 6", file="a.yaml", line=12, layer="conv3", layer_type="conv"))
    "a.yaml:12: layer 'conv3' (conv): kernel 13 is larger than its padded input 6"
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 layer: str | None = None, layer_type: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.layer = layer
        self.layer_type = layer_type

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.layer is not None:
            kind = f" ({self.layer_type})" if self.layer_type else ""
            where += f": layer '{self.layer}'{kind}"
        return f"{where}: {self.message}"


class UsageError(ParamcalcError):
    """A command-line value that cannot be used (an unknown symbol in --set, a bad unit)."""
