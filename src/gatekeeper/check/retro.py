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
    from gatekeeper.models.records import Request
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


def waived_at_tag(
    repo: GitRepo, tag: str, info: TagInfo, opts: CheckOptions, declared: datetime | None
) -> list[str]:
    """The pre-tag check of the tag as it was tagged: the ids of the gates the emergency
    waived. Judged at the tagger date, or at `declared` (the latest declaration in the
    tagged commit) when that is later: a tag dated before the emergency it leaned on fails
    its tag gate, and what the declaration waived is owed all the same. Earlier releases
    are not looked at here (that would recurse through `obligations`)."""
    from gatekeeper.check.evaluation import evaluate

    at = replace(opts, stage="pre-tag", tag_info=info, at=None, obligations=False)
    if declared is not None and info.tagged_at is not None and declared > info.tagged_at:
        now = opts.now or declared
        at = replace(at, at="now", now=min(declared, now))
    return [g.id for g in evaluate(repo, tag, at).report.gates if g.waived]


def waived_only_now(
    repo: GitRepo, records: ReleaseRecords, info: TagInfo, opts: CheckOptions, waived: list[str]
) -> set[str]:
    """Of the gates an emergency waives in a check judged now (`--at now`, as CI judges a
    pushed tag), those it would not waive at the tag's date: what is owed after the tag is
    derived there (`retro_gates`), so a waiver relied on only now would be owed by no one
    (a tag made while the approvals were fresh, pushed once they had expired)."""
    from gatekeeper.check.tagged import at_tag

    if not waived or info.tagged_at is None:
        return set()
    latest = _declared(at_tag(repo, records, info))
    return set(waived) - set(waived_at_tag(repo, records.tag, info, opts, latest))


def _declared(tagged: ReleaseRecords | None) -> datetime | None:
    """The latest emergency declaration the tagged commit holds (None: none, or none read)."""
    return max((e.at for _, e in tagged.emergencies), default=None) if tagged else None


def waived_as_tagged(
    repo: GitRepo,
    records: ReleaseRecords,
    info: TagInfo,
    opts: CheckOptions,
    gates: list[GateResult],
) -> list[GateResult]:
    """A gate an emergency waives only at the time judged, not at the tag's date,
    fails: what the emergency owes is derived at the tag's date, so that waiver would be
    owed by no one. Tagging again makes the tag's date the time it is judged."""
    waived = [g.id for g in gates if g.waived]
    only_now = waived_only_now(repo, records, info, opts, waived)
    when = info.tagged_at.isoformat() if info.tagged_at else "its date"
    why = (
        f"waived by the emergency only at the time judged: at the tag's date ({when}) it "
        "needs no waiver, so no retro-approval would be owed for it; tag again "
        f"(`gate tag {records.tag}`) so that the tag's date is the time it is judged"
    )
    return [
        replace(g, passed=False, waived=False, reasons=(why, *g.reasons[1:]))
        if g.id in only_now
        else g
        for g in gates
    ]


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
    from gatekeeper.check.tagged import at_tag

    emergency = facts.policy.emergency
    if emergency is None or info.tagged_at is None:
        return []
    tagged = at_tag(repo, records, info)  # what shipped: its declarations, its request
    latest = _declared(tagged)
    if not records.emergencies and latest is None:
        return []  # a declaration deleted since still waived what it waived at the tag
    waived = waived_at_tag(repo, records.tag, info, replace(opts, now=now), latest)
    due = due_after(info, emergency.retro_hours)
    by_id = {g.id: g for g in facts.policy.all_gates()}
    shipped = tagged.request if tagged else None
    return [
        retro_gate(
            by_id[gate_id], facts, info, due, now, path=records.request_path, as_tagged=shipped
        )
        for gate_id in waived
        if gate_id in by_id and settles_later(by_id[gate_id])
    ]


def retro_gate(
    gate: Gate,
    facts: Facts,
    info: TagInfo,
    due: datetime | None,
    now: datetime,
    *,
    path: str,
    as_tagged: Request | None = None,
) -> GateResult:
    """The waived gate judged again on today's records, no emergency counted. A gate that
    does not apply to the request (waived for the rejection that stood in it) is settled
    once no rejection stands."""
    from gatekeeper.check.applies import not_applicable
    from gatekeeper.check.running import deadline, rejections
    from gatekeeper.gates import evaluate
    from gatekeeper.gates.verdict import Verdict

    if not_applicable(gate, as_tagged or facts.request, gate.stage, facts.changed_since):
        standing = rejections(gate, facts)
        verdict = Verdict(not standing, tuple(standing) or ("no rejection stands",))
    else:
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
