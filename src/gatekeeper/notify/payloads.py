"""Each chat vendor's documented message and signature, as plain data.

- DingTalk custom robot: `{"msgtype": "markdown", "markdown": {"title", "text"}}`; signed
  robots take `timestamp` (ms) and `sign` = Base64(HmacSHA256(key=secret,
  msg="<timestamp>\\n<secret>")) as query parameters.
- Feishu / Lark custom bot: an interactive card (`msg_type = "interactive"`, header and
  one markdown element); signed bots take `timestamp` (s) and `sign` =
  Base64(HmacSHA256(key="<timestamp>\\n<secret>", msg="")) in the body.
- WeCom group robot: `{"msgtype": "markdown", "markdown": {"content"}}`, at most 4096
  bytes of content.
- Slack incoming webhook: `text` (the notification fallback) and Block Kit blocks: a
  header and `mrkdwn` sections of at most 3000 characters each.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.notify.message import Notice

WECOM_BYTES = 4096
DINGTALK_BYTES = 20000
FEISHU_BYTES = 18000  # the whole request may be at most 20 KB
SLACK_SECTION = 3000
SLACK_BLOCKS = 50
SLACK_HEADER = 150
CUT = "\n\n……(truncated; the full notice is in the email and in the repository)"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's signature (before URL-encoding)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu / Lark's signature: the key is "<timestamp>\\n<secret>", the message empty."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def dingtalk(notice: Notice) -> dict[str, Any]:
    """A markdown message; `title` is what the notification list shows."""
    text = truncate(notice.markdown, DINGTALK_BYTES)
    return {"msgtype": "markdown", "markdown": {"title": notice.subject, "text": text}}


def feishu(notice: Notice, secret: str | None, timestamp_s: int) -> dict[str, Any]:
    """An interactive card: the subject as its header, the notice as a markdown element."""
    card = {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": notice.subject}, "template": "blue"},
        "elements": [{"tag": "markdown", "content": truncate(notice.markdown, FEISHU_BYTES)}],
    }
    body: dict[str, Any] = {"msg_type": "interactive", "card": card}
    if secret:
        body = {"timestamp": str(timestamp_s), "sign": feishu_sign(secret, timestamp_s), **body}
    return body


def wecom(notice: Notice) -> dict[str, Any]:
    """A markdown message (WeCom's markdown has no title: the notice's own heading shows)."""
    return {"msgtype": "markdown", "markdown": {"content": truncate(notice.markdown, WECOM_BYTES)}}


def slack(notice: Notice) -> dict[str, Any]:
    """A header block with the subject, then the notice in mrkdwn sections."""
    header = notice.subject if len(notice.subject) <= SLACK_HEADER else notice.subject[:149] + "…"
    sections = _chunks(mrkdwn(notice.markdown), SLACK_SECTION)[: SLACK_BLOCKS - 1]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}}
    ]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections]
    # `text` is mrkdwn too (what notifications show): `<!channel>` in a title would ping
    return {"text": _escape(notice.subject), "blocks": blocks}


def truncate(text: str, limit: int) -> str:
    """`text` within `limit` UTF-8 bytes, cut at a character and saying so."""
    data = text.encode()
    if len(data) <= limit:
        return text
    room = limit - len(CUT.encode())
    return data[:room].decode("utf-8", "ignore").rstrip() + CUT


_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![*\w])\*(?=\S)([^*]+?)(?<=\S)\*(?![*\w])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
# Only web and mail links become `<url|text>`: Slack reads `<!channel>`, `<@U123>` and
# `<!subteam^...>` in the same brackets as mentions that ping people.
_LINK = re.compile(r"\[([^\]|]+)\]\(((?:https?://|mailto:)[^)\s|]+)\)", re.IGNORECASE)
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[-*+]\s+")


def mrkdwn(markdown: str) -> str:
    """Markdown as Slack's mrkdwn: `*bold*`, `_italic_`, `~strike~`, `<url|text>`, headings
    as bold lines, bullets as •; `&`, `<` and `>` escaped. Code blocks are left alone."""
    out, fenced = [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append(line)
            continue
        out.append(_escape(line) if fenced else _line(line))
    return "\n".join(out)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _line(line: str) -> str:
    quote = line.startswith(">")  # Slack quotes with a literal `>`, which stays unescaped
    text = _escape(line[1:] if quote else line)
    heading = _HEADING.match(text)
    text = f"\x00{heading.group(1)}\x00" if heading else _BULLET.sub(r"\1• ", text)
    text = _BOLD.sub("\x00\\2\x00", text)
    text = _ITALIC.sub(r"_\1_", text)
    text = _STRIKE.sub(r"~\1~", text)
    text = _LINK.sub(r"<\2|\1>", text).replace("\x00", "*")
    return (">" + text) if quote else text


def _chunks(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` characters, split between paragraphs when it can."""
    pieces: list[str] = []
    for paragraph in text.split("\n\n"):
        rest = paragraph
        while len(rest) > limit:
            pieces.append(rest[:limit])
            rest = rest[limit:]
        if pieces and len(pieces[-1]) + 2 + len(rest) <= limit:
            pieces[-1] += "\n\n" + rest
        else:
            pieces.append(rest)
    return [p for p in pieces if p.strip()] or ["(empty)"]
