"""The typer application, its shared options and the one place errors become exit codes."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from gatekeeper.errors import ExitCode, GateError
from gatekeeper.render import one_line, printable

app = typer.Typer(
    name="gate",
    help="A Git-native release gate: release paperwork as files, a policy as a file, one verdict.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

F = TypeVar("F", bound=Callable[..., Any])
_state = {"debug": False, "dir": Path()}


class Format(enum.StrEnum):
    """Report formats."""

    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"


RepoDir = Annotated[
    Path | None, typer.Option("-C", help="Run as if gate was started in PATH.", metavar="PATH")
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
NoCommit = Annotated[bool, typer.Option("--no-commit", help="Write and stage, but do not commit.")]


@app.callback()
def _root(
    directory: RepoDir = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    _state["debug"] = debug
    _state["dir"] = directory or Path()


def repo_dir(directory: Path | None) -> Path:
    """The -C given to the command, else the one given before it, else `.`."""
    return directory or Path(str(_state["dir"]))


def handled(fn: F) -> F:
    """Turn GateError into one line per problem + hint on stderr and its exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            code = fn(*args, **kwargs)
        except GateError as exc:
            if _state["debug"]:
                raise
            for line in exc.lines:
                say(f"error: {one_line(line)}")
            if exc.hint:
                say(f"hint: {one_line(exc.hint)}")
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        except Exception as exc:
            if _state["debug"]:
                raise
            say(f"error: internal error: {type(exc).__name__}: {one_line(str(exc))}")
            say("hint: run again with --debug and report the traceback")
            raise typer.Exit(int(ExitCode.USAGE)) from None
        raise typer.Exit(int(code or 0))

    return wrapper  # type: ignore[return-value]


def say(message: str) -> None:
    """A diagnostic line on stderr (every byte printable, whatever the data held)."""
    typer.echo(printable(message), err=True)


def out(text: str) -> None:
    """A result on stdout (every byte printable, whatever the data held)."""
    typer.echo(printable(text))


# Register the commands (each module adds its own to `app`).
from gatekeeper.cli import auditing, checking, hooks, records, setup  # noqa: E402, F401
