"""Running one policy gate: does it apply, its verdict, and a post-release deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gatekeeper.check.report import GateResult

if TYPE_CHECKING:
    from gatekeeper.models.policy import Gate
    from gatekeeper.repo import TagInfo
    from gatekeeper.trust.facts import Facts


def run_gate(
    gate: Gate, facts: Facts, stage: str, info: TagInfo | None, now: datetime, *, path: str
) -> GateResult:
    from gatekeeper.check.applies import not_applicable
    from gatekeeper.gates import evaluate

    title = gate.title or gate.id
    skip = not_applicable(gate, facts.request, stage, facts.changed_since)
    if skip:
        return GateResult(gate.id, title, True, (skip,), applies=False, stage=gate.stage)
    verdict = evaluate(gate, facts)
    passed, reasons = verdict.passed, list(verdict.reasons)
    pending = waived = False
    due = due_after(info, gate.due_hours) if gate.stage == "post-release" else None
    if not passed and gate.stage == "post-release":
        passed, reasons = deadline(info, due, now, reasons)
        pending = passed
    elif not passed and _waivable(gate, facts):
        passed = waived = True
        reasons = [_waiver(gate, facts), *reasons]
    return GateResult(
        gate.id,
        title,
        passed,
        tuple(reasons),
        stage=gate.stage,
        path=path,
        waiting_on=() if passed else verdict.waiting_on,
        next=() if verdict.passed else verdict.next,  # pending and waived gates too
        pending=pending,
        waived=waived,
        due=due,
    )


def _waivable(gate: Gate, facts: Facts) -> bool:
    """An emergency waives a failing pre-tag gate: enough declarers, not `never_waive`."""
    emergency = facts.policy.emergency
    if emergency is None or gate.id in emergency.never_waive:
        return False
    return len(facts.emergency) >= max(emergency.min, 1)


def _waiver(gate: Gate, facts: Facts) -> str:
    from gatekeeper.check.retro import settles_later

    who = "; ".join(
        f"{person}: {reason}" + (f" ({ticket})" if ticket else "")
        for person, reason, ticket in facts.emergency
    )
    if not settles_later(gate):
        return f"waived by an emergency ({who})"
    hours = facts.policy.emergency.retro_hours if facts.policy.emergency else 0
    return f"waived by an emergency ({who}); due again within {hours} h of the tag"


def due_after(info: TagInfo | None, hours: int | None) -> datetime | None:
    """When an obligation `hours` after the tag is due (None: untagged, undated or no
    deadline)."""
    if info is None or info.tagged_at is None or hours is None:
        return None
    return info.tagged_at + timedelta(hours=hours)


def deadline(
    info: TagInfo | None, due: datetime | None, now: datetime, reasons: list[str]
) -> tuple[bool, list[str]]:
    """A post-release obligation fails only once it is overdue (no due time: at once)."""
    if info is None or info.tagged_at is None:
        return True, ["pending: the release is not tagged yet", *reasons]
    if due is None:
        return False, reasons
    if now < due:
        return True, [f"pending: due by {due.isoformat()}", *reasons]
    return False, [f"overdue since {due.isoformat()}", *reasons]
