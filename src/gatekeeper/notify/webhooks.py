"""POSTing a vendor's payload with the standard library, and reading its answer: a non-2xx
status, or a 2xx whose JSON carries a vendor error code (DingTalk and WeCom `errcode`,
Feishu `code`), is a failure. URLs and secrets never reach the output."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gatekeeper.notify import payloads
from gatekeeper.notify.delivery import Delivery, Outcome

if TYPE_CHECKING:
    import urllib.error

    from gatekeeper.notify.config import Endpoint
    from gatekeeper.notify.message import Notice

MAX_ANSWER = 64 * 1024
HIDDEN = "***"
_CODES = {"dingtalk": ("errcode", "errmsg"), "wecom": ("errcode", "errmsg")}


@dataclass(frozen=True)
class Post:
    """One request to a robot: where, and the JSON body."""

    endpoint: Endpoint
    url: str
    body: dict[str, Any]

    def data(self) -> bytes:
        """The body as sent: UTF-8 JSON, Chinese as itself."""
        return json.dumps(self.body, ensure_ascii=False).encode()


def delivery(endpoint: Endpoint, notice: Notice, timeout: float) -> Delivery:
    """The channel of one robot; the request (and its signature) is made when it is sent,
    since vendors accept a signature for an hour at most."""
    shown = post_for(endpoint, notice, time.time())
    return Delivery(
        endpoint.channel,
        tuple(preview(shown)),
        lambda: send(post_for(endpoint, notice, time.time()), timeout),
    )


def post_for(endpoint: Endpoint, notice: Notice, now: float) -> Post:
    """The vendor's payload for `notice`, signed at `now` when the robot has a secret."""
    from urllib.parse import urlencode

    url, secret = endpoint.url, endpoint.secret
    if endpoint.vendor == "dingtalk":
        body = payloads.dingtalk(notice)
        if secret:
            stamp = int(now * 1000)
            query = urlencode({"timestamp": stamp, "sign": payloads.dingtalk_sign(secret, stamp)})
            url += ("&" if "?" in url else "?") + query
    elif endpoint.vendor == "feishu":
        body = payloads.feishu(notice, secret, int(now))
    elif endpoint.vendor == "wecom":
        body = payloads.wecom(notice)
    else:
        body = payloads.slack(notice)
    return Post(endpoint, url, body)


def send(post: Post, timeout: float) -> Outcome:
    """POST it; the vendor's answer decides. Whatever fails is the channel's failure, never
    a crash: the mail may have gone out already, and its record must still be written."""
    import http.client
    import urllib.error
    import urllib.request

    channel = post.endpoint.channel
    request = urllib.request.Request(  # noqa: S310  (the scheme is checked: http or https)
        post.url,
        data=post.data(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            text = answer.read(MAX_ANSWER).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return Outcome(channel, sent=False, problem=f"HTTP {exc.code}: {_short(_said(exc))}")
    except (urllib.error.URLError, OSError) as exc:
        why = getattr(exc, "reason", exc)
        if isinstance(why, TimeoutError):
            why = f"no answer within {timeout:g} s"
        return Outcome(channel, sent=False, problem=f"cannot reach {_host(post.url)}: {why}")
    except (http.client.HTTPException, ValueError) as exc:
        return Outcome(channel, sent=False, problem=_unsendable(post, exc))
    problem = vendor_error(post.endpoint.vendor, text)
    return Outcome(channel, sent=not problem, problem=problem)


def _unsendable(post: Post, exc: Exception) -> str:
    """One line for what urllib raises besides URLError: an answer that is not HTTP
    (http.client.HTTPException), or a URL that cannot go on the wire (InvalidURL, a host
    IDNA cannot encode, a path that is not ASCII: ValueError). The URL is never shown."""
    import http.client

    host = _host(post.url)
    # InvalidURL quotes the URL's own parts; what a server answered is its to say.
    if isinstance(exc, http.client.HTTPException) and not isinstance(exc, http.client.InvalidURL):
        said = _short(str(exc).replace(post.url, HIDDEN))
        return f"{host} did not answer in HTTP ({type(exc).__name__}: {said})"
    return (
        f"cannot send to {host}: the URL in {post.endpoint.url_env} cannot go on the wire "
        f"({type(exc).__name__}: is its path ASCII, its host name valid?)"
    )


def _said(exc: urllib.error.HTTPError) -> str:
    """The body of an error answer, as far as it can be read."""
    import http.client

    try:
        body: bytes = exc.read(MAX_ANSWER)
    except (http.client.HTTPException, OSError, ValueError):
        return "(its body could not be read)"
    return body.decode("utf-8", "replace")


def vendor_error(vendor: str, text: str) -> str:
    """Why a 2xx answer still means failure ('' when it does not)."""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        if vendor == "slack":  # Slack answers a plain `ok`; its errors are HTTP statuses
            return ""
        return f"{vendor} answered something other than JSON: {_short(text)}"
    if vendor == "slack":
        failed = isinstance(doc, dict) and doc.get("ok") is False
        return f"Slack answered {_short(text)}" if failed else ""
    if not isinstance(doc, dict):
        return f"{vendor} answered {_short(text)}"
    code_key, msg_key = _CODES.get(vendor, ("code", "msg"))
    code = doc.get(code_key, doc.get("StatusCode", 0))  # Feishu's older answers
    if code in (0, None):
        return ""
    said = doc.get(msg_key) or doc.get("StatusMessage") or ""
    return f"{vendor} {code_key} {code}: {_short(str(said))}"


def preview(post: Post) -> list[str]:
    """What a dry run shows: the request with its URL, secret and signature hidden."""
    ep = post.endpoint
    signed = f", signed with {ep.secret_env}" if ep.secret else ""
    text = json.dumps(post.body, ensure_ascii=False, indent=2)
    if "sign" in post.body:
        text = text.replace(str(post.body["sign"]), HIDDEN)
    for secret in (ep.secret, ep.url):
        if secret:
            text = text.replace(secret, HIDDEN)
    lines = [
        f"{ep.channel}: {ep.vendor} robot: POST {redact(post.url)} (URL from {ep.url_env}{signed})",
        "  Content-Type: application/json; charset=utf-8",
    ]
    return lines + [f"  {line}" for line in text.splitlines()]


def redact(url: str) -> str:
    """Scheme and host only: robots carry their token in the path or the query."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/{HIDDEN}"


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).hostname or "?"


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:200] + "…"
