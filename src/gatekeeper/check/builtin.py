"""The gates every release has, whatever its policy: the tag, the request, the records.

They judge what the policy's own gates stand on, so they come first in every report.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.check.report import GateResult
from gatekeeper.instants import shifted
from gatekeeper.policy import tagname

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.records.lineage import Lineage, RequestChain
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import CommitInfo, TagInfo
    from gatekeeper.trust.identity import Signer

from gatekeeper.trust.facts import signer_mark
from gatekeeper.trust.rules import SKEW


def tag_gate(
    tag: str, info: TagInfo, commit: CommitInfo | None, records: ReleaseRecords, now: datetime
) -> GateResult:
    """Annotated, named as its ref, on a commit, and dated when it could have been made."""
    problems = _shape(tag, info)
    problems += _date(info, commit, records, now)
    where = f"annotated tag on {info.commit[:12]}" if info.commit else ""
    reasons = problems or [where + (", signed" if info.signed else "") + _dated(info)]
    return GateResult("tag", "The release tag is well-formed", not problems, tuple(reasons))


def _shape(tag: str, info: TagInfo) -> list[str]:
    problems = []
    if not info.annotated:
        problems.append(f"refs/tags/{tag} is a lightweight tag; release tags must be annotated")
    elif info.name_in_object != tag:
        problems.append(f"the tag object is named '{info.name_in_object}', not '{tag}'")
    if info.commit is None:
        problems.append(
            f"refs/tags/{tag} points at a {info.target_type}; a release tag must point at a commit"
        )
    return problems


def _date(
    info: TagInfo, commit: CommitInfo | None, records: ReleaseRecords, now: datetime
) -> list[str]:
    """The tagger date is a claim by whoever tagged: bound it by what is known."""
    if not info.annotated:
        return []
    when = info.tagged_at
    if when is None:
        return ["the tag has no tagger date; re-create it with `git tag -a` or `gate tag`"]
    problems = []
    # `when - SKEW`, never `now + SKEW`: a tag may claim any date git can write, 9999 too;
    # the clock is compared, never shifted (gatekeeper/clock.py).
    if (made := shifted(when, -SKEW)) is not None and now < made:
        problems.append(f"the tag is dated {when.isoformat()}, in the future")
    if commit is not None and commit.committed_at and commit.committed_at - when > SKEW:
        problems.append(
            f"the tag is dated {when.isoformat()}, before the commit it tags "
            f"({commit.committed_at.isoformat()})"
        )
    late = [(at, path) for path, at in _record_times(records) if at - when > SKEW]
    if late:
        at, path = max(late)
        problems.append(
            f"the tag is dated {when.isoformat()}, before {path} it counts ({at.isoformat()})"
        )
    return problems


def _record_times(records: ReleaseRecords) -> list[tuple[str, datetime]]:
    times = [(path, s.at) for path, s in records.signoffs]
    times += [(e.path, e.manifest.at) for e in records.evidence]
    times += [(path, e.at) for path, e in records.emergencies]  # a waiver needs it first
    return times


def _dated(info: TagInfo) -> str:
    return f", dated {info.tagged_at.isoformat()}" if info.tagged_at else ""


def request_gate(
    records: ReleaseRecords,
    policy: Policy,
    chain: RequestChain | None,
    signer: Signer | None,
    missing: str = "",
) -> GateResult:
    """Filed, for this release, by its signed requester, as an unbroken chain of revisions,
    with a declared kind and component."""
    title = "Release request"
    request = records.request
    if request is None:
        reason = missing or f"{records.request_path} not found at {records.commit[:12]}"
        return GateResult("request", title, False, (reason,), path=records.request_path)
    problems = []
    if request.withdrawn is not None:
        problems.append(f"withdrawn by {request.requester}: {request.withdrawn}")
    if request.release != records.tag:
        problems.append(f"the request is for release '{request.release}', not '{records.tag}'")
    if chain is not None and chain.problem:
        problems.append(f"broken revision chain: {chain.problem}")
    if signer is None or signer.problem:
        why = signer.problem if signer else "no signer"
        problems.append(f"not counted: requested by '{request.requester}', but {why}")
    problems += [
        f"{p} (policy `kinds` / `components`)"
        for p in policy.undeclared(request.kind, request.component)
    ]
    mismatch = tagname.component_problem(records.tag, request.component, policy)
    problems += [mismatch] if mismatch else []
    mark = signer_mark(policy.signatures)
    ok = f"requested by {request.requester}{mark}, revision {request.revision}"
    return GateResult(
        "request", title, not problems, tuple(problems or [ok]), path=records.request_path
    )


def records_gate(lin: Lineage, left_behind: list[str]) -> GateResult:
    """Nothing committed under the release folder was deleted, edited or replaced, and
    nothing the trusted ref holds for the release was left out of the revision judged."""
    title = "Release records are append-only"
    if lin.violations or left_behind:
        reasons = [v.reason() for v in lin.violations] + left_behind
        reasons.append(
            "what to do: a changed record stays a change even when restored; add a new record "
            "instead (a new sign-off, a revoke, new evidence), or end the release with "
            "`gate request TAG --withdraw --reason ...` and use a new tag"
        )
        return GateResult("records", title, False, tuple(reasons))
    count = len(lin.added)
    return GateResult(
        "records", title, True, (f"{count} record files, none changed since committed",)
    )


UNREADABLE = "Release records can be read"


def unreadable_gate(problem: str, advice: str = "") -> GateResult:
    """A release whose records cannot be read fails; it never passes by being skipped."""
    reasons = (problem, advice) if advice else (problem,)
    return GateResult("records", UNREADABLE, False, reasons)
