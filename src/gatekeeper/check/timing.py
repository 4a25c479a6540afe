"""The time a check judges at, and when a release held by the calendar may be tagged."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.check.report import GateResult
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import TagInfo
    from gatekeeper.trust.facts import Facts


def earliest(policy: Policy, facts: Facts | None, gates: list[GateResult]) -> datetime | None:
    """When a failing lead-time or freeze gate would let the release be tagged."""
    from gatekeeper.gates.calendar import earliest_tag
    from gatekeeper.models.gates import FreezeGate, LeadTimeGate

    applies = {g.id: g.passed for g in gates if g.applies}
    calendar = [
        g
        for g in policy.all_gates()
        if isinstance(g, LeadTimeGate | FreezeGate) and g.id in applies
    ]
    if facts is None or all(applies[g.id] for g in calendar):
        return None
    return earliest_tag(calendar, facts)


def has_obligations(policy: Policy) -> bool:
    from gatekeeper.models.gates import ObligationsGate

    return any(isinstance(g, ObligationsGate) for g in policy.all_gates())


def tag_dated(opts: CheckOptions, info: TagInfo | None, now: datetime) -> bool:
    """Whether `reference_time` is the tag's own date (a claim), not a time the checker
    knows: the scheduled re-check of a tag, or `--at` a time after it."""
    return (
        info is not None
        and info.tagged_at is not None
        and reference_time(opts, info, now) is info.tagged_at
    )


def reference_time(opts: CheckOptions, info: TagInfo | None, now: datetime) -> datetime:
    """What TTLs and ages are judged against: `--at now`, else the tagger date (never
    later than now) when there is a tag. Post-release records are made after the tag, so
    that stage is judged now unless `--at tag` asks otherwise."""
    post_release = opts.stage == "post-release" and opts.at is None
    if opts.at == "now" or post_release or info is None or info.tagged_at is None:
        return now
    return min(info.tagged_at, now)
