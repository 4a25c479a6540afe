"""`notice-sent`: the launch notice was really published (`gate notify`), and where.

A post-release kind: `gate notify` writes it after the notice went out, naming the
channels it reached, how many people it was emailed to and the email's Message-ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from pydantic import AwareDatetime, Field

from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, newest
from gatekeeper.models.base import Count, Name, Strict
from gatekeeper.models.gates import EvidenceGate


class NoticeSentGate(EvidenceGate):
    """The launch notice was sent (to every channel listed here, if any). A notice is
    sent after the release's gates pass, so the gate is a post-release obligation."""

    kind: Literal["notice-sent"]
    stage: Literal["post-release"] = "post-release"
    channels: list[Name] = Field(
        default=[], description="channels it must have reached, e.g. email, dingtalk"
    )


class NoticeSentDetails(Strict):
    """When it went out, to which channels, to how many email recipients, as which message."""

    sent_at: AwareDatetime
    channels: list[Name] = Field(min_length=1)
    recipients: Count = 0
    message_id: str = Field(default="", max_length=998)
    notice: str = Field(default="", description="the launch-notice record that was sent")
    notice_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")


def _reached(items: list[EvidenceItem]) -> set[str]:
    return {c for i in items for c in cast(NoticeSentDetails, i.details).channels}


def check(gate: NoticeSentGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """Every channel the gate names was reached by some record (one record is enough
    when it names none)."""
    missing = [c for c in gate.channels if c not in _reached(items)]
    return [f"the launch notice was not sent to: {', '.join(missing)}"] if missing else []


def describe(gate: NoticeSentGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The facts of a passing gate: when the newest notice went out, and where."""
    item = newest(items)
    details = cast(NoticeSentDetails, item.details)
    where = ", ".join(details.channels)
    emailed = f" ({details.recipients} email recipients)" if "email" in details.channels else ""
    lines = [f"launch notice sent {details.sent_at.isoformat()} to {where}{emailed} ({item.path})"]
    if len(items) > 1:
        lines.append(
            f"sent {len(items)} times in all, reaching {', '.join(sorted(_reached(items)))}"
        )
    return lines


def details_from_cli(sets: Mapping[str, str]) -> dict[str, Any]:
    """`--set channels=email,dingtalk --set recipients=3`; `sent_at` defaults to now."""
    from datetime import UTC, datetime

    details: dict[str, Any] = dict(sets)
    if "channels" in details:
        details["channels"] = [c.strip() for c in details["channels"].split(",") if c.strip()]
    details.setdefault("sent_at", datetime.now(UTC).replace(microsecond=0).isoformat())
    return details


KIND = EvidenceKind(
    name="notice-sent",
    gate_model=NoticeSentGate,
    details_model=NoticeSentDetails,
    check=check,
    details_from_cli=details_from_cli,
    describe=describe,
    stage="post-release",
    # `gate notify TAG` writes it; by hand only for a notice sent some other way.
    example=lambda gate: f"--set channels={','.join(gate.channels) or 'email'}",
)
