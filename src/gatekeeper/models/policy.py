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
    model_validator,
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
from gatekeeper.models.tomlfile import did_you_mean
from gatekeeper.trust.keys import key_material


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


EnvName = Annotated[str, Field(pattern=r"^[A-Z_][A-Z0-9_]{0,127}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s<>,]+@[^@\s<>,]+$")]
SUBJECT_FIELDS = frozenset({"tag", "title", "component", "kind"})


class Webhook(Strict):
    """A chat group robot. Its URL and signing secret are credentials: the policy names
    the environment variables holding them, never the values."""

    type: Literal["dingtalk", "feishu", "lark", "wecom", "slack"]
    name: Name | None = Field(default=None, description="channel name (default: the type)")
    url_env: EnvName
    secret_env: EnvName | None = Field(
        default=None, description="signing secret (dingtalk, feishu/lark only)"
    )

    @model_validator(mode="before")
    @classmethod
    def _no_credentials(cls, value: Any) -> Any:
        if isinstance(value, dict) and {"url", "secret"} & set(value):
            raise ValueError(
                "webhook URLs and secrets are credentials: put them in environment variables "
                "and name those in url_env / secret_env"
            )
        return value

    @model_validator(mode="after")
    def _signed_vendors(self) -> Webhook:
        if self.secret_env and self.type in {"wecom", "slack"}:
            raise ValueError(f"secret_env: {self.type} robots are not signed; remove it")
        return self

    @property
    def channel(self) -> str:
        """The name `gate notify --only` and the notice-sent record use."""
        return self.name or self.type


class Notify(Strict):
    """上线通告: who receives the launch notice (`gate notify`), by email and in chat groups."""

    subject: str = Field(
        default="上线通告 / Release {tag}",
        min_length=1,
        max_length=200,
        description="may use {tag}, {title}, {component}, {kind}",
    )
    email: list[Email] = []
    roles: list[Name] = Field(default=[], description="members of these roles are emailed too")
    webhooks: list[Webhook] = []

    @field_validator("subject")
    @classmethod
    def _fields(cls, value: str) -> str:
        import string

        try:
            named = {field for _, field, _, _ in string.Formatter().parse(value) if field}
        except ValueError as exc:
            raise ValueError(f"not a valid template: {exc}") from None
        unknown = sorted(named - SUBJECT_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown field {{{unknown[0]}}}; expected {', '.join(sorted(SUBJECT_FIELDS))}"
            )
        return value


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

    def problems(self) -> list[str]:
        """Cross-reference errors as `field: message` (unknown roles, people, duplicates)."""
        out = []
        for rname, role in self.roles.items():
            for i, member in enumerate(role.members):
                if member not in self.people:
                    out.append(
                        f"roles.{rname}.members[{i}]: unknown person '{member}'"
                        + did_you_mean(member, self.people)
                    )
        seen_ids: set[str] = set()
        for g, gate in enumerate(self.all_gates()):
            if gate.id in seen_ids:
                out.append(f"gates[{g}].id: duplicate gate id '{gate.id}'")
            seen_ids.add(gate.id)
            for key in ("roles", "by_roles"):
                for i, role in enumerate(getattr(gate, key, [])):
                    if role not in self.roles:
                        out.append(
                            f"gates[{g}].{key}[{i}]: unknown role '{role}'"
                            + did_you_mean(role, self.roles)
                        )
        out += self._undeclared_when()
        out += self._binding_problems()
        out += self._emergency_problems()
        out += self._notify_problems()
        out += self._duplicate_identities()
        if self.signatures != "none" and not any(p.keys for p in self.people.values()):
            out.append(
                f"signatures: '{self.signatures}' needs keys, but no person lists any "
                "(people.<id>.keys); without a trust store nothing could be verified"
            )
        return out

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

    def _emergency_problems(self) -> list[str]:
        if self.emergency is None:
            return []
        ids = {g.id for g in self.all_gates()}
        out = [
            f"emergency.roles[{i}]: unknown role '{r}'" + did_you_mean(r, self.roles)
            for i, r in enumerate(self.emergency.roles)
            if r not in self.roles
        ]
        out += [
            f"emergency.never_waive[{i}]: unknown gate '{g}'" + did_you_mean(g, ids)
            for i, g in enumerate(self.emergency.never_waive)
            if g not in ids
        ]
        return out

    def _notify_problems(self) -> list[str]:
        if self.notify is None:
            return []
        out = [
            f"notify.roles[{i}]: unknown role '{r}'" + did_you_mean(r, self.roles)
            for i, r in enumerate(self.notify.roles)
            if r not in self.roles
        ]
        seen = {"email"}
        for i, hook in enumerate(self.notify.webhooks):
            if hook.channel in seen:
                out.append(
                    f"notify.webhooks[{i}]: channel '{hook.channel}' is used twice; "
                    "give each webhook its own `name`"
                )
            seen.add(hook.channel)
        return out

    def _binding_problems(self) -> list[str]:
        import fnmatch

        guarded = ("policies/release.toml", f"{self.releases}/v1/request.toml")
        return [
            f"binding.ignore[{i}]: '{glob}' would exempt policies/ or {self.releases}/; "
            "expected globs for code or docs only (e.g. docs/**)"
            for i, glob in enumerate(self.binding.ignore)
            if any(fnmatch.fnmatchcase(path, glob) for path in guarded)
        ]

    def _undeclared_when(self) -> list[str]:
        out = []
        for g, gate in enumerate(self.all_gates()):
            for key, declared in (("kind", self.kinds), ("component", self.components)):
                values = getattr(gate.when, key, None) if gate.when else None
                for i, value in enumerate(values or []):
                    if declared is not None and value not in declared:
                        out.append(
                            f"gates[{g}].when.{key}[{i}]: '{value}' is not in `{key}s`"
                            + did_you_mean(value, declared)
                        )
        return out

    def _duplicate_identities(self) -> list[str]:
        out = []
        emails: dict[str, str] = {}
        keys: dict[str, str] = {}
        for pid, person in self.people.items():
            other = emails.setdefault(person.email.lower(), pid)
            if other != pid:
                out.append(f"people.{pid}.email: '{person.email}' is also {other}'s email")
            for i, key in enumerate(person.keys):
                material = key_material(key)
                owner = keys.setdefault(material, pid)
                if owner != pid:
                    out.append(f"people.{pid}.keys[{i}]: this key is also listed for {owner}")
        return out
