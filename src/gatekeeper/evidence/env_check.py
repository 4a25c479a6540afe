"""`env-check`: named environment checks (servers up, database reachable), each pass/fail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from pydantic import Field

from gatekeeper.evidence.base import CheckContext, EvidenceItem, EvidenceKind, newest
from gatekeeper.models.base import Name, Strict
from gatekeeper.models.gates import EvidenceGate

Outcome = Literal["pass", "fail"]


class EnvCheckGate(EvidenceGate):
    """Every check in the newest record passed, and every check listed here is present."""

    kind: Literal["env-check"]
    checks: list[Name] = []


class EnvCheckDetails(Strict):
    """`checks = { servers = "pass", database = "pass" }`."""

    checks: dict[Name, Outcome] = Field(min_length=1)


def check(gate: EnvCheckGate, items: list[EvidenceItem], ctx: CheckContext) -> list[str]:
    """The newest environment check lists every required check, all passed."""
    details = cast(EnvCheckDetails, newest(items).details)
    reasons = [f"check '{name}' is missing" for name in gate.checks if name not in details.checks]
    reasons += [f"check '{name}' failed" for name, got in details.checks.items() if got != "pass"]
    return reasons


def details_from_cli(sets: Mapping[str, str]) -> dict[str, Any]:
    """`--set servers=pass --set database=pass`."""
    return {"checks": dict(sets)}


KIND = EvidenceKind(
    name="env-check",
    gate_model=EnvCheckGate,
    details_model=EnvCheckDetails,
    check=check,
    details_from_cli=details_from_cli,
    example=lambda gate: " ".join(f"--set {c}=pass" for c in gate.checks) or "--set NAME=pass",
)
