"""What history says about one release's records.

A pre-commit hook can be skipped, so append-only is judged here, from history, in two
walks of the release folder:

1. the first-parent line of the revision (what was released), where a merge is one
   change against its first parent: every file except the request may only be added,
   the request only revised as a chain;
2. every commit reachable from the revision, no merge side pruned: whatever any commit
   added must still be there, unchanged. A record dropped by a merge (`-s ours`, a
   conflict "resolved" away, a branch forked before it and fast-forwarded over it)
   never shows on the first-parent line, but it shows here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Container
    from datetime import datetime

    from gatekeeper.models.records import Request
    from gatekeeper.records.layout import ReleaseLayout
    from gatekeeper.repo import Change, GitRepo

_DONE = {
    "D": "deleted after it was committed, in commit {commit}",
    "M": "edited after it was committed, in commit {commit}",
    "T": "replaced by another kind of file after it was committed, in commit {commit}",
}
_READDED = "re-added after it was deleted, in commit {commit}"
_DROPPED = "written in commit {commit}, but not in the revision judged (dropped by a merge?)"


@dataclass(frozen=True)
class Violation:
    """A committed record deleted, edited, replaced or re-added."""

    path: str
    commit: str
    what: str
    merge: bool = False

    def reason(self) -> str:
        """One line naming the path and the commit."""
        what = self.what.format(commit=self.commit[:12])
        how = " (a merge)" if self.merge else ""
        return f"{self.path}: {what}{how}; records are append-only"


@dataclass(frozen=True)
class Lineage:
    """The history of one release folder."""

    violations: tuple[Violation, ...]
    request_versions: tuple[Change, ...]  # every version of the request, first-parent line
    added: dict[str, Change]  # path -> the change that brought its content to this line
    adders: dict[str, tuple[str, ...]]  # path -> commits that made its content, oldest first


def lineage(repo: GitRepo, rev: str, layout: ReleaseLayout, present: dict[str, str]) -> Lineage:
    """Both walks of the release folder from `rev`, read from one `git log` pass (every
    commit, merges against their first parent) and the first-parent line of `rev`;
    `present` is path -> blob at `rev`."""
    line, changes = _walks(repo, rev, layout)
    violations, versions, added = _first_parent([c for c in changes if c.commit in line], layout)
    made: dict[str, list[Change]] = {}  # path -> non-merge commits that wrote it, oldest first
    for change in changes:
        if not change.merge and change.status in {"A", "M"}:
            made.setdefault(change.path, []).append(change)
    seen = {v.path for v in violations}
    chain = {change.blob for change in versions}
    for path, written in made.items():
        is_request = layout.kind_of(path) == "request"
        kept = chain if is_request else {present.get(path)}
        lost = [c for c in written if c.blob not in kept and (is_request or c.status == "A")]
        if lost and path not in seen:
            violations.append(Violation(path, lost[0].commit, _DROPPED))
    adders = {
        path: tuple(c.commit for c in made.get(path, []) if c.blob == present.get(path))
        or (change.commit,)
        for path, change in added.items()
    }
    return Lineage(tuple(violations), versions, added, adders)


def _walks(repo: GitRepo, rev: str, layout: ReleaseLayout) -> tuple[Container[str], list[Change]]:
    """`rev`'s first-parent line and the folder's changes it reaches, oldest first: from
    the shared history index when `rev` is on HEAD's first-parent line and this process
    has one, or .git/gatekeeper/ keeps one (status and audit leave it; a long history is
    then not walked again); else from git, whose path-limited walk is quick with a
    commit-graph's changed-path filters and cheaper than building the index cold."""
    from gatekeeper.records.history_cache import current_index, kept_index

    index = current_index(repo)
    if index is None or index.releases != layout.releases:
        index = kept_index(repo, layout.releases)  # a single check: only if one was kept
    if index is not None and index.covers(rev):
        return index.first_parent_line(rev), index.history(rev, layout.tag)
    by_commit: list[list[Change]] = []
    for change in repo.history(rev, layout.folder, full=True, merges=True):
        if not by_commit or by_commit[-1][0].commit != change.commit:
            by_commit.append([])
        by_commit[-1].append(change)
    # oldest first (topological, so the first-parent line stays in order), and within a
    # commit in git's path order, as the history index lists them
    changes = [change for group in reversed(by_commit) for change in group]
    return repo.first_parent_line(rev), changes


