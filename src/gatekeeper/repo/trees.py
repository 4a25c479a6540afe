"""Commits and trees read through the one persistent `cat-file --batch`, not a process per
question: a commit, its root tree, a tree's entries (a folder at a commit is found in
repo/folders.py, what differs between two trees in repo/treediff.py).

Objects are immutable, so what is read or derived from them is kept for the process in
the reader's `memo`, keyed by object id: an audit of thousands of releases reads the
`policies/` tree, a shared subtree or a commit once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from gatekeeper.errors import GitError
from gatekeeper.repo.parse import OBJECT_ID, parse_commit
from gatekeeper.repo.treeformat import parse_tree
from gatekeeper.repo.values import CommitInfo

if TYPE_CHECKING:
    from gatekeeper.repo.objects import ObjectReader

TREE_LIMIT = 64 * 1024 * 1024  # a tree object this large is not a repository we judge
SUBMODULE_MODE = "160000"
MEMO_TREE_ENTRIES = 256  # trees up to this many entries are kept once read
BIG_TREES_KEPT = 8  # of bigger ones, the last few used


def commit(reader: ObjectReader, sha: str) -> CommitInfo:
    """A commit's parents, author, committer date and signature, read once."""
    key = ("commit", sha)
    if key not in reader.memo:
        raw = reader.read(sha, f"commit {sha[:12]}", TREE_LIMIT, kind="commit")
        reader.memo[key] = parse_commit(sha, raw)
    info: CommitInfo = reader.memo[key]
    return info


def read_commits(reader: ObjectReader, shas: list[str]) -> None:
    """Read the commits not read yet in few round trips (`commit` then answers from the
    memo): an audit asks who made each of tens of thousands of records."""
    wanted = [sha for sha in dict.fromkeys(shas) if ("commit", sha) not in reader.memo]
    for sha, raw in reader.read_many(wanted, TREE_LIMIT, kind="commit").items():
        reader.memo[("commit", sha)] = parse_commit(sha, raw)


def root_tree(reader: ObjectReader, sha: str) -> str:
    """The tree id a commit points at; GitError when its first line is not `tree <id>`
    (of the commit's own length): a commit git calls bogus, whose `tree main~0^{tree}`
    would name whatever tree a ref names when asked."""
    key = ("root", sha)
    if key not in reader.memo:
        raw = reader.read(sha, f"commit {sha[:12]}", TREE_LIMIT, kind="commit")
        first = raw.split(b"\n", 1)[0].decode("ascii", "replace")
        tree = first.removeprefix("tree ")
        same = len(tree) == len(sha) or not OBJECT_ID.fullmatch(sha)  # SHA-1 or SHA-256
        if not first.startswith("tree ") or not OBJECT_ID.fullmatch(tree) or not same:
            raise GitError(f"commit {sha[:12]}: its first line is not `tree <id>` (a bogus commit)")
        reader.memo[key] = tree
    found: str = reader.memo[key]
    return found


def entries(reader: ObjectReader, tree: str) -> list[tuple[str, str, str]]:
    """(mode, name, id) of one tree object, in git's order. Small trees (a release
    folder, the root) are kept; of big ones (`releases/` with thousands of folders, a
    different one at every commit) only the last few used, so memory stays bounded."""
    key = ("tree", tree)
    found: list[tuple[str, str, str]] | None = reader.memo.get(key)
    if found is not None:
        return found
    big = _big(reader)
    if tree in big:
        big.move_to_end(tree)
        return big[tree][0]
    raw = reader.read(tree, f"tree {tree[:12]}", TREE_LIMIT, kind="tree")
    found = parse_tree(raw, len(tree) // 2)
    if len(found) <= MEMO_TREE_ENTRIES:
        reader.memo[key] = found
    else:
        big[tree] = (found, {})
        while len(big) > BIG_TREES_KEPT:
            big.popitem(last=False)
    return found


_BigTrees = OrderedDict[str, tuple[list[tuple[str, str, str]], dict[str, tuple[str, str]]]]


def _big(reader: ObjectReader) -> _BigTrees:
    """The big trees kept, least recently used first, each with its index by name."""
    big: _BigTrees | None = reader.memo.get(("big-trees",))
    if big is None:
        big = OrderedDict()
        reader.memo[("big-trees",)] = big
    return big


def find_entry(reader: ObjectReader, tree: str, name: str) -> tuple[str, str] | None:
    """(mode, id) of the entry `name` in a tree (a big tree is indexed by name once)."""
    found = entries(reader, tree)
    kept = _big(reader).get(tree)
    if kept is None:
        return next(((mode, sha) for mode, n, sha in found if n == name), None)
    index = kept[1]
    if not index:
        index.update({n: (mode, sha) for mode, n, sha in found})
    return index.get(name)
