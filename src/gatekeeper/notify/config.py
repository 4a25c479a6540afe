"""Who receives the notice and through which servers: recipients from the policy's
`[notify]` table; servers, webhook URLs and secrets only from the environment or the
command line, since each of them is a credential and the policy is committed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.envflags import yes_or_no
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.models.notify import Notify, Webhook
    from gatekeeper.models.policy import Policy

SMTP_PORT = 587  # message submission (RFC 6409)
SSL_PORT = 465  # submission over implicit TLS (RFC 8314)
MAX_PASSWORD_BYTES = 4096  # a password file is read this far at most (not /dev/zero forever)
MAX_TIMEOUT = 3600  # seconds per server; beyond it (or inf, nan) sockets cannot wait


@dataclass(frozen=True)
class SmtpOptions:
    """What the command line says about the SMTP server (None: not given)."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    sender: str | None = None
    password_file: Path | None = None
    require_tls: bool = False
    ssl: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    """The SMTP server to send through, resolved."""

    host: str
    port: int
    sender: str
    user: str | None
    password: str | None
    password_from: str  # where the password came from, for the dry run
    require_tls: bool
    implicit_tls: bool
    timeout: float

    def security(self) -> str:
        """How the connection is protected, in words."""
        if self.implicit_tls:
            return "TLS from the start"
        return "STARTTLS required" if self.require_tls else "STARTTLS when the server offers it"


@dataclass(frozen=True)
class Endpoint:
    """One chat robot: its vendor, URL and signing secret, from the environment."""

    channel: str
    vendor: str  # dingtalk | feishu | wecom | slack (lark speaks feishu)
    url: str
    url_env: str
    secret: str | None = None
    secret_env: str | None = None


def check_options(smtp: SmtpOptions, timeout: float) -> None:
    """Option values no server could be reached with; exit 2 before anything is checked."""
    import math

    if not (math.isfinite(timeout) and 1 <= timeout <= MAX_TIMEOUT):
        raise InputError(
            f"--timeout {timeout:g}: expected a number of seconds from 1 to {MAX_TIMEOUT}",
            hint="--timeout 10 (the default)",
        )
    if smtp.port is not None and not 0 < smtp.port < 65536:
        raise InputError(
            f"--smtp-port {smtp.port}: expected a port number from 1 to 65535",
            hint="--smtp-port 587, or 465 for TLS from the start",
        )


def recipients(policy: Policy, notify: Notify) -> list[str]:
    """`email` and the emails of every member of `roles`, each once, in order."""
    found = list(notify.email)
    for role in notify.roles:
        members = policy.roles[role].members if role in policy.roles else []
        found += [policy.people[m].email for m in members if m in policy.people]
    unique: dict[str, str] = {}
    for address in found:
        unique.setdefault(address.lower(), address)
    return list(unique.values())


def smtp_settings(opts: SmtpOptions, env: Mapping[str, str], timeout: float) -> SmtpSettings:
    """The command line first, then GATE_SMTP_*; exit 2 naming what is missing."""
    host = opts.host or env.get("GATE_SMTP_HOST", "")
    if not host:
        raise InputError(
            "email: no SMTP server: GATE_SMTP_HOST is not set and --smtp-host not given",
            hint="export GATE_SMTP_HOST=smtp.example.com (and GATE_SMTP_PORT, GATE_SMTP_USER, "
            "GATE_SMTP_PASSWORD, GATE_SMTP_FROM); see docs/notify.md",
        )
    port = opts.port or _port(env.get("GATE_SMTP_PORT", ""))
    implicit = opts.ssl or port == SSL_PORT
    user = opts.user or env.get("GATE_SMTP_USER") or None
    password, password_from = _password(opts, env)
    sender = opts.sender or env.get("GATE_SMTP_FROM") or (user if user and "@" in user else "")
    if not sender or "@" not in sender:
        raise InputError(
            "email: no sender address: GATE_SMTP_FROM is not set and --smtp-from not given",
            hint="export GATE_SMTP_FROM='产品室 <product@example.com>'",
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in sender):
        raise InputError(
            "email: the sender address has control characters (a line break would start a"
            " new mail header); expected one line",
            hint="export GATE_SMTP_FROM='产品室 <product@example.com>'",
        )
    if password and not user:
        raise InputError(f"email: {password_from} given, but no user (GATE_SMTP_USER)")
    tls = "export GATE_SMTP_REQUIRE_TLS=1 to refuse sending without TLS"
    require = opts.require_tls or yes_or_no(env, "GATE_SMTP_REQUIRE_TLS", tls)
    return SmtpSettings(
        host=host,
        port=port or (SSL_PORT if implicit else SMTP_PORT),
        sender=sender,
        user=user,
        password=password,
        password_from=password_from,
        require_tls=require,
        implicit_tls=implicit,
        timeout=timeout,
    )


