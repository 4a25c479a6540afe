"""Sign-offs applied in order: who holds which role, which decisions stand.

Those in the tagged commit first, then those made after it (trust/later.py), each by
date; a rejection stands until its author revokes it, an approval never lifts it, and
one person acts in one role per release.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.trust.facts import Ignored, Standing
from gatekeeper.trust.rules import (
    Binding,
    approval_problem,
    verify_binding,
    verify_one_role,
    verify_revoke,
    verify_role,
    verify_signer,
)

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Signoff
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.trust.identity import Signer


@dataclass
class _Ledger:
    """Sign-offs applied in time order: who holds which role, what stands."""

    held: dict[str, str] = field(default_factory=dict)  # person -> their one role
    approvals: dict[tuple[str, str], Standing] = field(default_factory=dict)
    rejects: dict[tuple[str, str], Standing] = field(default_factory=dict)  # approvals don't lift

    def reject(self, item: Standing, role_ok: bool) -> None:
        self.rejects[(item.person, item.role)] = item
        if role_ok:
            self.held.setdefault(item.person, item.role)

    def revoke(self, person: str, role: str, *, frees: bool = True) -> None:
        self.approvals.pop((person, role), None)
        self.rejects.pop((person, role), None)
        if frees and not any(p == person for p, _ in self.approvals | self.rejects):
            self.held.pop(person, None)  # a revoke frees the role

    def approve(self, item: Standing) -> None:
        self.held.setdefault(item.person, item.role)
        self.approvals[(item.person, item.role)] = item


def standing_of(
    policy: Policy,
    records: ReleaseRecords,
    signers: dict[str, Signer],
    *,
    binding: Binding,
    revisions: frozenset[str],
    requesters: frozenset[str],
    ignored: list[Ignored],
    holders: dict[str, str],
) -> list[Standing]:
    ledger = _Ledger()
    shipped: dict[str, str] | None = None  # who held which role when the tag was made
    for path, s in sorted(records.signoffs, key=lambda item: _in_order(signers, *item)):
        item = Standing(
            path=path, person=s.person, role=s.role, decision=s.decision, at=s.at, comment=s.comment
        )
        made_for = (s.release, s.candidate, s.request_sha256)
        later = signers[path].roles is not None  # made after the tag (trust/later.py)
        if later and shipped is None:
            shipped = dict(ledger.held)
        # A rejection stands by a person the deciding policy knows, whatever its signature.
        known = signers[path].known if later else s.person in policy.people
        if s.decision == "reject" and known:
            note = verify_signer(signers[path]) or verify_binding(binding, *made_for) or ""
            role_ok = not (
                verify_role(policy, s.person, s.role, signers[path].roles)
                or verify_one_role(ledger.held, s.person, s.role)
            )
            ledger.reject(replace(item, note=note), role_ok)
            continue
        if s.decision == "revoke":  # only its author lifts a decision, and only in this release
            problem = verify_signer(signers[path]) or verify_revoke(binding, revisions, *made_for)
        else:
            problem = approval_problem(
                policy,
                signer=signers[path],
                binding=binding,
                made_for=made_for,
                person=s.person,
                role=s.role,
                requesters=requesters,
                held=ledger.held,
            )
        if problem:
            ignored.append(Ignored(path=path, role_or_kind=s.role, reason=problem))
        elif s.decision == "revoke":  # one made after the tag frees no role that shipped
            took = shipped is not None and ledger.held.get(s.person) == shipped.get(s.person)
            ledger.revoke(s.person, s.role, frees=not (later and took))
        else:
            ledger.approve(item)
    holders.update(ledger.held)
    return [*ledger.rejects.values(), *ledger.approvals.values()]


def _in_order(signers: dict[str, Signer], path: str, s: Signoff) -> tuple[bool, datetime, str]:
    """Sign-offs by their date, those in the tagged commit first: a record made after the
    tag, however it is dated, never takes a role ahead of one the release shipped with."""
    return signers[path].roles is not None, s.at, path
