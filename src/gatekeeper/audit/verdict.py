"""The check behind the audit: each gate's verdict, and whether each record counted.

The audit does not judge sign-offs itself: it runs the same `evaluate` as `gate check`
(at the tagged commit, or at the audited revision for an untagged release) and reads
what counted (`facts.standing`, `facts.evidence`) and what did not (`facts.ignored`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.audit.model import CheckSummary, GateVerdict

if TYPE_CHECKING:
    from gatekeeper.audit.model import AuditEntry, ReleaseLog
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.check.report import GateResult
    from gatekeeper.repo import GitRepo, TagInfo

AFTER_RELEASE = frozenset({"post-release", "rollback"})  # records made after the tag
JUDGED = frozenset({"signoff", "evidence"})


@dataclass(frozen=True)
class _Counting:
    """What the check counted, by record path."""

    present: frozenset[str]  # record files at the checked commit
    counted: frozenset[str]  # sign-offs that stand and evidence that is valid
    ignored: dict[str, str]  # path -> why it does not count
    absent: str  # why a record the checked commit lacks does not count

    def outcome(self, path: str) -> tuple[bool | None, str | None]:
        """(counted, why not); (None, None) when later sign-offs decide."""
        if path not in self.present:
            return False, self.absent
        if path in self.ignored:
            return False, self.ignored[path]
        if path in self.counted:
            return True, None
        return None, None


def check_now(
    repo: GitRepo, log: ReleaseLog, revision: str, trusted: str | None, now: datetime | None = None
) -> None:
    """An untagged release: the check at the audited revision, as `gate check --rev` runs it
    (`now`: the audit's clock, default the machine's)."""
    from gatekeeper.audit.exceptions import record_exception
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError

    try:
        result = evaluate(
            repo, log.release, CheckOptions(rev=revision, policy_ref=trusted, now=now)
        )
    except GateError as exc:
        log.check = CheckSummary(commit=revision, at="revision", passed=False, error=exc.message)
        return
    judge(log, result, at="revision")
    record_exception(repo, log, result, None, trusted, now=now)


def check_after_release(
    repo: GitRepo, log: ReleaseLog, info: TagInfo, trusted: str | None, now: datetime | None = None
) -> None:
    """A tagged release under a policy with post-release gates: those gates (and the records
    made after the tag) judged now, as `gate check --stage post-release --at now` does."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError
    from gatekeeper.records.history_cache import current_index

    if log.check is None:
        return
    waived = any(g.waived for g in log.check.gates)
    if not waived and not any(g.stage == "post-release" for g in log.check.gates):
        return
    try:
        index = current_index(repo)  # the audited revision, read once
        head = index.head if index else None
        opts = CheckOptions(
            tag_info=info,
            stage="post-release",
            at="now",
            records_at=head,
            policy_ref=trusted,
            now=now,
        )
        result = evaluate(repo, log.release, opts)
    except GateError:
        return  # the records at the tag were judged; the anomalies already say what is wrong
    later = {g.id: _gate(g) for g in result.report.gates if g.stage == "post-release"}
    gates = tuple(later.pop(g.id, g) if g.stage == "post-release" else g for g in log.check.gates)
    gates += tuple(later.values())  # the retro-approvals an emergency left due
    passed = all(g.passed for g in gates)
    log.check = replace(log.check, gates=gates, passed=passed)
    _mark(log, _counting(result, "no longer in the repository"), AFTER_RELEASE)


def judge(log: ReleaseLog, result: Evaluation, *, at: str) -> None:
    """Keep the check's gate verdicts; mark each sign-off and evidence record counted or not."""
    report = result.report
    log.check = CheckSummary(
        commit=report.revision,
        at=at,
        passed=report.passed,
        gates=tuple(_gate(g) for g in report.gates),
    )
    kinds = JUDGED if at == "tag" else JUDGED | AFTER_RELEASE
    absent = (
        "not in the tagged commit (added after the tag)"
        if at == "tag"
        else f"no longer in the repository at {report.revision[:12]}"
    )
    _mark(log, _counting(result, absent), kinds)


def _gate(g: GateResult) -> GateVerdict:
    return GateVerdict(
        id=g.id,
        title=g.title,
        passed=g.passed,
        applies=g.applies,
        stage=g.stage,
        reasons=tuple(g.reasons),
        pending=g.pending,
        waived=g.waived,
    )


def _counting(result: Evaluation, absent: str) -> _Counting:
    present = frozenset(f.path for f in result.records.files)
    facts = result.facts
    if facts is None:  # no request: nothing can count
        reason = "no valid request at the checked commit"
        return _Counting(present, frozenset(), dict.fromkeys(present, reason), absent)
    counted = {s.path for s in facts.standing} | {e.path for e in facts.evidence}
    ignored: dict[str, str] = {}
    for item in facts.ignored:
        ignored.setdefault(item.path, item.reason)
    return _Counting(present, frozenset(counted), ignored, absent)


def _mark(log: ReleaseLog, counting: _Counting, kinds: frozenset[str]) -> None:
    """Set `counted` / `not_counted` on the sign-offs and on the events of `kinds`."""
    decided: dict[str, tuple[bool | None, str | None]] = {}
    if "signoff" in kinds:
        decided = {a.path: _signoff_outcome(a, log.approvals, counting) for a in log.approvals}
        log.approvals = [_with(a, *decided[a.path]) for a in log.approvals]
    for n, event in enumerate(log.events):
        if event.kind in kinds:
            counted, why = decided.get(event.path) or counting.outcome(event.path)
            log.events[n] = replace(event, counted=counted, not_counted=why)


def _with(entry: AuditEntry, counted: bool | None, why: str | None) -> AuditEntry:
    return replace(entry, counted=counted, not_counted=why)


def _signoff_outcome(
    entry: AuditEntry, entries: list[AuditEntry], counting: _Counting
) -> tuple[bool | None, str | None]:
    """Counted, not counted and why; a valid decision no longer standing was revoked or
    replaced by a later one of the same person in the same role (`entries` are in the
    order history added them)."""
    counted, why = counting.outcome(entry.path)
    if counted is not None:
        return counted, why
    if entry.decision == "revoke":
        return True, None  # it lifted the person's earlier decision
    later = [
        e
        for e in entries[entries.index(entry) + 1 :]
        if (e.person, e.role) == (entry.person, entry.role) and counting.outcome(e.path)[0] is None
    ]
    revoke = next((e for e in later if e.decision == "revoke"), None)
    if revoke is not None:
        when = datetime.fromisoformat(revoke.time)
        return False, f"revoked by {revoke.person} on {when:%Y-%m-%d %H:%M}"
    return False, f"replaced by a later sign-off of {entry.person} as {entry.role}"
