"""The history index, kept between runs under `.git/gatekeeper/`: keyed by the last commit
it read and its format; a repeat run reads only the commits since (`git log LAST..HEAD`).

It can't lie about what it does not know: when LAST is no longer on HEAD's first-parent
line (history rewritten, a branch switched) the index is built again from scratch, and it
holds derived facts only (which change, which commit, where in the graph), never a
verdict. Deleting it changes no output. `GATE_NO_CACHE=1` neither reads nor writes it,
nor does CI: what decides a release there never trusts a file in `.git/`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.kept import (
    as_list,
    as_mapping,
    as_text,
    forget_older,
    keeping,
    kept_path,
    read_kept,
    write_kept,
)
from gatekeeper.records.index import FORMAT, Entries, HistoryIndex
from gatekeeper.records.index_walk import build, extend

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.repo import GitRepo

_MEMO = ("history-index",)
_NAME = f"history-{FORMAT}.json"


def current_index(repo: GitRepo) -> HistoryIndex | None:
    """The index this process already has, if any (lineage asks, never builds)."""
    found: HistoryIndex | None = repo.memo.get(_MEMO)
    return found


def shared_index(
    repo: GitRepo,
    head: str,
    releases: str,
    meanwhile: Callable[[str | None], object] | None = None,
) -> HistoryIndex:
    """The index from `head`: this process's, else the cache brought up to date, else
    built in one pass; saved for the next run. `meanwhile` runs while git walks, if it
    has to (work that needs no history: reading release folders), told the commit the
    cache had read up to (None: every commit is read)."""
    index = current_index(repo)
    if index is not None and index.head == head and index.releases == releases:
        return index
    # A shallow clone's history stops at its boundary: an index of it must never be kept
    # (after `git fetch --unshallow` HEAD is the same, and it would be believed).
    path = kept_path(repo, _NAME) if keeping() and not repo.is_shallow() else None
    cached = _load(path, releases) if path else None
    read_up_to = cached.head if cached else None
    rewrites = [c for c in cached.rewrites if not repo.is_ancestor(c, head)] if cached else []
    index = None
    then = None if meanwhile is None else functools.partial(meanwhile, read_up_to)
    if cached is not None and read_up_to == head:
        index = cached
    elif cached is not None and repo.is_ancestor(cached.head, head):
        index = cached if cached.line and extend(repo, cached, cached.head, head, then) else None
    elif read_up_to and _rewritten(repo, cached.branch if cached else None, read_up_to):
        rewrites.append(read_up_to)  # what the last run read is gone from its branch
    if index is None:
        index = build(
            repo, head, releases, None if meanwhile is None else functools.partial(meanwhile, None)
        )
    index.rewrites = rewrites
    branch = _branch(repo) if path else None
    if path and (read_up_to != head or index.branch != branch):
        index.branch = branch
        _save(path, index)
    repo.memo[_MEMO] = index
    return index


def _rewritten(repo: GitRepo, branch: str | None, commit: str) -> bool:
    """Whether `commit`, read last time from `branch`, was rewritten away: that branch no
    longer holds it (any other branch that does is no excuse: whoever reset main can
    keep the old head on a branch of their own). A branch switched away from still holds
    it; with the branch unknown or deleted, any branch that holds it will do."""
    tip = repo.ref_commit(branch) if branch else None
    if tip is not None:
        return not repo.is_ancestor(commit, tip)
    return not _on_a_branch(repo, commit)


def _branch(repo: GitRepo) -> str | None:
    """The branch HEAD is on (None when detached)."""
    from gatekeeper.errors import GitError

    try:
        name = repo.run("symbolic-ref", "-q", "HEAD").strip()
    except GitError:
        return None
    return name if name.startswith("refs/heads/") else None


def _on_a_branch(repo: GitRepo, commit: str) -> bool:
    """Whether a branch or remote-tracking branch still holds `commit` (a branch switch
    is no rewrite; a reset or force-push leaves what was read on none)."""
    from gatekeeper.errors import GitError

    refs = ("refs/heads/", "refs/remotes/")
    try:
        return bool(repo.run("for-each-ref", "--count=1", "--contains", commit, *refs).strip())
    except GitError:  # gone from the object store as well
        return False


def kept_index(repo: GitRepo, releases: str) -> HistoryIndex | None:
    """The index from HEAD when .git/gatekeeper/ keeps one to bring up to date (never
    built from nothing here), else None."""
    if not keeping() or not kept_path(repo, _NAME).exists():
        return None
    head = repo.head()
    return shared_index(repo, head, releases) if head else None


def rewrites_seen(repo: GitRepo) -> list[str]:
    """Heads earlier runs had read that HEAD's history no longer contains (history was
    rewritten since), from the index this process holds."""
    index = current_index(repo)
    return list(index.rewrites) if index else []


def _load(path: Path, releases: str) -> HistoryIndex | None:
    """The cached index, or None when absent, of another format or not exactly what
    `_save` writes (a truncated, hand-edited or planted file is rebuilt, never half read;
    records/index_file.py checks every field, and unpacks a release's changes when asked)."""
    from gatekeeper.records.index_file import Filed, checked, entries_of, line_of, unpack

    data = read_kept(path)
    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        if data.get("releases") != releases:
            return None
        line = line_of(data["line"])
        index = HistoryIndex(as_text(data["head"]), releases, line)
        index.entry = Entries(entries_of(line, data["side"]))
        index.rewrites = _texts(data["rewrites"])
        branch = data.get("branch")
        index.branch = as_text(branch) if branch is not None else None
        index.loose = set(_texts(data["loose"]))
        index.changes = Filed(
            {
                as_text(t): checked(rows, index.entry)
                for t, rows in as_mapping(data["changes"]).items()
            }
        )
        index.unfiled = unpack(checked(data["unfiled"], index.entry))
        index.policies = unpack(checked(data["policies"], index.entry))
    except (ValueError, KeyError, TypeError):
        return None
    return index if index.line and index.line[-1] == index.head else None


def _texts(value: object) -> list[str]:
    return [as_text(v) for v in as_list(value)]


def _save(path: Path, index: HistoryIndex) -> None:
    """Written to a temporary file and renamed, so a reader never sees half of it."""
    from gatekeeper.records.index_file import pack, pack_line, pack_side

    doc: dict[str, Any] = {
        "format": FORMAT,
        "head": index.head,
        "releases": index.releases,
        "line": pack_line(index.line),
        "side": pack_side(index.entry),
        "rewrites": index.rewrites,
        "branch": index.branch,
        "loose": sorted(index.loose),
        "changes": index.changes.packed(),
        "unfiled": pack(index.unfiled),
        "policies": pack(index.policies),
    }
    write_kept(path, doc)
    forget_older(path, "history", FORMAT)
