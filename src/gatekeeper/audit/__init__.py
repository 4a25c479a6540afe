"""`gate audit`: the git history of the release records, read as an approval log.

One streamed `git log` over `releases/` and `policies/` (merges shown against their
first parent, so a record rewritten while merging is seen); memory grows with the
number of records, not commits. Each sign-off is verified under the policy in force
at the commit that added it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.audit.history import (
    History,
    from_index,
    may_be_in,
    maybe_in_period,
    place,
    release_logs,
)
from gatekeeper.audit.model import Anomaly, AuditLog, ReleaseLog
from gatekeeper.audit.policies import policies_at, policy_events, policy_trees

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import Change, GitRepo, TagInfo

__all__ = ["AuditLog", "ReleaseLog", "audit"]


def audit(
    repo: GitRepo,
    rev: str,
    policy: Policy,
    *,
    only: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    default_branch: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    trusted: str | None = None,
) -> AuditLog:
    """Walk history once; build each release's timeline and anomalies (`progress(done,
    total)` is told as each release is checked; `trusted`: the commit of `--policy-ref`,
    which every check reads the policy from, as `gate check --policy-ref` does)."""
    from gatekeeper.check.workers import AUDIT_AFTER, gate_jobs, judged
    from gatekeeper.records.history_cache import rewrites_seen, shared_index

    gate_jobs()  # a bad GATE_JOBS is refused whatever there is to judge
    head = repo.resolve_commit(rev, "HEAD")
    # 1. one pass over history, shared with every check below (kept between runs)
    index = shared_index(repo, head, policy.releases)
    rewritten = rewrites_seen(repo)
    tags = repo.tags()
    period = (since, until)
    # A period's audit reads only the releases whose dates may put them in it.
    dated = {name: info.tagged_at for name, info in tags.items()}
    among = may_be_in(index, dated, period) if only is None else None
    history = from_index(index, only, among)
    logs, added = release_logs(history)  # 2. every record's changes
    for log in logs.values():
        log.tag = tags.get(log.release)
    # 3. each record as added (of the releases in the period)
    maybe = maybe_in_period(logs, added, history, period, policy.releases)
    place(index, history, maybe)
    default_trees, tag_trees = policy_trees(repo, default_branch, tags, logs)
    releases = policy.releases
    later = _requests(repo, logs, added, history, maybe, releases=releases, period=period)
    kept = [logs[t] for t in sorted(logs) if logs[t].in_period(since, until)]
    policies = _read_ahead(repo, kept, later, releases)
    audited = frozenset(history.paths)

    # 4. a release at a time: its check reads again what its records' events read, while
    # the process still holds it
    def judge(log: ReleaseLog) -> ReleaseLog:
        records = later.get(log.release, [])
        _records(repo, log, records, history, policies, releases=releases, reviewed=default_trees)
        _tag_and_policy(  # 5. the tag (or the revision) and policy changes
            repo,
            log,
            history,
            policy,
            default_trees=default_trees,
            tag_tree=tag_trees.get(log.release),
            head=head,
            trusted=trusted,
            audited=audited,
        )
        return log

    # Each release on its own: on every core, when there are many (check/workers.py).
    kept = judged(repo, kept, judge, progress, after=AUDIT_AFTER)
    orphans = _orphans(tags, history.names, policy, only)  # 6. tags without a release
    # What an earlier run had read is gone: a force-push or a reset since.
    orphans[:0] = [_rewritten(commit) for commit in rewritten]
    return AuditLog(
        head,
        policy.signatures,
        kept,
        since,
        until,
        orphans,
        roles={name: role.title for name, role in policy.roles.items()},
        people={pid: person.name for pid, person in policy.people.items()},
    )


def _requests(
    repo: GitRepo,
    logs: dict[str, ReleaseLog],
    added: dict[str, Change],
    history: History,
    maybe: set[str],
    *,
    releases: str,
    period: tuple[datetime | None, datetime | None],
) -> dict[str, list[tuple[str, Change]]]:
    """Each request as added, of the releases that may be in the period (`maybe`): a
    sign-off looks at the requester, and a release is in the period when it was requested
    or tagged in it. Returns the other records of each release in the period, in the
    order of history."""
    from gatekeeper.audit.records import record_event
    from gatekeeper.records.layout import request_of

    def other(path: str) -> bool:
        return request_of(path, releases) is None

    ordered = sorted(
        ((path, change) for path, change in added.items() if history.release[path] in maybe),
        key=lambda i: (other(i[0]), history.seq(i[1])),
    )
    _quietly(repo.read_ahead, [change.blob for path, change in ordered if not other(path)])
    later: dict[str, list[tuple[str, Change]]] = {}
    for path, change in ordered:
        log = logs[history.release[path]]
        if other(path):
            if log.in_period(*period):
                later.setdefault(log.release, []).append((path, change))
            continue
        record_event(repo, None, log, path, change, releases=releases, seq=history.seq(change))
    return later


def _read_ahead(
    repo: GitRepo,
    kept: list[ReleaseLog],
    later: dict[str, list[tuple[str, Change]]],
    releases: str,
) -> dict[str, tuple[Policy | None, str | None]]:
    """The policy in force where each record was added; and read now, in few round trips,
    what each record's event reads one at a time: its blob, and the commit that added it
    where the signer is the commit's author."""
    from gatekeeper.audit.records import is_record
    from gatekeeper.policy.loading import POLICY_DIR

    records = [(path, change) for items in later.values() for path, change in items]
    policies = policies_at(repo, [change.commit for _, change in records])
    ends = [c for log in kept for c in (log.request_commit, log.tag and log.tag.commit) if c]
    _quietly(repo.trees, ends, POLICY_DIR)  # where each release's policy changes are looked for
    _quietly(repo.read_ahead, [c.blob for path, c in records if is_record(path, releases)])
    _quietly(repo.read_commits, [c.commit for _, c in records if _by_author(policies[c.commit][0])])
    return policies


def _quietly(read: Callable[..., object], *args: object) -> None:
    """Read ahead what will be asked one at a time; what cannot be read now is refused
    where it is asked, as it was."""
    from contextlib import suppress

    from gatekeeper.errors import GateError

    with suppress(GateError):
        read(*args)


def _records(
    repo: GitRepo,
    log: ReleaseLog,
    records: list[tuple[str, Change]],
    history: History,
    policies: dict[str, tuple[Policy | None, str | None]],
    *,
    releases: str,
    reviewed: set[str],
) -> None:
    """A release's records other than its requests, each verified under the policy in
    force when it was added, which counts only if that policy was on the default branch
    (`reviewed`: its `policies/` trees there; empty when there is no default branch to
    ask)."""
    from gatekeeper.audit.records import record_event

    for path, change in records:
        policy, tree = policies.get(change.commit, (None, None))
        off = bool(reviewed) and policy is not None and tree not in reviewed
        seq = history.seq(change)
        record_event(repo, policy, log, path, change, releases=releases, seq=seq, off_default=off)


def _tag_and_policy(
    repo: GitRepo,
    log: ReleaseLog,
    history: History,
    policy: Policy,
    *,
    default_trees: set[str],
    tag_tree: str | None,
    head: str,
    trusted: str | None,
    audited: frozenset[str],
) -> None:
    """The tag's events and anomalies (untagged: the check at `head`), the policy changes
    that affected the release, and the timeline in order."""
    from gatekeeper.audit.tags import tag_events
    from gatekeeper.audit.verdict import check_now

    if log.tag is not None:
        tag_events(
            repo,
            log,
            log.tag,
            policy,
            default_policy_trees=default_trees,
            tag_policy_tree=tag_tree,
            trusted=trusted,
            audited=audited,
        )
    else:
        check_now(repo, log, head, trusted)
    from gatekeeper.audit.policies import policy_commits_between

    between = policy_commits_between(repo, log)
    policy_events(log, history.policy_changes, history.seq, between)
    log.events.sort(key=lambda e: (e.time, e.seq))
    order = {e.path: (e.time, e.seq) for e in log.events}
    log.approvals.sort(key=lambda a: order.get(a.path, (log.events[0].time, 0)))


def _orphans(
    tags: dict[str, TagInfo], logs: Collection[str], policy: Policy, only: str | None
) -> list[Anomaly]:
    """Release tags with no release folder anywhere in history."""
    from gatekeeper.policy.tagname import is_release_tag

    return [
        Anomaly(
            "tag-without-release",
            f"{policy.releases}/{name}/",
            info.commit or "",
            f"release tag {name} has no release folder in history",
        )
        for name, info in sorted(tags.items())
        if name not in logs and (only is None or name == only) and is_release_tag(name, policy)
    ]


def _rewritten(commit: str) -> Anomaly:
    return Anomaly(
        "history-rewritten",
        "",
        commit,
        f"an earlier run read history up to {commit[:12]}, which no branch holds any more: "
        "history was rewritten (force-push or reset) since",
    )


def _by_author(policy: Policy | None) -> bool:
    """Whether a sign-off under `policy` is its adding commit's author's."""
    return policy is not None and policy.signatures != "ssh"
