"""The registry of evidence kinds. Adding a kind is adding a module and one entry here."""

from __future__ import annotations

from gatekeeper.evidence import (
    backup,
    custom,
    env_check,
    launch_notice,
    notice_sent,
    outcome,
    test_report,
)
from gatekeeper.evidence.base import EvidenceKind

KINDS: dict[str, EvidenceKind] = {
    kind.name: kind
    for kind in (
        test_report.KIND,
        backup.KIND,
        env_check.KIND,
        launch_notice.KIND,
        *outcome.KINDS,
        notice_sent.KIND,
    )
}
CUSTOM = custom.KIND


def kind_named(name: str) -> EvidenceKind:
    """The built-in kind `name`, or the custom kind for names a policy invents."""
    return KINDS.get(name, CUSTOM)
