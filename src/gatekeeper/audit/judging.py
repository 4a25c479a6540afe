"""A release's audit judged: its records verified under the policy in force where each
was added, the check at its tag (or at the audited revision), and its policy changes;
and what that reads, read ahead in few round trips."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.audit.policies import policies_at, policy_events

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from gatekeeper.audit.history import History
    from gatekeeper.audit.model import ReleaseLog
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import Change, GitRepo


def read_ahead(
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
    quietly(repo.trees, ends, POLICY_DIR)  # where each release's policy changes are looked for
    quietly(repo.read_ahead, [c.blob for path, c in records if is_record(path, releases)])
    quietly(repo.read_commits, [c.commit for _, c in records if _by_author(policies[c.commit][0])])
    return policies


def quietly(read: Callable[..., object], *args: object) -> None:
    """Read ahead what will be asked one at a time; what cannot be read now is refused
    where it is asked, as it was."""
    from contextlib import suppress

    from gatekeeper.errors import GateError

    with suppress(GateError):
        read(*args)


def later_records(
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


def tag_and_policy(
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
    now: datetime,
) -> None:
    """The tag's events and anomalies (untagged: the check at `head`), the policy changes
    that affected the release, and the timeline in order (judged at `now`)."""
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
            now=now,
        )
    else:
        check_now(repo, log, head, trusted, now)
    from gatekeeper.audit.policies import policy_commits_between

    between = policy_commits_between(repo, log)
    policy_events(log, history.policy_changes, history.seq, between)
    log.events.sort(key=lambda e: (e.time, e.seq))
    order = {e.path: (e.time, e.seq) for e in log.events}
    log.approvals.sort(key=lambda a: order.get(a.path, (log.events[0].time, 0)))


def _by_author(policy: Policy | None) -> bool:
    """Whether a sign-off under `policy` is its adding commit's author's."""
    return policy is not None and policy.signatures != "ssh"