def _port(value: str) -> int:
    if not value:
        return 0
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536:
        raise InputError(f"GATE_SMTP_PORT={value!r}: expected a port number", hint="e.g. 587")
    return int(value)


def _password(opts: SmtpOptions, env: Mapping[str, str]) -> tuple[str | None, str]:
    """--smtp-password-file (first line), else GATE_SMTP_PASSWORD; never a plain option,
    which any user of the machine could read in the process list."""
    if opts.password_file is not None:
        text = _password_file(opts.password_file)
        return (text.splitlines() or [""])[0], f"--smtp-password-file {opts.password_file}"
    return env.get("GATE_SMTP_PASSWORD") or None, "GATE_SMTP_PASSWORD"


def _password_file(path: Path) -> str:
    """A regular file of at most MAX_PASSWORD_BYTES of UTF-8, read without blocking on a
    pipe or reading a device forever; exit 2 naming it otherwise."""
    from gatekeeper.plainfile import NotPlainFile, read_plain

    where, hint = f"--smtp-password-file {path}", "give a readable UTF-8 file holding the password"
    try:
        data = read_plain(path, MAX_PASSWORD_BYTES)
    except NotPlainFile:
        raise InputError(
            f"{where}: not a regular file (a device, a pipe or a folder); expected a file "
            f"of at most {MAX_PASSWORD_BYTES} bytes",
            hint=hint,
        ) from None
    except OSError as exc:
        raise InputError(f"{where}: cannot be read ({exc.strerror or exc})", hint=hint) from None
    if len(data) > MAX_PASSWORD_BYTES:
        raise InputError(
            f"{where}: more than {MAX_PASSWORD_BYTES} bytes; expected a file holding a password",
            hint=hint,
        )
    try:
        return data.decode("utf-8")
    except UnicodeError:  # its message would quote a byte of the password
        raise InputError(f"{where}: not UTF-8 text; expected a password", hint=hint) from None


def endpoints(notify: Notify, env: Mapping[str, str], channels: set[str]) -> list[Endpoint]:
    """The policy's webhooks among `channels`, each with its URL and secret read from the
    environment (only those: a robot not sent to needs no credentials here)."""
    return [
        _endpoint(i, hook, env)
        for i, hook in enumerate(notify.webhooks)
        if hook.channel in channels
    ]


def _endpoint(i: int, hook: Webhook, env: Mapping[str, str]) -> Endpoint:
    from urllib.parse import urlsplit

    where = f"notify.webhooks[{i}] ({hook.channel})"
    url = env.get(hook.url_env, "").strip()
    if not url:
        raise InputError(
            f"{where}: {hook.url_env} is not set; expected the robot's webhook URL",
            hint=f"export {hook.url_env}=https://... (a CI secret; never commit it)",
        )
    try:
        parts = urlsplit(url)  # .port raises when out of range
        web = parts.scheme in {"https", "http"} and bool(parts.hostname)
        ok = web and (parts.port is None or parts.port > 0)
    except ValueError:
        ok = False
    if ok and "@" in parts.netloc:  # a password there would be quoted by what fails
        raise InputError(
            f"{where}: {hook.url_env} holds a user name or password before its host; "
            "expected the robot's URL without them",
            hint="robots authenticate by the token in their URL's path, or by a secret_env",
        )
    # Whitespace or control characters only fail when sending, after the mail went out.
    if not ok or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise InputError(
            f"{where}: {hook.url_env} is not an http(s) URL (no spaces or control characters,"
            " a port from 1 to 65535)",
            hint="copy the webhook address the robot's settings show",
        )
    secret = None
    if hook.secret_env:
        secret = env.get(hook.secret_env, "").strip()
        if not secret:
            raise InputError(
                f"{where}: {hook.secret_env} is not set; expected the robot's signing secret",
                hint=f"export {hook.secret_env}=SEC... (or remove secret_env if unsigned)",
            )
    vendor = "feishu" if hook.type == "lark" else hook.type
    return Endpoint(hook.channel, vendor, url, hook.url_env, secret, hook.secret_env)
