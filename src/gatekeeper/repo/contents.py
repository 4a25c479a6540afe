"""Reading git objects through the one persistent `cat-file --batch`: trees, blobs and
commits at a commit or by id, each read once a process (objects are immutable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatekeeper.errors import GitError
from gatekeeper.repo import folders, trees
from gatekeeper.repo.base import RepoBase
from gatekeeper.repo.objects import too_big
from gatekeeper.repo.parse import OBJECT_ID, refuse_unsafe
from gatekeeper.repo.values import CommitInfo, TreeEntry

MAX_BLOB_BYTES = 16 * 1024 * 1024
MEMO_BLOB_BYTES = 64 * 1024  # blobs up to this size are kept for the process once read


class ContentsMixin(RepoBase):
    """Trees, blobs and commits."""

    def ls_tree(self, commit: str, folder: str) -> list[TreeEntry]:
        """Every entry under `folder` at `commit`, recursively, with blob sizes (one
        subtree, read through the object reader)."""
        return folders.listing(self._objects, self._commit_id(commit), folder)

    @property
    def memo(self) -> dict[tuple[str, ...], Any]:
        """What was derived from immutable objects in this process, keyed by object id."""
        return self._objects.memo

    def tree_id(self, commit: str, folder: str) -> str | None:
        """The tree id of `folder` at `commit` (None when there is none)."""
        return folders.subtree(self._objects, self._commit_id(commit), folder)

    def paths(self, commit: str, folder: str) -> list[str]:
        """Paths of every file under `folder` at `commit`."""
        return [e.path for e in self.ls_tree(commit, folder)]

    def _commit_id(self, rev: str) -> str:
        """A full commit id (memo keys are object ids, never names that move)."""
        if OBJECT_ID.match(rev):
            return rev
        return self.run("rev-parse", "--verify", "--end-of-options", f"{rev}^{{commit}}").strip()

    def read_blob(self, entry: TreeEntry, limit: int = MAX_BLOB_BYTES) -> bytes:
        """The content of a regular file entry; its size is checked before it is read."""
        refuse_unsafe(entry)
        if entry.size is not None and entry.size > limit:  # known from the tree listing
            raise too_big(entry.path, entry.size, limit)
        key = ("blob", entry.sha)
        if key in self._objects.memo:  # records are small and read again by each check
            data: bytes = self._objects.memo[key]
            if len(data) > limit:
                raise too_big(entry.path, len(data), limit)
            return data
        data = self._objects.read(entry.sha, entry.path, limit)
        if len(data) <= MEMO_BLOB_BYTES:
            self._objects.memo[key] = data
        return data

    def read_blobs(
        self, entries: Sequence[TreeEntry], limit: int = MAX_BLOB_BYTES
    ) -> dict[str, bytes]:
        """The content of several regular file entries by blob id, each checked as
        `read_blob` checks it, read in few round trips."""
        memo = self._objects.memo
        wanted = []
        for entry in entries:
            refuse_unsafe(entry)
            if entry.size is None or entry.size > limit:
                return {e.sha: self.read_blob(e, limit) for e in entries}  # one at a time
            if ("blob", entry.sha) not in memo:
                wanted.append(entry.sha)
        fresh = self._objects.read_many(wanted, limit)
        for sha, data in fresh.items():
            if len(data) <= MEMO_BLOB_BYTES:
                memo[("blob", sha)] = data
        return {e.sha: fresh[e.sha] if e.sha in fresh else memo[("blob", e.sha)] for e in entries}

    def changed_paths(self, old: str, new: str, skip: frozenset[str] = frozenset()) -> list[str]:
        """Paths whose content differs between two commits (`skip`: top-level folders not
        looked into), comparing trees only where they differ."""
        return [path for path, _ in self.changes_between(old, new, skip)]

    def changes_between(
        self, old: str, new: str, skip: frozenset[str] = frozenset()
    ) -> list[tuple[str, str | None]]:
        """The same, each path with its mode in `new` (None: removed there)."""
        from gatekeeper.repo import treediff

        return treediff.changed(self._objects, self._commit_id(old), self._commit_id(new), skip)

    def read_object(self, sha: str, path: str, limit: int = MAX_BLOB_BYTES) -> bytes:
        """A blob by id (from history), size-checked before it is read."""
        if not OBJECT_ID.match(sha):
            raise GitError(f"{path}: no blob id {sha!r}")
        return self.read_blob(
            TreeEntry(mode="100644", type="blob", sha=sha, size=None, path=path), limit
        )

    def check_root(self, commit: str) -> None:
        """MalformedTree when the commit's root tree is one git would not write (git's own
        path lookup, which assumes git's order, then finds nothing in it)."""
        trees.entries(self._objects, trees.root_tree(self._objects, self._commit_id(commit)))

    def files_at(self, commit: str, paths: Sequence[str]) -> list[str]:
        """Those of `paths` (plain names: no line breaks) that are files at `commit`, in
        one round trip."""
        if not paths:
            return []
        sha = self._commit_id(commit)
        held = self.holds([(sha, path) for path in paths])
        return [path for path, here in zip(paths, held, strict=True) if here]

    def holds(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        """For each (commit id, plain path), whether it is a file there, in one round trip."""
        asked = [(s, p) for s, p in pairs if folders.git_reads_as_path(p)]
        found = self._objects.headers([f"{s}:{p}" for s, p in asked])
        return [
            bool((h := found.get(f"{s}:{p}")) and h[1] == "blob")
            if folders.git_reads_as_path(p)
            else _is_file(folders.entry_at(self._objects, s, p))  # walked here
            for s, p in pairs
        ]

    def blob_at(self, commit: str, path: str) -> bytes:
        """A file's content at a commit (for records since deleted or edited)."""
        entry = folders.entry_at(self._objects, self._commit_id(commit), path)
        if entry is None:
            raise GitError(f"{path}: not a file at {commit[:12]}")
        return self.read_blob(entry)

    def has_commit(self, sha: str) -> bool:
        """Whether `sha` is a full id of a commit this repository has."""
        if not OBJECT_ID.match(sha):
            return False
        try:
            trees.commit(self._objects, sha)
        except GitError:
            return False
        return True

    def read_ahead(self, blobs: Sequence[str]) -> None:
        """Read these blobs now, in few round trips, for `read_object` and `read_blob` to
        answer from: those git says are blobs small enough to keep; any other is left for
        its own read to refuse, as it would be without this."""
        memo = self._objects.memo
        wanted = [b for b in dict.fromkeys(blobs) if OBJECT_ID.match(b) and ("blob", b) not in memo]
        found = self._objects.headers(wanted)
        small = [
            b for b, h in found.items() if h and h[1] == "blob" and int(h[2]) <= MEMO_BLOB_BYTES
        ]
        for sha, data in self._objects.read_many(small, MEMO_BLOB_BYTES).items():
            memo[("blob", sha)] = data

    def read_commits(self, commits: Sequence[str]) -> None:
        """Read these commits now, in few round trips, for `commit_info` to answer from."""
        trees.read_commits(self._objects, [c for c in commits if OBJECT_ID.match(c)])

    def commit_info(self, commit: str) -> CommitInfo:
        """A commit's parents, author, committer date and signature, from its raw object."""
        if not OBJECT_ID.match(commit):
            raise GitError(f"{commit!r}: not a commit id")
        return trees.commit(self._objects, commit)


def _is_file(entry: TreeEntry | None) -> bool:
    return entry is not None and entry.type == "blob"
