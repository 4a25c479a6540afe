"""Approval gates: enough distinct people, in the right roles, and no standing rejection."""

from __future__ import annotations

from gatekeeper.gates.verdict import Verdict
from gatekeeper.models.gates import ApprovalGate
from gatekeeper.trust.facts import Facts, Standing


def evaluate(gate: ApprovalGate, facts: Facts) -> Verdict:
    """Count standing approvals per role (one person counts once) against `min_each`/`min`;
    say who could still unblock it."""
    if facts.stale:
        return Verdict(False, (facts.stale_reason(),))
    mine = [s for s in facts.standing if s.role in gate.roles]
    rejects = [s for s in mine if s.decision == "reject"]
    approvers: dict[str, str] = {}  # person -> role; a person counts once per gate
    for s in mine:
        if s.decision == "approve":
            approvers.setdefault(s.person, s.role)
    short = _short(gate, approvers)
    waiting = [(s.person, s.role) for s in rejects] or (
        facts.waiting_on(_roles_short(gate, approvers), set(approvers)) if short else []
    )
    reasons = [rejected(s) for s in rejects]
    reasons += [f"approved by {p} as {r}{facts.mark()}" for p, r in approvers.items()]
    if short and not rejects:
        reasons += _nobody_left(facts, _roles_short(gate, approvers), approvers, waiting)
    reasons += short + _waiting_line(waiting, revoke=bool(rejects))
    reasons += [
        f"{i.path}: not counted: {i.reason}" for i in facts.ignored if i.role_or_kind in gate.roles
    ]
    return Verdict(not short and not rejects, tuple(reasons), tuple(waiting))


def rejected(s: Standing) -> str:
    """`rejected by erin as leadership: not now`, and why it stands."""
    note = f" (stands until {s.person} revokes it; {s.note})" if s.note else ""
    return f"rejected by {s.person} as {s.role}{note}" + (f": {s.comment}" if s.comment else "")


def _short(gate: ApprovalGate, approvers: dict[str, str]) -> list[str]:
    each = gate.required_each()
    if each is None:
        got = len(approvers)
        return (
            []
            if got >= (gate.min or 0)
            else [f"{got} of {gate.min} approvals from {', '.join(gate.roles)}"]
        )
    counts = {role: sum(1 for r in approvers.values() if r == role) for role in gate.roles}
    return [f"role '{r}' has {n} of {each} approvals" for r, n in counts.items() if n < each]


def _roles_short(gate: ApprovalGate, approvers: dict[str, str]) -> list[str]:
    each = gate.required_each()
    if each is None:
        return list(gate.roles)
    return [r for r in gate.roles if sum(1 for a in approvers.values() if a == r) < each]


def _nobody_left(
    facts: Facts, roles: list[str], approvers: dict[str, str], waiting: list[tuple[str, str]]
) -> list[str]:
    """A role short of approvals that none of its members may still give: say why, and
    that only the policy can change it (a team's first release, its one product member
    the requester, would otherwise wait on nobody, told nothing)."""
    out = []
    for role in roles:
        if any(r == role for _, r in waiting):
            continue
        members = facts.policy.roles[role].members
        why = [
            f"{m} requested it" if m in facts.requesters else f"{m} signs as {facts.holders[m]}"
            for m in members
            if m not in approvers and (m in facts.requesters or m in facts.holders)
        ]
        said = "; ".join(why) if why else "it has no other member"
        out.append(
            f"nobody left to approve as '{role}' ({said}): add a member to [roles.{role}] "
            "in the policy"
        )
    return out


def _waiting_line(waiting: list[tuple[str, str]], *, revoke: bool) -> list[str]:
    """`waiting on: bob or carol (rnd)`, one line for all roles."""
    if not waiting:
        return []
    by_role: dict[str, list[str]] = {}
    for person, role in waiting:
        by_role.setdefault(role, []).append(person)
    parts = [f"{' or '.join(people)} ({role})" for role, people in by_role.items()]
    return [f"waiting on: {'; '.join(parts)}" + (" to revoke the rejection" if revoke else "")]
