"""`python -m gatekeeper` runs the `gate` command."""

from gatekeeper.cli import run

run()
