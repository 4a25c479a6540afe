"""One record's history: its add, later edits, deletions and merge rewrites, its signer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatekeeper.audit.model import Anomaly, AuditEntry, Event, ReleaseLog
from gatekeeper.evidence import kind_named
from gatekeeper.records.layout import classify
from gatekeeper.trust.rules import verify_not_requester, verify_role

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import EmergencyDeclaration, EvidenceManifest, Request, Signoff
    from gatekeeper.repo import Change, GitRepo

    Record = Request | Signoff | EvidenceManifest | EmergencyDeclaration


def changes_anomalies(path: str, changes: list[Change]) -> tuple[Change | None, list[Anomaly]]:
    """The adding change (oldest first) and anomalies for every later change of the file.

    A merge that brings the same content in is not a change; a merge that brings
    different content is a rewrite hidden in a merge.
    """
    anomalies: list[Anomaly] = []
    added: Change | None = None
    blob = ""
    for change in changes:
        if added is None:
            if change.status == "A":
                added, blob = change, change.blob
            continue
        if change.merge and change.blob == blob:
            continue
        if change.merge:
            kind, verb = "record-rewritten-in-merge", "rewritten in a merge"
        else:
            kind, verb = {
                "D": ("record-deleted", "deleted"),
                "A": ("record-re-added", "re-added"),
            }.get(change.status, ("record-edited", "edited"))
        anomalies.append(
            Anomaly(
                kind,
                path,
                change.commit,
                f"{verb} by {change.author_email} after it was added in {added.commit[:12]}",
            )
        )
        blob = change.blob
    return added, anomalies


def record_event(
    repo: GitRepo,
    policy: Policy | None,
    log: ReleaseLog,
    path: str,
    added: Change,
    *,
    releases: str,
    seq: int = 0,
    off_default: bool = False,
) -> None:
    """Parse the record as added, verify its signer under `policy`, add events/anomalies
    (`off_default`: that policy never was on the default branch's first-parent line, so
    a signer it verifies may be someone nobody reviewed it for: a key slipped into one
    commit and taken out again. The auditor is told; the signature itself verified)."""
    from gatekeeper.audit.exceptions import emergency_event
    from gatekeeper.errors import GateError
    from gatekeeper.models.records import EmergencyDeclaration, Request, Signoff

    record = None
    try:
        record = _parse(repo, path, added, releases)
    except GateError as exc:
        log.anomalies.append(Anomaly("record-invalid", path, added.commit, exc.message))
    if record is None:
        return
    if isinstance(record, Request):
        _request(log, path, record, added, seq)
        return
    verified, problem = _verify(repo, policy, path, record, added)
    if verified and off_default:
        log.anomalies.append(
            Anomaly(
                "policy-off-default-branch",
                path,
                added.commit,
                f"its signer was verified under the policy at {added.commit[:12]}, which was "
                "never on the default branch's first-parent line: a key or person slipped "
                "into a branch's policy (and out again), or the default branch's own history "
                "merged in second by a `git pull` merge",
            )
        )
    if isinstance(record, Signoff):
        _signoff(policy, log, path, record, added, verified=verified, problem=problem, seq=seq)
    elif isinstance(record, EmergencyDeclaration):
        emergency_event(log, path, record, added, verified=verified, seq=seq)
    else:
        _evidence(log, path, record, added, verified=verified, seq=seq)
    if problem:
        log.anomalies.append(Anomaly("signer-unverified", path, added.commit, problem))


_KINDS = frozenset({"request", "approval", "evidence", "emergency"})


def is_record(path: str, releases: str) -> bool:
    """Whether the file is a record (attachments and other files are not parsed)."""
    found = classify(path, releases)
    return found is not None and found.kind in _KINDS


def _parse(repo: GitRepo, path: str, added: Change, releases: str) -> Record | None:
    """The record as it was added (None for files that are not records)."""
    from gatekeeper.models.records import EmergencyDeclaration, EvidenceManifest, Request, Signoff
    from gatekeeper.records.reading import parse_record

    found = classify(path, releases)
    models: dict[str, type[Record]] = {
        "request": Request,
        "approval": Signoff,
        "evidence": EvidenceManifest,
        "emergency": EmergencyDeclaration,
    }
    model = models.get(found.kind) if found else None
    return parse_record(model, repo.read_object(added.blob, path), path) if model else None


def _request(log: ReleaseLog, path: str, record: Request, added: Change, seq: int) -> None:
    log.requester, log.request_commit = record.requester, added.commit
    log.requested_at, log.candidate = added.authored_at, record.candidate
    log.title, log.kind, log.risk = record.title, record.kind, record.risk
    log.component, log.summary = record.component, record.summary
    detail = f"{record.kind}, risk {record.risk}: {record.title}"
    log.events.append(
        Event(
            time=added.authored_at,
            kind="request",
            path=path,
            commit=added.commit,
            person=record.requester,
            detail=detail,
            seq=seq,
        )
    )


def _evidence(
    log: ReleaseLog,
    path: str,
    record: EvidenceManifest,
    added: Change,
    *,
    verified: bool,
    seq: int,
) -> None:
    spec = kind_named(record.kind)
    kind = "post-release" if spec.stage == "post-release" else "evidence"
    kind = "rollback" if spec.marks == "rolled back" else kind
    log.events.append(
        Event(
            time=added.authored_at,
            kind=kind,
            path=path,
            commit=added.commit,
            person=record.person,
            detail=record.kind,
            verified=verified,
            seq=seq,
            facts=details_lines(record.details),
        )
    )


def details_lines(details: dict[str, Any]) -> tuple[str, ...]:
    """What an evidence record states, one `key: value` line per detail, as recorded."""
    lines = ((key.replace("_", " "), _value(value)) for key, value in details.items())
    return tuple(f"{key}: {value}" for key, value in lines if value)


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(_value(v) for v in value.values())
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value)
    return str(value)


def _verify(
    repo: GitRepo,
    policy: Policy | None,
    path: str,
    record: Signoff | EvidenceManifest | EmergencyDeclaration,
    added: Change,
) -> tuple[bool, str | None]:
    from gatekeeper.trust.identity import Claim, attribute

    if policy is None:
        return False, "no valid policy was in force when it was added"
    claim = Claim(record.person, record, record.signature, (added.commit,))
    signer = attribute(repo, policy, {path: claim})[path]
    return signer.problem is None and signer.verified, signer.problem


def _signoff(
    policy: Policy | None,
    log: ReleaseLog,
    path: str,
    s: Signoff,
    added: Change,
    *,
    verified: bool,
    problem: str | None,
    seq: int,
) -> None:
    log.approvals.append(
        AuditEntry(
            path,
            s.role,
            s.person,
            s.decision,
            added.commit,
            added.author_email,
            added.authored_at.isoformat(),
            verified,
            problem,
            comment=s.comment,
        )
    )
    log.events.append(
        Event(
            time=added.authored_at,
            kind="signoff",
            path=path,
            commit=added.commit,
            person=s.person,
            detail=f"{s.decision} as {s.role}",
            verified=verified,
            seq=seq,
            comment=s.comment,
        )
    )
    if policy is None or verify_role(policy, s.person, s.role):
        log.anomalies.append(
            Anomaly(
                "signer-not-in-role",
                path,
                added.commit,
                f"{s.person} was not a member of '{s.role}' when it was added",
            )
        )
    requesters = frozenset({log.requester} if log.requester else ())
    if (
        s.decision == "approve"
        and policy is not None
        and verify_not_requester(policy, s.person, requesters)
    ):
        log.anomalies.append(
            Anomaly("self-approval", path, added.commit, f"{s.person} approved their own request")
        )
