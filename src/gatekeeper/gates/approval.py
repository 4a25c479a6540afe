"""Approval gates: enough distinct people, in the right roles, and no standing rejection."""

from __future__ import annotations

from gatekeeper.models.gates import ApprovalGate
from gatekeeper.trust.facts import Facts


def evaluate(gate: ApprovalGate, facts: Facts) -> tuple[bool, list[str]]:
    """Count standing approvals per role (one person counts once) against `min_each`/`min`."""
    if facts.stale:
        return False, [facts.stale_reason()]
    mark = facts.mark()
    mine = [s for s in facts.standing if s.role in gate.roles]
    reasons = [
        f"rejected by {s.person} as {s.role}"
        + (f" (stands until {s.person} revokes it; {s.note})" if s.note else "")
        + (f": {s.comment}" if s.comment else "")
        for s in mine
        if s.decision == "reject"
    ]
    approvers: dict[str, str] = {}  # person -> role; a person counts once per gate
    for s in mine:
        if s.decision == "approve":
            approvers.setdefault(s.person, s.role)
    reasons += [f"approved by {person} as {role}{mark}" for person, role in approvers.items()]
    each = gate.required_each()
    short = []
    if each is not None:
        for role in gate.roles:
            got = sum(1 for r in approvers.values() if r == role)
            if got < each:
                short.append(f"role '{role}' has {got} of {each} approvals")
    elif len(approvers) < (gate.min or 0):
        short.append(f"{len(approvers)} of {gate.min} approvals from {', '.join(gate.roles)}")
    reasons += short
    reasons += [
        f"{i.path}: not counted: {i.reason}" for i in facts.ignored if i.role_or_kind in gate.roles
    ]
    passed = not short and not any(s.decision == "reject" for s in mine)
    return passed, reasons
