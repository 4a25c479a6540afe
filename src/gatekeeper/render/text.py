"""Plain text for terminals and logs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.check.report import Report
from gatekeeper.instants import is_latest
from gatekeeper.render import count, one_line

if TYPE_CHECKING:
    from gatekeeper.audit import AuditLog, ReleaseLog
    from gatekeeper.audit.model import Event
    from gatekeeper.check.explain import Explanation, Step
    from gatekeeper.check.status import ReleaseStatus


def check(report: Report) -> str:
    """A readable verdict: one block per gate, failures first in attention."""
    lines = [
        f"release {report.release}: {'PASSED' if report.passed else 'FAILED'}",
        f"  candidate {report.candidate or '-'}  revision {report.revision[:12]}"
        f"  policy {report.policy_ref[:12]}  signatures {report.signatures}",
    ]
    lines += [f"  warning: {w}" for w in report.warnings]
    if report.earliest_tag is not None and is_latest(report.earliest_tag):
        lines.append("  no time within ten years is outside the freeze windows: see `gate freeze`")
    elif report.earliest_tag is not None:
        when = report.earliest_tag.isoformat(timespec="minutes")
        lines.append(f"  may be tagged at the earliest: {when} (lead time and freeze windows)")
    for gate in report.gates:
        mark = "ok  " if gate.passed else "FAIL"
        if gate.pending:
            mark = "wait"
        if not gate.applies:
            mark = "skip"
        lines.append(f"[{mark}] {gate.id}: {one_line(gate.title)}")
        lines += [f"         {one_line(reason)}" for reason in gate.reasons]
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
            lines.append(f"  {one_line(rel.title)}  (risk {rel.risk}, {rel.kind})")
        lines += _audit_gates(rel)
        lines += [f"  EXCEPTION {one_line(x.summary())}" for x in rel.exceptions]
        lines += [line for e in rel.events for line in _audit_event(e, log.signatures)]
        for x in rel.anomalies:
            said = f"{one_line(x.path)} (commit {x.commit[:12]}): {one_line(x.message)}"
            lines.append(f"  ANOMALY {x.kind}: {said}")
    for x in log.anomalies:
        said = f"{one_line(x.path)} (commit {x.commit[:12]}): {one_line(x.message)}"
        lines.append(f"ANOMALY {x.kind}: {said}")
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
        mark += "  counted" if e.counted else f"  NOT COUNTED: {one_line(e.not_counted or '')}"
    lines = [
        f"  {e.time.isoformat()}  {e.kind:<12} {one_line(e.person or '-'):<10} "
        f"{one_line(e.detail)}  {e.commit[:12]}{mark}"
    ]
    if e.comment:
        lines.append(f"      comment: {one_line(e.comment)}")
    lines += [f"      {one_line(fact)}" for fact in e.facts]
    return lines


def status(rows: list[ReleaseStatus]) -> str:
    """One block per release: name, stage and title, then what is missing, who it waits on,
    whether it is stale, what to type next and what is due; one line when it is done."""
    if not rows:
        return "no releases yet; start one with `gate request TAG --title ...`"
    lines = []
    for r in rows:
        lines.append(f"{r.release:<24} {r.stage:<12} {one_line(r.title)}".rstrip())
        lines += [f"    {line}" for line in _status_details(r)]
    return "\n".join(lines)


def _status_details(r: ReleaseStatus) -> list[str]:
    lines = [f"missing: {m.gate}: {m.why}" for m in r.missing]
    if r.waiting_on:
        lines.append(f"waiting on: {_status_people(r.waiting_on)}")
    if r.stale:
        shown = ", ".join(r.stale[:10]) + (" ..." if len(r.stale) > 10 else "")
        lines.append(f"stale: changed since the candidate was signed off: {shown}")
    for o in r.obligations:
        when = o.due.isoformat(sep=" ", timespec="minutes") if o.due else None
        if o.overdue:
            lines.append(f"OVERDUE: {o.gate}" + (f" since {when}" if when else ""))
        elif o.pending:
            lines.append(f"due: {o.gate}" + (f" by {when}" if when else " once tagged"))
    lines += [f"next: {_status_step(step)}" for step in r.next]
    return lines


def _status_people(people: tuple[tuple[str, str], ...]) -> str:
    """`bob or carol (rnd); alice (product)`."""
    by_role: dict[str, list[str]] = {}
    for person, role in people:
        by_role.setdefault(role, []).append(person)
    return "; ".join(f"{' or '.join(names)} ({role})" for role, names in by_role.items())


def _status_step(step: Step) -> str:
    """`gate approve v1.0.0 --role rnd   (bob or carol)`."""
    who = " or ".join(dict.fromkeys(person for person, _ in step.by))
    return step.command + (f"   ({who})" if who else "")


def explain(ex: Explanation) -> str:
    """Every gate with its verdict and reasons, then the records that do not count, who
    could unblock the release and the commands that would."""
    head, _, gates = check(ex.report).partition("\n")
    lines = [head, *([f"  {one_line(ex.title)}"] if ex.title else []), gates]
    lines += ["", "Records that do not count:"]
    lines += [
        f"  {one_line(i.path)} ({one_line(i.role_or_kind)}): {one_line(i.reason)}"
        for i in ex.not_counted
    ] or ["  none"]
    if ex.stale:
        lines += ["", "Stale: changed since the candidate was signed off:"]
        lines += [f"  {one_line(path)}" for path in ex.stale]
    lines += ["", "Who could unblock:", *_explain_who(ex), "", "Next commands:"]
    lines += [f"  {s.command}" for s in ex.steps] or ["  none"]
    return "\n".join(lines)


def _explain_who(ex: Explanation) -> list[str]:
    who = [f"  {p} ({r}): {s.command}" for s in ex.steps for p, r in s.by]
    if who:
        return who
    if ex.passed:
        return ["  nothing blocks it"]
    if ex.steps:
        return ["  any person of the policy, with the commands below"]
    return ["  no command can: see the reasons above"]
