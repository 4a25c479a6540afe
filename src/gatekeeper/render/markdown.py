"""Markdown for pull requests, job summaries and release notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.check.report import Report
from gatekeeper.render import count

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog
    from gatekeeper.check.status import ReleaseStatus


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


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
        lines.append(f"| `{gate.id}` {_cell(gate.title)} | {result} | {reasons} |")
    return "\n".join(lines)


def audit(log: AuditLog) -> str:
    """A section per release: its timeline as a table, then its anomalies."""
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
        lines += [
            f"## `{rel.release}` — {badge}",
            "",
            "| time | event | person | detail | commit | verified |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for e in rel.events:
            ok = (
                ""
                if e.verified is None
                else (f"yes ({log.signatures})" if e.verified else "**no**")
            )
            lines.append(
                f"| {e.time.isoformat()} | {e.kind} | {e.person or ''} | "
                f"{_cell(e.detail)} | `{e.commit[:12]}` | {ok} |"
            )
        lines += (
            [""]
            + [
                f"- **{x.kind}** `{_cell(x.path)}` (`{x.commit[:12]}`): {_cell(x.message)}"
                for x in rel.anomalies
            ]
            + [""]
        )
    lines += [f"- **{x.kind}** `{_cell(x.path)}`: {_cell(x.message)}" for x in log.anomalies]
    return "\n".join(lines)


def status(rows: list[ReleaseStatus]) -> str:
    """A table: release, stage, title, failing gates."""
    lines = ["| release | stage | title | failing gates |", "| --- | --- | --- | --- |"]
    lines += [f"| `{r.release}` | {r.stage} | {r.title} | {', '.join(r.failing)} |" for r in rows]
    return "\n".join(lines)
