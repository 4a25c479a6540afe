"""The result of a check: data, never an exception."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class GateResult:
    """One gate's verdict and the reasons behind it."""

    id: str
    title: str
    passed: bool
    reasons: tuple[str, ...]
    applies: bool = True
    stage: str = "pre-tag"
    path: str | None = None  # the record file a failure points at, if one
    waiting_on: tuple[tuple[str, str], ...] = ()  # (person, role) who could unblock it
    pending: bool = False  # a post-release obligation not yet due: passes for now
    waived: bool = False  # failed, but passed by an emergency declaration
    next: tuple[str, ...] = ()  # the gate's own commands that would unblock it
    due: datetime | None = None  # post-release obligations: when they are due


@dataclass(frozen=True)
class Report:
    """`gate check`'s answer for one release."""

    release: str
    candidate: str | None
    tag_commit: str | None
    revision: str
    policy_ref: str
    signatures: str
    stage: str
    gates: tuple[GateResult, ...]
    warnings: tuple[str, ...] = field(default=())
    at: datetime | None = None  # what TTLs and ages were judged against
    earliest_tag: datetime | None = None  # lead time or a freeze: the first moment they pass

    @property
    def passed(self) -> bool:
        """True when every gate that applies passed."""
        return all(g.passed for g in self.gates)

    @property
    def verified(self) -> bool:
        """Whether signers were proven (false in `signatures = "none"`)."""
        return self.signatures != "none"

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape documented in docs/json.md."""
        return {
            "release": self.release,
            "candidate": self.candidate,
            "tag_commit": self.tag_commit,
            "revision": self.revision,
            "policy_ref": self.policy_ref,
            "signatures": self.signatures,
            "verified": self.verified,
            "stage": self.stage,
            "passed": self.passed,
            "gates": [_gate_json(g) for g in self.gates],
            "warnings": list(self.warnings),
            "at": self.at.isoformat() if self.at else None,
            "earliest_tag": self.earliest_tag.isoformat() if self.earliest_tag else None,
        }


def _gate_json(gate: GateResult) -> dict[str, Any]:
    waiting = [{"person": person, "role": role} for person, role in gate.waiting_on]
    due = gate.due.isoformat() if gate.due else None
    return asdict(gate) | {"reasons": list(gate.reasons), "waiting_on": waiting, "due": due}
