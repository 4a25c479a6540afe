"""A single self-contained HTML file (no network) an auditor can open and read."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from gatekeeper.render import count

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog, ReleaseLog
    from gatekeeper.audit.model import Anomaly

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC",sans-serif;
margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}.meta{color:#59636e;margin-bottom:1.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}code{font-size:.85em}
.badge{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-weight:600;font-size:.85em}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}
.no{color:#a40e26;font-weight:600}.yes{color:#116329}
details{border:1px solid #d1d9e0;border-radius:.4rem;padding:.5rem 1rem;margin:.75rem 0}
summary{cursor:pointer;font-weight:600}ul.anomalies li{color:#a40e26}
"""


def audit(log: AuditLog) -> str:
    """The report: a summary table of releases, then each release's timeline."""
    period = (
        " – ".join(
            x
            for x in (
                log.since and f"from {log.since.date()}",
                log.until and f"to {log.until.date()}",
            )
            if x
        )
        or "all history"
    )
    rows = "".join(_row(rel) for rel in log.releases) or (
        '<tr><td colspan="5">No releases in this period.</td></tr>'
    )
    orphans = _anomalies(log.anomalies) if log.anomalies else ""
    details = "".join(_details(rel, log.signatures) for rel in log.releases)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>Release approval log</title>"
        f"<style>{STYLE}</style></head><body>"
        "<h1>Release approval log 上线日志</h1>"
        f'<p class="meta">Period: {escape(period)} · history at <code>{log.head[:12]}</code>'
        f" · signatures <code>{escape(log.signatures)}</code>"
        + (
            " — sign-offs are attributed by commit email and <strong>not verified</strong>"
            if log.signatures == "none"
            else ""
        )
        + "</p>"
        "<table><thead><tr><th>Release</th><th>Status</th><th>Requested by</th>"
        "<th>Tag</th><th>Sign-offs</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{orphans}{details}</body></html>"
    )


def _badge(rel: ReleaseLog) -> str:
    if rel.anomalies:
        return (
            f'<span class="badge bad">⚠ {count(len(rel.anomalies), "anomaly", "anomalies")}</span>'
        )
    return '<span class="badge ok">✓ clean</span>'


def _row(rel: ReleaseLog) -> str:
    when = escape(rel.tag.tagged_at.isoformat() if rel.tag and rel.tag.tagged_at else "not tagged")
    signoffs = ", ".join(
        f"{escape(a.person)} ({escape(a.role)}: {escape(a.decision)})" for a in rel.approvals
    )
    return (
        f'<tr><td><a href="#r-{escape(rel.release)}"><code>{escape(rel.release)}</code></a>'
        f"</td><td>{_badge(rel)}</td><td>{escape(rel.requester or '?')}</td>"
        f"<td>{when}</td><td>{signoffs}</td></tr>"
    )


def _details(rel: ReleaseLog, signatures: str) -> str:
    events = "".join(
        f"<tr><td>{escape(e.time.isoformat())}</td><td>{escape(e.kind)}</td>"
        f"<td>{escape(e.person or '')}</td><td>{escape(e.detail)}</td>"
        f"<td><code>{e.commit[:12]}</code></td><td>{_verified(e.verified, signatures)}</td></tr>"
        for e in rel.events
    )
    return (
        f'<details id="r-{escape(rel.release)}" open><summary>{escape(rel.release)} '
        f"{_badge(rel)}</summary><table><thead><tr><th>Time</th><th>Event</th>"
        "<th>Person</th><th>Detail</th><th>Commit</th><th>Verified</th></tr></thead>"
        f"<tbody>{events}</tbody></table>{_anomalies(rel.anomalies)}</details>"
    )


def _verified(value: bool | None, signatures: str) -> str:
    if value is None:
        return ""
    if value:
        return f'<span class="yes">yes ({escape(signatures)})</span>'
    return '<span class="no">no</span>'


def _anomalies(anomalies: list[Anomaly]) -> str:
    if not anomalies:
        return ""
    items = "".join(
        f"<li><strong>{escape(a.kind)}</strong> <code>{escape(a.path)}</code> "
        f"(<code>{a.commit[:12]}</code>): {escape(a.message)}</li>"
        for a in anomalies
    )
    return f'<ul class="anomalies">{items}</ul>'
