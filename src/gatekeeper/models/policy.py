"""The policy: people, roles and gates (`policies/*.toml`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    PlainValidator,
    SerializeAsAny,
    Tag,
    field_validator,
)

from gatekeeper.evidence import KINDS, kind_named
from gatekeeper.models.base import Count, Name, Strict
from gatekeeper.models.gates import (
    ApprovalGate,
    EvidenceGate,
    FreezeGate,
    LeadTimeGate,
    ObligationsGate,
)
from gatekeeper.models.notify import Notify
from gatekeeper.models.tomlfile import did_you_mean


class Person(Strict):
    """Someone who may act in a release, and the keys that prove it is them."""

    name: str = ""
    email: str = Field(pattern=r"^[^@\s<>]+@[^@\s<>]+$")
    keys: list[str] = []

    @field_validator("keys")
    @classmethod
    def _key_lines(cls, value: list[str]) -> list[str]:
        from gatekeeper.trust.keys import parse_key

        for i, line in enumerate(value):
            try:
                parse_key(line)
            except ValueError as exc:
                raise ValueError(f"keys[{i}]: {exc}") from None
        return value


class Role(Strict):
    """A named responsibility and who holds it."""

    title: str = ""
    members: list[Name] = []


_OTHER_TYPES = frozenset({"approval", "lead-time", "freeze", "obligations"})


def _gate_tag(value: Any) -> str | None:
    """A gate's type, and for an evidence gate its kind ("custom" for invented kinds)."""
    if isinstance(value, dict):
        gate_type, kind = value.get("type"), value.get("kind")
    else:
        gate_type, kind = getattr(value, "type", None), getattr(value, "kind", None)
    if gate_type in _OTHER_TYPES:
        return str(gate_type)
    if gate_type == "evidence":
        return kind if isinstance(kind, str) and kind in KINDS else "custom"
    return None


def _gate_type(value: Any) -> str | None:
    tag = _gate_tag(value)
    return tag if tag is None or tag in _OTHER_TYPES else "evidence"


def _evidence_gate(value: Any) -> EvidenceGate:
    """An evidence gate, validated by its kind's gate model. The kind's module is imported
    now, so a policy costs the kinds it names; an error keeps its place (`gates[2].x`)."""
    return kind_named(_gate_tag(value) or "custom").gate_model.model_validate(value)


def _discriminator(tag: Any) -> Discriminator:
    return Discriminator(
        tag,
        custom_error_type="gate_type",
        custom_error_message=(
            "expected type = 'approval', 'evidence', 'lead-time', 'freeze' or 'obligations'"
        ),
    )


class _EveryKindInSchema:
    """The JSON Schema of a gate is the union of every kind's gate model (`gate schema`,
    editors), as it always was; only validation picks the kind's model lazily."""

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        from pydantic import TypeAdapter

        every: list[Any] = [Annotated[ApprovalGate, Tag("approval")]]
        every += [Annotated[LeadTimeGate, Tag("lead-time")], Annotated[FreezeGate, Tag("freeze")]]
        every += [Annotated[ObligationsGate, Tag("obligations")]]
        every += [Annotated[kind.gate_model, Tag(name)] for name, kind in KINDS.items()]
        every += [Annotated[kind_named("custom").gate_model, Tag("custom")]]
        union: Any = Annotated[Union[tuple(every)], _discriminator(_gate_tag)]  # noqa: UP007
        return handler(TypeAdapter[Any](union).core_schema)


if TYPE_CHECKING:
    # Every evidence kind's gate model is an EvidenceGate: statically, this is the union.
    Gate = ApprovalGate | EvidenceGate | LeadTimeGate | FreezeGate | ObligationsGate
else:
    # Evidence gates go to their kind's model when met, so a new kind needs no edit here.
    Gate = Annotated[
        Union[  # noqa: UP007  (tagged members are not written with |)
            Annotated[ApprovalGate, Tag("approval")],
            Annotated[LeadTimeGate, Tag("lead-time")],
            Annotated[FreezeGate, Tag("freeze")],
            Annotated[ObligationsGate, Tag("obligations")],
            Annotated[
                SerializeAsAny[EvidenceGate], PlainValidator(_evidence_gate), Tag("evidence")
            ],
        ],
        _discriminator(_gate_type),
        _EveryKindInSchema(),
    ]


