"""Plain text for terminals and logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.check.report import Report
from gatekeeper.render import count, one_line

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog, ReleaseLog
    from gatekeeper.audit.model import Event
    from gatekeeper.check.status import ReleaseStatus


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
        if gate.pending:
            mark = "wait"
        if not gate.applies:
            mark = "skip"
        lines.append(f"[{mark}] {gate.id}: {gate.title}")
        lines += [f"         {reason}" for reason in gate.reasons]
    return "\n".join(lines)


def audit(log: AuditLog) -> str:
    """Per release: title and risk, the gates' verdicts, a timeline (who, what, which commit,
    verified or not, counted or not and why), then anomalies."""
    lines = [
        f"audit of {log.head[:12]}  signatures {log.signatures}"
        + (f"  since {log.since.date()}" if log.since else "")
        + (f"  until {log.until.date()}" if log.until else "")
    ]
    for rel in log.releases:
        badge = count(len(rel.anomalies), "ANOMALY", "ANOMALIES") if rel.anomalies else "clean"
        lines.append(f"\nrelease {rel.release}  [{badge}]")
        if rel.title:
            lines.append(f"  {rel.title}  (risk {rel.risk}, {rel.kind})")
        lines += _audit_gates(rel)
        lines += [line for e in rel.events for line in _audit_event(e, log.signatures)]
        for x in rel.anomalies:
            lines.append(f"  ANOMALY {x.kind}: {x.path} (commit {x.commit[:12]}): {x.message}")
    for x in log.anomalies:
        lines.append(f"ANOMALY {x.kind}: {x.path} (commit {x.commit[:12]}): {x.message}")
    if not log.releases and not log.anomalies:
        lines.append("no release records in this period")
    return "\n".join(lines)


def _audit_gates(rel: ReleaseLog) -> list[str]:
    """`gates at tag 1a2b3c4d5e6f: ok acceptance, FAIL tests` (or why it could not run)."""
    check = rel.check
    if check is None:
        return []
    where = f"gates at {check.at} {check.commit[:12]}"
    if check.error:
        return [f"  {where}: could not be checked: {check.error}"]
    marks = [("ok " if g.passed else "FAIL ") + g.id for g in check.gates if g.applies]
    return [f"  {where}: {', '.join(marks)}"]


def _audit_event(e: Event, signatures: str) -> list[str]:
    mark = (
        ""
        if e.verified is None
        else (f"  verified ({signatures})" if e.verified else "  UNVERIFIED")
    )
    if e.counted is not None:
        mark += "  counted" if e.counted else f"  NOT COUNTED: {e.not_counted}"
    lines = [
        f"  {e.time.isoformat()}  {e.kind:<12} {e.person or '-':<10} "
        f"{e.detail}  {e.commit[:12]}{mark}"
    ]
    if e.comment:
        lines.append(f"      comment: {one_line(e.comment)}")
    lines += [f"      {one_line(fact)}" for fact in e.facts]
    return lines


def status(rows: list[ReleaseStatus]) -> str:
    """One line per release: name, stage, title, failing gates."""
    if not rows:
        return "no releases yet; start one with `gate request TAG --title ...`"
    lines = []
    for r in rows:
        failing = f"  (failing: {', '.join(r.failing)})" if r.failing else ""
        lines.append(f"{r.release:<24} {r.stage:<12} {r.title}{failing}")
    return "\n".join(lines)
