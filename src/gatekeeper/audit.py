"""`gate audit`: the git history of the release records, read as an approval log.

One streamed `git log` pass over `releases/`; memory grows with the number of
records, not commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import Change, GitRepo

MARKERS = ("request.toml", "approvals", "evidence")


@dataclass(frozen=True)
class AuditEntry:
    """A sign-off as history shows it."""

    path: str
    role: str
    person: str
    decision: str
    commit: str
    author: str
    time: str
    verified: bool
    problem: str | None


@dataclass(frozen=True)
class Anomaly:
    """Something an auditor must look at."""

    kind: str
    path: str
    commit: str
    message: str


@dataclass
class ReleaseLog:
    """Everything history says about one release."""

    release: str
    requester: str | None = None
    request_commit: str | None = None
    approvals: list[AuditEntry] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The shape documented in docs/json.md."""
        from dataclasses import asdict

        return {
            "release": self.release,
            "requester": self.requester,
            "request_commit": self.request_commit,
            "approvals": [asdict(a) for a in self.approvals],
            "anomalies": [asdict(a) for a in self.anomalies],
        }


def release_of(path: str, releases: str) -> str | None:
    """`releases/billing/v2.3.1/approvals/x.toml` -> `billing/v2.3.1`."""
    parts = path.split("/")
    if parts[0] != releases:
        return None
    for i, part in enumerate(parts[1:], start=1):
        if part in MARKERS:
            return "/".join(parts[1:i]) or None
    return None


def audit(repo: GitRepo, rev: str, policy: Policy, only: str | None = None) -> list[ReleaseLog]:
    """Walk history once and build each release's log, oldest record first."""
    events: dict[str, list[Change]] = {}
    age: dict[str, int] = {}  # how far back in the log each record was added
    for n, change in enumerate(repo.history(rev, policy.releases)):
        tag = release_of(change.path, policy.releases)
        if tag is not None and (only is None or tag == only):
            events.setdefault(change.path, []).append(change)
            age[change.path] = n
    logs: dict[str, ReleaseLog] = {}
    for path in sorted(events, key=lambda p: -age[p]):
        tag = release_of(path, policy.releases) or ""
        log = logs.setdefault(tag, ReleaseLog(tag))
        _record(repo, policy, log, path, list(reversed(events[path])))
    return [logs[tag] for tag in sorted(logs)]


def _record(
    repo: GitRepo, policy: Policy, log: ReleaseLog, path: str, changes: list[Change]
) -> None:
    """One record's history, oldest first: its add, then any edit or deletion (anomalies)."""
    added = changes[0]
    for later in changes[1:]:
        verb = {"D": "deleted", "A": "re-added"}.get(later.status, "edited")
        log.anomalies.append(
            Anomaly(
                f"record-{verb}",
                path,
                later.commit,
                f"{verb} by {later.author_email} after it was added in {added.commit[:12]}",
            )
        )
    if added.status != "A" or not path.endswith(".toml"):
        return
    if path.endswith("/request.toml"):
        _request(repo, log, path, added)
    elif "/approvals/" in path:
        _signoff(repo, policy, log, path, added)


def _request(repo: GitRepo, log: ReleaseLog, path: str, added: Change) -> None:
    from gatekeeper.errors import InputError
    from gatekeeper.models.records import Request
    from gatekeeper.release import parse_record

    try:
        request = parse_record(Request, repo.blob_at(added.commit, path), path)
    except InputError as exc:
        log.anomalies.append(Anomaly("record-invalid", path, added.commit, exc.message))
        return
    log.requester, log.request_commit = request.requester, added.commit


def _signoff(repo: GitRepo, policy: Policy, log: ReleaseLog, path: str, added: Change) -> None:
    from gatekeeper.errors import InputError
    from gatekeeper.identity import Claim, Provenance, verify_claims
    from gatekeeper.models.records import Signoff
    from gatekeeper.release import parse_record

    try:
        s = parse_record(Signoff, repo.blob_at(added.commit, path), path)
    except InputError as exc:
        log.anomalies.append(Anomaly("record-invalid", path, added.commit, exc.message))
        return
    claim = Claim(s.person, s, s.signature)
    signer = verify_claims(repo, policy, {path: claim}, Provenance({path: added}, {}))[path]
    verified = signer.problem is None and signer.verified
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
            signer.problem,
        )
    )
    if signer.problem:
        log.anomalies.append(Anomaly("signer-unverified", path, added.commit, signer.problem))
    role = policy.roles.get(s.role)
    if role is None or s.person not in role.members:
        log.anomalies.append(
            Anomaly(
                "signer-not-in-role",
                path,
                added.commit,
                f"{s.person} is not a member of '{s.role}'",
            )
        )
    if s.decision == "approve" and s.person == log.requester and not policy.allow_self_approval:
        log.anomalies.append(
            Anomaly("self-approval", path, added.commit, f"{s.person} approved their own request")
        )
