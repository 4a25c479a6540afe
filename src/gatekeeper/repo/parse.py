"""Parsing git's `-z` output, and the rules for what may be read from a tree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from gatekeeper.errors import UnsafePathError
from gatekeeper.repo.values import Change, TreeEntry

SHA = re.compile(r"^[0-9a-f]{40}$")


def refuse_unsafe(entry: TreeEntry) -> None:
    """Symlinks, submodules, `..`, absolute paths and control characters are refused."""
    bad = None
    if entry.mode == "120000":
        bad = "is a symlink"
    elif entry.mode == "160000" or entry.type != "blob":
        bad = "is a submodule or not a regular file"
    elif entry.path.startswith("/") or ".." in entry.path.split("/"):
        bad = "is not a plain relative path"
    elif any(ord(c) < 32 or ord(c) == 127 for c in entry.path):
        bad = "has control characters in its name"
    if bad:
        raise UnsafePathError(
            f"{entry.path!r}: {bad}; expected a regular file",
            hint="release records must be plain files; remove it from the release folder",
        )


def tree_entry(record: str) -> TreeEntry:
    meta, path = record.split("\t", 1)
    mode, kind, sha, size = meta.split()
    return TreeEntry(mode, kind, sha, None if size == "-" else int(size), path)


def tokens(stream: object) -> Iterator[str]:
    buf = b""
    read = stream.read1  # type: ignore[attr-defined]
    while chunk := read(65536):
        buf += chunk
        *done, buf = buf.split(b"\0")
        for token in done:
            yield token.decode("utf-8", "surrogateescape")
    if buf:
        yield buf.decode("utf-8", "surrogateescape")


def parse_log(stream: Iterator[str]) -> Iterator[Change]:
    # A state machine, not a split: a hostile path cannot pose as a commit header.
    commit = email = ""
    merge = False
    when: datetime | None = None
    for raw in stream:
        token = raw.removeprefix("\n")
        if token.startswith("\x1e") and SHA.match(token[1:]):
            commit, parents = token[1:], next(stream)
            email, when = next(stream), datetime.fromisoformat(next(stream))
            merge = len(parents.split()) > 1
        elif token.startswith(":") and when is not None:
            meta = token.split()
            yield Change(commit, email, when, meta[-1][0], next(stream), meta[3], merge)


def epoch(seconds: str, offset: str) -> datetime:
    from datetime import timedelta, timezone

    sign = -1 if offset.startswith("-") else 1
    tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    return datetime.fromtimestamp(int(seconds), tz)
