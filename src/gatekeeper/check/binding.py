"""What a sign-off is bound to besides the records: the candidate's files. A path that
differs between the candidate and the commit being released makes the release stale,
unless it is a record of some release or the policy's `binding.ignore` lets it change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo

_PLAIN_FILES = ("100644", "100755")


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
    skip = frozenset({releases}) if _none_loose(repo, releases, base, revision) else frozenset()
    changes = repo.changes_between(base, revision, skip=skip)
    records = _records(repo, revision, policy, changes)
    return [
        path
        for path, _ in changes
        if path not in records
        and not any(fnmatch.fnmatchcase(path, glob) for glob in policy.binding.ignore)
    ]


def _none_loose(repo: GitRepo, releases: str, *commits: str) -> bool:
    """Whether the history index this process holds proves that no commit here has a file
    under the releases folder that is no record: its one pass saw every path ever added
    there from HEAD, which reaches both commits. Then the `releases/` tree, thousands of
    entries at each of them, need not be compared."""
    from gatekeeper.records.history_cache import current_index

    index = current_index(repo)
    if index is None or index.releases != releases or index.loose:
        return False
    return all(commit in index.entry for commit in commits)


def _records(
    repo: GitRepo, revision: str, policy: Policy, changes: list[tuple[str, str | None]]
) -> set[str]:
    """The changed paths that are records of some release, and so may change after the
    candidate: a request, sign-off, evidence manifest or attachment, or emergency
    declaration, as a plain file (or removed), in the folder of a name the policy calls a
    release, and not inside another release's folder (`releases/v1.0.0/x/evidence/a.sh` is
    no record of a release `v1.0.0/x`; it is a file in v1.0.0's folder)."""
    from gatekeeper.policy.tagname import is_release_tag
    from gatekeeper.records.layout import REQUEST, classify

    found = {}
    for path, mode in changes:
        record = classify(path, policy.releases)
        plain = mode is None or mode in _PLAIN_FILES
        if record and record.kind != "other" and plain and is_release_tag(record.tag, policy):
            found[path] = record.tag
    parts = {tag: tag.split("/") for tag in set(found.values())}
    outer = {
        f"{policy.releases}/{'/'.join(p[:n])}/{REQUEST}": tag
        for tag, p in parts.items()
        for n in range(1, len(p))
    }
    nested = {outer[path] for path in repo.files_at(revision, sorted(outer))}
    return {path for path, tag in found.items() if tag not in nested}
