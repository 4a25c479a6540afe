"""What history says about one release's records, judged on the first-parent line.

A pre-commit hook can be skipped, so append-only is judged here, from history: every
file of a release folder except the request may only ever be added; the request may
change only as a chain of revisions. A merge counts as one change against its first
parent, so a record rewritten while merging is seen.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.layout import ReleaseLayout
    from gatekeeper.models.records import Request
    from gatekeeper.repo import Change, GitRepo

_DONE = {
    "D": "deleted after it was committed",
    "M": "edited after it was committed",
    "T": "replaced by another kind of file after it was committed",
}


@dataclass(frozen=True)
class Violation:
    """A committed record deleted, edited, replaced or re-added."""

    path: str
    commit: str
    what: str
    merge: bool = False

    def reason(self) -> str:
        """One line naming the path and the commit."""
        how = " (in a merge)" if self.merge else ""
        return (
            f"{self.path}: {self.what} in commit {self.commit[:12]}{how}; records are append-only"
        )


@dataclass(frozen=True)
class Lineage:
    """The first-parent history of one release folder, oldest first."""

    violations: tuple[Violation, ...]
    request_versions: tuple[Change, ...]  # every committed version of the request
    added: dict[str, Change]  # path -> the change that brought its content to this line


def lineage(repo: GitRepo, rev: str, layout: ReleaseLayout) -> Lineage:
    """Walk the release folder's first-parent history from `rev` once."""
    changes = list(repo.history(rev, layout.folder, first_parent=True))
    changes.reverse()
    violations: list[Violation] = []
    versions: list[Change] = []
    added: dict[str, Change] = {}
    for change in changes:
        if layout.kind_of(change.path) == "request" and change.status in {"A", "M"}:
            versions.append(change)
            added[change.path] = change
        elif change.status == "A" and change.path in added:
            violations.append(
                Violation(change.path, change.commit, "re-added after it was deleted", change.merge)
            )
        elif change.status == "A":
            added[change.path] = change
        else:
            what = _DONE.get(change.status, f"changed ({change.status})")
            violations.append(Violation(change.path, change.commit, what, change.merge))
    return Lineage(tuple(violations), tuple(versions), added)


@dataclass(frozen=True)
class RequestChain:
    """The request's revisions, and why they do not form a chain (None when they do)."""

    requesters: frozenset[str]
    problem: str | None


def request_chain(repo: GitRepo, versions: tuple[Change, ...], current: bytes) -> RequestChain:
    """Each committed version must be revision N+1 superseding version N's sha256."""
    from gatekeeper.errors import GateError
    from gatekeeper.models.records import Request
    from gatekeeper.release import parse_record

    requesters: set[str] = set()
    previous: bytes | None = None
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
        problem = link_problem(request, n, previous)
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
    return RequestChain(frozenset(requesters), None)


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
