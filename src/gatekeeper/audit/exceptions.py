"""Emergencies as the audit's exceptions: who declared one and why, what it waived, and
whether the waived gates were approved after the fact by `retro_hours` after the tag."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gatekeeper.audit.model import AuditException, Declarer, Event

if TYPE_CHECKING:
    from gatekeeper.audit.model import ReleaseLog
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.models.records import EmergencyDeclaration
    from gatekeeper.repo import Change, GitRepo, TagInfo


def emergency_event(
    log: ReleaseLog,
    path: str,
    record: EmergencyDeclaration,
    added: Change,
    *,
    verified: bool,
    seq: int,
) -> None:
    """A declaration in the timeline, as history added it."""
    ticket = f" ({record.ticket})" if record.ticket else ""
    log.events.append(
        Event(
            time=added.authored_at,
            kind="emergency",
            path=path,
            commit=added.commit,
            person=record.person,
            detail=f"emergency declared{ticket}",
            verified=verified,
            seq=seq,
            comment=record.reason,
        )
    )


def record_exception(
    repo: GitRepo,
    log: ReleaseLog,
    result: Evaluation,
    info: TagInfo | None,
    trusted: str | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """An exception for a release whose check counted an emergency declaration (`result`:
    the check at the tag, or at the audited revision when untagged; `now`: the audit's
    clock, default the machine's)."""
    from gatekeeper.check.running import due_after

    facts, emergency = result.facts, result.policy.policy.emergency
    if facts is None or not facts.emergency or emergency is None:
        return
    declarers = tuple(Declarer(*d) for d in facts.emergency)
    waived = tuple(g.id for g in result.report.gates if g.waived)
    due = due_after(info, emergency.retro_hours)
    if info is None or due is None:
        retro = "not tagged"
    else:
        now = now or datetime.now(UTC)
        retro = _retro(repo, log, info, due, trusted, now=now) if waived else "nothing waived"
    log.exceptions.append(AuditException("emergency", declarers, waived, due, retro))


def _retro(
    repo: GitRepo,
    log: ReleaseLog,
    info: TagInfo,
    due: datetime,
    trusted: str | None,
    *,
    now: datetime,
) -> str:
    """Where the retro-approvals stand now (the post-release check the audit ran), and once
    settled, whether they already were at the deadline."""
    from gatekeeper.check.retro import PREFIX

    gates = [g for g in (log.check.gates if log.check else ()) if g.id.startswith(PREFIX)]
    if not gates or any(not g.passed for g in gates):
        return "overdue"
    if any(g.pending for g in gates):
        return "pending"
    if now < due:
        return "in time"
    return "in time" if _settled_at(repo, log.release, info, due, trusted) else "late"


def _settled_at(repo: GitRepo, tag: str, info: TagInfo, due: datetime, trusted: str | None) -> bool:
    """Whether the branch's records as of `due` (its last commit by then) settle every
    retro-approval, judged at `due`."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.check.retro import PREFIX

    commit = repo.last_commit_before("HEAD", due)
    if commit is None:
        return False
    opts = CheckOptions(
        tag_info=info,
        stage="post-release",
        at="now",
        now=due,
        records_at=commit,
        policy_ref=trusted,
    )
    gates = [g for g in evaluate(repo, tag, opts).report.gates if g.id.startswith(PREFIX)]
    return bool(gates) and all(g.passed and not g.pending for g in gates)
