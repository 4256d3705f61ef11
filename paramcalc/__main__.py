"""`python -m paramcalc` runs the command line."""

from .cli import entry

entry()
