"""`launch-notice`: the Markdown announcement, published by someone holding `by_roles`."""

from __future__ import annotations

from typing import Literal

from gatekeeper.evidence.base import (
    CheckContext,
    EvidenceItem,
    EvidenceKind,
    NoDetails,
    by_roles_reasons,
)
from gatekeeper.models.gates import EvidenceGate


class LaunchNoticeGate(EvidenceGate):
    """Without a notice from the right office the release counts as not launched."""

    kind: Literal["launch-notice"]


def check(gate: LaunchNoticeGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """A non-empty notice, published by a holder of one of `by_roles`."""
    reasons = by_roles_reasons(gate.by_roles, items, ctx)
    if not any(data.strip() for item in items for data in item.attachments.values()):
        reasons.append("the launch notice is empty")
    return reasons


KIND = EvidenceKind(
    name="launch-notice",
    gate_model=LaunchNoticeGate,
    details_model=NoDetails,
    check=check,
    attachment_suffix=".md",
    marks="launched",
    example=lambda gate: "notice.md",
)
