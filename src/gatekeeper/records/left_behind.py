"""Records of a release on the trusted ref that the revision judged lacks.

Tagging a commit from before a rejection (or a withdrawal, or a newer request) must not
dodge it, and neither must deleting that record on the trusted ref first: what counts is
every record the trusted ref's *history* of the release holds, so the trusted ref's own
lineage of the folder must be append-only too (a reject deleted on main, a withdrawal
undone by writing the old request back, each fails every revision judged against main),
and every record its tree holds must be in the revision judged. A request version there
that the judged revision's chain does not hold is left behind whatever its revision
number: a branch forked from an earlier revision could revise it to the same number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo, TreeEntry


def left_behind(
    repo: GitRepo, trusted: str, records: ReleaseRecords, before: datetime, chain: frozenset[str]
) -> list[str]:
    """Why the revision judged leaves out what the trusted ref holds of this release: a
    record there made before `before` that it lacks, a request version its chain of
    requests (`chain`, the blobs) does not hold, or a record the trusted ref's history
    deleted or changed (module docstring)."""
    from datetime import timedelta

    from gatekeeper.errors import GateError
    from gatekeeper.records.lineage import lineage, request_chain
    from gatekeeper.trust.rules import SKEW

    present = {f.path: f.blob for f in records.files}
    where = f"on the trusted ref ({trusted[:12]})"
    try:
        held = repo.ls_tree(trusted, records.folder)
    except GateError as exc:  # a tree git would not write on the trusted ref: it fails
        return [f"{records.folder}/ {where} cannot be read: {exc.message}"]
    history = lineage(repo, trusted, records.layout, {e.path: e.sha for e in held})
    reasons = [f"{where}: {v.reason()}" for v in history.violations]
    if history.request_versions:  # its request revised only as a chain there, too
        request = [e for e in held if e.path == records.layout.request]
        try:
            current = repo.read_blob(request[0]) if request else b""
            problem = request_chain(repo, history.request_versions, current).problem
        except GateError as exc:
            problem = f"{records.layout.request} cannot be read ({exc.message})"
        if problem:
            reasons.append(f"{where}: {problem}")
    for entry in held:
        kind = records.layout.kind_of(entry.path)
        if present.get(entry.path) == entry.sha or kind not in _DATED:
            continue
        try:
            made, newer = _made(repo, entry, kind, chain)
        except GateError as exc:
            made, newer = None, f"cannot be read ({exc.message})"
        # A sign-off dated up to the clocks' skew after the time judged counts then, so it
        # is asked for; evidence only when made by then (a post-release check attached a
        # minute after the tag is no record the tag left out).
        skew = timedelta(0) if kind == "evidence" else SKEW
        if newer and (made is None or made - before <= skew):  # no overflow near year 9999
            reasons.append(
                f"{entry.path}: {newer} {where} but not in the revision judged; judge (tag) "
                "a commit that includes every record of the release"
            )
    return reasons


_DATED = {"request", "approval", "evidence", "emergency"}


def _made(
    repo: GitRepo, entry: TreeEntry, kind: str, chain: frozenset[str]
) -> tuple[datetime | None, str | None]:
    """When a record says it was made, and why it matters that it is missing (None: not)."""
    from gatekeeper.models.records import EvidenceManifest, Request, Signoff
    from gatekeeper.records.reading import parse_record

    data = repo.read_blob(entry)
    if kind == "request":
        request = parse_record(Request, data, entry.path)
        newer = None if entry.sha in chain else f"revision {request.revision}"
        return request.requested_at, newer
    if kind == "approval":
        signoff = parse_record(Signoff, data, entry.path)
        return signoff.at, f"{signoff.person}'s {signoff.decision}"
    if kind == "evidence":
        return parse_record(EvidenceManifest, data, entry.path).at, "evidence"
    return None, "a record"
