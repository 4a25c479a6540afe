"""One history pass, shared by everything that needs history (audit, status, `--all-tags`,
the obligations of earlier releases): every change under the releases folder reachable
from HEAD, and enough of the commit graph to answer, for any commit C on HEAD's
first-parent line, "which of these changes can C reach?" and "is this commit on C's
first-parent line?" — without another walk per release.

The graph part: HEAD's first-parent line by depth (the root commit is depth 0), and for
every commit the depth of the first-parent commit that brought it in (itself, or the merge
that joined its side branch). C reaches X exactly when X was brought in at C's depth or
before. Changes are kept in a canonical order — by that depth, then by a topological rank
inside the side branch computed from the graph alone — so an index built in one pass and
one extended commit by commit (the cache) are the same.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gatekeeper.records.index_file import Filed

if TYPE_CHECKING:
    from collections.abc import Callable, Container, MutableMapping

    from gatekeeper.repo import Change, GitRepo
    from gatekeeper.repo.log import Ahead

FORMAT = 5  # bump when what the index holds, or how it is ordered, changes

# Commits asked about that the index does not hold (not in HEAD's history), while someone
# listens: a status row kept across commits must not have asked (check/kept_reads.py).
MISSED: ContextVar[set[str] | None] = ContextVar("missed", default=None)
# The release folders whose history was asked, while someone listens (the same).
READ: ContextVar[set[str] | None] = ContextVar("read", default=None)


class Entries(dict[str, tuple[int, int]]):
    """commit -> (depth, rank); a lookup of a commit it does not hold is told to `MISSED`."""

    def __missing__(self, key: str) -> tuple[int, int]:
        _miss(key)
        raise KeyError(key)

    def get(self, key: object, default: None = None) -> tuple[int, int] | None:  # type: ignore[override]
        found = dict.get(self, key) if isinstance(key, str) else None
        if found is None:
            _miss(key)
        return found

    def __contains__(self, key: object) -> bool:
        held = dict.__contains__(self, key)
        if not held:
            _miss(key)
        return held


def _miss(key: object) -> None:
    missed = MISSED.get()
    if missed is not None:
        missed.add(str(key))


@dataclass
class HistoryIndex:
    """Derived facts about history from HEAD: no verdicts, nothing the check would not
    recompute the same way."""

    head: str
    releases: str
    line: list[str] = field(default_factory=list)  # first-parent line, root first
    entry: Entries = field(default_factory=Entries)  # commit -> (depth, rank)
    changes: MutableMapping[str, list[Change]] = field(default_factory=Filed)  # oldest first
    # Every path under the releases folder in history that is not shaped like a record (a
    # `releases/__init__.py`, a link, a submodule): while there is none, and every folder
    # in `changes` is a release of the policy's, not nested in another, no tree can hold
    # anything but records, and the binding need not read the `releases/` tree.
    loose: set[str] = field(default_factory=set)
    # Changes under the releases folder that name no release (`releases/v1.0.0/notes.md`,
    # `releases/__init__.py`), oldest first: a release's history is every change under
    # its folder, as git's walk of that folder lists them.
    unfiled: list[Change] = field(default_factory=list)
    # Changes under `policies/`, oldest first (the audit's policy events; read in the same
    # pass, which a second pathspec hardly slows).
    policies: list[Change] = field(default_factory=list)
    _nested: tuple[int, dict[str, list[str]]] = field(
        default=(-1, {}), init=False, repr=False, compare=False
    )
    # Heads an earlier run had read that later vanished from HEAD's history (a reset or a
    # force-push), oldest first: the one observation the cache adds, kept until deleted.
    rewrites: list[str] = field(default_factory=list)
    # The branch HEAD was on when the index was kept (None: detached, or not kept).
    branch: str | None = None

    def covers(self, rev: str) -> bool:
        """Whether `rev` is on HEAD's first-parent line (else ask git directly)."""
        found = self.entry.get(rev)
        return found is not None and found[1] == 0 and self.line[found[0]] == rev

    def first_parent_line(self, rev: str) -> Container[str]:
        """Every commit on `rev`'s first-parent line (asked without building the set: a
        release's lineage asks a handful of commits, the line holds every commit)."""
        return _LinePrefix(self, self.entry[rev][0])

    def history(self, rev: str, tag: str) -> list[Change]:
        """The changes to `tag`'s folder that `rev` reaches, oldest first (what `git log
        --full-history --diff-merges=first-parent` from `rev` lists, reversed)."""
        depth = self.entry[rev][0]
        if (read := READ.get()) is not None:
            read.add(f"{self.releases}/{tag}")
        filed = [c for c in self.changes.get(tag, []) if self.entry[c.commit][0] <= depth]
        folder = f"{self.releases}/{tag}/"
        more = [c for c in self.unfiled if c.path.startswith(folder)]
        more += [c for inner in self._inside().get(tag, ()) for c in self.changes[inner]]
        if not more:
            return filed
        more = [c for c in more if self.entry[c.commit][0] <= depth]
        return sorted(filed + more, key=lambda c: order(self, c))

    def _inside(self) -> dict[str, list[str]]:
        """For each folder, the filed names inside it (`releases/v1.0.0/x/approvals/a.toml`
        reads as a record of `v1.0.0/x`, yet is a file of v1.0.0's folder), kept until
        more changes are filed."""
        if self._nested[0] != len(self.changes):
            inside: dict[str, list[str]] = {}
            for name in self.changes:
                parts = name.split("/")
                for n in range(1, len(parts)):
                    inside.setdefault("/".join(parts[:n]), []).append(name)
            self._nested = (len(self.changes), inside)
        return self._nested[1]

    def tags(self) -> list[str]:
        """Every release with a change in history."""
        return sorted(self.changes)


@dataclass(frozen=True)
class _LinePrefix:
    """HEAD's first-parent line up to `depth`, as a membership test."""

    index: HistoryIndex
    depth: int

    def __contains__(self, commit: object) -> bool:
        found = self.index.entry.get(commit) if isinstance(commit, str) else None
        if found is None or found[1] != 0 or found[0] > self.depth:
            return False
        return self.index.line[found[0]] == commit


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


def order(index: HistoryIndex, change: Change, *, newest: bool = False) -> tuple[int, int, bytes]:
    """Oldest first: the depth it came in at, then later ranks (older side commits) first,
    then git's path order (`newest`: newest first, as git walks; paths still in order)."""
    depth, rank = index.entry[change.commit]
    path = change.path.encode("utf-8", "surrogateescape")
    return (-depth, rank, path) if newest else (depth, -rank, path)
