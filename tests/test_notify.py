"""`gate notify`: the 上线通告 sent for real — through an SMTP server on 127.0.0.1 (aiosmtpd),
to chat robots played by an HTTP server on 127.0.0.1 — only once the release passes, and
recorded as `notice-sent` evidence that a post-release gate counts."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import shutil
import socket
import ssl
import subprocess
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import FixedClock, Repo, approve_all, make_repo

TAG = "v1.0.0"
NOTICE = """# 上线通告

v1.0.0 今晚 22:00 上线，支付服务重启约 5 分钟。

- **影响**: 下单暂停
- 详情见 [发布说明](https://example.com/notes?a=1&b=2)
"""
NOTICE_GATE = '[[gates]]\nid = "notice"\ntype = "evidence"\nkind = "launch-notice"\n'
NOTICE_GATE += 'by_roles = ["product"]\n'
SENT_GATE = (
    '[[gates]]\nid = "sent"\ntype = "evidence"\nkind = "notice-sent"\n'
    'due_hours = 24\nchannels = ["email"]\n'
)
SUBJECT = "上线通告 / Release v1.0.0: 支付改版"
EMAIL = (
    '[notify]\nsubject = "上线通告 / Release {tag}: {title}"\n'
    'email = ["ops@example.com", "qa@example.com"]\nroles = ["leadership"]\n'
)
HOOKS = """webhooks = [
  { type = "dingtalk", url_env = "GATE_DINGTALK_URL", secret_env = "GATE_DINGTALK_SECRET" },
  { type = "feishu", url_env = "GATE_FEISHU_URL", secret_env = "GATE_FEISHU_SECRET" },
  { type = "wecom", url_env = "GATE_WECOM_URL" },
  { type = "slack", url_env = "GATE_SLACK_URL" },
]
"""
SECRETS = {"GATE_DINGTALK_SECRET": "SECding-secret", "GATE_FEISHU_SECRET": "feishu-secret"}
OK_ANSWERS = {
    "dingtalk": (200, b'{"errcode":0,"errmsg":"ok"}'),
    "feishu": (200, b'{"code":0,"msg":"success","data":{}}'),
    "wecom": (200, b'{"errcode":0,"errmsg":"ok"}'),
    "slack": (200, b"ok"),
}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to 127.0.0.1 go straight there, whatever proxy the machine has."""
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


def _ready(
    tmp_path: Path, notify: str, gates: str = "", title: str = "支付改版", who: str = "dave"
) -> Repo:
    """An approved release with a launch notice from the product office (the request's
    title is its requester's, `who`'s, free text)."""
    r = make_repo(tmp_path, extra=notify, gates=NOTICE_GATE + gates)
    res = r.gate("request", TAG, "--title", title, who=who)
    assert res.code == 0, res.err + res.out
    approve_all(r)
    (tmp_path / "notice.md").write_text(NOTICE, encoding="utf-8")
    res = r.gate("attach", TAG, "launch-notice", str(tmp_path / "notice.md"), who="alice")
    assert res.code == 0, res.err
    assert r.gate("check", TAG).code == 0
    return r


# --- a real SMTP server ------------------------------------------------------------------


@dataclass
class Inbox:
    """What the SMTP server received."""

    messages: list[dict[str, Any]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.original_content or envelope.content,
                "tls": session.ssl is not None,
                "login": session.auth_data,
            }
        )
        return "250 OK"

    def parsed(self, n: int = 0) -> EmailMessage:
        msg = email.message_from_bytes(self.messages[n]["data"], policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        return msg


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _smtp_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("GATE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("GATE_SMTP_PORT", str(port))
    monkeypatch.setenv("GATE_SMTP_FROM", "产品室 <product@example.com>")


def _records(r: Repo) -> list[dict[str, Any]]:
    paths = r.git("ls-files", f"releases/{TAG}/evidence").splitlines()
    return [
        tomllib.loads((r.path / p).read_text(encoding="utf-8"))
        for p in sorted(paths)
        if "notice-sent" in p
    ]


def test_email_is_a_mime_alternative_with_a_chinese_subject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _ready(tmp_path, EMAIL)
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        res = r.gate("notify", TAG)
    assert res.code == 0, res.err + res.out
    assert "email: sent (3 recipients" in res.out
    [got] = inbox.messages
    assert got["to"] == ["ops@example.com", "qa@example.com", "erin@example.com"]
    assert got["from"] == "product@example.com"
    raw = got["data"].decode("ascii")  # 7-bit clean: no server needs 8BITMIME
    assert "Subject: =?utf-8?" in raw  # RFC 2047-encoded on the wire
    msg = inbox.parsed()
    assert msg["Subject"] == SUBJECT  # ...and decoded back as written
    assert msg["From"].addresses[0].display_name == "产品室"
    assert msg["Date"] and msg["Message-ID"].startswith("<")
    assert msg.get_content_type() == "multipart/alternative"
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert plain.get_content().replace("\r\n", "\n") == NOTICE  # CRLF on the wire
    assert "<h1>上线通告</h1>" in html.get_content()
    assert "<strong>影响</strong>" in html.get_content()
    assert 'href="https://example.com/notes?a=1&amp;b=2"' in html.get_content()
    # recorded, committed, and nothing else left behind
    [record] = _records(r)
    details = record["details"]
    assert details["channels"] == ["email"] and details["recipients"] == 3
    assert details["message_id"] == msg["Message-ID"]
    assert details["notice_sha256"] == hashlib.sha256(NOTICE.encode()).hexdigest()
    assert record["person"] == "dave"
    assert r.git("log", "-1", "--format=%s") == f"gate: attach notice-sent to {TAG}"
    assert r.git("status", "--porcelain") == ""


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_starttls_when_offered_then_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and data.password == b"s3cret"
        return AuthResult(success=ok, auth_data=data)

    r = _ready(tmp_path, EMAIL)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts our test CA
    with smtp_server(tls_context=context, authenticator=authenticator) as (port, inbox):
        _smtp_env(monkeypatch, port)
        monkeypatch.setenv("GATE_SMTP_USER", "product@example.com")
        monkeypatch.setenv("GATE_SMTP_PASSWORD", "s3cret")
        res = r.gate("notify", TAG, "--require-tls")
    assert res.code == 0, res.err + res.out
    [got] = inbox.messages
    assert got["tls"] is True
    assert got["login"].login == b"product@example.com"
    assert inbox.parsed()["Subject"] == SUBJECT


def test_a_server_without_starttls_is_refused_when_tls_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _ready(tmp_path, EMAIL)
    before = r.state()
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        res = r.gate("notify", TAG, "--require-tls")
        assert res.code == 1
        assert "email: FAILED: 127.0.0.1 offers no STARTTLS and TLS is required" in res.out
        # a password never crosses the network in clear either
        monkeypatch.setenv("GATE_SMTP_USER", "product@example.com")
        monkeypatch.setenv("GATE_SMTP_PASSWORD", "s3cret")
        res = r.gate("notify", TAG)
        assert res.code == 1 and "the password would be sent in clear" in res.out
    assert inbox.messages == []
    assert r.state() == before  # nothing recorded: nothing was sent


# --- chat robots -------------------------------------------------------------------------


@dataclass
class Robots:
    """An HTTP server standing in for every vendor: what it received, what it answers."""

    base: str
    answers: dict[str, tuple[int, bytes]]
    received: dict[str, dict[str, Any]] = field(default_factory=dict)


@contextmanager
def robots(answers: dict[str, tuple[int, bytes]] | None = None) -> Iterator[Robots]:
    state = Robots("", {**OK_ANSWERS, **(answers or {})})

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            vendor = self.path.split("/")[1]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received[vendor] = {
                "path": self.path,
                "type": self.headers["Content-Type"],
                "json": json.loads(body),
            }
            status, answer = state.answers[vendor]
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _hook_env(monkeypatch: pytest.MonkeyPatch, base: str) -> None:
    monkeypatch.setenv("GATE_DINGTALK_URL", f"{base}/dingtalk/robot/send?access_token=ding-tok")
    monkeypatch.setenv("GATE_FEISHU_URL", f"{base}/feishu/open-apis/bot/v2/hook/feishu-hook-id")
    monkeypatch.setenv("GATE_WECOM_URL", f"{base}/wecom/cgi-bin/webhook/send?key=wecom-key")
    monkeypatch.setenv("GATE_SLACK_URL", f"{base}/slack/services/T0/B0/slack-token")
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


def test_each_robot_gets_the_payload_its_vendor_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _ready(tmp_path, "[notify]\n" + HOOKS)
    with robots() as hub:
        _hook_env(monkeypatch, hub.base)
        res = r.gate("notify", TAG)
    assert res.code == 0, res.err + res.out
    assert set(hub.received) == {"dingtalk", "feishu", "wecom", "slack"}
    assert all(got["type"] == "application/json; charset=utf-8" for got in hub.received.values())
    subject = "上线通告 / Release v1.0.0"  # the default subject

    ding = hub.received["dingtalk"]
    query = parse_qs(urlsplit(ding["path"]).query)
    assert query["access_token"] == ["ding-tok"]
    stamp, secret = query["timestamp"][0], SECRETS["GATE_DINGTALK_SECRET"]
    mac = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256)
    assert query["sign"] == [base64.b64encode(mac.digest()).decode()]
    assert ding["json"] == {"msgtype": "markdown", "markdown": {"title": subject, "text": NOTICE}}

    feishu = hub.received["feishu"]["json"]
    key = f"{feishu['timestamp']}\n{SECRETS['GATE_FEISHU_SECRET']}".encode()
    assert feishu["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu["msg_type"] == "interactive"
    assert feishu["card"]["header"]["title"] == {"tag": "plain_text", "content": subject}
    assert feishu["card"]["elements"] == [{"tag": "markdown", "content": NOTICE}]

    wecom = hub.received["wecom"]
    assert parse_qs(urlsplit(wecom["path"]).query) == {"key": ["wecom-key"]}
    assert wecom["json"] == {"msgtype": "markdown", "markdown": {"content": NOTICE}}

    slack = hub.received["slack"]["json"]
    assert slack["text"] == subject
    assert slack["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": subject}}
    [section] = slack["blocks"][1:]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    text = section["text"]["text"]
    assert text.startswith("*上线通告*\n")
    assert "• *影响*: 下单暂停" in text
    assert "<https://example.com/notes?a=1&amp;b=2|发布说明>" in text

    [record] = _records(r)
    assert record["details"]["channels"] == ["dingtalk", "feishu", "wecom", "slack"]
    assert record["details"]["recipients"] == 0


def test_a_vendor_error_fails_that_channel_and_a_rerun_sends_only_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _ready(tmp_path, "[notify]\n" + HOOKS)
    answers = {
        "dingtalk": (200, b'{"errcode":310000,"errmsg":"sign not match"}'),
        "feishu": (200, b'{"code":19021,"msg":"sign match fail","data":{}}'),
        "slack": (404, b"no_service"),
    }
    with robots(answers) as hub:
        _hook_env(monkeypatch, hub.base)
        res = r.gate("notify", TAG)
        assert res.code == 1
        lines = res.out.splitlines()
        assert "dingtalk: FAILED: dingtalk errcode 310000: sign not match" in lines
        assert "feishu: FAILED: feishu code 19021: sign match fail" in lines
        assert "slack: FAILED: HTTP 404: no_service" in lines
        assert "wecom: sent" in lines
        [record] = _records(r)  # what did reach its group is recorded
        assert record["details"]["channels"] == ["wecom"]
        again = r.gate("notify", TAG)
        assert again.code == 2 and "already sent to wecom" in again.err
        assert "--only dingtalk --only feishu --only slack" in again.err
        hub.answers.update(OK_ANSWERS)
        hub.received.clear()
        rest = r.gate("notify", TAG, "--only", "dingtalk", "--only", "feishu", "--only", "slack")
    assert rest.code == 0, rest.err + rest.out
    assert set(hub.received) == {"dingtalk", "feishu", "slack"}
    sent = sorted(tuple(rec["details"]["channels"]) for rec in _records(r))
    assert sent == [("dingtalk", "feishu", "slack"), ("wecom",)]


def test_refused_when_the_gates_fail_nothing_sent_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = make_repo(tmp_path, extra=EMAIL + HOOKS, gates=NOTICE_GATE)
    assert r.gate("request", TAG, "--title", "支付改版").code == 0
    (tmp_path / "notice.md").write_text(NOTICE, encoding="utf-8")
    assert (
        r.gate("attach", TAG, "launch-notice", str(tmp_path / "notice.md"), who="alice").code == 0
    )
    before = r.state()  # nobody has approved
    with smtp_server() as (port, inbox), robots() as hub:
        _smtp_env(monkeypatch, port)
        _hook_env(monkeypatch, hub.base)
        res = r.gate("notify", TAG)
    assert res.code == 1
    assert "refused: 'v1.0.0' fails its gates; nothing was sent" in res.err
    assert "acceptance" in res.out  # the failing gate is named
    assert inbox.messages == [] and hub.received == {}
    assert r.state() == before


def test_dry_run_shows_every_channel_with_secrets_hidden_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _ready(tmp_path, EMAIL + HOOKS)
    before = r.state()
    with smtp_server() as (port, inbox), robots() as hub:
        _smtp_env(monkeypatch, port)
        _hook_env(monkeypatch, hub.base)
        monkeypatch.setenv("GATE_SMTP_USER", "product@example.com")
        monkeypatch.setenv("GATE_SMTP_PASSWORD", "smtp-password")
        res = r.gate("notify", TAG, "--dry-run")
    assert res.code == 0, res.err + res.out
    out = res.out
    assert f"Subject: {SUBJECT}" in out
    assert "(encoded as Subject: =?utf-8?" in out
    assert "To: ops@example.com, qa@example.com, erin@example.com" in out
    assert "part text/plain; charset=utf-8" in out and "part text/html; charset=utf-8" in out
    assert "password from GATE_SMTP_PASSWORD" in out
    for channel in ("dingtalk", "feishu", "wecom", "slack"):
        assert f"{channel}: {channel} robot: POST {hub.base}/***" in out
    assert '"sign": "***"' in out and '"msg_type": "interactive"' in out
    for secret in ("ding-tok", "feishu-hook-id", "wecom-key", "slack-token", "smtp-password"):
        assert secret not in out
    for secret in SECRETS.values():
        assert secret not in out
    assert "dry run: nothing sent, nothing written" in out
    assert inbox.messages == [] and hub.received == {}
    assert r.state() == before


def test_a_post_release_gate_counts_the_notice_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekeeper.check.evaluation import CheckOptions, check_release
    from gatekeeper.repo import open_repo

    r = _ready(tmp_path, EMAIL, gates=SENT_GATE)
    assert r.gate("tag", TAG).code == 0

    def sent_gate(hours_after_tag: float) -> tuple[bool, tuple[str, ...]]:
        with open_repo(r.path) as git:
            info = git.tag(TAG)
            assert info is not None and info.tagged_at is not None
            now = info.tagged_at + timedelta(hours=hours_after_tag)
            report = check_release(git, TAG, CheckOptions(stage="post-release", now=now))
        gate = next(g for g in report.gates if g.id == "sent")
        return gate.passed and not gate.pending, gate.reasons

    passed, reasons = sent_gate(25)
    assert not passed and any("overdue" in reason for reason in reasons)  # nothing sent yet
    with open_repo(r.path) as git:  # sent a minute after the tag (not in its second)
        tagged = git.tag(TAG).tagged_at  # type: ignore[union-attr]
    assert tagged is not None
    FixedClock(monkeypatch, tagged, timedelta(minutes=1)).tick()
    with smtp_server() as (port, _inbox):
        _smtp_env(monkeypatch, port)
        assert r.gate("notify", TAG).code == 0
    passed, reasons = sent_gate(25)
    assert passed, reasons
    assert "to email (3 email recipients)" in reasons[0]
    res = r.gate("check", TAG, "--stage", "post-release", "--format", "json")
    assert res.code == 0, res.out
    gate = next(g for g in json.loads(res.out)["gates"] if g["id"] == "sent")
    assert gate["passed"] is True and gate["pending"] is False


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[notify]\nwebhooks = [{ type = "dingtalk", url = "https://oapi.dingtalk.com/x" }]',
            "webhook URLs and secrets are credentials",
        ),
        ('[notify]\nemails = ["a@example.com"]', "notify.emails"),
        ('[notify]\nsubject = "上线 {release}"', "unknown field {release}"),
        ('[notify]\nroles = ["qa"]', "notify.roles[0]: unknown role 'qa'"),
        (
            '[notify]\nwebhooks = [{ type = "wecom", url_env = "W", secret_env = "S" }]',
            "wecom robots are not signed",
        ),
    ],
)
def test_the_notify_table_is_strict(tmp_path: Path, table: str, expected: str) -> None:
    r = make_repo(tmp_path, extra=table)
    res = r.gate("check", TAG)
    assert res.code == 2 and expected in res.err, res.err


