"""The policy in the audit: which one was in force when each record was added, whether
the tagged one was ever on the default branch, and policy changes that affected a
release."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.audit.model import Event
from gatekeeper.policy.loading import POLICY_DIR

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from gatekeeper.audit.model import ReleaseLog
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import Change, GitRepo, TagInfo


def policies_at(repo: GitRepo, commits: list[str]) -> dict[str, tuple[Policy | None, str | None]]:
    """The policy in force at each commit and its `policies/` tree, loaded once per tree."""
    from gatekeeper.errors import GateError
    from gatekeeper.policy.loading import load_policy

    unique = list(dict.fromkeys(commits))
    trees = repo.trees(unique, POLICY_DIR)
    by_tree: dict[str | None, Policy | None] = {None: None}
    out: dict[str, tuple[Policy | None, str | None]] = {}
    for commit in unique:
        tree = trees.get(commit)
        if tree not in by_tree:
            try:
                by_tree[tree] = load_policy(repo, commit).policy
            except GateError:
                by_tree[tree] = None
        out[commit] = by_tree[tree], tree
    return out


def default_trees(repo: GitRepo, default_branch: str | None) -> set[str]:
    """`policies/` trees ever on the default branch (none when there is none to ask).

    Those of an earlier run are kept with the commit they were read at: a fact of that
    commit's history, so used again when it is the branch's commit now, or one on its
    first-parent line (then only the commits since are read)."""
    from gatekeeper.kept import keeping, kept_path, write_kept

    if default_branch is None:
        return set()
    branch = repo.resolve_commit(default_branch, "--default-branch")
    path = kept_path(repo, _KEPT) if keeping() and not repo.is_shallow() else None
    trees, since = _kept_trees(repo, path, branch)
    if since == branch:
        return trees
    on_default = repo.first_parent_commits(branch, POLICY_DIR, since=since)
    trees |= {t for t in repo.trees(on_default, POLICY_DIR).values() if t}
    if path is not None:
        write_kept(path, {"format": 1, "commit": branch, "trees": sorted(trees)})
    return trees


_KEPT = "default-policies-1.json"


def _kept_trees(repo: GitRepo, path: Path | None, branch: str) -> tuple[set[str], str | None]:
    """The trees kept, and the commit they were read at, when that is `branch` or on its
    first-parent line; else none, and None."""
    from gatekeeper.kept import as_list, as_mapping, as_text, read_kept
    from gatekeeper.repo.parse import OBJECT_ID

    doc = read_kept(path) if path is not None else None
    try:
        held = as_mapping(doc)
        then = as_text(held["commit"])
        trees = {as_text(t) for t in as_list(held["trees"])}
        if held.get("format") != 1 or not OBJECT_ID.fullmatch(then):
            return set(), None
    except (KeyError, TypeError, ValueError):
        return set(), None
    if not all(OBJECT_ID.fullmatch(t) for t in trees):
        return set(), None
    if then == branch or repo.on_first_parent_line(then, branch):
        return trees, then
    return set(), None


def tag_trees(
    repo: GitRepo, default_branch: str | None, tags: dict[str, TagInfo], logs: dict[str, ReleaseLog]
) -> dict[str, str | None]:
    """The `policies/` tree at each release tag (none asked without a default branch)."""
    if default_branch is None:
        return {}
    tagged = {name: tags[name].commit or "" for name in logs if name in tags}
    commit_trees = repo.trees([c for c in tagged.values() if c], POLICY_DIR)
    return {name: commit_trees.get(c) for name, c in tagged.items()}


def policy_events(
    log: ReleaseLog,
    changes: list[Change],
    seq: Callable[[Change], int],
    between: frozenset[str] = frozenset(),
) -> None:
    """Policy changes after the request and before the tag (or now) affected this release:
    by their dates, and whatever the dates say, those in `between` (the commits between
    the request's and the tagged commit that changed the policy: dates are claims)."""
    request = next((e for e in log.events if e.kind == "request"), None)
    if request is None:
        return
    end = log.tag.tagged_at if log.tag else None
    seen = set()
    for change in changes:
        after = (change.authored_at, seq(change)) > (request.time, request.seq)
        dated = after and (end is None or change.authored_at <= end)
        if (dated or change.commit in between) and change.commit not in seen:
            seen.add(change.commit)
            log.events.append(
                Event(
                    time=change.authored_at,
                    kind="policy",
                    path=change.path,
                    commit=change.commit,
                    person=change.author_email,
                    detail=f"policy {change.status}",
                    seq=seq(change),
                )
            )


def policy_commits_between(repo: GitRepo, log: ReleaseLog) -> frozenset[str]:
    """The commits between the request's commit and the tagged one that changed the
    policy, when the policy differs between the two (one tree lookup each, else)."""
    from gatekeeper.errors import GateError

    start, tagged = log.request_commit, log.tag.commit if log.tag else None
    if not start or not tagged:
        return frozenset()
    try:
        if repo.tree_id(start, POLICY_DIR) == repo.tree_id(tagged, POLICY_DIR):
            return frozenset()
        out = repo.run("rev-list", "--full-history", tagged, f"^{start}", "--", POLICY_DIR)
    except GateError:
        return frozenset()
    return frozenset(out.split())
