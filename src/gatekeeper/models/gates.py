"""Gate tables of the policy. Evidence kinds add their own gate models (gatekeeper.evidence)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from gatekeeper.models.base import Count, Name, Risk, Strict


class When(Strict):
    """A gate applies only when every given matcher matches the request."""

    kind: list[Name] | None = None
    risk: list[Risk] | None = None
    component: list[Name] | None = None


class GateBase(Strict):
    """Keys every gate has."""

    id: Name
    title: str = ""
    when: When | None = None
    stage: Literal["pre-tag", "post-release"] = "pre-tag"
    due_hours: Count | None = Field(
        default=None, description="post-release gates: due this many hours after the tag"
    )

    @model_validator(mode="after")
    def _due_only_post_release(self) -> GateBase:
        if self.due_hours is not None and self.stage != "post-release":
            raise ValueError("due_hours is only for stage = 'post-release'")
        return self


class ApprovalGate(GateBase):
    """Sign-offs from people holding the listed roles."""

    type: Literal["approval"]
    roles: list[Name] = Field(min_length=1)
    min_each: Count | None = Field(default=None, description="approvals needed per role")
    min: Count | None = Field(default=None, description="approvals needed over all roles")

    @model_validator(mode="after")
    def _one_count(self) -> ApprovalGate:
        if self.min_each is not None and self.min is not None:
            raise ValueError("give either min_each or min, not both")
        return self

    def required_each(self) -> int | None:
        """Approvals required per role, or None when `min` counts the union."""
        if self.min is not None:
            return None
        return 1 if self.min_each is None else self.min_each


class EvidenceGate(GateBase):
    """An evidence record of `kind` must exist and satisfy the kind's rules."""

    type: Literal["evidence"]
    kind: Name


class CustomEvidenceGate(EvidenceGate):
    """A kind the policy names itself: the manifest's `details` must hold `fields`."""

    fields: list[Name] = []
    by_roles: list[Name] = []
