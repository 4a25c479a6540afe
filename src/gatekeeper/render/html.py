"""A single self-contained HTML file (no network, no scripts) an auditor can open and read.

Written for someone who is not an engineer: release titles and risk up front, each gate's
verdict with the facts it used, which sign-offs counted and why others did not, times as
people read them, a legend, and a footer saying what was generated from which commit.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from gatekeeper.render import printable
from gatekeeper.render.html_release import anomalies, badge, person, risk, section, sha, when

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog, ReleaseLog

STYLE = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","WenQuanYi Micro Hei",
sans-serif;margin:2rem auto;max-width:80rem;padding:0 1rem;color:#1f2328;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin:0 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .3rem}.meta,.muted{color:#59636e}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border-bottom:1px solid #d1d9e0;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}code{font-size:.85em}
td{overflow-wrap:anywhere}.t,.mark,.badge,.risk,.decision,.sha,.what,.sig{white-space:nowrap}
.t small{color:#59636e}
.badge{display:inline-block;border-radius:1rem;padding:.05rem .6rem;font-weight:600;font-size:.8em}
.ok{color:#116329}.bad,.bad-text{color:#a40e26}.wait{color:#9a6700}.na{color:#59636e}
.badge.ok{background:#dafbe1}.badge.bad{background:#ffebe9}.mark{font-weight:600}
.risk{border-radius:.3rem;padding:0 .4rem;font-size:.85em;font-weight:600;background:#eef1f4}
.risk-major,.risk-high{background:#ffebe9;color:#a40e26}.risk-low{background:#dafbe1;color:#116329}
.decision{font-weight:600}.decision.approve{color:#116329}.decision.reject{color:#a40e26}
.decision.revoke{color:#59636e}
tr.nc-row td{background:#fff8f0}tr.nc-row td:nth-child(4){text-decoration:none}
tr.fail td{background:#fff5f5}
.why{font-size:.85em;color:#a40e26;max-width:22rem}
ul.lines{margin:0;padding-left:1.1rem}ul.lines li.nc{color:#a40e26}
blockquote.comment{margin:.25rem 0;padding:.1rem .6rem;border-left:3px solid #d1d9e0;
color:#31373d;font-style:italic}
section{border:1px solid #d1d9e0;border-radius:.5rem;padding:1rem 1.25rem;margin:1.25rem 0}
dl.about{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:.15rem 1rem;
margin:0}
dl.about dt{color:#59636e}dl.about dd{margin:0}
.legend{background:#f6f8fa;border-radius:.5rem;padding:.75rem 1.25rem;font-size:.9em}
.legend dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem;margin:.3rem 0}
.legend dd{margin:0}ul.anomalies li{color:#a40e26}ul.exceptions li{color:#8a4b00}
footer{margin-top:2rem;border-top:1px solid #d1d9e0;padding-top:.5rem;color:#59636e;font-size:.85em}
@media print{section{break-inside:avoid-page}}
"""

LEGEND = (
    (
        "✓ clean / ⚠ anomalies",
        "whether the history of the release's records shows something "
        "to look at: an edited or deleted record, a self-approval, a tag before its approvals...",
    ),
    (
        "✓ pass / ✗ fail",
        "each gate's verdict in the check at the tagged commit (a release not "
        "tagged yet: at the audited revision); “Why” lists the facts the check used.",
    ),
    (
        "– not applicable / ○ pending",
        "the gate does not cover this release, or belongs to "
        "another stage / an after-release duty that is not due yet.",
    ),
    (
        "✓ counted / ✗ not counted",
        "whether that check counted the sign-off or evidence; "
        "a record that does not count says why beside it (not a member of the role, revoked...).",
    ),
    (
        "Signer (under each person)",
        "✓ verified: signed with a key the policy listed when it was added; “by commit "
        "email”: the policy requires no signatures, so the commit's author is trusted.",
    ),
    (
        "Times, commits",
        "each time in the zone it was recorded in (UTC±hh:mm); commits by "
        "their first 12 characters. Hover over either for the full value.",
    ),
)


