"""A folder at a commit, found as git's `<commit>:<path>` finds it: git resolves it
itself (`releases/` holds a folder per release and differs at every commit, too big to
read in Python for one name), except where one folder's subfolders are asked about
again and again at one commit, which is read here once; and every entry under a folder,
and the one entry of a file. Every answer is git's (tests/test_tree_lookups.py)."""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from gatekeeper.errors import MalformedTree
from gatekeeper.repo.treeformat import TREE_MODE
from gatekeeper.repo.trees import BIG_TREES_KEPT, SUBMODULE_MODE, entries, find_entry, root_tree
from gatekeeper.repo.values import TreeEntry

if TYPE_CHECKING:
    from gatekeeper.repo.objects import ObjectReader

PARENT_READ_AFTER = 16  # questions about one folder's subfolders before it is read here


def subtree(reader: ObjectReader, commit_sha: str, folder: str) -> str | None:
    """The tree id of `folder` (a/b/c) at a commit, or None when there is no such tree.
    git resolves `<commit>:<folder>` itself: `releases/` holds a folder per release and
    differs at every commit, too big to read in Python for one name."""
    parts = folder.strip("/").split("/")
    if not _plain(parts) or not git_reads_as_path("/".join(parts)):
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


def subtrees(reader: ObjectReader, commits: list[str], folder: str) -> dict[str, str | None]:
    """`subtree` at each commit (full ids), git's lookups sent together: in few round
    trips, however many commits (an audit asks for `policies/` at thousands)."""
    parts = folder.strip("/").split("/")
    name = "/".join(parts)
    if _plain(parts) and not _MANGLED & set(name) and git_reads_as_path(name):
        wanted = [c for c in dict.fromkeys(commits) if ("subtree", c, folder) not in reader.memo]
        found = reader.headers([f"{c}:{name}" for c in wanted])
        for commit in wanted:
            header = found[f"{commit}:{name}"]
            tree = header[0] if header and header[1] == "tree" else None
            reader.memo[("subtree", commit, folder)] = tree
    return {commit: subtree(reader, commit, folder) for commit in commits}


def _plain(parts: list[str]) -> bool:
    """Whether a folder's path is one git's `<commit>:<path>` reads as these names (not
    empty, `.` or `..`, which it would resolve or refuse): else it is walked here."""
    return all(part and part not in {".", ".."} for part in parts)


# A line break, or a CR before one (which git's line reader drops): no name for
# `cat-file --batch-check`, which reads one a line.
_MANGLED = frozenset("\n\r")
# git reads any name ending in `-g` and hex digits as `git describe` output, before it
# reads `<commit>:<path>`: `releases/v2.0.0-1-g1a2b3c4` named the commit 1a2b3c4 once
# that began exactly one commit's id (a release tag may be named so).
_DESCRIBED = re.compile(r"-g[0-9a-fA-F]+$")


def git_reads_as_path(path: str) -> bool:
    """Whether git reads `<commit>:<path>` as that path at that commit (else the trees
    are walked here: `entry_at`, `subtree`)."""
    return _DESCRIBED.search(path) is None


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
            named = find_entry(reader, tree, part)
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
        named = find_entry(reader, tree, part)
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
    named = find_entry(reader, tree, name)
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
