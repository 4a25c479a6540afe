"""Release-level rules applied once, before any gate looks: what counts and why not.

The steps, in order: binding (release, candidate, request digest), signer, role
membership, one role per person, self-approval, revoke, TTL, not dated in the future.

Negative records are harder to lose than positive ones: a rejection by a person of the
policy stands, whatever its binding or signature, until a revoke that *is* attributed
to that person cancels it; only such a revoke frees the role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.evidence.base import EvidenceItem
from gatekeeper.trust.rules import (
    Binding,
    standing_problem,
)

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.trust.identity import Signer


@dataclass(frozen=True)
class Standing:
    """A person's current decision in a role (after revokes and expiry)."""

    path: str
    person: str
    role: str
    decision: str
    at: datetime
    comment: str
    note: str = ""  # why a standing rejection could not be verified or bound


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
    holders: Mapping[str, str] = field(default_factory=dict)  # person -> the role they hold
    # The time judged is the tag's own date (the scheduled re-check): a claim of a clock
    # the tag check let be up to SKEW off, so the calendar gives it that much either way.
    tag_dated: bool = False
    filed_at: datetime | None = None  # when the request was filed (its first revision)
    # Per lead-time gate: when it was filed as a request the gate applies to (check/applies).
    lead_filed: Mapping[str, datetime] = field(default_factory=dict)
    # Paths the candidate changes since the previous release of its component (None: none).
    changed_since: tuple[str, ...] | None = None
    # Overdue post-release gates of earlier releases: (release, gate id, why).
    overdue: tuple[tuple[str, str, str], ...] = ()
    # Valid emergency declarations: (person, reason, ticket), distinct people.
    emergency: tuple[tuple[str, str, str], ...] = ()

    @property
    def verified(self) -> bool:
        """Whether signers were proven (false in `signatures = "none"`)."""
        return self.policy.signatures != "none"

    def mark(self) -> str:
        """What every counted record's reason says about its signer."""
        return signer_mark(self.policy.signatures)

    def waiting_on(self, roles: list[str], done: set[str]) -> list[tuple[str, str]]:
        """(person, role) who could still approve in `roles`: members who did not request
        the release, hold no other role in it, and have not approved (`done`)."""
        return [
            (person, role)
            for role in roles
            for person in self.policy.roles[role].members
            if person not in self.requesters
            and self.holders.get(person, role) == role
            and person not in done
        ]

    def stale_reason(self) -> str:
        """Why every record is stale: the paths that differ from the candidate."""
        shown = ", ".join(self.stale[:10]) + (" ..." if len(self.stale) > 10 else "")
        tag = self.request.release
        return (
            f"stale: the revision differs from candidate {self.request.candidate[:12]} in: {shown}"
            f" — either tag a commit whose files, release records aside, are the candidate's,"
            f" or `gate request {tag} --revise --candidate HEAD` and approve again"
            " (the policy's `binding.ignore` can exempt paths such as docs/**)"
        )


def signer_mark(signatures: str) -> str:
    """What a counted record's reason says about its signer in this signature mode."""
    return f" (verified: {signatures})" if signatures != "none" else " (unverified)"


def build_facts(
    policy: Policy,
    request: Request,
    records: ReleaseRecords,
    *,
    signers: dict[str, Signer],
    stale: list[str],
    reference_time: datetime,
    tag_dated: bool = False,
    requesters: frozenset[str] = frozenset(),
    filed_at: datetime | None = None,
    lead_filed: Mapping[str, datetime] | None = None,
    revisions: frozenset[str] = frozenset(),
    changed_since: tuple[str, ...] | None = None,
    overdue: tuple[tuple[str, str, str], ...] = (),
) -> Facts:
    """Apply the release-level rules to the records of `request` (`revisions`: the sha256
    of each committed version of it, which a revoke may have been made for)."""
    from gatekeeper.trust.counted import counted_evidence, declarations
    from gatekeeper.trust.ledger import standing_of

    ignored: list[Ignored] = []
    request_signer = signers.get(records.request_path)
    signer = {request_signer.person} if request_signer and request_signer.person else set()
    requesters = frozenset({request.requester, *requesters, *signer})
    binding = Binding(records.tag, request.candidate, records.request_sha256 or "")
    holders: dict[str, str] = {}
    standing = standing_of(
        policy,
        records,
        signers,
        binding=binding,
        revisions=revisions | {binding.request_sha256},
        requesters=requesters,
        ignored=ignored,
        holders=holders,
    )
    standing = _current(policy, standing, reference_time, ignored)
    evidence = counted_evidence(records, signers, binding, ignored, reference_time)
    emergency = declarations(
        policy,
        records,
        signers,
        binding=binding,
        now=reference_time,
        ignored=ignored,
        requesters=requesters,
    )
    return Facts(
        policy=policy,
        request=request,
        requesters=requesters,
        standing=tuple(standing),
        evidence=tuple(evidence),
        ignored=tuple(ignored),
        stale=tuple(stale),
        reference_time=reference_time,
        tag_dated=tag_dated,
        holders=holders,
        filed_at=filed_at,
        lead_filed=lead_filed or {},
        changed_since=changed_since,
        overdue=overdue,
        emergency=emergency,
    )


def _current(
    policy: Policy, standing: list[Standing], now: datetime, ignored: list[Ignored]
) -> list[Standing]:
    """Approvals count once made and until they expire; rejections always stand."""
    keep = []
    for item in standing:
        problem = standing_problem(policy, item.at, now) if item.decision == "approve" else None
        if problem:
            ignored.append(Ignored(path=item.path, role_or_kind=item.role, reason=problem))
        else:
            keep.append(item)
    return keep
