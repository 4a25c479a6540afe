"""Running one policy gate: does it apply, its verdict, and a post-release deadline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gatekeeper.check.report import GateResult
from gatekeeper.gates.verdict import Verdict

if TYPE_CHECKING:
    from gatekeeper.models.policy import Gate
    from gatekeeper.models.records import Request
    from gatekeeper.repo import TagInfo
    from gatekeeper.trust.facts import Facts


def run_gate(
    gate: Gate,
    facts: Facts,
    stage: str,
    info: TagInfo | None,
    now: datetime,
    *,
    path: str,
    shipped: frozenset[str] = frozenset(),
    as_tagged: Request | None = None,
) -> GateResult:
    """One gate's verdict (`shipped`: the release folder's paths at the tagged commit;
    `as_tagged`: the request there, which says what a shipped release owes, whatever it
    was revised to since)."""
    from gatekeeper.check.applies import not_applicable
    from gatekeeper.gates import evaluate

    title = gate.title or gate.id
    skip = not_applicable(gate, as_tagged or facts.request, stage, facts.changed_since)
    rejected = rejections(gate, facts) if skip and gate.stage == stage else []
    if skip and not rejected:
        return GateResult(gate.id, title, True, (skip,), applies=False, stage=gate.stage)
    if gate.stage == "post-release" and info is not None and info.tagged_at is not None:
        facts = made_after(facts, info.tagged_at, shipped)
    if rejected:  # a rejection stands whatever the request now says (an emergency may waive)
        verdict = Verdict(
            False, (*rejected, f"the gate would not apply ({skip}), but a rejection stands")
        )
    else:
        verdict = evaluate(gate, facts)
    passed, reasons = verdict.passed, list(verdict.reasons)
    pending = waived = False
    more: tuple[str, ...] = ()  # a command besides the gate's own (a second declaration)
    due = due_after(info, gate.due_hours) if gate.stage == "post-release" else None
    if not passed and gate.stage == "post-release":
        passed, reasons = deadline(info, due, now, reasons)
        pending = passed
    elif not passed and _waivable(gate, facts):
        passed = waived = True
        reasons = [_waiver(gate, facts), *reasons]
    elif not passed and (short := _declarers_short(gate, facts)):
        reasons, more = (
            [*reasons, short],
            (f"gate emergency {facts.request.release} --reason ... --ticket ...",),
        )
    return GateResult(
        gate.id,
        title,
        passed,
        tuple(reasons),
        stage=gate.stage,
        path=path,
        waiting_on=() if passed else verdict.waiting_on,
        next=() if verdict.passed else (*verdict.next, *more),  # pending and waived too
        pending=pending,
        waived=waived,
        due=due,
    )


def rejections(gate: Gate, facts: Facts) -> list[str]:
    """Standing rejections in an approval gate's roles, which no revision of the request
    (to another risk, kind or component) lifts: only their authors' revokes do."""
    from gatekeeper.gates.approval import rejected
    from gatekeeper.models.gates import ApprovalGate

    if not isinstance(gate, ApprovalGate):
        return []
    return [rejected(s) for s in facts.standing if s.role in gate.roles and s.decision == "reject"]


def made_after(facts: Facts, tagged_at: datetime, shipped: frozenset[str]) -> Facts:
    """What a post-release gate counts: sign-offs and evidence committed after the tagged
    commit (not in it: `shipped`) and not dated before the tag. No clock skew is allowed
    here: a signed copy of a record made before tagging keeps its date under any name.
    (git dates a tag to the second, so a record made in the tag's own second, before it,
    is the one left: `gate tag && gate notify` in a script is made in that second too.)
    A 上线后检查 written before anything shipped checked nothing."""
    from dataclasses import replace

    from gatekeeper.trust.facts import Ignored

    def early(path: str, at: datetime) -> bool:
        return path in shipped or at < tagged_at

    why = "made before the tag, or in the tagged commit: a post-release record comes after it"
    ignored = [
        Ignored(i.path, i.manifest.kind, why)
        for i in facts.evidence
        if early(i.path, i.manifest.at)
    ]
    approvals = [s for s in facts.standing if s.decision == "approve" and early(s.path, s.at)]
    ignored += [Ignored(s.path, s.role, why) for s in approvals]
    if not ignored:
        return facts
    return replace(
        facts,
        evidence=tuple(i for i in facts.evidence if not early(i.path, i.manifest.at)),
        standing=tuple(s for s in facts.standing if s not in approvals),
        ignored=(*facts.ignored, *ignored),
    )


def _waivable(gate: Gate, facts: Facts) -> bool:
    """An emergency waives a failing pre-tag gate: enough declarers, not `never_waive`."""
    emergency = facts.policy.emergency
    if emergency is None or gate.id in emergency.never_waive:
        return False
    return len(facts.emergency) >= max(emergency.min, 1)


def _declarers_short(gate: Gate, facts: Facts) -> str:
    """An emergency declared by too few to waive anything yet: said on each gate it would
    waive, with who else may declare it (else it seems to do nothing, silently)."""
    emergency = facts.policy.emergency
    if emergency is None or gate.id in emergency.never_waive or not facts.emergency:
        return ""
    need = max(emergency.min, 1)
    declared = [person for person, _, _ in facts.emergency]
    others = sorted(
        person
        for role in emergency.roles
        if role in facts.policy.roles
        for person in facts.policy.roles[role].members
        if person not in declared and person not in facts.requesters
    )
    who = (
        f"; another may declare it: {' or '.join(dict.fromkeys(others))}"
        if others
        else ("; nobody else holds an emergency role (the requester may not declare)")
    )
    return (
        f"an emergency is declared, but waives nothing until {need} declare it: "
        f"{len(declared)} of {need} ({', '.join(declared)}){who}"
    )


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
    from gatekeeper.instants import after

    return after(info.tagged_at, timedelta(hours=hours))


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
