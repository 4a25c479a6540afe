"""The email: a MIME multipart/alternative message (the Markdown as text/plain, rendered
as text/html), its Chinese subject RFC 2047-encoded so every client shows it, sent over
SMTP with STARTTLS when the server offers it (or always, when TLS is required)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.errors import InputError
from gatekeeper.notify.delivery import Delivery, Outcome

if TYPE_CHECKING:
    import smtplib
    import ssl
    from email.message import EmailMessage

    from gatekeeper.notify.config import SmtpSettings
    from gatekeeper.notify.message import Notice

CHANNEL = "email"


class _Refused(Exception):
    """The connection is not safe enough to send over; nothing was sent."""


def delivery(notice: Notice, smtp: SmtpSettings, to: list[str], now: datetime) -> Delivery:
    """The email channel: its message built now, so the preview shows what is sent."""
    msg = build(notice, smtp.sender, to, now)
    return Delivery(CHANNEL, tuple(preview(msg, smtp, to)), lambda: send(msg, smtp, len(to)))


def build(notice: Notice, sender: str, to: list[str], now: datetime) -> EmailMessage:
    """The message: From/To/Date/Message-ID, a UTF-8 subject, text and HTML alternatives.
    Bodies are 7-bit (quoted-printable or base64), so no server needs 8BITMIME."""
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime, make_msgid, parseaddr

    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg = EmailMessage(policy=SMTP.clone(cte_type="7bit"))
    msg["Subject"] = notice.subject
    if str(msg["Subject"]) != notice.subject:  # it decoded an RFC 2047 word in a value
        raise InputError(
            f"subject {notice.subject!r}: holds an encoded word (=?...?=) that mail would "
            "decode into other text (a line break, a header); expected plain text",
            hint="revise the request's title (`gate request TAG --revise --title ...`)",
        )
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(re.sub(r"[^A-Za-z0-9.-]", "-", notice.tag), domain=domain)
    msg.set_content(notice.markdown)
    msg.add_alternative(notice.html(), subtype="html")
    return msg


def preview(msg: EmailMessage, smtp: SmtpSettings, to: list[str]) -> list[str]:
    """What a dry run shows: the server, the headers, the parts and the text (no password)."""
    login = (
        f"login as {smtp.user} (password from {smtp.password_from})" if smtp.user else "no login"
    )
    lines = [
        f"email: {len(to)} recipients via {smtp.host}:{smtp.port} ({smtp.security()}), {login}"
    ]
    lines += [f"  {name}: {value}" for name, value in msg.items()]
    encoded = " ".join(msg.policy.fold("Subject", msg["Subject"]).split())
    lines.append(f"  (encoded as {encoded})")
    for part in msg.iter_parts():
        body = part.get_content()
        lines.append(
            f"  part {part.get_content_type()}; charset={part.get_content_charset()}; "
            f"{part['Content-Transfer-Encoding']}; {len(body)} characters"
        )
    plain = msg.get_body(("plain",))
    text = plain.get_content() if plain is not None else ""
    return lines + [f"  | {line}" for line in text.splitlines()]


def send(msg: EmailMessage, smtp: SmtpSettings, count: int) -> Outcome:
    """Send `msg` through `smtp`; one line saying why when it could not."""
    import smtplib
    import ssl

    context = ssl.create_default_context()
    try:
        with _connect(smtp, context) as conn:
            _secure(conn, smtp, context)
            if smtp.user:
                conn.login(smtp.user, smtp.password or "")
            refused = conn.send_message(msg)
    except _Refused as exc:
        return Outcome(CHANNEL, sent=False, problem=f"{exc}; nothing was sent")
    except (smtplib.SMTPException, OSError, ValueError) as exc:  # ValueError: a host name
        return Outcome(CHANNEL, sent=False, problem=_why(exc, smtp))  # IDNA cannot encode
    accepted, message_id = count - len(refused), str(msg["Message-ID"])
    detail = f"{accepted} recipients via {smtp.host}, Message-ID {message_id}"
    names = ", ".join(f"{a} ({code})" for a, (code, _) in refused.items())
    problem = f"the server refused {names}" if refused else ""
    return Outcome(CHANNEL, True, detail, problem, recipients=accepted, message_id=message_id)


def _connect(smtp: SmtpSettings, context: ssl.SSLContext) -> smtplib.SMTP:
    import smtplib

    if smtp.implicit_tls:
        return smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
    return smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)


def _secure(conn: smtplib.SMTP, smtp: SmtpSettings, context: ssl.SSLContext) -> None:
    """STARTTLS when offered; without it, refuse when TLS is required or a password
    would cross the network in clear."""
    conn.ehlo()
    if smtp.implicit_tls:
        return
    if conn.has_extn("starttls"):
        conn.starttls(context=context)
        conn.ehlo()
        return
    if smtp.require_tls:
        raise _Refused(f"{smtp.host} offers no STARTTLS and TLS is required")
    if smtp.user:
        raise _Refused(f"{smtp.host} offers no STARTTLS; the password would be sent in clear")


def _why(exc: BaseException, smtp: SmtpSettings) -> str:
    """One line for an SMTP or network failure."""
    import smtplib
    import ssl

    where = f"{smtp.host}:{smtp.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"{where} refused every recipient ({', '.join(exc.recipients)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        said = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{where} answered {exc.smtp_code} {' '.join(said.split())}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"{where}: its TLS certificate is not trusted ({exc.verify_message})"
    if isinstance(exc, TimeoutError):
        return f"{where}: no answer within {smtp.timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"{where}: connection refused"
    if isinstance(exc, UnicodeError):  # its text could quote the password: never shown
        return f"{where}: the host name, login or password cannot be encoded ({type(exc).__name__})"
    return f"{where}: {type(exc).__name__}: {' '.join(str(exc).split())}"
