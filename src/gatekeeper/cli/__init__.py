"""The `gate` command line. It resolves inputs, calls one core function, renders, exits.

Heavy imports (typer, pydantic) happen only once a command needs them: the hooks' early
answers (gatekeeper.cli.early) use `os` and `sys` alone.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn


def run() -> NoReturn:
    """`gate` as installed: `main`, then out at once. All a normal exit adds is freeing
    every object the command made, one by one: a quarter of a second after an audit or a
    status of thousands of releases. The output streams are flushed here (a failed flush
    exits 120, as Python's own exit does); nothing else is open by then (no thread runs,
    workers have ended, and git's processes end as their pipes close)."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with that descriptor closed (`>&-`): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`gate audit | head`), a closed stream
            code = code or 120
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run `gate`; returns the exit code (0 pass, 1 a gate failed, 2 bad input)."""
    from gatekeeper.cli import early

    args = sys.argv[1:] if argv is None else argv
    if early.nothing_to_validate(args):
        return 0
    pre_push = early.pre_push_input(args)
    if pre_push == "":
        return 0
    _fewer_collections()
    os.environ.setdefault("TYPER_USE_RICH", "0")  # plain errors, and 100 ms less start-up
    # No scan of every installed package for pydantic plugins (gatekeeper uses none).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from gatekeeper.cli.app import command_of, make_app

    if pre_push is not None:
        from gatekeeper.cli.hooks import PRE_PUSH_INPUT

        PRE_PUSH_INPUT[:] = [pre_push]

    try:
        make_app(command_of(args))(args=args, prog_name="gate")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 2)
    return 0


def _fewer_collections() -> None:
    """Python's cycle collector runs after every 700 new objects, and each of its rarer
    full runs walks every object alive. An audit or status reads kept files and the
    history index into millions of small objects, almost none in cycles: collected at
    the default rate, a third of reading them back went to the collector. It runs
    after 200,000 here, as mypy's does for the same reason."""
    import gc

    gc.set_threshold(200_000, 30, 30)
