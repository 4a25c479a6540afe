"""After an emergency: every gate it waived is due again `retro_hours` after the tag.

A waived approval or evidence gate becomes a post-release obligation `retro:<gate id>`:
settled when the gate itself passes on the records of the branch (the retro-approvals, made
after the tag), with no emergency to lean on; pending until the deadline, then overdue, and
an overdue one blocks the next release through `obligations` like any post-release gate.
Which gates were waived is not stored: it is the pre-tag check of the tag, run again.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from gatekeeper.check.report import GateResult
from gatekeeper.check.running import due_after

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.models.policy import Gate
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo, TagInfo
    from gatekeeper.trust.facts import Facts

PREFIX = "retro:"
# Waived for good: no record made after the tag can change when the request was filed, the
# calendar at the tag, or earlier releases (which stay bound by their own obligations).
NO_RETRO = frozenset({"lead-time", "freeze", "obligations"})


def settles_later(gate: Gate) -> bool:
    """Whether records made after the tag can settle `gate` (approvals and evidence)."""
    return gate.type not in NO_RETRO


def waived_at_tag(repo: GitRepo, tag: str, info: TagInfo, opts: CheckOptions) -> list[str]:
    """The pre-tag check of the tag as it was tagged: the ids of the gates the emergency
    waived. Earlier releases are not looked at here (that would recurse through
    `obligations`)."""
    from gatekeeper.check.evaluation import evaluate

    at_tag = evaluate(
        repo,
        tag,
        replace(opts, stage="pre-tag", tag_info=info, at=None, records_at=None, obligations=False),
    )
    return [g.id for g in at_tag.report.gates if g.waived]


def retro_gates(
    repo: GitRepo,
    records: ReleaseRecords,
    facts: Facts,
    info: TagInfo,
    opts: CheckOptions,
    *,
    now: datetime,
) -> list[GateResult]:
    """One post-release obligation per gate the emergency waived at the tag."""
    emergency = facts.policy.emergency
    if emergency is None or not records.emergencies or info.tagged_at is None:
        return []
    waived = waived_at_tag(repo, records.tag, info, replace(opts, now=now))
    due = due_after(info, emergency.retro_hours)
    by_id = {g.id: g for g in facts.policy.all_gates()}
    return [
        retro_gate(by_id[gate_id], facts, info, due, now, path=records.request_path)
        for gate_id in waived
        if gate_id in by_id and settles_later(by_id[gate_id])
    ]


def retro_gate(
    gate: Gate, facts: Facts, info: TagInfo, due: datetime | None, now: datetime, *, path: str
) -> GateResult:
    """The waived gate judged again on today's records, no emergency counted."""
    from gatekeeper.check.running import deadline
    from gatekeeper.gates import evaluate

    verdict = evaluate(gate, facts)
    reasons = list(verdict.reasons)
    passed, pending = True, False
    if verdict.passed:
        reasons.insert(0, "settled after the emergency")
    else:
        passed, reasons = deadline(info, due, now, reasons)
        pending = passed
        reasons.insert(1, "waived by an emergency at the tag; the retro-approval is due")
    return GateResult(
        f"{PREFIX}{gate.id}",
        f"Retro-approval: {gate.title or gate.id}",
        passed,
        tuple(reasons),
        stage="post-release",
        path=path,
        waiting_on=() if verdict.passed else verdict.waiting_on,
        next=verdict.next,
        pending=pending,
        due=due,
    )
