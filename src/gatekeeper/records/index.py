"""One history pass, shared by everything that needs history (audit, status, `--all-tags`,
the obligations of earlier releases): every change under the releases folder and
`policies/` reachable from HEAD, and enough of the commit graph to answer, for any
commit C on HEAD's first-parent line, "which of these changes can C reach?" and "is
this commit on C's first-parent line?" — without another walk per release.

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
    from collections.abc import Container

    from gatekeeper.repo import Change

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
    changes: Filed = field(default_factory=Filed)  # tag -> its changes, oldest first
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
        more += [c for inner in self.inside().get(tag, ()) for c in self.changes[inner]]
        if not more:
            return filed
        more = [c for c in more if self.entry[c.commit][0] <= depth]
        return sorted(filed + more, key=lambda c: order(self, c))

    def inside(self) -> dict[str, list[str]]:
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


def order(index: HistoryIndex, change: Change, *, newest: bool = False) -> tuple[int, int, bytes]:
    """Oldest first: the depth it came in at, then later ranks (older side commits) first,
    then git's path order (`newest`: newest first, as git walks; paths still in order)."""
    depth, rank = index.entry[change.commit]
    path = change.path.encode("utf-8", "surrogateescape")
    return (-depth, rank, path) if newest else (depth, -rank, path)
