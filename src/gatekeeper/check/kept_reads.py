"""What a `gate status` row read from HEAD, so that a kept row may outlive new commits.

A tagged release's row is judged from its tag (which names objects that never change),
the release tags, HEAD's `releases/` and `policies/` folders and HEAD's history as the
history index holds it. What it asks of the tags is noted (`Reads.asked`, `merged`,
`listed`), so that a tag made later has only the rows it could answer differently judged
again (check/kept_tags.py). A commit that changes none of that changes nothing such a row
read: made on top of HEAD (which stays on the new HEAD's first-parent line), with the
same `releases/` and `policies/` trees as every one of its parents, and no new commit
on the line dated at or before a time the row asked the line about (`outlived`).

That holds only if the row read nothing else, and this module makes sure of it while the
row is judged: the row reads through `TracedRepo`, which lets every read through and
notes the first one it cannot vouch for: a name that moves (a branch, HEAD), a
subprocess, the work tree, HEAD's own commit, a folder of HEAD's outside those two, a
commit outside HEAD's history asked about (including the history index's own lookups:
records/index.MISSED). A row that made one is kept for this HEAD only
(check/kept_status.py); so is an untagged release's, which is judged at HEAD itself.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gatekeeper.repo.parse import OBJECT_ID

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.repo import GitRepo

# How each read of the repository depends on what a commit can change (anything not
# named here is a read no row kept across commits may make).
_AT = frozenset({"tree_id", "ls_tree", "paths", "blob_at", "files_at"})  # (commit, path)
_COMMITS = {  # how many leading arguments name commits (or lists of them)
    **dict.fromkeys(("commit_info", "read_commits", "check_root", "newest_of"), 1),
    **dict.fromkeys(("has_commit", "tags_merged_into"), 1),
    **dict.fromkeys(("changes_between", "changed_paths", "paths_touched"), 2),
}
_GRAPH = frozenset({"is_ancestor", "merge_bases"})  # HEAD against a commit it holds
_OBJECTS = frozenset({"read_blob", "read_blobs", "read_object", "tag_object", "tag_message"})
_SAME = frozenset({"is_shallow", "config"})  # in the key
_NAMED_BY_ID = frozenset({"resolve_commit", "resolve_trusted"})  # the audit's trusted ref
# The release tags: kept with the rows, and what a row asked of them is noted (a tag
# added since has the rows it could answer differently judged again: check/kept_tags.py).
_TAG_LISTS = frozenset({"tag", "tags", "tag_names"})  # vouched for: what is asked is noted
_TAGS = _TAG_LISTS | {"tags_merged_into"}


@dataclass
class Reads:
    """What one row's judgement read that a commit on top of `head` could change."""

    head: str
    folders: tuple[str, ...]  # HEAD's folders a row may read: releases, policies
    index: HistoryIndex
    tagged: frozenset[str]  # the commits release tags point at (the tags are keyed)
    why: str | None = None  # the first read it cannot vouch for
    latest: datetime | None = None  # the latest time HEAD's line was asked about
    missed: set[str] = field(default_factory=set)  # commits asked of the index, not held
    read: set[str] = field(default_factory=set)  # paths under HEAD's releases folder read
    asked: set[str] = field(default_factory=set)  # tag names asked for one by one
    merged: set[str] = field(default_factory=set)  # HEAD's commits asked the tags they hold
    listed: bool = False  # every tag was listed (or asked of a commit outside HEAD's history)
    # The object store was asked about a commit no ref keeps (outside HEAD's history and
    # the tags': a squash-merged request's candidate), or a read failed: git's answer
    # depends on which objects exist, which no key covers (`git gc` prunes them, `git
    # fetch URL SHA` brings them back, neither moving a ref): it holds this moment only.
    volatile: bool = False

    def cannot(self, why: str) -> None:
        if self.why is None:
            self.why = why

    @property
    def across(self) -> bool:
        """Whether the row read nothing a commit that passes `outlived` could change."""
        return self.why is None and not self.missed

    def kept(self) -> dict[str, Any]:
        """What lets the row outlive commits on top of HEAD and tags added since."""
        return {
            "latest": self.latest,
            "read": self.read,
            "tags": {"asked": self.asked, "merged": self.merged, "listed": self.listed},
        }

    def in_history(self, commit: object) -> bool:
        """Whether `commit` is HEAD's (asked without telling records/index.MISSED)."""
        return isinstance(commit, str) and dict.__contains__(self.index.entry, commit)


_READS: ContextVar[Reads | None] = ContextVar("reads", default=None)


@contextmanager
def reading(reads: Reads) -> Iterator[Reads]:
    """Note what the judgement made inside reads through a `TracedRepo`."""
    from gatekeeper.records.index import MISSED, READ

    token, missed, read = _READS.set(reads), MISSED.set(reads.missed), READ.set(reads.read)
    try:
        yield reads
    finally:
        READ.reset(read)
        MISSED.reset(missed)
        _READS.reset(token)


class TracedRepo:
    """A repository every read of which is let through and, while `reading`, noted."""

    def __init__(self, repo: GitRepo) -> None:
        self._repo = repo

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._repo, name)
        reads = _READS.get()
        if reads is None:
            return value
        if name == "memo":
            return _Memo(value, reads)
        if not callable(value):
            reads.cannot(f"repo.{name}")
            return value
        return functools.partial(_call, reads, name, value)


