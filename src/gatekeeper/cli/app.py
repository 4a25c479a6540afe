"""The typer application: its commands, in the order `--help` lists them, and the one
place where an error becomes one line, a hint and an exit code.

A command line gets an application holding only the command it runs (typer reads the
parameters of every registered function before it runs one: 30 ms for all of them);
`gate --help`, `--version`, completion and unknown names get every command.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from gatekeeper.cli.options import STATE, RepoDir, say
from gatekeeper.errors import ExitCode, GateError
from gatekeeper.render import one_line


class _Gate(TyperGroup):
    """Runs a command; its int result is the exit code, and a GateError is reported once."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # in the order registered below, not alphabetical

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except Exception as exc:  # `gate --bogus`, `gate -C` (the command's own: invoke)
            _usage(exc)
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            result = super().invoke(ctx)
        except GateError as exc:
            if STATE["debug"]:
                raise
            for line in exc.lines:
                say(f"error: {one_line(line)}")
            if exc.hint:
                say(f"hint: {one_line(exc.hint)}")
            ctx.exit(int(exc.exit_code))
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            _usage(exc)
            if STATE["debug"] or type(exc).__module__.startswith(("click", "typer")):
                raise  # typer's own (help, completion) are typer's to print
            say(f"error: internal error: {type(exc).__name__}: {one_line(str(exc))}")
            say("hint: run again with --debug and report the traceback")
            ctx.exit(int(ExitCode.USAGE))
        if isinstance(result, int) and result:
            ctx.exit(result)
        return result


def _usage(exc: Exception) -> None:
    """A usage error (an unknown option, a value typer cannot read, a missing argument) as
    every other refusal: one line naming it, then a hint, exit 2. Anything else: return."""
    # click's UsageError, reached through the class typer exports: gatekeeper never imports
    # click. Asking for help with no arguments is typer's to answer, as it always was.
    usage = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
    if not isinstance(exc, usage) or type(exc).__name__ == "NoArgsIsHelpError":
        return
    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "gate"
    say(f"error: {where}: {one_line(exc.format_message())}")  # type: ignore[attr-defined]
    say(f"hint: `{where} --help` shows what it accepts")
    raise typer.Exit(int(ExitCode.USAGE)) from None


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"gate (gatekeeper-release) {version('gatekeeper-release')}")
        raise typer.Exit


def _root(
    directory: RepoDir = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_version, is_eager=True
        ),
    ] = False,
) -> None:
    STATE["debug"] = debug
    STATE["dir"] = directory or Path()


# In the order of a release: the command, gatekeeper.cli's module:function running it, and
# the line `gate --help` shows for it.
COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("init", "setup:init", "Write policies/release.toml from a template."),
    ("demo", "setup:demo", "Walk one release end to end in a throwaway repo."),
    ("request", "records:request", "File, revise or withdraw a release request."),
    ("approve", "records:approve", "Approve a release in one of your roles."),
    ("reject", "records:reject", "Reject a release (it stands until you revoke it)."),
    ("revoke", "records:revoke", "Revoke your approval or rejection; frees the role."),
    ("attach", "records:attach", "Record evidence: test report, backup, notice..."),
    ("emergency", "records:emergency", "Declare an emergency: waive failing gates."),
    ("check", "checking:check", "May this release be tagged? (exit 0 / 1 / 2)"),
    ("explain", "checking:explain", "Why: every rule that decided, and what unblocks."),
    ("tag", "checking:tag", "Create the release tag, only if every gate passes."),
    ("notify", "notify:notify", "Send the launch notice (上线通告) by email and chat."),
    ("status", "checking:status", "Every release: stage, what is missing, who to ask."),
    ("freeze", "planning:freeze", "The freeze calendar (封网): windows ahead, or .ics."),
    ("audit", "auditing:audit", "The approval log from history, with anomalies."),
    ("verify-receipt", "auditing:verify_receipt", "Re-check a tag's receipt."),
    ("validate", "setup:validate", "Check staged records and policy (pre-commit)."),
    ("schema", "setup:schema", "Print a JSON Schema for editors."),
    ("doctor", "doctor:doctor", "Check hooks, CI, pins, keys and tag rulesets."),
)
HOOK = "hook"  # the `gate hook ...` group (gatekeeper.cli.hooks)


def make_app(only: str | None = None) -> typer.Typer:
    """The `gate` application with every command, or with just the command `only`."""
    made = typer.Typer(
        name="gate",
        cls=_Gate,
        help="A Git-native release gate: release paperwork as files, a policy as a file, "
        "one verdict.",
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    made.callback()(_root)
    for name, where, line in COMMANDS:
        if only in (None, name):
            made.command(name, short_help=line)(_function(where))
    if only in (None, HOOK):
        from gatekeeper.cli.hooks import hook_app

        made.add_typer(hook_app, name=HOOK)
    return made


def _function(where: str) -> Callable[..., Any]:
    module, name = where.split(":")
    function: Callable[..., Any] = getattr(import_module(f"gatekeeper.cli.{module}"), name)
    return function


def command_of(args: list[str]) -> str | None:
    """The command `args` runs, read past the global options `-C PATH` and `--debug`; None
    for help, version, shell completion or a name that is no command (typer, holding every
    command, then answers as it always did)."""
    if "_GATE_COMPLETE" in os.environ:
        return None
    names = {name for name, _, _ in COMMANDS} | {HOOK}
    rest = iter(args)
    for arg in rest:
        if arg == "-C":
            next(rest, None)
        elif not (arg.startswith("-C") or arg == "--debug"):
            return arg if arg in names else None
    return None


def __getattr__(name: str) -> typer.Typer:
    """`app`: the application with every command (tests, `gate --help`), made once."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    made = globals()["app"] = make_app()
    return made
