"""JSON Schemas of the files, for editors (`gate schema`)."""

from __future__ import annotations

from typing import Any


def json_schema(which: str) -> dict[str, Any]:
    """The JSON Schema of `request`, `approval`, `evidence` or `policy`."""
    from pydantic import BaseModel

    from gatekeeper.evidence import KINDS
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import EvidenceManifest, Request, Signoff

    models: dict[str, type[BaseModel]] = {
        "request": Request,
        "approval": Signoff,
        "evidence": EvidenceManifest,
        "policy": Policy,
    }
    schema = models[which].model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    if which == "evidence":
        schema["x-details-by-kind"] = {
            name: kind.details_model.model_json_schema() for name, kind in KINDS.items()
        }
    return schema