def _call(reads: Reads, name: str, method: Any, *args: Any, **kwargs: Any) -> Any:
    if kwargs.keys() - {"skip", "limit"}:  # arguments are vouched for by position
        reads.cannot(f"{name} by keyword")
    elif not _vouched(reads, name, args):
        reads.cannot(name)
    if any(_unkept(reads, c) for c in _asked(name, args)):
        reads.volatile = True
    try:
        result = method(*args, **kwargs)
    except BaseException:
        reads.cannot(f"{name} failed")  # an object missing now may be fetched later
        reads.volatile = True
        raise
    if name == "last_commit_before" and args and args[0] == reads.head:
        when = args[1]
        reads.latest = when if reads.latest is None or when > reads.latest else reads.latest
    elif name in _TAGS:
        _asked_of_tags(reads, name, args)
    return result


def _asked_of_tags(reads: Reads, name: str, args: tuple[Any, ...]) -> None:
    if name == "tag" and args:
        reads.asked.add(str(args[0]))
    elif name == "tags_merged_into" and args and reads.in_history(args[0]):
        reads.merged.add(args[0])
    else:
        reads.listed = True


def _vouched(reads: Reads, name: str, args: tuple[Any, ...]) -> bool:
    """Whether no commit on top of HEAD that `still_hold` lets through could change what
    `name(*args)` answers."""
    head = reads.head
    if name in _SAME or name in _OBJECTS or name in _TAG_LISTS:
        return True
    if name in _AT and len(args) >= 2:
        commit, paths = args[0], args[1]
        listed = [paths] if isinstance(paths, str) else list(paths)
        if commit == head:
            return all(_read(reads, p) for p in listed)
        return _known(reads, commit)
    if name in _COMMITS and len(args) >= _COMMITS[name]:
        return all(_known(reads, c) and c != head for c in _commits(args[: _COMMITS[name]]))
    if name in _GRAPH and len(args) >= 2:  # HEAD against a commit it holds: the answer stays
        return all(c == head or reads.in_history(c) for c in args[:2])
    if name in _NAMED_BY_ID and args:  # a commit of HEAD's history named by its id: itself
        return args[0] == head or _known(reads, args[0])
    if name == "last_commit_before" and args:
        return args[0] == head or _known(reads, args[0])
    if name == "holds" and args:  # (commit, path) pairs: as `_AT`, pair by pair
        return all(
            _read(reads, path) if commit == head else _known(reads, commit)
            for commit, path in args[0]
        )
    return False


def _asked(name: str, args: tuple[Any, ...]) -> list[Any]:
    """The commits `name(*args)` asks the object store about."""
    if name in _AT or name in _NAMED_BY_ID or name == "last_commit_before":
        return list(args[:1])
    if name in _COMMITS:
        return _commits(args[: _COMMITS[name]])
    if name in _GRAPH:
        return list(args[:2])
    if name == "holds" and args:
        return [commit for commit, _ in args[0]]
    return []


def _unkept(reads: Reads, commit: object) -> bool:
    """An object id that neither HEAD's history nor a release tag keeps in the store."""
    if not isinstance(commit, str) or not OBJECT_ID.match(commit) or commit == reads.head:
        return False
    return not _known(reads, commit)


def _commits(args: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for arg in args:
        out += list(arg) if isinstance(arg, list | tuple) else [arg]
    return out


def _known(reads: Reads, commit: object) -> bool:
    """A commit in HEAD's history, or a release tag's: named by id, always there."""
    if not isinstance(commit, str) or not OBJECT_ID.match(commit):
        return False
    return commit in reads.tagged or reads.in_history(commit)


def _read(reads: Reads, path: object) -> bool:
    """A path of HEAD's a row may read: under the releases folder (noted: a commit that
    changes it has the row judged again) or the policy folder (no such commit is let
    through)."""
    if not _under(path, reads.folders):
        return False
    if _under(path, reads.folders[:1]):
        reads.read.add(str(path))
    return True


def _under(path: object, folders: tuple[str, ...]) -> bool:
    if not isinstance(path, str):
        return False
    return any(path == f or path.startswith(f"{f}/") for f in folders)


class _Memo:
    """The process's memo, as a row sees it: what was derived from HEAD is vouched for."""

    def __init__(self, memo: dict[tuple[str, ...], Any], reads: Reads) -> None:
        self._memo, self._reads = memo, reads

    def _vouch(self, key: tuple[str, ...]) -> None:
        reads = self._reads
        if not any(isinstance(k, str) and reads.head in k for k in key):
            return  # keyed by object ids (or the history index, which is HEAD's)
        if key[0] in {"releases-only", "graph-of"}:
            return  # what HEAD's history holds, as the index does
        if key[0] == "built-on" and reads.in_history(key[2]):
            return
        reads.cannot(f"memo {key[0]}")

    def __contains__(self, key: tuple[str, ...]) -> bool:
        self._vouch(key)
        return key in self._memo

    def __getitem__(self, key: tuple[str, ...]) -> Any:
        self._vouch(key)
        return self._memo[key]

    def get(self, key: tuple[str, ...], default: Any = None) -> Any:
        self._vouch(key)
        return self._memo.get(key, default)

    def __setitem__(self, key: tuple[str, ...], value: Any) -> None:
        self._memo[key] = value