def test_a_webhook_without_its_url_in_the_environment_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _ready(tmp_path, "[notify]\n" + HOOKS)
    before = r.state()
    with robots() as hub:
        _hook_env(monkeypatch, hub.base)
        monkeypatch.delenv("GATE_FEISHU_URL")
        res = r.gate("notify", TAG)
    assert res.code == 2
    assert "notify.webhooks[1] (feishu): GATE_FEISHU_URL is not set" in res.err
    assert hub.received == {}  # refused before any channel was sent to
    assert r.state() == before


@pytest.mark.parametrize(
    "url", ["{base}/hooks/T0 B0", "{base}/a\tb", "http://127.0.0.1:99999/x", "http://[::1/x"]
)
def test_a_webhook_url_that_could_not_be_sent_to_is_refused_before_any_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """A space in a webhook URL used to fail only when sending, after the mail had gone
    out and before the notice-sent record was written: every re-run mailed again."""
    r = _ready(tmp_path, "[notify]\n" + HOOKS)
    before = r.state()
    with robots() as hub:
        _hook_env(monkeypatch, hub.base)
        monkeypatch.setenv("GATE_FEISHU_URL", url.format(base=hub.base))
        res = r.gate("notify", TAG)
    assert res.code == 2 and "GATE_FEISHU_URL is not an http(s) URL" in res.err, res.err
    assert hub.received == {}
    assert r.state() == before


