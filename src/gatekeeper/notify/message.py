"""The notice itself: the launch-notice record that counts, its subject line, and its
Markdown rendered as HTML for mail clients."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.evidence.base import EvidenceItem
    from gatekeeper.models.notify import Notify
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request


@dataclass(frozen=True)
class Notice:
    """A release's launch notice, ready to send."""

    tag: str
    subject: str
    markdown: str
    path: str  # the launch-notice manifest it comes from
    sha256: str  # of the Markdown as committed
    publisher: str

    def html(self) -> str:
        """The Markdown as a small HTML document (raw HTML in the notice is shown as text)."""
        from html import escape

        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
        return (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f"<title>{escape(self.subject)}</title></head>\n"
            f"<body>\n{md.render(self.markdown)}</body></html>\n"
        )


def notice_of(evaluation: Evaluation, notify: Notify) -> Notice:
    """The newest launch notice that counts for the release (published by a holder of the
    launch-notice gates' `by_roles`, when they name any); exit 2 when there is none."""
    facts, tag = evaluation.facts, evaluation.report.release
    policy = evaluation.policy.policy
    items = [i for i in (facts.evidence if facts else ()) if i.manifest.kind == "launch-notice"]
    items = [i for i in items if _publisher_ok(policy, i) and any(i.attachments.values())]
    if facts is None or not items:
        raise InputError(
            f"{tag}: no launch notice counts for this release; nothing to send",
            hint=f"the product office attaches it: gate attach {tag} launch-notice notice.md",
        )
    item = max(items, key=lambda i: i.manifest.at)
    data = next(d for d in item.attachments.values() if d.strip())
    return Notice(
        tag=tag,
        subject=_subject(notify.subject, tag, facts.request),
        markdown=_text(data, item.path),
        path=item.path,
        sha256=hashlib.sha256(data).hexdigest(),
        publisher=item.person,
    )


def _publisher_ok(policy: Policy, item: EvidenceItem) -> bool:
    """Whether the item's signer may publish it (上线通告由产品室统一出口)."""
    allowed = {
        role
        for gate in policy.all_gates()
        if getattr(gate, "kind", None) == "launch-notice"
        for role in getattr(gate, "by_roles", [])
    }
    return not allowed or bool(policy.roles_of(item.person) & allowed)


def _subject(template: str, tag: str, request: Request) -> str:
    """The policy's subject with {tag}, {title}, {component}, {kind} filled in, on one line."""
    values = {
        "tag": tag,
        "title": request.title,
        "component": request.component,
        "kind": request.kind,
    }
    return " ".join(template.format_map(values).split())


def _text(data: bytes, path: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: the launch notice is not UTF-8 (byte {exc.start})",
            hint="attach the notice again, saved as UTF-8",
        ) from None
    return text.replace("\r\n", "\n").strip() + "\n"
