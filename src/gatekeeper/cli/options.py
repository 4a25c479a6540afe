"""What every command shares: options, the repository folder, and where output goes."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from gatekeeper.render import printable

STATE: dict[str, object] = {"debug": False, "dir": Path()}


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


def repo_dir(directory: Path | None) -> Path:
    """The -C given to the command, else the one given before it, else `.`."""
    return directory or Path(str(STATE["dir"]))


def say(message: str) -> None:
    """A diagnostic line on stderr (every byte printable, whatever the data held)."""
    typer.echo(printable(message), err=True)


def out(text: str) -> None:
    """A result on stdout (every byte printable, whatever the data held)."""
    typer.echo(printable(text))
