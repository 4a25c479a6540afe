"""Commits and trees read through the one persistent `cat-file --batch`, not a process per
question: a release folder's listing, a commit's tree, what differs between two trees.

Objects are immutable, so what is read or derived from them is kept for the process in
the reader's `memo`, keyed by object id: an audit of thousands of releases reads the
`policies/` tree, a shared subtree or a commit once.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import TYPE_CHECKING

from gatekeeper.errors import MalformedTree
from gatekeeper.repo.parse import parse_commit
from gatekeeper.repo.values import CommitInfo, TreeEntry

if TYPE_CHECKING:
    from gatekeeper.repo.objects import ObjectReader

TREE_LIMIT = 64 * 1024 * 1024  # a tree object this large is not a repository we judge
TREE_MODE = "40000"
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
    if not all(part and part not in {".", ".."} and "\n" not in part for part in parts):
        return _subtree_walked(reader, commit_sha, parts)
    key = ("subtree", commit_sha, folder)
    if key not in reader.memo:
        found = reader.headers([f"{commit_sha}:{'/'.join(parts)}"]).popitem()[1]
        reader.memo[key] = found[0] if found and found[1] == "tree" else None
    tree: str | None = reader.memo[key]
    return tree


def _subtree_walked(reader: ObjectReader, commit_sha: str, parts: list[str]) -> str | None:
    """The same, a tree at a time: for the root, or a name git's `:path` would read
    differently."""
    tree: str | None = root_tree(reader, commit_sha)
    for part in parts:
        if tree is None or not part:
            break
        named = _named(reader, tree, part)
        tree = named[1] if named and named[0] == TREE_MODE else None
    return tree


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


def parse_tree(raw: bytes, id_bytes: int) -> list[tuple[str, str, str]]:
    """A binary tree object: `<mode> <name>\\0<id>` repeated, modes made canonical;
    MalformedTree for one git would not write (`check_tree`)."""
    out = parse_entries(raw, id_bytes)
    check_tree([(n.encode("utf-8", "surrogateescape"), mode == TREE_MODE) for mode, n, _ in out])
    return out


def parse_entries(raw: bytes, id_bytes: int) -> list[tuple[str, str, str]]:
    """Entries as they stand, in any order (a set of them, from a tree already checked);
    MalformedTree for bytes that are no entries."""
    out = []
    at = 0
    while at < len(raw):
        space = raw.find(b" ", at)
        nul = raw.find(b"\0", space + 1) if space >= 0 else -1
        if nul < 0 or nul + 1 + id_bytes > len(raw):
            raise MalformedTree(f"tree entry at byte {at}: not `<mode> <name>\\0<id>`")
        mode = canonical_mode(raw[at:space].decode("ascii", "replace"))
        name = raw[space + 1 : nul].decode("utf-8", "surrogateescape")
        sha = raw[nul + 1 : nul + 1 + id_bytes].hex()
        out.append((mode, name, sha))
        at = nul + 1 + id_bytes
    return out


_BAD_NAMES = frozenset({b"", b".", b".."})


def check_tree(names: list[tuple[bytes, bool]]) -> None:
    """MalformedTree unless every name is one git writes (no `/`, not empty, `.`, `..` or
    `.git` in any case) and the names are in git's order (a folder sorts as `name/`),
    each once: checkout writes `lib/x.py` for an entry so named, and keeps the later of
    two entries of one name, so such a tree checks out differently from what it lists."""
    previous = b""
    seen = set()
    for n, (name, folder) in enumerate(names):
        if name in _BAD_NAMES or b"/" in name or name.lower() == b".git":
            raise MalformedTree(f"tree entry {name!r}: a name git would not write")
        key = name + b"/" if folder else name
        if (n and key <= previous) or name in seen:
            raise MalformedTree(f"tree entry {name!r}: out of git's order, or there twice")
        previous = key
        seen.add(name)


_CANONICAL = frozenset({"100644", "100755", "120000", "40000", "160000"})
_OCTAL = re.compile(r"[0-7]+")


def canonical_mode(mode: str) -> str:
    """A tree entry's mode as git reads it (`canon_mode`): `040000`, `0100644` or `100664`
    are a folder and a plain file to git's checkout, so they are to gatekeeper."""
    if mode in _CANONICAL:
        return mode
    if not _OCTAL.fullmatch(mode):  # int() would also take `+100644`, `1_00644`, `0o644`
        raise MalformedTree(f"tree entry mode {mode!r}: not an octal number")
    number = int(mode, 8)
    kind = number & 0o170000
    if kind == 0o100000:
        return "100755" if number & 0o100 else "100644"
    return {0o120000: "120000", 0o040000: "40000"}.get(kind, "160000")
