"""Commits and trees read through the one persistent `cat-file --batch`, not a process per
question: a release folder's listing, a commit's tree, what differs between two trees.

Objects are immutable, so what is read or derived from them is kept for the process in
the reader's `memo`, keyed by object id: an audit of thousands of releases reads the
`policies/` tree, a shared subtree or a commit once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from gatekeeper.errors import MalformedTree
from gatekeeper.repo.parse import parse_commit
from gatekeeper.repo.treeformat import TREE_MODE, parse_tree
from gatekeeper.repo.values import CommitInfo, TreeEntry

if TYPE_CHECKING:
    from gatekeeper.repo.objects import ObjectReader

TREE_LIMIT = 64 * 1024 * 1024  # a tree object this large is not a repository we judge
SUBMODULE_MODE = "160000"
MEMO_TREE_ENTRIES = 256  # trees up to this many entries are kept once read
BIG_TREES_KEPT = 8  # of bigger ones, the last few used
PARENT_READ_AFTER = 16  # questions about one folder's subfolders before it is read here


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
    """The tree id a commit points at."""
    key = ("root", sha)
    if key not in reader.memo:
        raw = reader.read(sha, f"commit {sha[:12]}", TREE_LIMIT, kind="commit")
        first = raw.split(b"\n", 1)[0].decode("ascii", "replace")
        reader.memo[key] = first.removeprefix("tree ")
    tree: str = reader.memo[key]
    return tree


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


def _named(reader: ObjectReader, tree: str, name: str) -> tuple[str, str] | None:
    """(mode, id) of the entry `name` in a tree (a big tree is indexed by name once)."""
    found = entries(reader, tree)
    kept = _big(reader).get(tree)
    if kept is None:
        return next(((mode, sha) for mode, n, sha in found if n == name), None)
    index = kept[1]
    if not index:
        index.update({n: (mode, sha) for mode, n, sha in found})
    return index.get(name)


def subtree(reader: ObjectReader, commit_sha: str, folder: str) -> str | None:
    """The tree id of `folder` (a/b/c) at a commit, or None when there is no such tree.
    git resolves `<commit>:<folder>` itself: `releases/` holds a folder per release and
    differs at every commit, too big to read in Python for one name."""
    parts = folder.strip("/").split("/")
    if not all(part and part not in {".", ".."} for part in parts):
        return _subtree_walked(reader, commit_sha, parts)
    key = ("subtree", commit_sha, folder)
    if key not in reader.memo:
        named = _in_parent(reader, commit_sha, parts)
        if named is None:
            name = f"{commit_sha}:{'/'.join(parts)}"
            oid = reader.resolve(name) if _MANGLED & set(name) else name
            found = reader.headers([oid])[oid] if oid else None
            named = found[0] if found and found[1] == "tree" else ""
        reader.memo[key] = named or None
    tree: str | None = reader.memo[key]
    return tree


# A line break, or a CR before one (which git's line reader drops): no name for
# `cat-file --batch-check`, which reads one a line.
_MANGLED = frozenset("\n\r")


def _in_parent(reader: ObjectReader, commit_sha: str, parts: list[str]) -> str | None:
    """A folder's tree id ("" for none) found in its parent's tree read here, once the
    same parent at the same commit has been asked about often (a check of every release
    asks for each folder under the trusted ref's `releases/`): each such question would
    have git read that big tree again. None: ask git (a parent asked about seldom, or one
    git's own lookup reads differently, see `_plain_parent`)."""
    if len(parts) < 2:
        return None
    asks = ("subtree-asks", commit_sha, *parts[:-1])
    count: int | str | None = reader.memo.get(asks, 0)
    if isinstance(count, int):
        if count < PARENT_READ_AFTER:
            reader.memo[asks] = count + 1
            return None
        count = reader.memo[asks] = _plain_parent(reader, commit_sha, parts[:-1])
    if count is None:
        return None
    return _folders(reader, count).get(parts[-1], "")


def _plain_parent(reader: ObjectReader, commit_sha: str, parts: list[str]) -> str | None:
    """The parent folder's tree id when git would find what is in it as this module
    reads it: reached from the root through entries of a folder's mode only, each a
    tree object, every tree on the way (the parent's too) one git would write. None
    otherwise (git descends through a commit or tag as through its tree, and looks up a
    name in a tree out of order by its own rules: git answers those)."""
    from gatekeeper.errors import GitError

    try:
        tree = root_tree(reader, commit_sha)
        for part in parts:
            named = _named(reader, tree, part)
            if named is None or named[0] != TREE_MODE:
                return None
            tree = named[1]
        entries(reader, tree)  # a tree object git would write, or an error
    except (GitError, MalformedTree):
        return None
    return tree


def _folders(reader: ObjectReader, tree: str) -> dict[str, str]:
    """name -> id of each entry of `tree` whose object is a tree, as `<commit>:<path>`
    finds it: git answers with the entry's object whatever its mode (a folder's mode
    naming a blob is no folder; a file's naming a tree is). The last few trees asked
    about are kept."""
    kept: OrderedDict[str, dict[str, str]] | None = reader.memo.get(("folders",))
    if kept is None:
        kept = reader.memo[("folders",)] = OrderedDict()
    found = kept.get(tree)
    if found is None:
        named = {name: sha for _, name, sha in entries(reader, tree)}
        kinds = reader.headers(list(set(named.values())))
        found = {n: sha for n, sha in named.items() if (h := kinds[sha]) and h[1] == "tree"}
        kept[tree] = found
        while len(kept) > BIG_TREES_KEPT:
            kept.popitem(last=False)
    kept.move_to_end(tree)
    return found


def _subtree_walked(reader: ObjectReader, commit_sha: str, parts: list[str]) -> str | None:
    """The same, a tree at a time: for the root, or a name git's `:path` would read
    differently."""
    tree: str | None = root_tree(reader, commit_sha)
    root = tree
    for part in parts:
        if tree is None or not part:
            break
        named = _named(reader, tree, part)
        tree = named[1] if named and named[0] == TREE_MODE else None
    if tree is None or tree == root:
        return tree
    found = reader.headers([tree])[tree]  # a folder's mode may name a blob: no folder
    return tree if found and found[1] == "tree" else None


def entry_at(reader: ObjectReader, commit_sha: str, path: str) -> TreeEntry | None:
    """The entry of one file at a commit (None when there is no file there)."""
    folder, _, name = path.rpartition("/")
    tree = subtree(reader, commit_sha, folder) if folder else root_tree(reader, commit_sha)
    if tree is None:
        return None
    named = _named(reader, tree, name)
    if named is None or named[0] == TREE_MODE:
        return None
    mode, sha = named
    kind = "commit" if mode == SUBMODULE_MODE else "blob"
    return TreeEntry(mode.rjust(6, "0"), kind, sha, None, path)


def listing(reader: ObjectReader, commit_sha: str, folder: str) -> list[TreeEntry]:
    """Every entry under `folder` at a commit, recursively, with blob sizes: what
    `ls-tree -r -l` prints, in its order."""
    tree = subtree(reader, commit_sha, folder)
    if tree is None:
        return []
    key = ("listing", tree, folder)
    if key not in reader.memo:
        found = list(_walk(reader, tree, folder.strip("/")))
        sizes = reader.sizes([e.sha for e in found if e.type == "blob"])
        reader.memo[key] = [
            TreeEntry(e.mode, e.type, e.sha, sizes.get(e.sha) if e.type == "blob" else None, e.path)
            for e in found
        ]
    listed: list[TreeEntry] = reader.memo[key]
    return listed


def _walk(reader: ObjectReader, tree: str, prefix: str) -> list[TreeEntry]:
    out: list[TreeEntry] = []
    for mode, name, sha in entries(reader, tree):
        path = f"{prefix}/{name}" if prefix else name
        if mode == TREE_MODE:
            out += _walk(reader, sha, path)
        else:
            kind = "commit" if mode == SUBMODULE_MODE else "blob"
            out.append(TreeEntry(mode.rjust(6, "0"), kind, sha, None, path))
    return out
