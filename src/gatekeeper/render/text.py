"""Plain text for terminals and logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.report import Report

if TYPE_CHECKING:
    from gatekeeper.audit import ReleaseLog


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


def audit(logs: list[ReleaseLog], signatures: str) -> str:
    """Per release: who signed what, in which commit, verified or not; then anomalies."""
    lines = []
    for log in logs:
        lines.append(
            f"release {log.release}  requested by {log.requester or '?'}"
            f" in {(log.request_commit or '?')[:12]}"
        )
        for a in log.approvals:
            mark = f"verified ({signatures})" if a.verified else "UNVERIFIED"
            lines.append(
                f"  {a.time}  {a.decision:<7} {a.person} as {a.role}  commit {a.commit}  {mark}"
            )
        for x in log.anomalies:
            lines.append(f"  ANOMALY {x.kind}: {x.path} (commit {x.commit[:12]}): {x.message}")
    return "\n".join(lines) or "no release records in history"
