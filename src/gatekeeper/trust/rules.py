"""The rules that decide whether a record counts: one small step each, in order.

Like in-toto's verification, a record goes through the steps in order and the first
that fails says why it counts for nothing. `gate check` (through facts), `gate audit`
and the writing commands (refusing what could never count) call the same steps.

For an approval: 1 signer, 2 binding, 3 role membership, 4 one role per person,
5 not a requester; once standing: 6 not dated after the time judged, 7 TTL.
A rejection by a person of the policy needs none of them to stand (see facts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gatekeeper.instants import shifted

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.trust.identity import Signer

SKEW = timedelta(minutes=5)  # clocks differ; a record may be this far in the future


@dataclass(frozen=True)
class Binding:
    """What every record must have been made for."""

    release: str
    candidate: str
    request_sha256: str


def verify_signer(signer: Signer) -> str | None:
    """1. The record's signer is proven (or, in `none` mode, attributed) as the person."""
    return signer.problem


def verify_binding(binding: Binding, release: str, candidate: str, digest: str) -> str | None:
    """2. Made for this release, this candidate and the current request revision."""
    if release != binding.release:
        return f"stale: signed for release '{release}', not '{binding.release}'"
    if candidate != binding.candidate:
        return (
            f"stale: signed for candidate {candidate[:12]}, "
            f"the request names {binding.candidate[:12]}"
        )
    if digest != binding.request_sha256:
        return "stale: request.toml was edited after this was signed"
    return None


def verify_revoke(
    binding: Binding, revisions: frozenset[str], release: str, candidate: str, digest: str
) -> str | None:
    """2'. A revoke lifts a decision on this release: made for it and for one of its
    request's committed revisions (a revision later does not undo it); a revoke signed for
    another release, copied in, lifts nothing."""
    if release != binding.release:
        return f"a revoke signed for release '{release}', not '{binding.release}'"
    if digest not in revisions:
        return f"a revoke signed for a request this release never had (candidate {candidate[:12]})"
    return None


def verify_role(
    policy: Policy, person: str, role: str, held: frozenset[str] | None = None
) -> str | None:
    """3. The role exists and the person holds it (`held`: the roles the policy of the day
    a record made after the tag landed gives them, which decides for it: trust/later.py)."""
    if role not in policy.roles:
        return f"unknown role '{role}'"
    if held is not None:
        return (
            None
            if role in held
            else (
                f"{person} did not hold role '{role}' in the policy when this record landed "
                "(made after the tag: the line's policy of that day decides who may settle)"
            )
        )
    if person not in policy.roles[role].members:
        return f"{person} is not a member of role '{role}'"
    return None


def verify_one_role(held: dict[str, str], person: str, role: str) -> str | None:
    """4. One person acts in one role per release (`held`: person -> role so far)."""
    if held.get(person, role) != role:
        return f"{person} already acts as '{held[person]}' in this release (one role per person)"
    return None


def verify_not_requester(policy: Policy, person: str, requesters: frozenset[str]) -> str | None:
    """5. Whoever requested (or committed the request) does not approve it."""
    if person in requesters and not policy.allow_self_approval:
        return f"{person} requested this release and may not approve it"
    return None


def verify_not_future(at: datetime, now: datetime) -> str | None:
    """6. A record counts only once made: not dated after the time judged."""
    # The clock compared with a time, never shifted (gatekeeper/clock.py); `at - SKEW` rather
    # than `now + SKEW`: no date is too late to compare.
    if (made := shifted(at, -SKEW)) is not None and now < made:
        return f"dated {at.isoformat()}, after the time judged ({now.isoformat()})"
    return None


def verify_fresh(policy: Policy, at: datetime, now: datetime) -> str | None:
    """7. An approval expires `approval_ttl_days` after it was made."""
    ttl = policy.approval_ttl_days
    expires = shifted(at, timedelta(days=ttl)) if ttl is not None else None
    if expires is not None and now > expires:
        return f"expired: {(now - at).days} days old, TTL {ttl} days"
    return None


def approval_problem(
    policy: Policy,
    *,
    signer: Signer,
    binding: Binding,
    made_for: tuple[str, str, str],
    person: str,
    role: str,
    requesters: frozenset[str],
    held: dict[str, str],
) -> str | None:
    """Steps 1-5 in order: why an approval counts for nothing, or None."""
    return (
        verify_signer(signer)
        or verify_binding(binding, *made_for)
        or verify_role(policy, person, role, signer.roles)
        or verify_one_role(held, person, role)
        or verify_not_requester(policy, person, requesters)
    )


def standing_problem(policy: Policy, at: datetime, now: datetime) -> str | None:
    """Steps 6-7 for a standing approval, at the time judged."""
    return verify_not_future(at, now) or verify_fresh(policy, at, now)
