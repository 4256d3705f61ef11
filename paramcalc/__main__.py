"""`python -m paramcalc` runs the command line."""

from .cli import main

main(prog_name="paramcalc")
