"""Evidence gates: dispatch to the evidence kind's own check."""

from __future__ import annotations

from gatekeeper.evidence import kind_named
from gatekeeper.evidence.base import CheckContext
from gatekeeper.models.gates import EvidenceGate
from gatekeeper.trust.facts import Facts


def evaluate(gate: EvidenceGate, facts: Facts) -> tuple[bool, list[str]]:
    """Valid items of the gate's kind must exist and pass the kind's check."""
    if facts.stale:
        return False, [facts.stale_reason()]
    items = [item for item in facts.evidence if item.manifest.kind == gate.kind]
    ignored = [
        f"{i.path}: not counted: {i.reason}" for i in facts.ignored if i.role_or_kind == gate.kind
    ]
    if not items:
        return False, [f"no valid {gate.kind} evidence", *ignored]
    ctx = CheckContext(facts.reference_time, facts.policy.roles_of)
    spec = kind_named(gate.kind)
    problems = spec.check(gate, items, ctx)
    if problems:
        return False, problems + ignored
    mark = facts.mark()
    if spec.describe is not None:  # the kind says which record counts, and what it shows
        first, *rest = spec.describe(gate, items, ctx)
        return True, [first + mark, *rest, *ignored]
    return True, [f"{item.path} by {item.person}{mark}" for item in items] + ignored
