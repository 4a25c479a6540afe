"""One release in the HTML audit: what was asked, each gate's verdict, the timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING

from gatekeeper.render import count

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog, ReleaseLog
    from gatekeeper.audit.model import Anomaly, AuditEntry, CheckSummary, Event, GateVerdict

EVENT_NAMES = {
    "request": "Request",
    "signoff": "Sign-off",
    "evidence": "Evidence",
    "post-release": "After release",
    "rollback": "Rollback",
    "policy": "Policy change",
    "tag": "Tag",
}

POLICY_CHANGES = {
    "policy A": "added",
    "policy M": "changed",
    "policy D": "deleted",
    "policy R": "renamed",
}


def when(moment: datetime | None) -> str:
    """A time as people read it, in the offset it was recorded with; never wrapped."""
    if moment is None:
        return '<span class="muted">—</span>'
    offset = f"{moment:%z}"  # +0800
    zone = "UTC" if moment.utcoffset() == timedelta(0) else f"UTC{offset[:3]}:{offset[3:5]}"
    return (
        f'<time class="t" datetime="{escape(moment.isoformat())}">'
        f"{moment:%Y-%m-%d %H:%M} <small>{zone}</small></time>"
    )


def person(log: AuditLog, pid: str | None) -> str:
    """`Alice Liu (alice)` when the policy names the person, else the id."""
    if not pid:
        return '<span class="muted">—</span>'
    name = log.people.get(pid, "")
    if not name or name == pid:
        return escape(pid)
    return f'{escape(name)} <span class="muted">({escape(pid)})</span>'


def role(log: AuditLog, rid: str) -> str:
    """The role's title from the policy (bilingual titles as written), its id beside it."""
    title = log.roles.get(rid, "")
    if not title or title == rid:
        return f"<strong>{escape(rid)}</strong>"
    return f'<strong>{escape(title)}</strong> <span class="muted">({escape(rid)})</span>'


def sha(commit: str | None) -> str:
    """A commit as its first 12 hex digits, the full id on hover."""
    if not commit:
        return ""
    return f'<code class="sha" title="{escape(commit)}">{escape(commit[:12])}</code>'


def gate_mark(g: GateVerdict) -> str:
    """✓ pass, ✗ fail, ○ pending (a post-release duty not due yet), – not applicable."""
    if not g.applies:
        return '<span class="mark na">– not applicable</span>'
    if not g.passed:
        return '<span class="mark bad">✗ fail</span>'
    if g.pending:
        return '<span class="mark wait">○ pending</span>'
    return '<span class="mark ok">✓ pass</span>'


def badge(rel: ReleaseLog) -> str:
    """⚠ N anomalies, or ✓ clean."""
    if rel.anomalies:
        text = count(len(rel.anomalies), "anomaly", "anomalies")
        return f'<span class="badge bad">⚠ {text}</span>'
    return '<span class="badge ok">✓ clean</span>'


def section(log: AuditLog, rel: ReleaseLog) -> str:
    """The release: its request, its gates, its timeline, its anomalies."""
    # <bdi>: a title's bidi controls stay inside it, and never reorder the badge beside it.
    title = (
        f"<bdi>{escape(rel.title)}</bdi>"
        if rel.title
        else '<span class="muted">(no request)</span>'
    )
    return (
        f'<section id="r-{escape(rel.release)}"><h2><code>{escape(rel.release)}</code> '
        f"{title} {badge(rel)}</h2>{_about(log, rel)}{_exceptions(rel)}{_gates(rel.check)}"
        f"<h3>Timeline</h3>{_timeline(log, rel)}{anomalies(rel.anomalies)}</section>"
    )


def _about(log: AuditLog, rel: ReleaseLog) -> str:
    tag = rel.tag
    rows = [
        ("Risk", risk(rel.risk)),
        ("Kind", escape(rel.kind or "")),
        ("Component", escape(rel.component or "")),
        ("Candidate", sha(rel.candidate)),
        ("Requested", f"{person(log, rel.requester)} · {when(rel.requested_at)}"),
        ("Tag", _tag(tag.tagger_email, tag.commit, tag.tagged_at, _tag_kind(rel)) if tag else ""),
        ("Summary", escape(rel.summary)),
    ]
    cells = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows if v)
    return f'<dl class="about">{cells}</dl>'


def risk(value: str | None) -> str:
    """The request's risk as a coloured label."""
    if not value:
        return ""
    return f'<span class="risk risk-{escape(value)}">{escape(value)}</span>'


def _tag(tagger: str | None, commit: str | None, at: datetime | None, kind: str) -> str:
    return f"{escape(kind)} by {escape(tagger or '?')} · {when(at)} · {sha(commit)}"