def audit(log: AuditLog) -> str:
    """The report: a summary table of releases, a legend, each release, then a footer."""
    rows = "".join(_row(log, rel) for rel in log.releases) or (
        '<tr><td colspan="8">No releases in this period.</td></tr>'
    )
    orphans = anomalies(log.anomalies)
    details = "".join(section(log, rel) for rel in log.releases)
    return printable(  # undecodable bytes and control characters shown as escapes
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Release approval log</title><style>{STYLE}</style></head><body>"
        f"<h1>Release approval log 上线日志</h1>{_meta(log)}"
        "<table><thead><tr><th>Release</th><th>Title</th><th>Risk</th><th>Verdict</th>"
        "<th>Requested by</th><th>Tagged</th><th>Sign-offs</th><th>History</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{orphans}{_legend()}{details}{_footer(log)}"
        "</body></html>"
    )


def _meta(log: AuditLog) -> str:
    period = " – ".join(
        x
        for x in (
            log.since and f"from {log.since.date()}",
            log.until and f"to {log.until.date()}",
        )
        if x
    )
    warning = (
        " — sign-offs are attributed by commit email and <strong>not verified</strong>"
        if log.signatures == "none"
        else ""
    )
    return (
        f'<p class="meta">Period: {escape(period or "all history")} · history at '
        f"{sha(log.head)} · signatures <code>{escape(log.signatures)}</code>{warning}</p>"
    )


def _row(log: AuditLog, rel: ReleaseLog) -> str:
    name = escape(rel.release)
    tagged = when(rel.tag.tagged_at) if rel.tag else '<span class="muted">not tagged</span>'
    return (
        f'<tr><td><a href="#r-{name}"><code>{name}</code></a></td>'
        f"<td>{escape(rel.title or '')}</td><td>{risk(rel.risk)}</td><td>{_verdict(rel)}</td>"
        f"<td>{person(log, rel.requester)}</td><td>{tagged}</td>"
        f"<td>{_signoffs(rel)}</td><td>{badge(rel)}</td></tr>"
    )


def _verdict(rel: ReleaseLog) -> str:
    check = rel.check
    where = "at the tag" if rel.tag else "now"
    if check is None:
        return '<span class="muted">not checked</span>'
    if check.error:
        return f'<span class="mark bad">✗ cannot be checked</span> {escape(check.error)}'
    failing = check.failing()
    if not failing:
        return f'<span class="mark ok">✓ all gates pass</span> <small>{where}</small>'
    titles = {g.id: g.title for g in check.gates}
    names = ", ".join(escape(titles.get(f, f)) for f in failing)
    return f'<span class="mark bad">✗ fails {where}:</span> {names}'


def _signoffs(rel: ReleaseLog) -> str:
    approved = [a for a in rel.approvals if a.decision == "approve" and a.counted]
    rejected = [a for a in rel.approvals if a.decision == "reject" and a.counted]
    ignored = sum(1 for a in rel.approvals if a.counted is False)
    parts = [f'<span class="ok">✓ {escape(a.person)}</span>' for a in approved]
    parts += [f'<span class="bad">✗ {escape(a.person)} rejects</span>' for a in rejected]
    if ignored:
        parts.append(f'<span class="muted">{ignored} not counted</span>')
    return ", ".join(parts) or '<span class="muted">none</span>'


def _legend() -> str:
    items = "".join(f"<dt><strong>{escape(k)}</strong></dt><dd>{escape(v)}</dd>" for k, v in LEGEND)
    return f'<div class="legend"><strong>How to read this report</strong><dl>{items}</dl></div>'


def _footer(log: AuditLog) -> str:
    return (
        f"<footer>Generated by gatekeeper {escape(_version())} from commit "
        f"<code>{escape(log.head)}</code> at {when(log.generated_at)}, "
        "from the git history of its release records and policies.</footer>"
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gatekeeper-release")
    except PackageNotFoundError:
        return "(version unknown)"
