"""One error family: every mistake a user can make, reported with the file, line and layer it is in."""

from __future__ import annotations

import re

MAX_ECHO = 60  # characters of a user's value quoted back in a message
_LONG_DIGITS = re.compile(r"\d{30,}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LONG_WORD = re.compile(r"\S{120,}")


def _escape(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def shorten(value, limit: int = MAX_ECHO, quote: bool = True) -> str:
    """A value as a message quotes it: one line, at most about ``limit`` characters, long numbers as a digit count.

    >>> shorten("relu\\n")
    "'relu\\\\n'"
    >>> shorten(10**50)
    '1000000000…(51 digits)'
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**24:
        if value.bit_length() > 14_000:  # str() refuses more than 4,300 digits
            return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
        return _digits(str(value))
    text = repr(value) if quote or not isinstance(value, str) else value.encode("unicode_escape").decode("ascii")
    text = _LONG_DIGITS.sub(lambda m: _digits(m.group()), text)
    if len(text) > limit:
        keep = max(limit - 12, 8)
        text = f"{text[:keep]}…{text[-6:]}"
    return text


def _digits(number: str) -> str:
    digits = sum(c.isdigit() for c in number)
    return f"{number[:10]}…({digits:,} digits)"


def one_line(message: str, limit: int = 1000) -> str:
    """A message made safe to print as one line: control characters escaped, runs of 30+ digits counted rather
    than printed, words of 120+ characters cut in the middle, and at most ``limit`` characters."""
    message = _escape(message)
    message = _LONG_DIGITS.sub(lambda m: _digits(m.group()), message)
    message = _LONG_WORD.sub(lambda m: f"{m.group()[:60]}…{m.group()[-20:]}", message)
    if len(message) > limit:
        message = message[:limit - 30] + " … (message shortened)"
    return message


class ParamcalcError(Exception):
    """Base of every error paramcalc reports to a user; the CLI prints it and exits with ``exit_code``.

    Its text is always one line: values echoed from a file are shortened (see ``one_line``).
    """

    exit_code = 2

    def __str__(self) -> str:
        return one_line(super().__str__())


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
        where = _escape(self.file or "<input>")
        if self.line is not None:
            where += f":{self.line}"
        if self.layer is not None:
            kind = f" ({shorten(self.layer_type, 40, quote=False)})" if self.layer_type else ""
            where += f": layer '{shorten(self.layer, 200, quote=False)}'{kind}"
        return f"{where}: {one_line(self.message)}"


class UsageError(ParamcalcError):
    """A command-line value that cannot be used (an unknown symbol in --set, a bad unit)."""