def _first_parent(
    changes: list[Change], layout: ReleaseLayout
) -> tuple[list[Violation], tuple[Change, ...], dict[str, Change]]:
    """Changes on the first-parent line, oldest first: add-only, the request as a chain."""
    violations: list[Violation] = []
    versions: list[Change] = []
    added: dict[str, Change] = {}
    for change in changes:
        if layout.kind_of(change.path) == "request" and change.status in {"A", "M"}:
            versions.append(change)
            added[change.path] = change
        elif change.status == "A" and change.path in added:
            violations.append(Violation(change.path, change.commit, _READDED, change.merge))
        elif change.status == "A":
            added[change.path] = change
        else:
            what = _DONE.get(change.status, f"changed ({change.status}) in commit {{commit}}")
            violations.append(Violation(change.path, change.commit, what, change.merge))
    return violations, tuple(versions), added


@dataclass(frozen=True)
class RequestChain:
    """The request's revisions, and why they do not form a chain (None when they do)."""

    requesters: frozenset[str]
    problem: str | None
    filed_at: datetime | None = None  # the later of revision 1's claims: requested_at, its commit
    digests: frozenset[str] = frozenset()  # sha256 of every committed version read
    # Each revision, oldest first, with when it was filed (the later of its two claims).
    filings: tuple[tuple[datetime, Request], ...] = ()


def request_chain(repo: GitRepo, versions: tuple[Change, ...], current: bytes) -> RequestChain:
    """Each committed version must be revision N+1 superseding version N's sha256."""
    import hashlib

    from gatekeeper.errors import GateError
    from gatekeeper.models.records import Request
    from gatekeeper.records.reading import parse_record

    requesters: set[str] = set()
    digests: set[str] = set()
    previous: bytes | None = None
    withdrawn: str | None = None
    filings: list[tuple[datetime, Request]] = []
    for n, change in enumerate(versions, start=1):
        try:
            data = repo.read_object(change.blob, change.path)
            request: Request = parse_record(Request, data, change.path)
        except GateError as exc:
            return RequestChain(
                frozenset(requesters),
                f"version in commit {change.commit[:12]} cannot be read: {exc.message}",
            )
        requesters.add(request.requester)
        digests.add(hashlib.sha256(data).hexdigest())
        filings.append((max(request.requested_at, change.authored_at), request))
        problem = link_problem(request, n, previous)
        if problem is None and withdrawn is not None:
            problem = (
                f"(revision {n}) follows a withdrawal ({withdrawn}): a withdrawn release "
                "stays ended"
            )
        withdrawn = request.withdrawn if request.withdrawn is not None else withdrawn
        if problem:
            return RequestChain(
                frozenset(requesters),
                f"request.toml in commit {change.commit[:12]} {problem}; "
                "requests change only through `gate request TAG --revise`",
            )
        previous = data
    if previous is not None and previous != current:
        return RequestChain(
            frozenset(requesters), "request.toml differs from its last committed version"
        )
    filed = filings[0][0] if filings else None
    return RequestChain(frozenset(requesters), None, filed, frozenset(digests), tuple(filings))


def link_problem(request: Request, n: int, previous: bytes | None) -> str | None:
    if request.revision != n:
        return f"is revision {request.revision}, expected revision {n}"
    if previous is None:
        return (
            "supersedes an earlier revision, but none was committed" if request.supersedes else None
        )
    if request.supersedes != hashlib.sha256(previous).hexdigest():
        return f"(revision {n}) does not supersede revision {n - 1}'s sha256"
    return None
