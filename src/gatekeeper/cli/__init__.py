"""The `gate` command line. It resolves inputs, calls one core function, renders, exits.

Heavy imports (GitPython, pydantic) happen inside the commands so the hook path stays fast.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run `gate`; returns the exit code (0 pass, 1 a gate failed, 2 bad input)."""
    args = sys.argv[1:] if argv is None else argv
    from gatekeeper.cli.app import app

    try:
        app(args=args, prog_name="gate")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    return 0
