"""When a gate applies: its stage, and its `when` matchers (kind, risk, component, and
the paths the candidate changes since the previous release of its component)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.models.gates import GateBase
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request
    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo, TagInfo


def not_applicable(
    gate: GateBase, request: Request, stage: str, changed: tuple[str, ...] | None = None
) -> str | None:
    """Why `gate` does not apply to this request at this stage, or None when it does.
    `changed`: paths changed since the previous release (None: there is none)."""
    import fnmatch

    if gate.stage != stage:
        return f"{gate.stage} gate; checked with --stage {gate.stage}"
    when = gate.when
    if when is None:
        return None
    for key in ("kind", "risk", "component"):
        allowed = getattr(when, key)
        value = getattr(request, key)
        if allowed is not None and value not in allowed:
            return f"not required: {key} is '{value}', this gate is for {', '.join(allowed)}"
    paths = when.paths
    if paths is None or changed is None:  # no previous release: it applies
        return None
    if any(fnmatch.fnmatchcase(path, glob) for path in changed for glob in paths):
        return None
    return f"not required: nothing matching {', '.join(paths)} changed since the previous release"


def uses_paths(policy: Policy) -> bool:
    """Whether any gate is limited to changed paths (only then is history compared)."""
    return any(g.when is not None and g.when.paths is not None for g in policy.all_gates())


def changed_since(
    repo: GitRepo, policy: Policy, records: ReleaseRecords, policy_ref: str | None = None
) -> tuple[str, ...] | None:
    """Paths the candidate changes since the previous release of the same component (the
    same `component/` prefix): the newest release tag that is its ancestor and passes its
    own check; None when there is none."""
    from gatekeeper.policy.tagname import is_release_tag

    request = records.request
    if request is None:
        return None
    prefix = records.tag.rpartition("/")[0]
    for info in repo.tags_merged_into(request.candidate):
        name = info.ref.removeprefix("refs/tags/")
        same = name.rpartition("/")[0] == prefix and name != records.tag
        if not (same and info.commit and is_release_tag(name, policy)):
            continue
        if released(repo, name, info, policy_ref):
            return tuple(repo.changed_paths(info.commit, request.candidate))
    return None


def released(repo: GitRepo, tag: str, info: TagInfo, policy_ref: str | None) -> bool:
    """Whether `tag` was a release: its check at the tag passes, with every path-limited
    gate applying. Any release-shaped tag anyone pushed (a decoy on the candidate itself)
    is not; nor is one that passed only by skipping a path-limited gate, so no chain of
    earlier releases is followed, and an older release is compared against instead."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError

    opts = CheckOptions(tag_info=info, policy_ref=policy_ref, obligations=False, previous=False)
    try:
        return evaluate(repo, tag, opts).report.passed
    except GateError:
        return False


def _in_force_at(repo: GitRepo, head: str | None, info: TagInfo) -> str | None:
    """Where an earlier release's policy is read: the trusted line (or HEAD's) at the
    newest of its first-parent commits the released commit contains — what the release
    was built on. Never the release's own tagged tree, or a tree a merge produced when it
    took the release in (whoever made either chose what it holds), nor rules the line
    gained since (a post-release gate, a person moved on). No date is asked: commit and
    tag dates are claims. A release built on none of the line's commits, or on one from
    before the line had a policy gate can read, is judged under today's."""
    from gatekeeper.errors import GateError
    from gatekeeper.policy.loading import load_policy
    from gatekeeper.records.history_cache import current_index

    index = current_index(repo)
    if head is None or index is None or index.head != head or info.commit is None:
        return head
    then = _built_on(repo, index, info.commit)
    if then is None:
        return head
    try:
        load_policy(repo, then)
    except GateError:  # no policy yet (gate adopted later), or one no longer read: today's
        return head
    return then


def _built_on(repo: GitRepo, index: HistoryIndex, commit: str) -> str | None:
    """The newest commit of the index's first-parent line that `commit` contains: itself
    when it is on the line, else found from its merge bases with the line's head."""
    if index.covers(commit):
        return commit
    newest = -1
    for base in repo.merge_bases(index.head, commit):
        found = index.entry.get(base)
        if found is None:
            continue
        if index.covers(base):
            newest = max(newest, found[0])
        else:  # a side commit the line took in at depth d: the answer is older than d
            newest = max(newest, _newest_contained(repo, index, commit, found[0]))
    return index.line[newest] if newest >= 0 else None


def _newest_contained(repo: GitRepo, index: HistoryIndex, commit: str, below: int) -> int:
    """The deepest line position before `below` whose commit `commit` contains (-1: none);
    the line's commits contain each other in order, so a bisect finds it."""
    low, high = 0, below  # invariant: answer in [low - 1, high - 1]
    while low < high:
        mid = (low + high) // 2
        if repo.is_ancestor(index.line[mid], commit):
            low = mid + 1
        else:
            high = mid
    return low - 1


def overdue_elsewhere(
    repo: GitRepo, policy: Policy, tag: str, at: datetime, trusted: str | None = None
) -> tuple[tuple[str, str, str], ...]:
    """Post-release gates of other tagged releases that are overdue at `at`, for the widest
    `obligations` scope the policy asks (a `component` scope: the same `prefix/`).

    Their records are read at the trusted ref when the check has one (`trusted`: CI's
    `--policy-ref`), else at HEAD, and the policy on that line where it took each release
    in: a tagged commit must not be where they are read, since whoever made it chose what
    it holds.
    An earlier release whose committed records were deleted or edited since, or no
    longer read as a release (its request deleted or broken), counts as overdue: nothing
    it owed can be judged."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError
    from gatekeeper.models.gates import ObligationsGate
    from gatekeeper.policy.tagname import is_release_tag

    scopes = {g.scope for g in policy.all_gates() if isinstance(g, ObligationsGate)}
    prefix = tag.rpartition("/")[0]
    found = []
    tags = repo.tags()
    head = trusted or repo.head()
    if any(name != tag for name in tags) and head is not None:
        from gatekeeper.records.history_cache import shared_index

        shared_index(repo, head, policy.releases)  # every earlier release from one pass
    for name, info in sorted(tags.items()):
        in_scope = "all" in scopes or name.rpartition("/")[0] == prefix
        before = info.tagged_at is not None and info.tagged_at <= at
        if name == tag or not in_scope or not before or not is_release_tag(name, policy):
            continue
        try:
            opts = CheckOptions(
                stage="post-release",
                now=at,
                at="now",
                tag_info=info,
                records_at=head,
                policy_ref=_in_force_at(repo, head, info),
            )
            result = evaluate(repo, name, opts)
        except GateError as exc:
            found.append((name, "post-release", f"cannot be checked: {exc.message}"))
            continue
        gates = result.report.gates
        # Records deleted or edited since (a declaration, a failing post-release record):
        # what it owed cannot be judged, so it is owed still.
        found += [(name, g.id, g.reasons[0]) for g in gates if g.id == "records" and not g.passed]
        if result.facts is None:  # no request: never a release, unless records were dropped
            continue
        found += [
            (name, g.id, g.reasons[0]) for g in gates if g.stage == "post-release" and not g.passed
        ]
    return tuple(found)
