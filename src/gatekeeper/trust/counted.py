"""Which emergency declarations and evidence manifests count, and why the others don't:
a proven signer, bound to this request, not dated after the time judged."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from gatekeeper.trust.facts import Ignored
from gatekeeper.trust.rules import (
    verify_binding,
    verify_not_future,
    verify_not_requester,
    verify_signer,
)

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.evidence.base import EvidenceItem
    from gatekeeper.models.policy import Policy
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.trust.identity import Signer
    from gatekeeper.trust.rules import Binding


def declarations(
    policy: Policy,
    records: ReleaseRecords,
    signers: dict[str, Signer],
    *,
    binding: Binding,
    now: datetime,
    ignored: list[Ignored],
    requesters: frozenset[str] = frozenset(),
) -> tuple[tuple[str, str, str], ...]:
    """Emergency declarations that count: proven signer, bound to this request, made by a
    holder of an emergency role who did not request the release (a waiver of every
    sign-off is an approval by another name), not dated after the time judged; one per
    person."""
    roles = policy.emergency.roles if policy.emergency else []
    found: dict[str, tuple[str, str, str]] = {}
    for path, e in sorted(records.emergencies, key=lambda item: item[1].at):
        problem = (
            verify_signer(signers[path])
            or verify_binding(binding, e.release, e.candidate, e.request_sha256)
            or verify_not_future(e.at, now)
            or _declarer_problem(policy, e.person, roles)
            or verify_not_requester(policy, e.person, requesters)
        )
        if problem:
            ignored.append(Ignored(path=path, role_or_kind="emergency", reason=problem))
        else:
            found.setdefault(e.person, (e.person, e.reason, e.ticket))
    return tuple(found.values())


def _declarer_problem(policy: Policy, person: str, roles: list[str]) -> str | None:
    if not roles:
        return "the policy has no [emergency] table"
    if not policy.roles_of(person) & set(roles):
        return f"{person} holds none of the emergency roles ({', '.join(roles)})"
    return None


def counted_evidence(
    records: ReleaseRecords,
    signers: dict[str, Signer],
    binding: Binding,
    ignored: list[Ignored],
    now: datetime,
) -> list[EvidenceItem]:
    items = []
    for ev in records.evidence:
        m = ev.manifest
        signer = signers[ev.path]
        problem = (
            verify_signer(signer)
            or verify_binding(binding, m.release, m.candidate, m.request_sha256)
            or verify_not_future(m.at, now)
        )
        if problem is None and ev.problems:
            problem = "; ".join(ev.problems)
        if problem or signer.person is None:
            ignored.append(
                Ignored(path=ev.path, role_or_kind=m.kind, reason=problem or "no signer")
            )
            continue
        items.append(replace(ev, person=signer.person, roles=signer.roles))
    return items
