"""Markdown for pull requests, job summaries and release notes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.report import Report

if TYPE_CHECKING:
    from gatekeeper.audit import ReleaseLog


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


def audit(logs: list[ReleaseLog], signatures: str) -> str:
    """A section per release: a sign-off table and the anomalies."""
    lines = ["# Release approval log", ""]
    for log in logs:
        badge = "⚠️ anomalies" if log.anomalies else "✅ clean"
        lines += [
            f"## `{log.release}` — {badge}",
            "",
            f"Requested by {log.requester or '?'} in `{(log.request_commit or '?')[:12]}`.",
            "",
            "| time | decision | person | role | commit | verified |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for a in log.approvals:
            ok = f"yes ({signatures})" if a.verified else "**no**"
            lines.append(
                f"| {a.time} | {a.decision} | {a.person} | {a.role} | `{a.commit[:12]}` | {ok} |"
            )
        for x in log.anomalies:
            lines.append(
                f"\n- **{x.kind}** `{_cell(x.path)}` (`{x.commit[:12]}`): {_cell(x.message)}"
            )
        lines.append("")
    return "\n".join(lines)