@pytest.mark.parametrize(
    ("var", "value", "said"),
    [
        ("GATE_SMTP_PORT", "\u00b2", "expected a port number"),
        ("GATE_SMTP_FROM", "a@example.com\r\nBcc: b@example.com", "control characters"),
    ],
)
def test_smtp_settings_that_are_not_plain_are_refused(var: str, value: str, said: str) -> None:
    from gatekeeper.errors import InputError
    from gatekeeper.notify.config import SmtpOptions, smtp_settings

    env = {"GATE_SMTP_HOST": "127.0.0.1", "GATE_SMTP_FROM": "a@example.com", var: value}
    with pytest.raises(InputError, match=said):
        smtp_settings(SmtpOptions(), env, 5.0)


def test_markdown_becomes_slack_mrkdwn_and_long_notices_are_cut() -> None:
    from gatekeeper.notify.payloads import WECOM_BYTES, mrkdwn, truncate

    got = mrkdwn("## 标题\n**粗** and *斜* ~~删~~ <b>\n* item\n```\n<raw>\n```")
    assert got.splitlines() == ["*标题*", "*粗* and _斜_ ~删~ &lt;b&gt;", "• item", "```",
                                "&lt;raw&gt;", "```"]  # fmt: skip
    cut = truncate("通" * 3000, WECOM_BYTES)
    assert len(cut.encode()) <= WECOM_BYTES and cut.endswith("in the repository)")
    assert truncate("short", WECOM_BYTES) == "short"


