"""Markdown for pull requests, job summaries and release notes."""

from __future__ import annotations

from gatekeeper.report import Report


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
