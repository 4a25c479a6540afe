"""The `gate` command line. It resolves inputs, calls one core function, renders, exits.

Heavy imports (typer, GitPython, pydantic) happen only once a command needs them: the
hook path (`gate validate` with nothing relevant) answers before importing any of them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Run `gate`; returns the exit code (0 pass, 1 a gate failed, 2 bad input)."""
    args = sys.argv[1:] if argv is None else argv
    if _nothing_to_validate(args):
        return 0
    pre_push = _pre_push_input(args)
    if pre_push == "":
        return 0
    os.environ.setdefault("TYPER_USE_RICH", "0")  # plain errors, and 100 ms less start-up
    from gatekeeper.cli.app import app

    if pre_push is not None:
        from gatekeeper.cli.hooks import PRE_PUSH_INPUT

        PRE_PUSH_INPUT[:] = [pre_push]

    try:
        app(args=args, prog_name="gate")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    return 0


def _pre_push_input(args: list[str]) -> str | None:
    """For `gate hook pre-push`: git's stdin, or "" when the push publishes no tag."""
    if args[:2] != ["hook", "pre-push"] or {"-h", "--help"} & set(args):
        return None
    if os.environ.get("PRE_COMMIT_LOCAL_BRANCH"):  # pre-commit read git's stdin already
        refs = (
            os.environ["PRE_COMMIT_LOCAL_BRANCH"],
            os.environ.get("PRE_COMMIT_REMOTE_BRANCH", ""),
        )
        return None if any(ref.startswith("refs/tags/") for ref in refs) else ""
    from gatekeeper.check.pushing import parse_pre_push, read_input, touches_tags

    text = read_input(sys.stdin)
    return text if touches_tags(parse_pre_push(text)) else ""


def _nothing_to_validate(args: list[str]) -> bool:
    """`[-C DIR] validate [PATH...]` where no path (given or staged) is a policy or record."""
    where = Path()
    if args[:1] == ["-C"] and len(args) >= 2:
        where, args = Path(args[1]), args[2:]
    if args[:1] != ["validate"] or any(a.startswith("-") for a in args[1:]):
        return False
    from gatekeeper.records.validate import is_relevant, releases_folder
    from gatekeeper.repo import staged_paths

    paths = args[1:] or staged_paths(where)
    if paths is None:
        return False
    releases = releases_folder(where)
    return releases is not None and not any(is_relevant(p, releases) for p in paths)