def test_raw_html_in_a_notice_reaches_mail_clients_as_text() -> None:
    from gatekeeper.notify.message import Notice

    notice = Notice(
        TAG, "s", "# 通告\n\n<script>alert(1)</script> [x](javascript:alert(1))\n", "p", "0", "a"
    )
    html = notice.html()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<h1>通告</h1>" in html


def _keyed(tmp_path: Path, who: str) -> tuple[Path, str]:
    path = tmp_path / f"key-{who}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True
    )
    return path, path.with_name(path.name + ".pub").read_text().strip()


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen signs")
def test_in_ssh_mode_the_record_is_signed_and_a_missing_key_stops_before_sending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import policy_text

    keys = {who: _keyed(tmp_path, who) for who in ("alice", "bob", "dave")}
    text = policy_text(EMAIL, NOTICE_GATE + SENT_GATE).replace(
        'signatures = "none"', 'signatures = "ssh"'
    )
    for who, (_, public) in keys.items():
        line = f'email = "{who}@example.com"\n'
        text = text.replace(line, f'{line}keys = ["{public}"]\n')
    r = Repo(tmp_path / "signed")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("policies/release.toml", text)
    r.commit("initial")

    def run(who: str, *args: str) -> None:
        res = r.gate(*args, "--key", str(keys[who][0]), who=who)
        assert res.code == 0, res.err

    run("dave", "request", TAG, "--title", "支付改版")
    run("alice", "approve", TAG, "--role", "product")
    run("bob", "approve", TAG, "--role", "rnd")
    (tmp_path / "notice.md").write_text(NOTICE, encoding="utf-8")
    run("alice", "attach", TAG, "launch-notice", str(tmp_path / "notice.md"))
    before = r.state()
    with smtp_server() as (port, inbox):
        _smtp_env(monkeypatch, port)
        unsigned = r.gate("notify", TAG)  # no key: it could not be recorded, so not sent
        assert unsigned.code == 2 and "no signing key" in unsigned.err
        assert inbox.messages == [] and r.state() == before
        run("dave", "notify", TAG)
    assert len(inbox.messages) == 1
    [path] = [p for p in r.git("ls-files").splitlines() if "notice-sent" in p]
    assert "-----BEGIN SSH SIGNATURE-----" in (r.path / path).read_text(encoding="utf-8")
    res = r.gate("check", TAG, "--stage", "post-release", "--format", "json")
    gate = next(g for g in json.loads(res.out)["gates"] if g["id"] == "sent")
    assert gate["passed"] is True and gate["pending"] is False, gate
    assert "verified" in gate["reasons"][0]


def test_a_notice_sent_some_other_way_can_be_recorded_by_hand(tmp_path: Path) -> None:
    r = _ready(tmp_path, EMAIL, gates=SENT_GATE)
    res = r.gate("attach", TAG, "notice-sent", "--set", "channels=email", "--set", "recipients=40")
    assert res.code == 0, res.err
    [record] = _records(r)
    assert record["details"]["channels"] == ["email"] and record["details"]["recipients"] == 40
    check = r.gate("check", TAG, "--stage", "post-release", "--format", "json")
    gate = next(g for g in json.loads(check.out)["gates"] if g["id"] == "sent")
    assert gate["passed"] is True and gate["pending"] is False


def test_a_notice_sent_gate_is_post_release_only(tmp_path: Path) -> None:
    gate = '[[gates]]\nid = "sent"\ntype = "evidence"\nkind = "notice-sent"\nstage = "pre-tag"\n'
    res = make_repo(tmp_path, gates=gate).gate("check", TAG)
    assert res.code == 2 and "gates[1].stage: input should be 'post-release'" in res.err
