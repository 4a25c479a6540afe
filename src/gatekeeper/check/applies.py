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
    if any(matches(path, glob) for path in changed for glob in paths):
        return None
    return f"not required: nothing matching {', '.join(paths)} changed since the previous release"


def matches(path: str, glob: str) -> bool:
    """Whether a changed path falls under a `when.paths` glob, read widely, since a gate
    left out is the failure that matters: fnmatch (`*` crosses `/`) in any case; a folder's
    own entry (a submodule `migrations` under `migrations/**`); `**/` also as no folder at
    all, as gitignore and CODEOWNERS read it (`migrations/**/*.sql` holds
    `migrations/001.sql`); and a tree git would not write holds every path."""
    import fnmatch

    from gatekeeper.repo.treediff import MALFORMED

    if path.endswith(MALFORMED):
        return True
    names = {path, path + "/"}
    names |= {name.lower() for name in names}
    globs = _zero_folders(glob)
    globs |= {g.lower() for g in globs}
    return any(fnmatch.fnmatchcase(name, g) for name in names for g in globs)


def _zero_folders(glob: str) -> set[str]:
    """`glob` with each `**/` kept or dropped (every combination; past six of them, all
    kept or all dropped, so a policy cannot make this take forever)."""
    if glob.count("**/") > 6:
        return {glob, glob.replace("**/", "")}
    out = {glob}
    while True:
        more = {g[:i] + g[i + 3 :] for g in out for i in _at(g, "**/")} - out
        if not more:
            return out
        out |= more


def _at(text: str, part: str) -> list[int]:
    return [i for i in range(len(text)) if text.startswith(part, i)]


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
    revision: str | None = None,
) -> tuple[str, ...] | None:
    """Paths changed since the previous releases of the same component: every earlier
    release tag of it in the candidate's history that passes its own check and is in the
    history of no other such release (a release from a maintenance branch merged forward
    is one of them, whatever the tags' dates say), and every path a commit since any of
    them touched (a change a gate approved and a later commit reverted is a change). The
    same is asked from the revision judged (the tagged commit), when another: the
    candidate is whatever commit the requester named, and one re-parented onto an older
    release would make that release "previous". None when there is none, from either."""
    request = records.request
    if request is None:
        return None
    touched: set[str] = set()
    for head in dict.fromkeys((request.candidate, revision or request.candidate)):
        since = _since(repo, policy, records, request, head, policy_ref=policy_ref, now=now)
        if since is None:
            return None
        touched |= since
    return tuple(sorted(touched))


def _since(
    repo: GitRepo,
    policy: Policy,
    records: ReleaseRecords,
    request: Request,
    head: str,
    *,
    policy_ref: str | None,
    now: datetime | None,
) -> set[str] | None:
    """Every path touched since the previous releases in `head`'s history (None: none)."""
    from gatekeeper.policy.tagname import component_of, is_release_tag

    mine = {component_of(records.tag, policy), request.component}
    tags = [
        info
        for info in repo.tags_merged_into(head)
        if info.commit
        and info.annotated  # a release's tag is (the tag gate): tags from before gate are not
        and (name := info.ref.removeprefix("refs/tags/")) != records.tag
        and is_release_tag(name, policy)
        and component_of(name, policy) in mine
    ]
    # Only a tag whose commit holds its release's request can have passed its check.
    named = [
        (t.commit or "", f"{policy.releases}/{t.ref[len('refs/tags/') :]}/request.toml")
        for t in tags
    ]
    tags = [t for t, held in zip(tags, repo.holds(named), strict=True) if held]
    previous = _previous(repo, tags, policy_ref, now=now, like=request)
    if not previous:
        return None
    touched: set[str] = set()
    for commit in previous:
        touched |= repo.paths_touched(commit, head)
        touched.update(repo.changed_paths(commit, head))
    return touched


def _previous(
    repo: GitRepo,
    tags: list[TagInfo],
    policy_ref: str | None,
    *,
    now: datetime | None,
    like: Request,
) -> set[str]:
    """The commits of the newest releases among `tags`: those in the history of no other
    that passes its check and is of the same kind, risk and component as `like` (a gate's
    `when` may have left a release of another out, so it is no baseline for this one);
    any other is passed over for the releases it holds."""
    found: set[str] = set()
    left = [t for t in tags if t.commit]
    while left:
        newest = repo.newest_of([*found, *(t.commit or "" for t in left)])
        frontier = [t for t in left if t.commit in newest]
        if not frontier:
            break
        left = [t for t in left if t.commit not in newest]
        for info in frontier:
            name = info.ref.removeprefix("refs/tags/")
            if info.commit in found:
                continue
            was = released(repo, name, info, policy_ref, now=now)
            if was is not None and (was.kind, was.risk, was.component) == (
                like.kind,
                like.risk,
                like.component,
            ):
                found.add(info.commit or "")
    return found


def released(
    repo: GitRepo, tag: str, info: TagInfo, policy_ref: str | None, *, now: datetime | None
) -> Request | None:
    """`tag`'s request when it was a release, else None: its check at the tag passes,
    judged at the time the asking release is judged (`now`; `--at` too), with every
    path-limited gate applying. Any release-shaped tag anyone pushed (a decoy on the
    candidate itself) is not; nor is one that passed only by skipping a path-limited gate,
    so no chain of earlier releases is followed, and an older release is compared
    against instead."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.errors import GateError

    opts = CheckOptions(
        tag_info=info, policy_ref=policy_ref, now=now, obligations=False, previous=False
    )
    try:
        result = evaluate(repo, tag, opts)
    except GateError:
        return None
    return result.records.request if result.report.passed else None


def filed_as_applies(
    policy: Policy, filings: tuple[tuple[datetime, Request], ...], changed: tuple[str, ...] | None
) -> dict[str, datetime]:
    """For each lead-time gate limited by `when`, when the request was filed as one it
    applies to: the first of the unbroken run of revisions, up to the current one, that it
    applies to (a release filed as low risk and revised to major on the day gave no notice
    of a major release). `filings`: each revision, oldest first, with when it was filed."""
    from gatekeeper.models.gates import LeadTimeGate

    found: dict[str, datetime] = {}
    for gate in policy.all_gates():
        if not isinstance(gate, LeadTimeGate) or gate.when is None:
            continue
        for when, request in reversed(filings):
            if not_applicable(gate, request, gate.stage, changed) is not None:
                break
            found[gate.id] = when
    return found
