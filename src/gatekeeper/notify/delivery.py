"""One channel's delivery: what a dry run shows of it, and what sending it did."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What sending to one channel did. `sent`: the notice reached the channel (perhaps not
    every recipient); `problem`: what went wrong, empty when nothing did."""

    channel: str
    sent: bool
    detail: str = ""  # e.g. "3 recipients, Message-ID <...>"
    problem: str = ""
    recipients: int = 0  # email: how many the server accepted
    message_id: str = ""  # email: the Message-ID it went out as

    @property
    def ok(self) -> bool:
        """Sent, and nothing went wrong."""
        return self.sent and not self.problem

    def line(self) -> str:
        """`email: sent (3 recipients)` / `dingtalk: FAILED: errcode 310000: ...`."""
        if self.ok:
            return f"{self.channel}: sent" + (f" ({self.detail})" if self.detail else "")
        if self.sent:
            return f"{self.channel}: sent, but {self.problem}"
        return f"{self.channel}: FAILED: {self.problem}"


@dataclass(frozen=True)
class Delivery:
    """A channel ready to send: its preview (secrets redacted) and the send itself."""

    channel: str
    preview: tuple[str, ...]
    send: Callable[[], Outcome]
