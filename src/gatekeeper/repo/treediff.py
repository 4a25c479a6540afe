"""What differs between two commits' trees, read through the one `cat-file --batch`: the
paths `diff-tree -r --no-renames` would list, each with its mode after the change.

A tree is compared as a set of raw `<mode> <name>\\0<id>` entries, so of the `releases/`
tree (thousands of entries, a few of which differ between a candidate and the tagged
commit) only what differs is decoded. A tree git would not write — the same name twice
(checkout keeps one of them, by order), or bytes that are no entries — is reported as a
change of its folder, never read as equal to anything.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gatekeeper.repo.trees import (
    MEMO_TREE_ENTRIES,
    TREE_LIMIT,
    TREE_MODE,
    parse_tree,
    root_tree,
)

if TYPE_CHECKING:
    from gatekeeper.repo.objects import ObjectReader

Changed = tuple[str, str | None]  # a path, and its mode after the change (None: removed)


def changed(
    reader: ObjectReader, old: str, new: str, skip: frozenset[str] = frozenset()
) -> list[Changed]:
    """Paths whose content or mode differs between two commits, descending only into
    subtrees that differ; `skip`: top-level folders not to look into."""
    out = _diff(reader, root_tree(reader, old), root_tree(reader, new), "", skip)
    return sorted(out, key=lambda c: c[0].encode("utf-8", "surrogateescape"))


class _Malformed(Exception):
    """A tree object git would not write."""


def _diff(
    reader: ObjectReader, old: str | None, new: str | None, prefix: str, skip: frozenset[str]
) -> list[Changed]:
    if old == new:
        return []
    try:
        a = _entry_set(reader, old) if old else frozenset()
        b = _entry_set(reader, new) if new else frozenset()
    except _Malformed:
        return [(prefix or ".", TREE_MODE if new else None)]
    id_bytes = len(old or new or "") // 2
    before, after = _by_name(a - b, id_bytes), _by_name(b - a, id_bytes)
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


def _entry_set(reader: ObjectReader, tree: str) -> frozenset[bytes]:
    """A tree's raw entries (small trees are kept once read); _Malformed when the bytes are
    not entries end to end, or a name appears twice."""
    key = ("entry-set", tree)
    found: frozenset[bytes] | None = reader.memo.get(key)
    if found is not None:
        return found
    raw = reader.read(tree, f"tree {tree[:12]}", TREE_LIMIT, kind="tree")
    entry, name = _PATTERNS[len(tree) // 2]
    parts = entry.findall(raw)
    if sum(map(len, parts)) != len(raw) or len(set(name.findall(raw))) != len(parts):
        raise _Malformed(tree)
    found = frozenset(parts)
    if len(found) <= MEMO_TREE_ENTRIES:
        reader.memo[key] = found
    return found


# An entry, and the name in it, for object ids of 20 (SHA-1) and 32 (SHA-256) bytes. A mode
# is any octal number, as git reads it (`0100644` is a file to git, so it is one here).
_PATTERNS = {
    size: (
        re.compile(rb"[0-7]+ [^\0]*\0.{%d}" % size, re.DOTALL),
        re.compile(rb"[0-7]+ ([^\0]*)\0.{%d}" % size, re.DOTALL),
    )
    for size in (20, 32)
}


def _by_name(raw: frozenset[bytes], id_bytes: int) -> dict[str, tuple[str, str]]:
    return {name: (mode, sha) for mode, name, sha in parse_tree(b"".join(raw), id_bytes)}
