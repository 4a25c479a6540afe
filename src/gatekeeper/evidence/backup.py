"""`backup`: one record per target (database, files, ...), no older than a limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from pydantic import AwareDatetime, Field

from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, newest
from gatekeeper.models.base import Count, Name, Strict
from gatekeeper.models.gates import EvidenceGate
from gatekeeper.trust.rules import SKEW


class BackupGate(EvidenceGate):
    """Every listed target backed up, each no older than `max_age_hours`."""

    kind: Literal["backup"]
    targets: list[Name] = Field(min_length=1)
    max_age_hours: Count | None = None


class BackupDetails(Strict):
    """What was backed up, where to, when, and the backup's own checksum."""

    target: Name
    location: str = Field(min_length=1)
    taken_at: AwareDatetime
    checksum: str = ""


def check(gate: BackupGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """Each target needs a backup taken before the reference time and within the age limit."""
    reasons = []
    for target in gate.targets:
        mine = [
            i for i in items if isinstance(i.details, BackupDetails) and i.details.target == target
        ]
        if not mine:
            reasons.append(f"no backup of target '{target}'")
            continue
        details = cast(BackupDetails, newest(mine).details)
        age_hours = (ctx.reference_time - details.taken_at).total_seconds() / 3600
        # The same clock-skew allowance as for records: `taken_at` defaults to the moment
        # the command ran, a little after the time the record itself is dated.
        if details.taken_at - ctx.reference_time > SKEW:  # no overflow near year 9999
            reasons.append(f"backup of '{target}' is dated in the future ({details.taken_at})")
        elif gate.max_age_hours is not None and age_hours > gate.max_age_hours:
            reasons.append(
                f"backup of '{target}' is {age_hours:.1f} h old; expected at most "
                f"{gate.max_age_hours} h"
            )
    return reasons


def vet(gate: BackupGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """At attach time: a target the gate does not ask for, or a backup already too old."""
    from gatekeeper.models.tomlfile import did_you_mean

    details = cast(BackupDetails, items[0].details)
    if details.target not in gate.targets:
        return [
            f"target '{details.target}' is not one of {', '.join(gate.targets)}"
            + did_you_mean(details.target, gate.targets)
        ]
    return [r for r in check(gate, items, ctx) if f"'{details.target}'" in r]


def describe(gate: BackupGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The facts of a passing gate: each target's newest backup, where, and how old."""
    lines = []
    for target in gate.targets:
        mine = [i for i in items if cast(BackupDetails, i.details).target == target]
        item = newest(mine)
        details = cast(BackupDetails, item.details)
        hours = (ctx.reference_time - details.taken_at).total_seconds() / 3600
        lines.append(
            f"{target} backup at {details.location} taken {hours:.1f} h before the time judged, "
            f"recorded by {item.person} ({item.path})"
        )
    return lines


def details_from_cli(sets: Mapping[str, str]) -> dict[str, Any]:
    """`--set target=database --set location=s3://...`; `taken_at` defaults to now."""
    from datetime import UTC, datetime

    details: dict[str, Any] = dict(sets)
    details.setdefault("taken_at", datetime.now(UTC).replace(microsecond=0).isoformat())
    return details


def _example(target: str) -> str:
    """What to give for one target (a checksum may be added: `--set checksum=...`)."""
    return f"--set target={target} --set location=URL"


KIND = EvidenceKind(
    name="backup",
    gate_model=BackupGate,
    details_model=BackupDetails,
    check=check,
    details_from_cli=details_from_cli,
    vet=vet,
    describe=describe,
    example=lambda gate: _example(gate.targets[0]),
    examples=lambda gate, problems: (
        [
            _example(t)
            for t in gate.targets
            if problems is None or any(f"'{t}'" in problem for problem in problems)
        ]
        or [_example(gate.targets[0])]
    ),
)
