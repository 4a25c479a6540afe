"""What a sign-off is bound to besides the records: the candidate's files. A path that
differs between the candidate and the commit being released makes the release stale,
unless it is a record of some release or the policy's `binding.ignore` lets it change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gatekeeper.repo import GitRepo


def stale_paths(
    repo: GitRepo, candidate: str, revision: str, releases: str, ignore: Sequence[str] = ()
) -> list[str]:
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
    skip = frozenset({releases}) if _none_loose(repo, releases, base, revision) else frozenset()
    return [
        p
        for p in repo.changed_paths(base, revision, skip=skip)
        if not _is_record(p, releases) and not any(fnmatch.fnmatchcase(p, g) for g in ignore)
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


def _is_record(path: str, releases: str) -> bool:
    """A request, sign-off, evidence manifest or attachment, or emergency declaration of
    some release: those may change after the candidate (they are what the check reads)."""
    from gatekeeper.records.layout import classify

    found = classify(path, releases)
    return found is not None and found.kind != "other"
