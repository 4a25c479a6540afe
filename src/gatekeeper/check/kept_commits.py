"""Whether commits on top of the HEAD a status row was kept at leave it as it was.

A row kept across commits (check/kept_reads.py says which) read its tag, the release
tags, HEAD's `policies/`, the paths under HEAD's `releases/` it names (`read`) and HEAD's
history. At a new HEAD it is used when the old HEAD is in the new one's history and on
its first-parent line, no commit between changes `policies/` against any of its parents,
none changes a path under `releases/` the row read (on any side of any merge), and no
commit the line gained is dated at or before a time the row asked the line about.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatekeeper.repo.parse import OBJECT_ID

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo, TagInfo


def settled(
    repo: GitRepo,
    old: str,
    new: str,
    releases: str,
    *,
    tags: tuple[dict[str, str], dict[str, str]],
    kept: dict[str, Any],
    infos: dict[str, TagInfo] | None = None,
) -> tuple[dict[str, Any], set[str]] | None:
    """The judgements kept at HEAD `old` (`kept`: tag -> (window, judgement, across)) that
    HEAD `new`, the commits between and the tags made since (`tags`: name -> object id,
    then and now) leave as they were, and the releases whose request a commit between
    added, changed or removed; None when every one may have changed (a tag moved or
    deleted, a commit `still_hold` does not let through, the releases folder unknown).
    `infos`: the tags as the caller read them, used for those added since when each
    names the object `tags` says it does now."""
    from gatekeeper.check.kept_tags import added_since, untouched

    added = added_since(*tags)
    if added is None:
        return None
    found: tuple[dict[str, Any], set[str]] | None = (kept, set()) if old == new else None
    if old != new and releases:
        found = still_hold(repo, old, new, releases, kept)
    if found is None:
        return None
    if infos is not None and any(
        name not in infos or infos[name].object_sha != tags[1].get(name) for name in added
    ):
        infos = None  # read at another moment than the refs: the tags are read again
    return untouched(repo, old, added, found[0], infos), found[1]


def still_hold(
    repo: GitRepo, old: str, new: str, releases: str, rows: dict[str, Any]
) -> tuple[dict[str, Any], set[str]] | None:
    """The rows kept at HEAD `old` that HEAD `new` leaves as they were (`rows`: tag ->
    (window, row, across), across None for a row kept for `old` only), and the releases
    whose request a commit between added, changed or removed (whether each is a release
    row at `new` is asked again); None when the commits between may have changed every
    row."""
    from datetime import UTC, datetime

    changed = _changed(repo, old, new, releases)
    if changed is None:
        return None
    # The commits the first-parent line gained, newest first, each with its first parent:
    # `old` must be the last one's (else it left the line, and the line is another).
    gained = [
        line.split()
        for line in repo.run("log", "--first-parent", "--format=%ct %P", new, f"^{old}")
        .strip()
        .splitlines()
    ]
    if not gained or len(gained[-1]) < 2 or gained[-1][1] != old:
        return None
    earliest = datetime.fromtimestamp(min(int(c[0]) for c in gained), UTC)
    done = _Changed(changed)
    held = {}
    for tag, (window, row, across) in rows.items():
        if across is None:
            continue
        latest = across.get("latest")
        # A line commit dated at or before a time the row asked the line about would be
        # the answer now (repo.last_commit_before): only later ones leave it as it was.
        if latest is not None and not earliest > latest:
            continue
        if any(done.overlaps(path) for path in across.get("read", ())):
            continue  # a path it read changed
        held[tag] = (window, row, across)
    return held, requested(changed, releases)


def requested(changed: set[str], releases: str) -> set[str]:
    """The releases whose request is one of `changed`: only a change to that one path can
    make a folder a release row or stop it being one (a request replaced by a folder of
    the same name is a deleted path too)."""
    from gatekeeper.records.layout import request_of

    return {tag for path in changed if (tag := request_of(path, releases)) is not None}


def changed_ahead(repo: GitRepo, old: str, new: str, releases: str) -> None:
    """Work out now what `still_hold` will ask of the commits from `old` to `new` (an
    audit does while git walks for its index), for it to answer from."""
    _changed(repo, old, new, releases)


def _changed(repo: GitRepo, old: str, new: str, releases: str) -> set[str] | None:
    """`_changes`, worked out once a process (the commits are named by id: what they hold
    never changes)."""
    key = ("changed under", old, new, releases)
    if key not in repo.memo:
        repo.memo[key] = _changes(repo, old, new, releases)
    found: set[str] | None = repo.memo[key]
    return found


def _changes(repo: GitRepo, old: str, new: str, releases: str) -> set[str] | None:
    """The paths under `releases` that a commit `new` has and `old` has not changed
    against any of its parents; None when `old` is not in `new`'s history, a commit
    changed `policies/`, one has no parents (a second root), or a tree of one is no
    tree git would write (its change names the folder, not the paths in it)."""
    from gatekeeper.policy.loading import POLICY_DIR
    from gatekeeper.repo.treediff import MALFORMED

    if not OBJECT_ID.match(old) or not repo.is_ancestor(old, new):
        return None
    changed: set[str] = set()
    prefix = f"{releases}/"
    out = repo.run("rev-list", "--parents", new, f"^{old}")
    graph = [line.split() for line in out.splitlines()]
    if any(len(commits) < 2 for commits in graph):
        return None
    every = list(dict.fromkeys(c for commits in graph for c in commits))
    policies, folders = repo.trees(every, POLICY_DIR), repo.trees(every, releases)
    for commit, *parents in graph:
        if any(policies[p] != policies[commit] for p in parents):
            return None
        for parent in parents:
            if folders[parent] != folders[commit]:
                paths = repo.changed_paths(parent, commit)
                if any(p.endswith(MALFORMED) for p in paths):
                    return None  # a tree git would not write: a folder's change, unnamed
                changed.update(p for p in paths if p == releases or p.startswith(prefix))
    return changed


class _Changed:
    """Paths changed, asked whether a path is one of them, lies under one or holds one."""

    def __init__(self, paths: set[str]) -> None:
        self._paths = paths
        self._folders = {p[:at] for p in paths for at in _slashes(p)}  # each one's folders

    def overlaps(self, path: str) -> bool:
        if path in self._paths or path in self._folders:
            return True  # changed itself, or a folder holding a changed path
        return any(path[:at] in self._paths for at in _slashes(path))  # under a changed one


def _slashes(path: str) -> list[int]:
    return [at for at, c in enumerate(path) if c == "/"]
