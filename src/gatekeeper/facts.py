"""Release-level rules applied once, before any gate looks: what counts and why not.

The steps, in order: binding (release, candidate, request digest), signer, role
membership, one role per person, self-approval, revoke, TTL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gatekeeper.evidence.base import EvidenceItem

if TYPE_CHECKING:
    from gatekeeper.identity import Signer
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request
    from gatekeeper.release import ReleaseRecords


@dataclass(frozen=True)
class Standing:
    """A person's current decision in a role (after revokes and expiry)."""

    path: str
    person: str
    role: str
    decision: str
    at: datetime
    comment: str


@dataclass(frozen=True)
class Ignored:
    """A record that counts for nothing, and why."""

    path: str
    role_or_kind: str
    reason: str


@dataclass(frozen=True)
class Facts:
    """Everything gates decide on; built once per check."""

    policy: Policy
    request: Request
    requesters: frozenset[str]
    standing: tuple[Standing, ...]
    evidence: tuple[EvidenceItem, ...]
    ignored: tuple[Ignored, ...]
    stale: tuple[str, ...]
    reference_time: datetime

    @property
    def verified(self) -> bool:
        """Whether signers were proven (false in `signatures = "none"`)."""
        return self.policy.signatures != "none"

    def mark(self) -> str:
        """What every counted record's reason says about its signer."""
        return f" (verified: {self.policy.signatures})" if self.verified else " (unverified)"

    def stale_reason(self) -> str:
        """Why every record is stale: the paths that differ from the candidate."""
        shown = ", ".join(self.stale[:10]) + (" ..." if len(self.stale) > 10 else "")
        return (
            f"stale: the revision differs from candidate {self.request.candidate[:12]} in: {shown}"
        )


def build_facts(
    policy: Policy,
    request: Request,
    records: ReleaseRecords,
    *,
    signers: dict[str, Signer],
    stale: list[str],
    reference_time: datetime,
) -> Facts:
    """Apply the release-level rules to the records of `request`."""
    ignored: list[Ignored] = []
    requesters = {request.requester}
    request_signer = signers.get(records.request_path)
    if request_signer and request_signer.person:
        requesters.add(request_signer.person)
    binding = _Binding(records.tag, request.candidate, records.request_sha256 or "")
    standing = _standing(
        policy, records, signers, binding=binding, requesters=frozenset(requesters), ignored=ignored
    )
    standing = _unexpired(policy, standing, reference_time, ignored)
    evidence = _evidence(records, signers, binding, ignored)
    return Facts(
        policy=policy,
        request=request,
        requesters=frozenset(requesters),
        standing=tuple(standing),
        evidence=tuple(evidence),
        ignored=tuple(ignored),
        stale=tuple(stale),
        reference_time=reference_time,
    )


@dataclass(frozen=True)
class _Binding:
    """What every record must have been made for."""

    release: str
    candidate: str
    request_sha256: str

    def problem(self, release: str, candidate: str, digest: str) -> str | None:
        if release != self.release:
            return f"stale: signed for release '{release}', not '{self.release}'"
        if candidate != self.candidate:
            return (
                f"stale: signed for candidate {candidate[:12]}, "
                f"the request names {self.candidate[:12]}"
            )
        if digest != self.request_sha256:
            return "stale: request.toml was edited after this was signed"
        return None


def _standing(
    policy: Policy,
    records: ReleaseRecords,
    signers: dict[str, Signer],
    *,
    binding: _Binding,
    requesters: frozenset[str],
    ignored: list[Ignored],
) -> list[Standing]:
    held: dict[str, str] = {}  # person -> the one role they hold in this release
    state: dict[tuple[str, str], Standing] = {}
    for path, s in sorted(records.signoffs, key=lambda item: (item[1].at, item[0])):
        problem = signers[path].problem or binding.problem(s.release, s.candidate, s.request_sha256)
        if problem is None:
            problem = _role_problem(policy, s.person, s.role, held)
        self_approval = s.decision == "approve" and s.person in requesters
        if problem is None and self_approval and not policy.allow_self_approval:
            problem = f"{s.person} requested this release and may not approve it"
        if problem:
            ignored.append(Ignored(path, s.role, problem))
            continue
        held.setdefault(s.person, s.role)
        key = (s.person, s.role)
        if s.decision == "revoke":
            state.pop(key, None)
        else:
            state[key] = Standing(path, s.person, s.role, s.decision, s.at, s.comment)
    return list(state.values())


def _role_problem(policy: Policy, person: str, role: str, held: dict[str, str]) -> str | None:
    if role not in policy.roles:
        return f"unknown role '{role}'"
    if person not in policy.roles[role].members:
        return f"{person} is not a member of role '{role}'"
    if held.get(person, role) != role:
        return f"{person} already acts as '{held[person]}' in this release (one role per person)"
    return None


def _unexpired(
    policy: Policy, standing: list[Standing], now: datetime, ignored: list[Ignored]
) -> list[Standing]:
    ttl = policy.approval_ttl_days
    if ttl is None:
        return standing
    keep = []
    for item in standing:
        if item.decision == "approve" and now - item.at > timedelta(days=ttl):
            age = (now - item.at).days
            ignored.append(
                Ignored(item.path, item.role, f"expired: {age} days old, TTL {ttl} days")
            )
        else:
            keep.append(item)
    return keep


def _evidence(
    records: ReleaseRecords, signers: dict[str, Signer], binding: _Binding, ignored: list[Ignored]
) -> list[EvidenceItem]:
    items = []
    for ev in records.evidence:
        m = ev.manifest
        signer = signers[ev.path]
        problem = signer.problem or binding.problem(m.release, m.candidate, m.request_sha256)
        if problem is None and ev.problems:
            problem = "; ".join(ev.problems)
        if problem or signer.person is None:
            ignored.append(Ignored(ev.path, m.kind, problem or "no signer"))
            continue
        items.append(EvidenceItem(ev.path, m, ev.details, ev.attachments, signer.person))
    return items
