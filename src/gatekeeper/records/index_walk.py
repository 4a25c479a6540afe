"""Building and extending the history index (records/index.py): two `rev-list` passes for
the graph, and the walk of the releases folder (every commit, that folder's changes
shown) and of `policies/` (by pathspec) for the changes, which git runs on its own while
the graph is read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.records.index import HistoryIndex, order

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.repo import Change, GitRepo
    from gatekeeper.repo.log import Ahead


def build(
    repo: GitRepo, head: str, releases: str, meanwhile: Callable[[], object] | None = None
) -> HistoryIndex:
    """The index of everything reachable from `head`, in one pass of each kind."""
    index = HistoryIndex(head, releases)
    extend(repo, index, None, head, meanwhile)
    return index


def graph_of(repo: GitRepo, head: str) -> HistoryIndex:
    """The index's graph alone, no changes: `head`'s first-parent line and the depth at
    which every commit joined it (two `rev-list` passes, no diffs)."""
    index = HistoryIndex(head, "")
    parents = _parents(repo, head)
    for commit in repo.run(
        "rev-list", "--first-parent", "--reverse", "--end-of-options", head
    ).split():
        _bring_in(index, commit, parents)
    return index


def extend(
    repo: GitRepo,
    index: HistoryIndex,
    last: str | None,
    head: str,
    meanwhile: Callable[[], object] | None = None,
) -> bool:
    """Add what `head` reaches beyond `last` (None: everything). False, and the index
    unchanged, when `last` is not on `head`'s first-parent line (merged in from the side).
    git's walk of the releases folder, the longest part, starts first and runs on its own
    while the graph is read and `meanwhile` does work that needs no history."""
    span = f"{last}..{head}" if last else head
    revs, parents = [head], None
    if last:  # every old parent a bottom: git then weighs a side merge against it, as a
        parents = _parents(repo, span)  # full walk does (an uninteresting one it ignores)
        bottoms = sorted({p for mine in parents.values() for p in mine if p not in parents})
        revs += [f"^{commit}" for commit in bottoms or [last]]
    from gatekeeper.policy.loading import POLICY_DIR

    with (
        repo.history_ahead(revs, merges=True, full=True, within=index.releases) as ahead,
        repo.history_ahead(revs, POLICY_DIR, merges=True, full=True) as policies,
    ):
        parents = parents if parents is not None else _parents(repo, span)
        new_line = repo.run("rev-list", "--first-parent", "--reverse", "--end-of-options", span)
        line = new_line.split()
        if last and (not line or parents.get(line[0], [])[:1] != [last]):
            return False
        for commit in line:
            _bring_in(index, commit, parents)
        if meanwhile is not None:
            meanwhile()
        inside = f"{index.releases}/"  # (a releases folder under `policies/` is no policy)
        fresh = [c for c in policies.changes() if not c.path.startswith(inside)]
        fresh += _within(repo, revs, index.releases, ahead)
    _add_changes(index, fresh)
    index.head = head
    return True


def _within(repo: GitRepo, revs: list[str], releases: str, ahead: Ahead) -> list[Change]:
    """The changes `ahead` (every commit, shown within the releases folder) found; if git
    could not read a tree outside the folder (a tree no git would write, committed to
    shield a tag), the folder's walk by pathspec, which never opens such a tree."""
    from gatekeeper.errors import GitError

    try:
        return list(ahead.changes())
    except GitError:
        with repo.history_ahead(revs, releases, merges=True, full=True) as walk:
            return list(walk.changes())


def _parents(repo: GitRepo, span: str) -> dict[str, list[str]]:
    out = repo.run("rev-list", "--parents", "--end-of-options", span)
    graph = {}
    for line in out.splitlines():
        commit, *parents = line.split()
        graph[commit] = parents
    return graph


def _bring_in(index: HistoryIndex, commit: str, parents: dict[str, list[str]]) -> None:
    """`commit` joins the first-parent line; the side commits it merges are ranked in a
    topological order (children before parents) found from the graph alone."""
    depth = len(index.line)
    index.line.append(commit)
    index.entry[commit] = (depth, 0)
    order: list[str] = []
    seen: set[str] = set()
    for side in parents.get(commit, [])[1:]:
        _postorder(side, parents, index.entry, seen, order)
    for rank, side_commit in enumerate(reversed(order), start=1):
        index.entry[side_commit] = (depth, rank)


def _postorder(
    start: str,
    parents: dict[str, list[str]],
    known: dict[str, tuple[int, int]],
    seen: set[str],
    order: list[str],
) -> None:
    """Iterative depth-first post-order over commits not yet in the index."""
    stack: list[tuple[str, int]] = [(start, 0)]
    while stack:
        commit, at = stack.pop()
        if at == 0:
            if commit in seen or commit in known or commit not in parents:
                continue
            seen.add(commit)
        mine = parents[commit]
        if at < len(mine):
            stack.append((commit, at + 1))
            stack.append((mine[at], 0))
        else:
            order.append(commit)


def _add_changes(index: HistoryIndex, fresh: list[Change]) -> None:
    from gatekeeper.policy.loading import POLICY_DIR
    from gatekeeper.records.layout import PLAIN_FILES, classify

    touched: set[str | None] = set()
    policy, releases = f"{POLICY_DIR}/", f"{index.releases}/"
    for change in fresh:
        if change.path.startswith(policy) and not change.path.startswith(releases):
            if change.commit in index.entry:
                index.policies.append(change)
            continue
        found = classify(change.path, index.releases)
        plain = change.status == "D" or change.mode in PLAIN_FILES
        if found is None or found.kind == "other" or not plain:
            index.loose.add(change.path)
        tag = found.tag if found else None
        if change.commit not in index.entry:
            continue
        if tag is None:
            index.unfiled.append(change)
            touched.add(None)
        else:
            index.changes.setdefault(tag, []).append(change)
            touched.add(tag)
    for tag in touched:
        filed = index.changes[tag] if tag is not None else index.unfiled
        filed.sort(key=lambda c: order(index, c))
    index.policies.sort(key=lambda c: order(index, c))
