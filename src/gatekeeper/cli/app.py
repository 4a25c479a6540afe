"""The typer application: its commands, in the order `--help` lists them, and the one
place where an error becomes one line, a hint and an exit code."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from gatekeeper.cli import auditing, checking, hooks, records, setup
from gatekeeper.cli.options import STATE, RepoDir, say
from gatekeeper.errors import ExitCode, GateError
from gatekeeper.render import one_line


class _Gate(TyperGroup):
    """Runs a command; its int result is the exit code, and a GateError is reported once."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # in the order registered below, not alphabetical

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
            if STATE["debug"] or type(exc).__module__.startswith(("click", "typer")):
                raise  # usage errors are typer's to print
            say(f"error: internal error: {type(exc).__name__}: {one_line(str(exc))}")
            say("hint: run again with --debug and report the traceback")
            ctx.exit(int(ExitCode.USAGE))
        if isinstance(result, int) and result:
            ctx.exit(result)
        return result


app = typer.Typer(
    name="gate",
    cls=_Gate,
    help="A Git-native release gate: release paperwork as files, a policy as a file, one verdict.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(show: bool) -> None:
    if show:
        from importlib.metadata import version

        typer.echo(f"gate (gatekeeper-release) {version('gatekeeper-release')}")
        raise typer.Exit


@app.callback()
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


for _name, _command in (
    ("init", setup.init),
    ("demo", setup.demo),
    ("request", records.request),
    ("approve", records.approve),
    ("reject", records.reject),
    ("revoke", records.revoke),
    ("attach", records.attach),
    ("check", checking.check),
    ("tag", checking.tag),
    ("status", checking.status),
    ("audit", auditing.audit),
    ("verify-receipt", auditing.verify_receipt),
    ("validate", setup.validate),
    ("schema", setup.schema),
):
    app.command(_name)(_command)
app.add_typer(hooks.hook_app, name="hook")
