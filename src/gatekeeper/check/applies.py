"""When a gate applies: its stage, and its `when` matchers (kind, risk, component, and
the paths the candidate changes since the previous release of its component)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.models.gates import GateBase
    from gatekeeper.models.policy import Policy
    from gatekeeper.models.records import Request
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
    repo: GitRepo,
    policy: Policy,
    records: ReleaseRecords,
    policy_ref: str | None = None,
    *,
    now: datetime | None = None,
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
        if released(repo, name, info, policy_ref, now=now):
            return tuple(repo.changed_paths(info.commit, request.candidate))
    return None


def released(
    repo: GitRepo, tag: str, info: TagInfo, policy_ref: str | None, *, now: datetime | None
) -> bool:
    """Whether `tag` was a release: its check at the tag passes, judged at the time the
    asking release is judged (`now`; `--at` too), with every path-limited gate applying.
    Any release-shaped tag anyone pushed (a decoy on the candidate itself) is not; nor is
    one that passed only by skipping a path-limited gate, so no chain of earlier releases
    is followed, and an older release is compared against instead."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError

    opts = CheckOptions(
        tag_info=info, policy_ref=policy_ref, now=now, obligations=False, previous=False
    )
    try:
        return evaluate(repo, tag, opts).report.passed
    except GateError:
        return False
