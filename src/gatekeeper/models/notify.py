"""上线通告: who receives the launch notice (`gate notify`), by email and in chat groups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from gatekeeper.models.base import Name, Strict

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
