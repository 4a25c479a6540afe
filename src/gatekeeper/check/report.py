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
            "gates": [asdict(g) | {"reasons": list(g.reasons)} for g in self.gates],
            "warnings": list(self.warnings),
            "at": self.at.isoformat() if self.at else None,
        }
