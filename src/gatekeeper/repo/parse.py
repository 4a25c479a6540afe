"""Parsing git's `-z` output, and the rules for what may be read from a tree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Protocol

from gatekeeper.errors import UnsafePathError
from gatekeeper.repo.values import Change, CommitInfo, TreeEntry

OBJECT_ID = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


_CONTROL = frozenset(map(chr, [*range(32), 127]))


def refuse_unsafe(entry: TreeEntry) -> None:
    """Symlinks, submodules, `..`, absolute paths and control characters are refused."""
    bad = None
    if entry.mode == "120000":
        bad = "is a symlink"
    elif entry.mode == "160000" or entry.type != "blob":
        bad = "is a submodule or not a regular file"
    elif entry.path.startswith("/") or ".." in entry.path.split("/"):
        bad = "is not a plain relative path"
    elif not _CONTROL.isdisjoint(entry.path):
        bad = "has control characters in its name"
    if bad:
        raise UnsafePathError(
            f"{entry.path!r}: {bad}; expected a regular file",
            hint="release records must be plain files; remove it from the release folder",
        )


class Readable(Protocol):
    """What `tokens` reads from: a file, a pipe, or a file still being written."""

    def read(self, size: int, /) -> bytes: ...


def tokens(stream: Readable) -> Iterator[str]:
    """NUL-separated tokens of a stream, decoded as git paths are (surrogateescape)."""
    buf = b""
    while chunk := stream.read(65536):
        buf += chunk
        *done, buf = buf.split(b"\0")
        for token in done:
            yield token.decode("utf-8", "surrogateescape")
    if buf:
        yield buf.decode("utf-8", "surrogateescape")


def parse_log(stream: Iterator[str], prefix: str = "") -> Iterator[Change]:
    """Changes as `log_args` has git print them (`prefix`: put before each path, for a
    walk that shows paths relative to a folder); a commit's date is read when it has
    a change to date."""
    # A state machine, not a split: a hostile path cannot pose as a commit header.
    commit = email = date = ""
    merge = False
    when: datetime | None = None
    for raw in stream:
        token = raw.removeprefix("\n")
        if token.startswith("\x1e") and OBJECT_ID.match(token[1:]):
            commit, parents = token[1:], next(stream)
            email, date, when = next(stream), next(stream), None
            merge = len(parents.split()) > 1
        elif token.startswith(":") and commit:
            if when is None:
                seconds, _, offset = date.partition(" ")
                when = epoch(seconds, offset)
            meta = token.split()
            status, blob = meta[-1][0], meta[3]
            yield Change(
                commit=commit,
                author_email=email,
                authored_at=when,
                status=status,
                path=prefix + next(stream),
                blob=blob,
                merge=merge,
                mode=meta[1],
            )


def epoch(seconds: str, offset: str) -> datetime:
    """A git timestamp. The instant is the seconds; an offset git accepts but no clock
    has (`+9999`) is only a display matter, so the instant is kept in UTC. A date after
    the year 9999 (git accepts 12 digits) reads as the latest date there is."""
    try:
        instant = datetime.fromtimestamp(int(seconds), UTC)
    except (OverflowError, OSError, ValueError):  # after 9999 (git takes 12 digits): as late
        from gatekeeper.instants import LATEST  # as a date can be, never "before" anything

        return LATEST
    zone = _zone(offset)
    if zone is None or instant.year == 9999:  # no offset pushes it past 9999
        return instant
    return instant.astimezone(zone)


@lru_cache(maxsize=512)
def _zone(offset: str) -> timezone | None:
    """The zone of a git offset (`+0800`); None for one no clock has (`+9999`)."""
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = int(offset[1:3]), int(offset[3:5])
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


_IDENT = re.compile(rb"^.*<([^>]*)> (\d{1,12}) ([+-]\d{4})$")


def parse_commit(sha: str, raw: bytes) -> CommitInfo:
    """A raw commit object: parents, author, committer date, and the signature with the
    exact bytes it signs (the object without its `gpgsig` header, as git verifies it)."""
    head, sep, message = raw.partition(b"\n\n")
    kept: list[bytes] = []
    signature: list[bytes] = []
    parents: list[str] = []
    author = b""
    committed_at = None
    in_sig = False
    for line in head.split(b"\n"):
        if in_sig and line.startswith(b" "):
            signature.append(line[1:])
            continue
        in_sig = line.startswith((b"gpgsig ", b"gpgsig-sha256 "))
        if in_sig:
            signature.append(line.split(b" ", 1)[1])
            continue
        kept.append(line)
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value.decode("ascii", "replace"))
        elif key in {b"author", b"committer"} and (match := _IDENT.match(value)):
            if key == b"author":
                author = match.group(1)
            else:
                committed_at = epoch(match.group(2).decode(), match.group(3).decode())
    return CommitInfo(
        sha=sha,
        parents=tuple(parents),
        author_email=author.decode("utf-8", "replace"),
        committed_at=committed_at,
        signature=b"\n".join(signature).decode("utf-8", "replace") if signature else None,
        payload=b"\n".join(kept) + sep + message,
    )
