"""`gate audit`: the git history of the release records, read as an approval log.

One streamed `git log` over `releases/` and `policies/` (merges shown against their
first parent, so a record rewritten while merging is seen); memory grows with the
number of records, not commits. Each sign-off is verified under the policy in force
at the commit that added it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from gatekeeper.audit.history import (
    History,
    from_index,
    may_be_in,
    maybe_in_period,
    place,
    release_logs,
)
from gatekeeper.audit.judging import later_records, quietly, read_ahead, tag_and_policy
from gatekeeper.audit.kept import (
    Judged,
    KeptAudit,
    inputs_of,
    kept_across,
    kept_audit,
    settle_ahead,
)
from gatekeeper.audit.model import Anomaly, AuditLog, ReleaseLog
from gatekeeper.audit.policies import default_trees, tag_trees

if TYPE_CHECKING:
    from collections.abc import Callable, Collection

    from gatekeeper.models.policy import Policy
    from gatekeeper.records.index import HistoryIndex
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
    shown: bool = False,
) -> AuditLog:
    """Walk history once; build each release's timeline and anomalies (`progress(done,
    total)` is told as each release is checked; `trusted`: the commit of `--policy-ref`,
    which every check reads the policy from, as `gate check --policy-ref` does; `shown`:
    only the JSON is wanted, so a log kept with its JSON text is not made again, only
    that text is in `AuditLog.shown`)."""
    from gatekeeper.check.kept_reads import Reads, TracedRepo, reading
    from gatekeeper.check.workers import AUDIT_AFTER, gate_jobs, judged
    from gatekeeper.clock import Moment, judging
    from gatekeeper.policy.loading import POLICY_DIR
    from gatekeeper.records.history_cache import rewrites_seen

    gate_jobs()  # a bad GATE_JOBS is refused whatever there is to judge
    head = repo.resolve_commit(rev, "HEAD")
    now = datetime.now(UTC)  # the audit's clock: each release's checks are judged at it
    # 1. one pass over history, shared with every check below (kept between runs)
    index, reviewed = _history(repo, head, policy.releases, default_branch, keeps=only is None)
    rewritten = rewrites_seen(repo)
    tags = repo.tags()
    period = (since, until)
    # The logs an earlier run kept, where what they were made from is as it was.
    kept_logs = _kept(
        repo, head, policy.releases, only=only, branch=default_branch, trusted=trusted
    )
    inputs = inputs_of(index, tags, reviewed, across=trusted == head) if kept_logs.path else {}
    # A period's audit reads only the releases whose dates may put them in it.
    dated = {name: info.tagged_at for name, info in tags.items()}
    among = may_be_in(index, dated, period) if only is None else None
    # (a period's report asks each kept log whether it is in the period: made again)
    reused = kept_logs.usable(repo, inputs, now, among, tags, shown=shown and among is None)
    if reused.names():
        among = (set(index.tags()) if among is None else among) - reused.names()
    history = from_index(index, only, among)
    logs, added = release_logs(history)  # 2. every record's changes
    for log in logs.values():
        log.tag = tags.get(log.release)
    # 3. each record as added (of the releases in the period)
    maybe = maybe_in_period(logs, added, history, period, policy.releases)
    place(index, history, maybe)
    at_tags = tag_trees(repo, default_branch, tags, logs)
    releases = policy.releases
    later = _requests(repo, logs, added, history, maybe, releases=releases, period=period)
    fresh = [logs[t] for t in sorted(logs) if logs[t].in_period(since, until)]
    policies = read_ahead(repo, fresh, later, releases)
    audited = frozenset(history.paths)
    commits = frozenset(info.commit for info in tags.values() if info.commit)
    traced = cast("GitRepo", TracedRepo(repo)) if kept_logs.path else None
    across = traced is not None and trusted == head  # logs may outlive commits on top

    # 4. a release at a time: its check reads again what its records' events read, while
    # the process still holds it
    def judge(log: ReleaseLog) -> Judged:
        moment = Moment(now)  # a clock of its own: what this log was compared with
        reads = Reads(head, (releases, POLICY_DIR), index, commits)
        with judging(moment.window), reading(reads):
            seen = traced or repo
            made = later.get(log.release, [])
            later_records(seen, log, made, history, policies, releases=releases, reviewed=reviewed)
            tag_and_policy(  # 5. the tag (or the revision) and policy changes
                seen,
                log,
                history,
                policy,
                default_trees=reviewed,
                tag_tree=at_tags.get(log.release),
                head=head,
                trusted=trusted,
                audited=audited,
                now=moment,
            )
        return moment.window, log, kept_across(reads, moment.window, log, across=across)

    # Each release on its own: on every core, when there are many (check/workers.py).
    made = judged(repo, fresh, judge, progress, after=AUDIT_AFTER)
    texts = kept_logs.save(repo, {log.release: (w, log, a) for w, log, a in made}, inputs)
    every = {log.release: log for _, log, _ in made}
    every.update((tag, log) for tag, log in reused.logs.items() if log.in_period(since, until))
    orphans = _orphans(tags, history.names, policy, only)  # 6. tags without a release
    # What an earlier run had read is gone: a force-push or a reset since.
    orphans[:0] = [_rewritten(commit) for commit in rewritten]
    return AuditLog(
        head,
        policy.signatures,
        [every[tag] for tag in sorted(every)],
        since,
        until,
        orphans,
        roles={name: role.title for name, role in policy.roles.items()},
        people={pid: person.name for pid, person in policy.people.items()},
        shown={**texts, **reused.texts} if shown else {},
    )


def _history(
    repo: GitRepo, head: str, releases: str, branch: str | None, *, keeps: bool
) -> tuple[HistoryIndex, set[str]]:
    """The history index, and the default branch's policy trees, read while git walks (a
    walk of its own), as is what the commits since the last run changed (for the logs it
    kept: `keeps`)."""
    from gatekeeper.records.history_cache import shared_index

    found: list[set[str]] = []

    def meanwhile(last: str | None) -> None:
        found.append(default_trees(repo, branch))
        if last is not None and keeps:
            settle_ahead(repo, last, head, releases)

    index = shared_index(repo, head, releases, meanwhile)
    return index, found[0] if found else default_trees(repo, branch)


def _kept(
    repo: GitRepo,
    head: str,
    releases: str,
    *,
    only: str | None,
    branch: str | None,
    trusted: str | None,
) -> KeptAudit:
    """The logs an earlier audit kept, keyed by what changes what a log says besides the
    repository (an audit of one release keeps nothing: it judges one)."""
    if only is not None:
        return KeptAudit(None)
    ref = "HEAD" if trusted == head else str(trusted)
    return kept_audit(repo, head, releases, f"default {branch}", f"trusted {ref}")


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
    quietly(repo.read_ahead, [change.blob for path, change in ordered if not other(path)])
    later: dict[str, list[tuple[str, Change]]] = {}
    for path, change in ordered:
        log = logs[history.release[path]]
        if other(path):
            if log.in_period(*period):
                later.setdefault(log.release, []).append((path, change))
            continue
        record_event(repo, None, log, path, change, releases=releases, seq=history.seq(change))
    return later


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
