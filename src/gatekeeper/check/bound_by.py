"""Which policies bound a shipped release, for what it owes (check/earlier.py).

Which policy bound a shipped release cannot be read from git alone: commit and tag dates
are claims, and a release's own tree, or the tree of the merge that took it in, is
whatever its maker chose. So each is judged under every policy of the trusted line that
may have bound it, and owes what any of them says:

- the line's commit it was built on (the newest first-parent commit the tagged commit
  contains: itself when on the line, else where its branch left it), and
- the line's commit in force at its tag's date (as git's `--before` reads it), when that
  is later: a release from a long-lived branch is judged as CI judged it at push, under
  the line's policy of the day. Never later than the commit that took the release in (a
  commit backdated onto the line after that picks nothing), nor than the tagged commit
  itself when it is on the line.

Rules the line gained after that are not owed; a policy there that cannot be read, or
cannot name the release's tag (gate adopted later, tags renamed), is passed over, and
with none left the release is judged under today's policy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.repo import GitRepo, TagInfo


def bound_by(repo: GitRepo, head: str | None, name: str, info: TagInfo) -> list[str | None]:
    """The commits of the trusted line whose policies may have bound release `name` (see
    the module's docstring), each able to read it; else today's (`head`)."""
    from gatekeeper.records.history_cache import current_index

    index = current_index(repo)
    if head is None or index is None or index.head != head or info.commit is None:
        return [head]
    built = _built_on(repo, index, info.commit)
    if built is None:
        return [head]
    depth = index.entry[built][0]
    later = repo.last_commit_before(head, info.tagged_at) if info.tagged_at else None
    dated = index.entry[later][0] if later is not None and later in index.entry else -1
    bound = min(dated, _taken_in_before(index, info.commit))
    found = [built] + ([index.line[bound]] if bound > depth else [])
    usable: list[str | None] = [c for c in found if _names(repo, c, name)]
    return usable or [head]


def _taken_in_before(index: HistoryIndex, commit: str) -> int:
    """The deepest line position a policy may be read from for `commit`: itself when on
    the line, the commit before the merge that took it in, else (never taken in) the
    line's end."""
    found = index.entry.get(commit)
    if found is None:
        return len(index.line) - 1
    return found[0] if index.covers(commit) else found[0] - 1


def _names(repo: GitRepo, commit: str, name: str) -> bool:
    """Whether the policy at `commit` can be read and calls `name` a release."""
    from gatekeeper.errors import GateError
    from gatekeeper.policy.loading import load_policy
    from gatekeeper.policy.tagname import is_release_tag

    try:
        return is_release_tag(name, load_policy(repo, commit).policy)
    except GateError:
        return False


def _built_on(repo: GitRepo, index: HistoryIndex, commit: str) -> str | None:
    """The newest commit of the index's first-parent line that `commit` contains: itself
    when it is on the line, else found from its merge bases with the line's head (once
    per process)."""
    key = ("built-on", index.head, commit)
    if key in repo.memo:
        found: str | None = repo.memo[key]
        return found
    if index.covers(commit):
        return commit
    newest, tips, seen = -1, [index.head], set()
    while tips:  # a side base taken in at depth d: ask again against the line at d - 1
        tip = tips.pop()
        for base in repo.merge_bases(tip, commit):
            entry = index.entry.get(base)
            if entry is None or base in seen:
                continue
            seen.add(base)
            if index.covers(base):
                newest = max(newest, entry[0])
            elif entry[0] > 0 and entry[0] - 1 > newest:
                tips.append(index.line[entry[0] - 1])
    repo.memo[key] = index.line[newest] if newest >= 0 else None
    return repo.memo[key]  # type: ignore[no-any-return]
