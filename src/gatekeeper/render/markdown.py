"""Markdown for pull requests, job summaries and release notes."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from gatekeeper.check.report import Report
from gatekeeper.render import count, one_line

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog, ReleaseLog
    from gatekeeper.audit.model import Event
    from gatekeeper.check.explain import Explanation
    from gatekeeper.check.status import ReleaseStatus


def _cell(text: str) -> str:
    """Record or policy text inside a line or a table cell: one printable line (a lone CR
    is a Markdown line break too), never markup, never a cell boundary."""
    return escape(one_line(text), quote=False).replace("|", "\\|")


def _code(text: str) -> str:
    """`text` as a code span (no markup inside one), fenced past any backticks it holds."""
    import re

    line = one_line(text).replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", line)), default=0) + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def check(report: Report) -> str:
    """A heading with the verdict and a table of gates."""
    verdict = "✅ passed" if report.passed else "❌ failed"
    lines = [
        f"### gate check `{report.release}`: {verdict}",
        "",
        f"candidate `{report.candidate or '-'}` · revision `{report.revision[:12]}` · "
        f"policy `{report.policy_ref[:12]}` · signatures `{report.signatures}`",
        "",
    ]
    lines += [f"> ⚠️ {_cell(w)}" for w in report.warnings]
    lines += ["", "| gate | result | reasons |", "| --- | --- | --- |"]
    for gate in report.gates:
        result = "skipped" if not gate.applies else ("✅ pass" if gate.passed else "❌ fail")
        reasons = "<br>".join(_cell(r) for r in gate.reasons)
        lines.append(f"| {_code(gate.id)} {_cell(gate.title)} | {result} | {reasons} |")
    return "\n".join(lines)


def audit(log: AuditLog) -> str:
    """A section per release: title and risk, its gates, its timeline as a table (counted or
    not, and why), then its anomalies."""
    lines = [
        "# Release approval log",
        "",
        f"History at `{log.head[:12]}`, signatures `{log.signatures}`.",
        "",
    ]
    for rel in log.releases:
        badge = (
            "⚠️ " + count(len(rel.anomalies), "anomaly", "anomalies")
            if rel.anomalies
            else "✅ clean"
        )
        lines += [f"## `{rel.release}` — {badge}", ""]
        if rel.title:
            lines += [f"**{_cell(rel.title)}** · risk {rel.risk} · {rel.kind}", ""]
        lines += _audit_gates(rel)
        lines += [f"> **Exception:** {_cell(x.summary())}\n" for x in rel.exceptions]
        lines += [
            "| time | event | person | detail | commit | verified | counted |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        lines += [_audit_event(e, log.signatures) for e in rel.events]
        lines += (
            [""]
            + [
                f"- **{x.kind}** {_code(x.path)} (`{x.commit[:12]}`): {_cell(x.message)}"
                for x in rel.anomalies
            ]
            + [""]
        )
    lines += [f"- **{x.kind}** {_code(x.path)}: {_cell(x.message)}" for x in log.anomalies]
    return "\n".join(lines)


def _audit_gates(rel: ReleaseLog) -> list[str]:
    """The check behind the audit, one line per gate that applies."""
    check = rel.check
    if check is None:
        return []
    where = f"Gates at the {check.at} `{check.commit[:12]}`"
    if check.error:
        return [f"{where}: could not be checked: {_cell(check.error)}", ""]
    marks = [("✅ " if g.passed else "❌ ") + _code(g.id) for g in check.gates if g.applies]
    return [f"{where}: {', '.join(marks)}", ""]


def _audit_event(e: Event, signatures: str) -> str:
    ok = "" if e.verified is None else (f"yes ({signatures})" if e.verified else "**no**")
    counted = ""
    if e.counted is not None:
        counted = "yes" if e.counted else f"**not counted**: {_cell(e.not_counted or '')}"
    detail = _cell(e.detail)  # record text never becomes markup
    if e.comment:
        detail += f" — “{_cell(e.comment)}”"
    detail += "".join(f"<br>{_cell(fact)}" for fact in e.facts)
    return (
        f"| {e.time.isoformat()} | {e.kind} | {_cell(e.person or '')} | "
        f"{detail} | `{e.commit[:12]}` | {ok} | {counted} |"
    )


def status(rows: list[ReleaseStatus]) -> str:
    """A table: release, stage, title, failing gates, who it waits on, what to type next."""
    lines = [
        "| release | stage | title | failing gates | waiting on | next |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        waiting = ", ".join(f"{person} ({role})" for person, role in r.waiting_on)
        steps = "<br>".join(_code(step.command) for step in r.next)
        lines.append(
            f"| `{r.release}` | {r.stage} | {_cell(r.title)} | {', '.join(r.failing)} | "
            f"{_cell(waiting)} | {steps} |"
        )
    return "\n".join(lines)


def explain(ex: Explanation) -> str:
    """The check's table, then the records that do not count, who could unblock the release
    and the commands that would."""
    lines = [check(ex.report), "", "#### Records that do not count", ""]
    lines += [
        f"- {_code(i.path)} ({_cell(i.role_or_kind)}): {_cell(i.reason)}" for i in ex.not_counted
    ] or ["none"]
    lines += ["", "#### Who could unblock", ""]
    lines += [
        f"- {_cell(p)} ({_cell(r)}): {_code(s.command)}" for s in ex.steps for p, r in s.by
    ] or ["-"]
    lines += ["", "#### Next commands", ""]
    lines += ["```", *(s.command for s in ex.steps), "```"] if ex.steps else ["none"]
    return "\n".join(lines)
