"""`python -m gatekeeper` runs the `gate` command."""

from gatekeeper.cli import main

raise SystemExit(main())
