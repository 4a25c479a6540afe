"""Release record files: the request, sign-offs and evidence manifests."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, Field

from gatekeeper.models.base import Component, Decision, Name, ObjectId, Risk, Sha256, Strict

SCHEMA = 1
FileName = str


class Request(Strict):
    """`releases/<tag>/request.toml`: what is to be released, by whom, from which commit."""

    schema_version: Literal[1] = Field(alias="schema")
    release: str
    title: str = Field(min_length=1, max_length=200)
    kind: Name = "release"
    risk: Risk = "normal"
    component: Component = ""
    planned_at: AwareDatetime | None = None
    candidate: ObjectId
    summary: str = ""
    rollback_plan: str = ""
    requester: Name
    requested_at: AwareDatetime
    revision: int = Field(default=1, ge=1, le=10_000)
    withdrawn: str | None = Field(
        default=None, description="why the release will not ship (`gate request --withdraw`)"
    )
    supersedes: Sha256 | None = Field(
        default=None, description="sha256 of the previous revision's request.toml"
    )
    signature: str | None = None


class Signoff(Strict):
    """`releases/<tag>/approvals/*.toml`: one decision by one person in one role."""

    schema_version: Literal[1] = Field(alias="schema")
    release: str
    role: Name
    decision: Decision
    person: Name
    candidate: ObjectId
    request_sha256: Sha256
    at: AwareDatetime
    comment: str = ""
    signature: str | None = None


class Attachment(Strict):
    """A file copied beside its manifest, pinned by digest."""

    path: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    sha256: Sha256
    size: int = Field(ge=0)


class EvidenceManifest(Strict):
    """`releases/<tag>/evidence/*.toml`: one item of evidence; `details` depend on `kind`."""

    schema_version: Literal[1] = Field(alias="schema")
    release: str
    kind: Name
    person: Name
    candidate: ObjectId
    request_sha256: Sha256
    at: AwareDatetime
    attachments: list[Attachment] = []
    details: dict[str, Any] = {}
    signature: str | None = None


class EmergencyDeclaration(Strict):
    """`releases/<tag>/emergency/*.toml`: 紧急上线 — a person of an emergency role says this
    release ships before every gate passes, and why."""

    schema_version: Literal[1] = Field(alias="schema")
    release: str
    person: Name
    reason: str = Field(min_length=1, max_length=2000)
    ticket: str = ""
    candidate: ObjectId
    request_sha256: Sha256
    at: AwareDatetime
    signature: str | None = None