class Binding(Strict):
    """What a sign-off is bound to besides the records: the candidate's files, except these."""

    ignore: list[str] = Field(
        default=[], description="globs of paths that may change after sign-off (docs/**, *.md)"
    )


class Emergency(Strict):
    """紧急上线 / break-glass: who may declare one, how many, what it can never skip."""

    roles: list[Name] = Field(min_length=1)
    min: Count = 1
    never_waive: list[Name] = []
    retro_hours: Count = 48


class Policy(Strict):
    """Everything `gate check` needs to decide, read from a trusted revision."""

    schema_version: Literal[1] = Field(alias="schema")
    releases: str = Field(default="releases", pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")
    tags: list[str] = Field(default=["v*"], min_length=1)
    tag_regex: str | None = None
    signatures: Literal["ssh", "commit", "none"] = "ssh"
    approval_ttl_days: Count | None = None
    allow_self_approval: bool = False
    kinds: list[Name] | None = Field(
        default=None, description="the release kinds a request may name (declared vocabulary)"
    )
    components: list[Name] | None = Field(
        default=None, description="the components a request may name (declared vocabulary)"
    )
    binding: Binding = Binding()
    emergency: Emergency | None = None
    notify: Notify | None = None
    people: dict[Name, Person] = {}
    roles: dict[Name, Role] = {}
    gates: list[Gate] = []

    @field_validator("releases")
    @classmethod
    def _own_folder(cls, value: str) -> str:
        """Records and the policy in one folder would have a policy change read as a
        release's file (and left out of the audit's policy events)."""
        if value == "policies":
            raise ValueError("'policies' is the policy's own folder; expected another")
        return value

    @field_validator("people", "roles", mode="before")
    @classmethod
    def _ascii_ids(cls, value: Any, info: Any) -> Any:
        """Ids are ASCII names; a person's or role's own name goes in `name` / `title`."""
        import re

        for key in value if isinstance(value, dict) else {}:
            if not re.match(r"^[a-z0-9][a-z0-9_.-]{0,63}$", str(key)):
                what = "name" if info.field_name == "people" else "title"
                raise ValueError(
                    f"{info.field_name}.{key}: ids are ASCII names (a-z, 0-9, . _ -); "
                    f"put '{key}' in `{what} = ...` and use an id like 'zhang-san'"
                )
        return value

    @field_validator("gates", mode="before")
    @classmethod
    def _kind_typos(cls, value: Any) -> Any:
        """`kind = "test_report"` is a typo of a built-in kind, not a new custom kind."""
        import difflib

        for i, gate in enumerate(value if isinstance(value, list) else []):
            kind = gate.get("kind") if isinstance(gate, dict) else None
            if gate.get("type") != "evidence" or not isinstance(kind, str) or kind in KINDS:
                continue
            close = difflib.get_close_matches(kind, list(KINDS), n=1, cutoff=0.8)
            if close:
                raise ValueError(
                    f"gates[{i}].kind: unknown kind '{kind}' (did you mean '{close[0]}'?)"
                )
        return value

    @field_validator("tag_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.isascii():
            raise ValueError("tag_regex must be ASCII")
        from gatekeeper.policy.tagname import compile_tag_regex

        try:
            compile_tag_regex(value)
        except ValueError as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("tags")
    @classmethod
    def _ascii_globs(cls, value: list[str]) -> list[str]:
        for glob in value:
            if not glob.isascii() or not glob or glob.startswith("-"):
                raise ValueError(f"tag glob {glob!r}: expected ASCII not starting with '-'")
        return value

    def all_gates(self) -> list[Gate]:
        """The gates, in the order the policy lists them."""
        return list(self.gates)

    def roles_of(self, person: str) -> frozenset[str]:
        """Roles `person` holds."""
        return frozenset(name for name, role in self.roles.items() if person in role.members)

    def person_by_email(self, email: str) -> str | None:
        """The policy person whose email is `email` (case-insensitive), if any."""
        wanted = email.strip().lower()
        for pid, person in self.people.items():
            if person.email.lower() == wanted:
                return pid
        return None

    def undeclared(self, kind: str, component: str) -> list[str]:
        """A request's kind / component that the declared vocabulary does not hold."""
        out = []
        if self.kinds is not None and kind not in self.kinds:
            out.append(f"kind '{kind}' is not declared" + did_you_mean(kind, self.kinds))
        if self.components is not None and component and component not in self.components:
            out.append(
                f"component '{component}' is not declared"
                + did_you_mean(component, self.components)
            )
        return out
