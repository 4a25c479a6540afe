"""Whether release tags added since a status row was kept leave it as it was.

A row kept across commits (check/kept_reads.py) notes what it asked of the tags: names
asked for one by one, the commits of HEAD's history asked which tags they hold
(`tags_merged_into`), or the whole list. Tags made since answer none of that
differently when none is a name it asked, it listed none, and none tags a commit one of
those commits holds. A tag moved or deleted has every row judged again: it may have been
anything's answer (the release's own tag, an earlier release, the commit a row asked of).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.check.kept_rows import Kept
    from gatekeeper.repo import GitRepo, TagInfo


def tag_refs(refs: str) -> dict[str, str]:
    """Each tag's name and object id, from `for-each-ref --format='%(refname) %(objectname)'`."""
    found = {}
    for line in refs.splitlines():
        ref, _, oid = line.rpartition(" ")
        if ref.startswith("refs/tags/"):
            found[ref.removeprefix("refs/tags/")] = oid
    return found


def added_since(kept: dict[str, str], now: dict[str, str]) -> set[str] | None:
    """The tags made since `kept` was read; None when one of those was moved or deleted."""
    if any(now.get(name) != oid for name, oid in kept.items()):
        return None
    return set(now) - set(kept)


def untouched(
    repo: GitRepo,
    old: str,
    added: set[str],
    rows: dict[str, Kept],
    known: dict[str, TagInfo] | None = None,
) -> dict[str, Kept]:
    """The rows kept at HEAD `old` that the tags `added` since leave as they were
    (`known`: the tags, already read)."""
    if not added:
        return rows
    if known is not None:
        infos = [known.get(name) for name in added]
    elif len(added) <= 8:  # a `for-each-ref` each, not all the tags read
        infos = [repo.tag(name) for name in added]
    else:
        every = repo.tags()
        infos = [every.get(name) for name in added]
    commits = {info.commit if info else None for info in infos}
    # A commit `old`'s history does not hold (or `old` itself) is in the history of none
    # of its commits a row asked (never HEAD itself: check/kept_reads.py): no git call each.
    placed = {c for c in commits if c is not None}
    beside = None not in commits and not (repo.in_history_of(placed, old) - {old})
    answers: dict[tuple[str, str], bool] = {}

    def holds(commit: str | None, asked: str) -> bool:
        if commit is None:
            return True  # a tag of no commit: what git's `--merged` makes of it is not ruled out
        if (commit, asked) not in answers:
            answers[commit, asked] = repo.is_ancestor(commit, asked)
        return answers[commit, asked]

    held = {}
    for tag, kept in rows.items():
        asked: dict[str, Any] = kept[2]["tags"] if kept[2] is not None else {"listed": True}
        if asked["listed"] or added & set(asked["asked"]):
            continue
        if not beside and any(holds(c, m) for c in commits for m in asked["merged"]):
            continue
        held[tag] = kept
    return held
