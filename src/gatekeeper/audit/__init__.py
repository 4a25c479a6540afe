"""`gate audit`: the git history of the release records, read as an approval log.

One streamed `git log` over `releases/` and `policies/` (merges shown against their
first parent, so a record rewritten while merging is seen); memory grows with the
number of records, not commits. Each sign-off is verified under the policy in force
at the commit that added it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from gatekeeper.audit.model import Anomaly, AuditLog, ReleaseLog
from gatekeeper.audit.policies import policies_at, policy_events, policy_trees

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.models.policy import Policy
    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.repo import Change, GitRepo, TagInfo

__all__ = ["AuditLog", "ReleaseLog", "audit"]


@dataclass
class _History:
    """What the history index holds for the audit."""

    per_path: dict[str, list[Change]] = field(default_factory=dict)  # oldest change first
    release: dict[str, str] = field(default_factory=dict)  # record path -> its release
    policy_changes: list[Change] = field(default_factory=list)
    position: dict[tuple[str, str], int] = field(default_factory=dict)

    def seq(self, change: Change) -> int:
        """Where `change` stands in history: bigger is newer."""
        return self.position.get((change.commit, change.path), 0)


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
    from gatekeeper.records.history_cache import rewrites_seen, shared_index

    head = repo.resolve_commit(rev, "HEAD")
    # 1. one pass over history, shared with every check below (kept between runs)
    index = shared_index(repo, head, policy.releases)
    rewritten = rewrites_seen(repo)
    tags = repo.tags()
    history = _history(index, only)
    logs, added = _changes(history)  # 2. every record's changes
    for log in logs.values():
        log.tag = tags.get(log.release)
    # 3. each record as added (of the releases in the period)
    period = (since, until)
    maybe = _maybe_in_period(logs, added, history, period, policy.releases)
    _place(index, history, maybe)
    default_trees, tag_trees = policy_trees(repo, default_branch, tags, logs)
    releases = policy.releases
    _records(
        repo, logs, added, history, maybe, releases=releases, period=period, reviewed=default_trees
    )
    kept = [logs[t] for t in sorted(logs) if logs[t].in_period(since, until)]
    audited = frozenset(history.per_path)
    for done, log in enumerate(kept):  # 4. the tag (or the revision) and policy changes
        if progress:
            progress(done, len(kept))
        _tag_and_policy(
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
    orphans = _orphans(tags, logs, policy, only)  # 5. tags without a release
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


def _changes(history: _History) -> tuple[dict[str, ReleaseLog], dict[str, Change]]:
    """A log per release with the anomalies of later changes; each record's adding change."""
    from gatekeeper.audit.records import changes_anomalies

    added: dict[str, Change] = {}
    logs: dict[str, ReleaseLog] = {}
    for path, changes in history.per_path.items():
        tag = history.release[path]
        log = logs.setdefault(tag, ReleaseLog(tag))
        first, anomalies = changes_anomalies(path, changes)
        log.anomalies += anomalies
        when = {change.commit: change.authored_at for change in changes}
        log.tampered += [when[a.commit] for a in anomalies if a.commit in when]
        if first is not None:
            added[path] = first
    return logs, added


def _maybe_in_period(
    logs: dict[str, ReleaseLog],
    added: dict[str, Change],
    history: _History,
    period: tuple[datetime | None, datetime | None],
    releases: str,
) -> set[str]:
    """The releases that may be in the period: tagged or tampered with in it, or with a
    request added in it (a release is requested when its request was added, so only
    these requests need reading to know which are). The request is the one path the
    layout calls so (a sign-off folder's file named `request.toml` is no request)."""
    from gatekeeper.audit.model import within
    from gatekeeper.records.layout import classify

    requested = {
        history.release[path]
        for path, change in added.items()
        if (found := classify(path, releases)) and found.kind == "request"
        if within(change.authored_at, *period)
    }
    return requested | {tag for tag, log in logs.items() if log.in_period(*period)}


def _place(index: HistoryIndex, history: _History, releases: set[str]) -> None:
    """Where each change of `releases` and each policy change stands in history, newest
    first as git walks (by first-parent depth, a merge's side commits after it, a commit's
    paths in git's order): the order events of one time are told in."""
    from gatekeeper.records.index import order

    listed = [
        change
        for path, changes in history.per_path.items()
        if history.release[path] in releases
        for change in changes
    ]
    newest = sorted(listed + history.policy_changes, key=lambda c: order(index, c, newest=True))
    history.position = {(c.commit, c.path): -n for n, c in enumerate(newest)}


def _records(
    repo: GitRepo,
    logs: dict[str, ReleaseLog],
    added: dict[str, Change],
    history: _History,
    maybe: set[str],
    *,
    releases: str,
    period: tuple[datetime | None, datetime | None],
    reviewed: set[str],
) -> None:
    """Requests first (sign-offs look at the requester, and a release is in the period
    when it was requested or tagged in it), then in the order of history the records of
    the releases in the period (`maybe`: those that may be); each verified under the
    policy in force when it was added, which counts only if that policy was on the default
    branch (`reviewed`: its `policies/` trees there; empty when there is no default branch
    to ask)."""
    from gatekeeper.audit.records import record_event

    ordered = sorted(
        ((path, change) for path, change in added.items() if history.release[path] in maybe),
        key=lambda i: (_not_request(i[0]), history.seq(i[1])),
    )
    requests = [(path, change) for path, change in ordered if not _not_request(path)]
    for path, change in requests:
        log = logs[history.release[path]]
        record_event(repo, None, log, path, change, releases=releases, seq=history.seq(change))
    wanted = {tag for tag, log in logs.items() if log.in_period(*period)}
    rest = [
        (path, change)
        for path, change in ordered
        if _not_request(path) and history.release[path] in wanted
    ]
    policies = policies_at(repo, [change.commit for _, change in rest])
    for path, change in rest:
        log = logs[history.release[path]]
        policy, tree = policies.get(change.commit, (None, None))
        off = bool(reviewed) and policy is not None and tree not in reviewed
        seq = history.seq(change)
        record_event(repo, policy, log, path, change, releases=releases, seq=seq, off_default=off)


def _tag_and_policy(
    repo: GitRepo,
    log: ReleaseLog,
    history: _History,
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
    tags: dict[str, TagInfo], logs: dict[str, ReleaseLog], policy: Policy, only: str | None
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


def _not_request(path: str) -> bool:
    return not path.endswith("/request.toml")


def _history(index: HistoryIndex, only: str | None) -> _History:
    """What the history index holds for the audit: each record path's changes (oldest
    first) and release, and the policy changes, in the order git's walk (newest first)
    meets them: the record changed last first, as the audit has always listed what
    happened to each."""
    from gatekeeper.records.index import order

    def newest(change: Change) -> tuple[int, int, bytes]:
        return order(index, change, newest=True)

    history = _History(policy_changes=sorted(index.policies, key=newest))
    per_path: dict[str, list[Change]] = {}
    for tag in [only] if only is not None else index.tags():
        for change in index.changes.get(tag, []):
            per_path.setdefault(change.path, []).append(change)
            history.release[change.path] = tag
    for path in sorted(per_path, key=lambda p: newest(per_path[p][-1])):
        history.per_path[path] = per_path[path]
    return history
