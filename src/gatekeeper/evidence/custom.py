"""Kinds a policy names itself: the manifest's details must hold the gate's `fields`."""

from __future__ import annotations

from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, by_roles_reasons
from gatekeeper.models.base import Strict
from gatekeeper.models.gates import CustomEvidenceGate


class FreeDetails(Strict):
    """Any details; the gate says which fields must be present."""

    model_config = {**Strict.model_config, "extra": "allow"}


def check(gate: CustomEvidenceGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """Some item holds every required field (non-empty) and was recorded by `by_roles`."""
    complete = [
        item
        for item in items
        if all(item.manifest.details.get(name) not in (None, "") for name in gate.fields)
    ]
    if not complete:
        return [f"no {gate.kind} record has all of: {', '.join(gate.fields)}"]
    return by_roles_reasons(gate.by_roles, complete, ctx)


KIND = EvidenceKind(
    name="custom",
    gate_model=CustomEvidenceGate,
    details_model=FreeDetails,
    check=check,
    example=lambda gate: " ".join(f"--set {name}=..." for name in gate.fields) or "[FILE]",
)