def _tag_kind(rel: ReleaseLog) -> str:
    if rel.tag is None:
        return ""
    if rel.tag.signed:
        return "signed annotated tag"
    return "annotated tag (not signed)" if rel.tag.annotated else "lightweight tag (not signed)"


def _gates(check: CheckSummary | None) -> str:
    if check is None:
        return ""
    where = "the tagged commit" if check.at == "tag" else "the audited revision"
    head = f"<h3>Gates — checked at {where} {sha(check.commit)}</h3>"
    if check.error:
        return head + f'<p class="bad-text">The check could not run: {escape(check.error)}</p>'
    rows = "".join(
        f'<tr class="{"" if g.passed or not g.applies else "fail"}"><td>{_gate_name(g)}</td>'
        f"<td>{gate_mark(g)}</td>"
        f"<td>{_lines(g.reasons)}</td></tr>"
        for g in check.gates
    )
    return (
        f'{head}<table class="gates"><thead><tr><th>Gate</th><th>Verdict</th>'
        f"<th>Why (facts the check used)</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _gate_name(g: GateVerdict) -> str:
    if g.title == g.id:
        return f"<strong>{escape(g.id)}</strong>"
    return f'<strong>{escape(g.title)}</strong> <code class="muted">{escape(g.id)}</code>'


def _lines(lines: tuple[str, ...]) -> str:
    items = "".join(
        f'<li class="{"nc" if ": not counted: " in line else ""}">{escape(line)}</li>'
        for line in lines
    )
    return f'<ul class="lines">{items}</ul>'


def _timeline(log: AuditLog, rel: ReleaseLog) -> str:
    entries = {a.path: a for a in rel.approvals}
    rows = "".join(_event(log, e, entries.get(e.path)) for e in rel.events)
    return (
        '<table class="timeline"><thead><tr><th>When</th><th>What</th><th>Who (signer)</th>'
        "<th>Details and comments</th><th>Counted?</th><th>Commit</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _event(log: AuditLog, e: Event, entry: AuditEntry | None) -> str:
    kind = EVENT_NAMES.get(e.kind, e.kind)
    css = "nc-row" if e.counted is False else ""
    return (
        f'<tr class="{css}"><td>{when(e.time)}</td><td class="what">{escape(kind)}</td>'
        f"<td>{person(log, e.person)}{_signer(e, entry, log.signatures)}</td>"
        f"<td>{_detail(log, e, entry)}</td><td>{_counted(e)}</td><td>{sha(e.commit)}</td></tr>"
    )


def _detail(log: AuditLog, e: Event, entry: AuditEntry | None) -> str:
    if entry is not None:
        text = f'<span class="decision {escape(entry.decision)}">{escape(entry.decision)}</span>'
        text += f" as {role(log, entry.role)}"
    elif e.kind == "policy":
        verb = POLICY_CHANGES.get(e.detail, e.detail)
        text = f"<code>{escape(e.path)}</code> {escape(verb)}"
    else:
        text = escape(e.detail)
    if e.comment:
        text += f'<blockquote class="comment">“{escape(e.comment)}”</blockquote>'
    if e.facts:
        text += _lines(e.facts)
    return text


def _counted(e: Event) -> str:
    if e.counted is None:
        return ""
    if e.counted:
        return '<span class="mark ok">✓ counted</span>'
    why = f'<div class="why">{escape(e.not_counted)}</div>' if e.not_counted else ""
    return f'<span class="mark bad">✗ not counted</span>{why}'


def _signer(e: Event, entry: AuditEntry | None, signatures: str) -> str:
    """Under the person: whether the record's signer was verified, and if not why."""
    if e.verified is None:
        return ""
    if e.verified:
        return f'<div class="sig ok">✓ verified <small>({escape(signatures)})</small></div>'
    problem = entry.problem if entry else None
    if signatures == "none" and not problem:
        return '<div class="sig muted"><small>by commit email</small></div>'
    why = f'<div class="why">{escape(problem)}</div>' if problem else ""
    return f'<div class="sig bad">✗ unverified</div>{why}'


def _exceptions(rel: ReleaseLog) -> str:
    """Emergencies: an exception to the process, with its retro-approval."""
    lis = "".join(f"<li>{escape(x.summary())}</li>" for x in rel.exceptions)
    return f'<h3>Exceptions</h3><ul class="exceptions">{lis}</ul>' if lis else ""


def anomalies(items: list[Anomaly]) -> str:
    """The anomalies, each with its kind, path, commit and message."""
    if not items:
        return ""
    lis = "".join(
        f"<li><strong>{escape(a.kind)}</strong> <code>{escape(a.path)}</code> "
        f"({sha(a.commit)}): {escape(a.message)}</li>"
        for a in items
    )
    return f'<h3>Anomalies</h3><ul class="anomalies">{lis}</ul>'
