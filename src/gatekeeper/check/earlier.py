"""The obligations of earlier releases: which of them still owe a post-release gate (or
an emergency's retro-approvals), each judged under the policies that may have bound it
when it shipped (check/bound_by.py) and from its records at the trusted ref (or, tagged
with a request whose records never reached it, at the tagged commit).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo, TagInfo


def overdue_elsewhere(
    repo: GitRepo,
    policy: Policy,
    tag: str,
    at: datetime,
    trusted: str | None = None,
    *,
    component: str = "",
    revision: str | None = None,
) -> tuple[tuple[str, str, str], ...]:
    """Post-release gates of other tagged releases that are overdue at `at`, for the widest
    `obligations` scope the policy asks (a `component` scope: releases of the same
    component, `tagname.component_of`; a tag with no date is always looked at).

    Their records are read at the trusted ref when the check has one (`trusted`: CI's
    `--policy-ref`), else at HEAD: a tagged commit must not be where they are read, since
    whoever made it chose what it holds. An earlier release whose committed records were
    deleted or edited since, or no longer read as a release (its request deleted or
    broken), counts as overdue: nothing it owed can be judged."""
    from gatekeeper.check.bound_by import bound_by
    from gatekeeper.models.gates import ObligationsGate
    from gatekeeper.policy.tagname import component_of, is_release_tag, tag_component

    scopes = {g.scope for g in policy.all_gates() if isinstance(g, ObligationsGate)}
    mine = {component_of(tag, policy), component}  # the tag's, and the request's
    found: dict[tuple[str, str], str] = {}
    tags = repo.tags()
    head = trusted or repo.head()
    if any(name != tag for name in tags) and head is not None:
        from gatekeeper.records.history_cache import shared_index

        shared_index(repo, head, policy.releases)  # every earlier release from one pass
    for name, info in sorted(tags.items()):
        in_scope = "all" in scopes or component_of(name, policy) in mine
        if not in_scope and tag_component(name, policy) is None and name != tag:
            # A tag without a component's prefix may be any component's release (`v1.0.0`
            # requested for billing): its request says whose.
            whose = _requested_for(repo, policy.releases, name, (head, info.commit))
            in_scope = whose is None or bool(whose & mine)
        # A tag with no date (made lightweight, or re-made so) shipped at no known time:
        # it is looked at, never passed over (its post-release gates have no due time).
        # Nor is a tag dated where no clock is yet (re-made dated 2099): it exists, so it
        # was made by now, and it is read as undated.
        # An undated one is earlier only where the commit judged holds its commit: a
        # lightweight tag pushed on a later commit (a release only requested) must not
        # fail every release shipped before it, nor have the re-check delete them.
        when = info.tagged_at
        ahead = when is not None and at < when and _ahead_of_every_clock(when)
        before = when is None or when <= at or ahead
        if name == tag or not in_scope or not before or not is_release_tag(name, policy):
            continue
        undated = when is None or ahead
        if undated and revision and info.commit and not repo.is_ancestor(info.commit, revision):
            continue
        read = replace(info, tagged_at=None) if ahead else info
        for policy_ref in bound_by(repo, head, name, read):  # check/bound_by.py
            owed = _owed(
                repo, name, read, at=at, records_at=head, policy_ref=policy_ref, ahead=ahead
            )
            for gate_id, why in owed:
                found.setdefault((name, gate_id), why)
    return tuple((name, gate_id, why) for (name, gate_id), why in found.items())


def _owed(
    repo: GitRepo,
    name: str,
    info: TagInfo,
    *,
    at: datetime,
    records_at: str | None,
    policy_ref: str | None,
    ahead: bool = False,
) -> list[tuple[str, str]]:
    """(gate id, why) for what `name` owes at `at` under the policy at `policy_ref`
    (who made a record after its tag is judged by the line's policy of the day it landed:
    trust/later.py)."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError

    opts = CheckOptions(
        stage="post-release",
        now=at,
        at="now",
        tag_info=info,
        records_at=records_at,
        policy_ref=policy_ref,
        line=records_at,  # the line whose policies decide who settles (not the binding one's)
    )
    try:
        result = evaluate(repo, name, opts)
    except GateError as exc:
        return [("post-release", f"cannot be checked: {exc.message}")]
    gates = result.report.gates
    # Records deleted or edited since (a declaration, a failing post-release record):
    # what it owed cannot be judged, so it is owed still.
    owed = [(g.id, g.reasons[0]) for g in gates if g.id == "records" and not g.passed]
    elsewhere = ""
    if result.facts is None:  # no request: never a release, unless records were dropped,
        if not _shipped_with_a_request(repo, result, name, info, records_at):
            return owed
        # or it was tagged with its request and its records never reached the trusted
        # ref (a release branch not merged): judged from the tagged commit, which holds
        # no record made after the tag, so a post-release gate due is owed until they are.
        try:
            result = evaluate(repo, name, replace(opts, records_at=info.commit))
        except GateError as exc:
            return [*owed, ("post-release", f"cannot be checked: {exc.message}")]
        gates = result.report.gates
        elsewhere = "; its records are not on the trusted branch: merge them there"
    undated = (
        "its tag is dated in the future: when it falls due cannot be told"
        if ahead
        else "its tag has no date (lightweight): when it falls due cannot be told"
    )
    return owed + [
        (g.id, (g.reasons[0] if not g.passed else undated) + elsewhere)
        for g in gates
        if g.stage == "post-release"
        and (not g.passed or (g.pending and g.applies and info.tagged_at is None))
    ]


def _shipped_with_a_request(
    repo: GitRepo, result: Evaluation, name: str, info: TagInfo, records_at: str | None
) -> bool:
    """Whether the tagged commit holds the release's request while `records_at` does not."""
    if info.commit is None or info.commit == records_at:
        return False
    releases = result.policy.policy.releases
    return repo.holds([(info.commit, f"{releases}/{name}/request.toml")])[0]


def _requested_for(
    repo: GitRepo, releases: str, name: str, commits: tuple[str | None, ...]
) -> set[str] | None:
    """The components release `name`'s request names at any of `commits`, read raw; None
    (any component: it is judged) for a request that cannot be read."""
    import tomllib

    from gatekeeper.errors import GateError

    found: set[str] = set()
    path = f"{releases}/{name}/request.toml"
    wanted = [c for c in dict.fromkeys(commits) if c is not None]
    for commit, held in zip(wanted, repo.holds([(c, path) for c in wanted]), strict=True):
        if not held:
            continue
        try:
            component = tomllib.loads(repo.blob_at(commit, path).decode()).get("component", "")
        except (GateError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        if not isinstance(component, str):
            return None
        found.add(component)
    return found


def _ahead_of_every_clock(when: datetime) -> bool:
    """Whether a tag dated `when` claims a time the machine's clock has not reached,
    beyond the skew allowed between clocks (the rule a record's date answers to): the tag
    exists now, so the date is not when it was made."""
    from gatekeeper.clock import wall_clock
    from gatekeeper.trust.rules import verify_not_future

    return verify_not_future(when, wall_clock()) is not None
