"""What differs between two commits' trees, read through the one `cat-file --batch`: the
paths `diff-tree -r --no-renames` would list, each with its mode after the change.

A tree is compared as a set of raw `<mode> <name>\\0<id>` entries, so of the `releases/`
tree (thousands of entries, a few of which differ between a candidate and the tagged
commit) only what differs is decoded. A tree git would not write (`treeformat.check_tree`: a
name twice, which checkout resolves by order; a name with `/`, which checkout writes as
a path) or bytes that are no entries are reported as a change of their folder, never
read as equal to anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import GitError, MalformedTree
from gatekeeper.repo.bigtree import BigTree, read_whole, splice
from gatekeeper.repo.treeformat import TREE_MODE, parse_entries
from gatekeeper.repo.trees import MEMO_TREE_ENTRIES, TREE_LIMIT, root_tree

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gatekeeper.repo.objects import ObjectReader

Changed = tuple[str, str | None]  # a path, and its mode after the change (None: removed)

# What stands for everything under a tree git would not write: its paths are unknown, so
# every path-limited gate applies (check/applies.py).
MALFORMED = " (a tree git would not write)"


def changed(
    reader: ObjectReader, old: str, new: str, skip: frozenset[str] = frozenset()
) -> list[Changed]:
    """Paths whose content or mode differs between two commits, descending only into
    subtrees that differ; `skip`: top-level folders not to look into."""
    out = _diff(reader, root_tree(reader, old), root_tree(reader, new), "", skip)
    return sorted(out, key=lambda c: c[0].encode("utf-8", "surrogateescape"))


def _diff(
    reader: ObjectReader, old: str | None, new: str | None, prefix: str, skip: frozenset[str]
) -> list[Changed]:
    if old == new:
        return []
    try:
        gone, came = _differing(reader, old, new)
    except (MalformedTree, GitError):  # a tree git would not write, or an entry naming no tree
        return [(f"{prefix or './'}{MALFORMED}", TREE_MODE)]
    id_bytes = len(old or new or "") // 2
    before, after = _by_name(gone, id_bytes), _by_name(came, id_bytes)
    out: list[Changed] = []
    for name in before.keys() | after.keys():
        if not prefix and name in skip:
            continue
        a_entry, b_entry = before.get(name), after.get(name)
        if a_entry == b_entry:
            continue  # the same entry, written differently (a zero-padded mode)
        path = f"{prefix}{name}"
        a_tree = a_entry[1] if a_entry and a_entry[0] == TREE_MODE else None
        b_tree = b_entry[1] if b_entry and b_entry[0] == TREE_MODE else None
        if a_tree or b_tree:
            out += _diff(reader, a_tree, b_tree, f"{path}/", skip)
        if (a_entry and a_entry[0] != TREE_MODE) or (b_entry and b_entry[0] != TREE_MODE):
            # a file (or link, or submodule) on at least one side
            out.append((path, b_entry[0] if b_entry and b_entry[0] != TREE_MODE else None))
    return out


def _differing(
    reader: ObjectReader, old: str | None, new: str | None
) -> tuple[Iterable[bytes], Iterable[bytes]]:
    """The raw entries only `old` has and those only `new` has. Of two big trees, when
    one is among the last two read (walking history: a commit's and its parent's, then
    the parent's and its own parent's), the other is read as it with a run of entries
    replaced (`bigtree.splice`)."""
    kept: tuple[BigTree, ...] = reader.memo.get(_LAST, ())
    known = next((tree for tree in kept if tree.sha in (old, new)), None)
    if known is not None and old and new:
        other = new if known.sha == old else old
        raw = reader.read(other, f"tree {other[:12]}", TREE_LIMIT, kind="tree")
        found = splice(known, other, raw)
        if found is not None:
            tree, gone, came = found
            _keep(reader, tree)
            return (gone, came) if known.sha == old else (came, gone)
    a = _entry_set(reader, old) if old else frozenset()
    b = _entry_set(reader, new) if new else frozenset()
    return a - b, b - a


def _entry_set(reader: ObjectReader, tree: str) -> frozenset[bytes]:
    """A tree's raw entries (small trees are kept once read, the last two big ones for
    the next diff); MalformedTree when the bytes are not entries end to end or the tree
    is one git would not write (`check_tree`)."""
    key = ("entry-set", tree)
    found: frozenset[bytes] | None = reader.memo.get(key)
    if found is not None:
        return found
    raw = reader.read(tree, f"tree {tree[:12]}", TREE_LIMIT, kind="tree")
    big, found = read_whole(tree, raw)
    if len(found) <= MEMO_TREE_ENTRIES:
        reader.memo[key] = found
    else:
        _keep(reader, big)
    return found


def _keep(reader: ObjectReader, tree: BigTree) -> None:
    kept: tuple[BigTree, ...] = reader.memo.get(_LAST, ())
    reader.memo[_LAST] = (*(t for t in kept if t.sha != tree.sha), tree)[-2:]


_LAST = ("entry-set", "last big trees")


def _by_name(raw: Iterable[bytes], id_bytes: int) -> dict[str, tuple[str, str]]:
    return {name: (mode, sha) for mode, name, sha in parse_entries(b"".join(raw), id_bytes)}
