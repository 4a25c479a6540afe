"""Plain text for terminals and logs."""

from __future__ import annotations

from gatekeeper.report import Report


def check(report: Report) -> str:
    """A readable verdict: one block per gate, failures first in attention."""
    lines = [
        f"release {report.release}: {'PASSED' if report.passed else 'FAILED'}",
        f"  candidate {report.candidate or '-'}  revision {report.revision[:12]}"
        f"  policy {report.policy_ref[:12]}  signatures {report.signatures}",
    ]
    lines += [f"  warning: {w}" for w in report.warnings]
    for gate in report.gates:
        mark = "ok  " if gate.passed else "FAIL"
        if not gate.applies:
            mark = "skip"
        lines.append(f"[{mark}] {gate.id}: {gate.title}")
        lines += [f"         {reason}" for reason in gate.reasons]
    return "\n".join(lines)
