"""Shared model configuration and small constrained types."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# A git object id: SHA-1 (40 hex) or SHA-256 (64 hex) repositories alike.
ObjectId = Annotated[str, Field(pattern=r"^([0-9a-f]{40}|[0-9a-f]{64})$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
# ASCII only: a look-alike letter (Cyrillic і for i) can never dodge a `when`.
Component = Annotated[str, Field(pattern=r"^([a-z0-9][a-z0-9_.-]{0,63})?$")]
Risk = Literal["low", "normal", "major"]
Decision = Literal["approve", "reject", "revoke"]
Count = Annotated[int, Field(ge=0, le=1_000_000)]


class Strict(BaseModel):
    """Frozen, no coercion (`"yes"` is not `true`), unknown keys refused.

    Built on first use (`defer_build`): a command pays for the schemas of the models it
    validates, not for every model it imports (a check uses a few of the kinds' models).
    """

    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, populate_by_name=True, defer_build=True
    )
