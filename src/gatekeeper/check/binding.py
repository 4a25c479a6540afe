"""What a sign-off is bound to besides the records: the candidate's files. A path that
differs between the candidate and the commit being released makes the release stale,
unless it is a record of some release or the policy's `binding.ignore` lets it change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo


def stale_paths(repo: GitRepo, candidate: str, revision: str, policy: Policy) -> list[str]:
    """Paths where `revision` differs from the candidate: everything outside the releases
    folder, and inside it whatever is not a release's record (a `releases/__init__.py`, a
    script next to another release's records: a build step that globs may pick it up)."""
    import fnmatch

    if repo.has_commit(candidate):
        base = candidate
    else:
        try:
            base = repo.resolve_commit(candidate, "candidate")
        except InputError:
            return [f"(candidate {candidate[:12]} is not in this repository)"]
    releases = policy.releases
    skip = frozenset({releases}) if _none_loose(repo, policy, base, revision) else frozenset()
    changes = repo.changes_between(base, revision, skip=skip)
    records = _records(repo, revision, policy, changes)
    return [
        path
        for path, _ in changes
        if path not in records
        and not any(fnmatch.fnmatchcase(path, glob) for glob in policy.binding.ignore)
    ]


def _none_loose(repo: GitRepo, policy: Policy, *commits: str) -> bool:
    """Whether the history index this process holds proves that neither commit has
    anything under the releases folder but records: its one pass saw every path ever added
    there from HEAD, which reaches both commits, none was shaped unlike a record, and every
    folder they were in is a release of this policy's, not nested in another's (the rule
    of `_records`). Then the `releases/` tree, thousands of entries, need not be read."""
    from gatekeeper.records.history_cache import current_index

    index = current_index(repo)
    if index is None or index.releases != policy.releases or index.loose:
        return False
    if not all(commit in index.entry for commit in commits):
        return False
    key = ("releases-only", index.head, policy.releases, *policy.tags, policy.tag_regex or "")
    if key not in repo.memo:
        repo.memo[key] = _all_releases(set(index.changes), policy)
    answer: bool = repo.memo[key]
    return answer


def _all_releases(folders: set[str], policy: Policy) -> bool:
    """Every folder a release tag of the policy's, none inside another."""
    from gatekeeper.policy.tagname import is_release_tag

    nested = any(
        "/".join(tag.split("/")[:n]) in folders
        for tag in folders
        for n in range(1, tag.count("/") + 1)
    )
    return not nested and all(is_release_tag(tag, policy) for tag in folders)


def _records(
    repo: GitRepo, revision: str, policy: Policy, changes: list[tuple[str, str | None]]
) -> set[str]:
    """The changed paths that are records of some release, and so may change after the
    candidate: a request, sign-off, evidence manifest or attachment, or emergency
    declaration, as a plain file (or removed), in the folder of a name the policy calls a
    release, and not inside another release's folder (`releases/v1.0.0/x/evidence/a.sh` is
    no record of a release `v1.0.0/x`; it is a file in v1.0.0's folder)."""
    from gatekeeper.policy.tagname import is_release_tag
    from gatekeeper.records.layout import PLAIN_FILES, REQUEST, classify

    found = {}
    for path, mode in changes:
        record = classify(path, policy.releases)
        plain = mode is None or mode in PLAIN_FILES
        if record and record.kind != "other" and plain and is_release_tag(record.tag, policy):
            found[path] = record.tag
    outer: dict[str, set[str]] = {}  # a request above a release's folder -> those releases
    for tag in set(found.values()):
        parts = tag.split("/")
        for n in range(1, len(parts)):
            outer.setdefault(f"{policy.releases}/{'/'.join(parts[:n])}/{REQUEST}", set()).add(tag)
    nested = {tag for path in repo.files_at(revision, sorted(outer)) for tag in outer[path]}
    return {path for path, tag in found.items() if tag not in nested}
