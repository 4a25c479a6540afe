"""Gate types: small pure functions `(gate, facts) -> (passed, reasons)`, one per type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.gates import approval, calendar, evidence
from gatekeeper.gates.verdict import Verdict
from gatekeeper.models.gates import ApprovalGate, FreezeGate, LeadTimeGate, ObligationsGate

if TYPE_CHECKING:
    from gatekeeper.models.policy import Gate
    from gatekeeper.trust.facts import Facts


def evaluate(gate: Gate, facts: Facts) -> Verdict:
    """Dispatch `gate` to the function for its type (each takes its own gate model)."""
    if isinstance(gate, ApprovalGate):
        return approval.evaluate(gate, facts)
    if isinstance(gate, LeadTimeGate):
        return calendar.lead_time(gate, facts)
    if isinstance(gate, FreezeGate):
        return calendar.freeze(gate, facts)
    if isinstance(gate, ObligationsGate):
        return calendar.obligations(gate, facts)
    return evidence.evaluate(gate, facts)
