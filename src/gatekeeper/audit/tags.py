"""Anomalies about release tags: what the tag says against what the records say."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.audit.model import Anomaly, Event, ReleaseLog

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.check.report import GateResult
    from gatekeeper.errors import GateError
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo, TagInfo
    from gatekeeper.trust.facts import Facts


def tag_events(
    repo: GitRepo,
    log: ReleaseLog,
    info: TagInfo,
    policy: Policy,
    *,
    default_policy_trees: set[str],
    tag_policy_tree: str | None,
    trusted: str | None = None,
    audited: frozenset[str] = frozenset(),
    now: datetime | None = None,
) -> None:
    """The tag as an event, and the anomalies between it and the release's records
    (`audited`: every record path the audited history holds; `now`: the audit's clock,
    default the machine's)."""
    path = f"refs/tags/{log.release}"
    commit = info.commit or ""
    log.tag = info
    if info.tagged_at:
        log.events.append(
            Event(
                time=info.tagged_at,
                kind="tag",
                path=path,
                commit=commit,
                person=info.tagger_email,
                detail=_kind(info),
                seq=1,
            )
        )
    if not commit:
        return
    at_tag = _checked_at_tag(repo, log, info, policy, path, trusted=trusted, now=now)
    for off in sorted(at_tag - audited):
        log.anomalies.append(  # what the check counted, the approval log does not show
            Anomaly(
                "record-off-audited-history",
                off,
                commit,
                "in the tagged commit, but not in the history audited: the release's records "
                "are on a branch this history does not hold (merge it, or audit it)",
            )
        )
    # Pre-tag records the tagged commit lacks came after the tag; after an emergency that
    # waived gates, those are the retro-approvals its exception reports on.
    retro = any(x.waived for x in log.exceptions)
    for event in log.events:
        if event.kind in {"signoff", "evidence"} and event.path not in at_tag and not retro:
            log.anomalies.append(
                Anomaly(
                    "record-after-tag",
                    event.path,
                    event.commit,
                    "added after the tag: the tagged commit does not hold it",
                )
            )
    if tag_policy_tree and default_policy_trees and tag_policy_tree not in default_policy_trees:
        log.anomalies.append(
            Anomaly(
                "policy-off-default-branch",
                path,
                commit,
                "the policy at the tagged commit never was on the default branch",
            )
        )


def _kind(info: TagInfo) -> str:
    if info.signed:
        return "signed annotated tag"
    return "annotated tag" if info.annotated else "lightweight tag"


def _check(
    repo: GitRepo, release: str, info: TagInfo, trusted: str | None, now: datetime | None
) -> Evaluation | GateError:
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError

    try:
        return evaluate(repo, release, CheckOptions(tag_info=info, policy_ref=trusted, now=now))
    except GateError as exc:
        return exc


def _checked_at_tag(
    repo: GitRepo,
    log: ReleaseLog,
    info: TagInfo,
    policy: Policy,
    path: str,
    *,
    trusted: str | None,
    now: datetime | None,
) -> set[str]:
    """The check at the tagged commit (its verdict as anomalies); the record paths there."""
    from gatekeeper.audit.exceptions import record_exception
    from gatekeeper.audit.model import CheckSummary
    from gatekeeper.audit.verdict import check_after_release, judge
    from gatekeeper.errors import GateError

    commit = info.commit or ""
    result = _check(repo, log.release, info, trusted, now)
    if isinstance(result, GateError):
        exc = result
        log.anomalies.append(Anomaly("tag-check-error", path, commit, exc.message))
        log.check = CheckSummary(commit=commit, at="tag", passed=False, error=exc.message)
        return set(repo.paths(commit, f"{policy.releases}/{log.release}"))
    _verdict(log, path, commit, result.report.gates, result.facts)
    judge(log, result, at="tag")
    check_after_release(repo, log, info, trusted, now)
    record_exception(repo, log, result, info, trusted, now=now)
    return {f.path for f in result.records.files}


def _verdict(
    log: ReleaseLog, path: str, commit: str, gates: tuple[GateResult, ...], facts: Facts | None
) -> None:
    """What the check at the tagged commit says: a tree that moved, or gates that fail."""
    if facts is not None and facts.stale:
        log.anomalies.append(
            Anomaly(
                "tag-tree-differs",
                path,
                commit,
                "the tagged tree differs from the candidate in: " + ", ".join(facts.stale[:10]),
            )
        )
        return
    failing = [g.id for g in gates if not g.passed]
    if failing:
        log.anomalies.append(
            Anomaly(
                "tag-before-gates",
                path,
                commit,
                "at the tagged commit these gates fail: " + ", ".join(failing),
            )
        )
