"""The bytes of a tree object, and the rules git's own checkout keeps: what a tree entry
is, which modes mean what, and which trees git would never write (`MalformedTree`)."""

from __future__ import annotations

import re

from gatekeeper.errors import MalformedTree

TREE_MODE = "40000"


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
    two entries of one name, so such a tree checks out differently from what it lists.
    Decided with whole-list operations (a `releases/` tree has thousands of entries); a
    tree they find fault with is walked entry by entry, for the entry to name."""
    plain = [name for name, _ in names]
    keys = [name + b"/" if folder else name for name, folder in names]
    joined = b"\0".join(plain)
    if (
        b"/" in joined
        or not _BAD_NAMES.isdisjoint(plain)
        or (b".git" in joined.lower() and b".git" in {n.lower() for n in plain})
        or len(set(plain)) != len(plain)
        or len(set(keys)) != len(keys)
        or keys != sorted(keys)
    ):
        _check_each(names)
        raise MalformedTree("tree: names out of git's order")  # never reached: fail closed


def _check_each(names: list[tuple[bytes, bool]]) -> None:
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
