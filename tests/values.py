"""Value objects built in memory for the rule and gate tests: no git, no files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gatekeeper.evidence.base import EvidenceItem
from gatekeeper.models.policy import Policy
from gatekeeper.models.records import EvidenceManifest, Request, Signoff
from gatekeeper.records.layout import ReleaseLayout
from gatekeeper.records.reading import ReleaseRecords
from gatekeeper.trust.facts import Facts, build_facts
from gatekeeper.trust.identity import Signer

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CANDIDATE = "c" * 40
DIGEST = "d" * 64
ROLES = {"product": ["alice"], "rnd": ["bob", "carol"], "pm": ["carol"], "leadership": ["erin"]}


def policy(**extra: Any) -> Policy:
    people = {p: {"email": f"{p}@example.com"} for p in ("alice", "bob", "carol", "dave", "erin")}
    doc: dict[str, Any] = {
        "schema": 1,
        "signatures": "none",
        "people": people,
        "roles": {name: {"members": members} for name, members in ROLES.items()},
        "gates": [{"id": "acceptance", "type": "approval", "roles": ["product", "rnd"]}],
    }
    return Policy.model_validate(doc | extra)


def request(**extra: Any) -> Request:
    doc = {
        "schema": 1,
        "release": "v1.0.0",
        "title": "t",
        "candidate": CANDIDATE,
        "requester": "dave",
        "requested_at": NOW - timedelta(days=2),
    }
    return Request.model_validate(doc | extra)


def signoff(person: str, role: str, decision: str = "approve", **extra: Any) -> Signoff:
    doc = {
        "schema": 1,
        "release": "v1.0.0",
        "role": role,
        "decision": decision,
        "person": person,
        "candidate": CANDIDATE,
        "request_sha256": DIGEST,
        "at": NOW - timedelta(hours=1),
    }
    return Signoff.model_validate(doc | extra)


def manifest(kind: str, person: str = "dave", **extra: Any) -> EvidenceManifest:
    doc = {
        "schema": 1,
        "release": "v1.0.0",
        "kind": kind,
        "person": person,
        "candidate": CANDIDATE,
        "request_sha256": DIGEST,
        "at": NOW - timedelta(hours=1),
    }
    return EvidenceManifest.model_validate(doc | extra)


def facts(
    the_policy: Policy,
    signoffs: list[Signoff],
    *,
    evidence: list[EvidenceItem] = (),  # type: ignore[assignment]
    signers: dict[str, Signer] | None = None,
    stale: list[str] = (),  # type: ignore[assignment]
    requesters: frozenset[str] = frozenset(),
    now: datetime = NOW,
) -> Facts:
    """Facts for `signoffs` (paths s0.toml, s1.toml... in list order), all signers proven
    unless `signers` says otherwise."""
    layout = ReleaseLayout("releases", "v1.0.0")
    paths = [layout.record("approval", f"s{n}.toml") for n in range(len(signoffs))]
    records = ReleaseRecords(
        layout,
        "0" * 40,
        request(),
        DIGEST,
        tuple(zip(paths, signoffs, strict=True)),
        tuple(evidence),
    )
    proven = {path: Signer(s.person, True) for path, s in zip(paths, signoffs, strict=True)}
    proven |= {e.path: Signer(e.manifest.person, True) for e in evidence}
    return build_facts(
        the_policy,
        request(),
        records,
        signers=proven | (signers or {}),
        stale=list(stale),
        reference_time=now,
        requesters=requesters,
    )


def ignored(f: Facts) -> dict[str, str]:
    """Record path -> why it does not count."""
    return {i.path: i.reason for i in f.ignored}


def standing(f: Facts) -> set[tuple[str, str, str]]:
    """(person, role, decision) of what stands."""
    return {(s.person, s.role, s.decision) for s in f.standing}
