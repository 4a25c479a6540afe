"""JSON Schemas of the files, for editors (`gate schema`, the shipped schemas/*.json).

They are made from the models and then tightened where pydantic's output is looser than
what the models accept, so that an editor (Even Better TOML / taplo) flags what `gate
validate` would refuse: a custom evidence kind may not reuse a built-in kind's name
(else every built-in gate matches two `oneOf` branches), and a datetime needs an offset.
"""

from __future__ import annotations

from typing import Any

NAMES = ("request", "approval", "evidence", "emergency", "policy")
# TOML datetimes reach the validator as strings; an AwareDatetime needs its offset.
_OFFSET = r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"


def json_schema(which: str) -> dict[str, Any]:
    """The JSON Schema of one of NAMES."""
    from pydantic import BaseModel

    from gatekeeper.evidence import KINDS
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import EmergencyDeclaration, EvidenceManifest, Request, Signoff

    models: dict[str, type[BaseModel]] = {
        "request": Request,
        "approval": Signoff,
        "evidence": EvidenceManifest,
        "emergency": EmergencyDeclaration,
        "policy": Policy,
    }
    schema = models[which].model_json_schema(by_alias=True)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    if which == "evidence":
        schema["x-details-by-kind"] = {
            name: kind.details_model.model_json_schema() for name, kind in KINDS.items()
        }
    if which == "policy":
        _discriminate_gates(schema, sorted(KINDS))
    _require_offsets(schema)
    return schema


def schema_text(which: str) -> str:
    """The schema as the shipped file and `gate init`'s copy hold it (one trailing newline)."""
    from gatekeeper.render.json import dumps

    return dumps(json_schema(which)) + "\n"


def _discriminate_gates(schema: dict[str, Any], builtin_kinds: list[str]) -> None:
    """Gates by `type` (and `kind`) through if/then, not pydantic's bare `oneOf`: an editor
    then names the unknown key or the bad value inside a gate, not "matches no branch",
    and a custom kind may not take a built-in kind's name."""
    defs = schema["$defs"]
    items = schema["properties"]["gates"]["items"]
    branches, types = [], []
    for ref in items.pop("oneOf"):
        props = defs[ref["$ref"].rsplit("/", 1)[1]]["properties"]
        when: dict[str, Any] = {"type": {"const": props["type"]["const"]}}
        required = ["type"]
        if "kind" in props:
            fixed = props["kind"].get("const")
            when["kind"] = {"const": fixed} if fixed else {"not": {"enum": builtin_kinds}}
            props["kind"].update({} if fixed else {"not": {"enum": builtin_kinds}})
            required += ["kind"] if fixed else []
        types.append(props["type"]["const"])
        branches.append({"if": {"properties": when, "required": required}, "then": ref})
    items.update(
        type="object",
        required=["id", "type"],
        properties={"type": {"enum": sorted(set(types))}},
        allOf=branches,
    )


def _require_offsets(node: Any) -> None:
    """Every `date-time` string must end in Z or an offset, as AwareDatetime requires."""
    if isinstance(node, dict):
        if node.get("format") == "date-time" and "pattern" not in node:
            node["pattern"] = _OFFSET
        for value in node.values():
            _require_offsets(value)
    elif isinstance(node, list):
        for value in node:
            _require_offsets(value)
