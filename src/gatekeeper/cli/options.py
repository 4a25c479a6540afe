"""What every command shares: options, the repository folder, and where output goes."""

from __future__ import annotations

import enum
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.render import printable

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime, tzinfo

    from gatekeeper.repo import GitRepo

STATE: dict[str, object] = {"debug": False, "dir": Path()}


class Format(enum.StrEnum):
    """Report formats."""

    text = "text"
    json = "json"
    markdown = "markdown"
    github = "github"
    junit = "junit"  # gate check only: one <testcase> per gate, for CI test-report views


RepoDir = Annotated[
    Path | None, typer.Option("-C", help="Run as if gate was started in PATH.", metavar="PATH")
]
FormatOpt = Annotated[Format, typer.Option("--format", help="Output format.")]
NoCommit = Annotated[bool, typer.Option("--no-commit", help="Write and stage, but do not commit.")]


def repo_dir(directory: Path | None) -> Path:
    """The -C given to the command, else the one given before it, else `.`."""
    return directory or Path(str(STATE["dir"]))


@contextmanager
def work_tree(directory: Path | None, command: str) -> Iterator[GitRepo]:
    """The repository (as `repo_dir` finds it) for a command that reads or writes its work
    tree; exit 2 in a bare repository, which has none: git refused with "must be run in a
    work tree", and `gate validate` read its empty index as every record deleted."""
    from gatekeeper.errors import GitError
    from gatekeeper.repo import open_repo

    with open_repo(repo_dir(directory)) as repo:
        if repo.bare:
            raise GitError(
                f"{repo.root}: a bare repository (no work tree); gate {command} needs one",
                hint=f"run it in a clone: `git clone {repo.root} DIR`, then "
                f"`gate -C DIR {command} ...` (gate audit reads a bare repository as it is)",
            )
        yield repo


# The times an option may name: git dates nothing before 1970, and a thousand years of
# headroom keep every deadline, TTL and freeze window computed from it inside datetime's
# range (the year 9999 plus five minutes of clock skew crashed `gate check --at`).
EARLIEST_YEAR, LATEST_YEAR = 1970, 8999


def is_date(value: str) -> bool:
    """Whether `value` is an ISO 8601 date alone (2026-11-24, 20261124, 2026-W48-2)."""
    from datetime import date

    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def iso_time(option: str, value: str, zone: tzinfo | None, *, expected: str, hint: str) -> datetime:
    """An option's ISO 8601 date or time, in `zone` when it names no offset (None: it must
    name one); exit 2 saying `expected` when it is not one, or not between EARLIEST_YEAR
    and LATEST_YEAR."""
    from datetime import UTC, datetime

    from gatekeeper.errors import InputError

    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r}: expected {expected}", hint=hint) from None
    if not is_date(value) and not any(sep in value for sep in "Tt "):
        raise InputError(  # Python takes any one character there: 2027-02-17+08:00 is 08:00
            f"{option} {value!r}: expected {expected}, its date and time joined by T",
            hint=hint,
        )
    if moment.tzinfo is None and zone is None:
        raise InputError(
            f"{option} {value!r}: no UTC offset; expected {expected} with one (Z, +08:00): "
            "a time without one reads differently on a laptop and in CI",
            hint=hint,
        )
    moment = moment if moment.tzinfo else moment.replace(tzinfo=zone)
    earliest = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
    if not earliest <= moment < datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC):
        raise InputError(
            f"{option} {value!r}: out of range; expected a time from {EARLIEST_YEAR}-01-01 "
            f"to {LATEST_YEAR}-12-31",
            hint=hint,
        )
    return moment


def say(message: str) -> None:
    """A diagnostic line on stderr (every byte printable, whatever the data held)."""
    typer.echo(printable(message), err=True)


def out_utf8(data: bytes) -> None:
    """A result made as UTF-8 (an audit's JSON: tens of megabytes) on stdout: as it is,
    when it holds nothing `printable` escapes and stdout takes UTF-8; else as `out`
    writes it."""
    import codecs
    import sys

    from gatekeeper.render import plain_utf8

    stream = sys.stdout
    buffer = getattr(stream, "buffer", None)
    utf8 = codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "utf-8"
    if buffer is None or not utf8 or not plain_utf8(data):
        out(data.decode("utf-8", "surrogateescape"))
        return
    try:
        stream.flush()  # what was written as text first
        buffer.write(data)
        buffer.write(b"\n")
        buffer.flush()
    except BrokenPipeError:
        _reader_gone()


def out(text: str, *, colour: bool = False) -> None:
    """A result on stdout (every byte printable, whatever the data held); with `colour`,
    the verdict marks are coloured when stdout is a terminal and NO_COLOR is not set."""
    shown = printable(text)
    try:
        typer.echo(_coloured(shown) if colour and _terminal() else shown)
    except BrokenPipeError:
        _reader_gone()


def _reader_gone() -> None:
    """The reader of stdout stopped reading (`gate status | head`): it has what it wants,
    which is no error; what is left to write goes nowhere."""
    import contextlib
    import os
    import sys

    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


# Our own marks, at line starts only: data inside a line is never coloured or trusted.
_MARKS = {"[ok  ]": "32", "[FAIL]": "1;31", "[wait]": "33", "[skip]": "2"}
_VERDICTS = {": PASSED": "1;32", ": FAILED": "1;31"}


def _terminal() -> bool:
    import os
    import sys

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _coloured(text: str) -> str:
    return "\n".join(_coloured_line(line) for line in text.split("\n"))


def _coloured_line(line: str) -> str:
    for mark, code in _MARKS.items():
        if line.startswith(mark):
            return f"\x1b[{code}m{mark}\x1b[0m{line[len(mark) :]}"
    for verdict, code in _VERDICTS.items():
        if line.startswith("release ") and line.endswith(verdict):
            return line[: -len(verdict)] + f": \x1b[{code}m{verdict[2:]}\x1b[0m"
    return line


def refuse_output(repo: GitRepo, output: Path, option: str) -> None:
    """`option` names a file to write: not a folder, not in a missing folder, and never
    inside git's own directory (`.git/HEAD` would be overwritten). Asked before the
    command does its work, so a refusal leaves everything as it was."""
    from gatekeeper.errors import InputError

    where = output.resolve()
    if where.is_dir() or not where.parent.is_dir():
        raise InputError(
            f"{option} {output}: {'a folder' if where.is_dir() else 'its folder does not exist'};"
            " expected a file path",
            hint=f"name a file in a folder that exists, e.g. {option} report.json",
        )
    dirs = repo.run("rev-parse", "--absolute-git-dir", "--git-common-dir").splitlines()
    for git_dir in {(repo.root / d).resolve() for d in dirs if d}:
        if where == git_dir or git_dir in where.parents:
            raise InputError(
                f"{option} {output}: inside git's own directory {git_dir}; expected a file "
                "outside it",
                hint=f"write the report next to the repository, e.g. {option} report.json",
            )
