"""A big tree (a `releases/` folder of thousands of entries) read against the last one.

Walking history, each commit's `releases/` tree is compared with its parent's, and the
two differ in an entry or a few. Parsing and checking thousands of entries per commit
would cost far more than the difference: instead the tree read last is kept with where
each entry starts and the set of its names, and the next is taken as that tree with one
run of entries replaced. The run is found by comparing bytes (the common head and tail),
only its entries are parsed, and the new tree is checked as `check_tree` would check it
whole: the new entries among themselves, against their neighbours for git's order, and
against every other name for a name there twice. Anything that is not a run of whole
entries is left to the full reading, which names the fault.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from itertools import accumulate
from typing import TYPE_CHECKING

from gatekeeper.errors import MalformedTree
from gatekeeper.repo.treeformat import TREE_MODE, canonical_mode, check_tree

if TYPE_CHECKING:
    from collections.abc import Callable

# An entry with its mode and name, for object ids of 20 (SHA-1) and 32 (SHA-256) bytes. A
# mode is any octal number, as git reads it (`0100644` is a file to git, so it is here).
ENTRY = {size: re.compile(rb"(([0-7]+) ([^\0]*)\0.{%d})" % size, re.DOTALL) for size in (20, 32)}


class BigTree:
    """A tree's bytes (of a tree `check_tree` let through), where each entry starts (then
    the length: one more than entries) and its names, each once. A tree read whole works
    those out only if a tree is read against it; trees read one from the other share
    what they have in common."""

    def __init__(self, sha: str, raw: bytes, layout: Layout | None = None) -> None:
        self.sha, self.raw = sha, raw
        if layout is not None:
            self.__dict__["layout"] = layout  # what `layout` would work out, known

    @functools.cached_property
    def layout(self) -> Layout:
        parts = ENTRY[len(self.sha) // 2].findall(self.raw)
        starts = (0, *accumulate(len(entry) for entry, _, _ in parts))
        return starts, frozenset(name for _, _, name in parts)

    @property
    def starts(self) -> tuple[int, ...]:
        return self.layout[0]

    @property
    def names(self) -> frozenset[bytes]:
        return self.layout[1]

    def entries(self, first: int, end: int) -> list[bytes]:
        starts = self.starts
        return [self.raw[starts[n] : starts[n + 1]] for n in range(first, end)]


Layout = tuple[tuple[int, ...], frozenset[bytes]]


def read_whole(sha: str, raw: bytes) -> tuple[BigTree, frozenset[bytes]]:
    """A tree's bytes parsed and checked end to end, with its raw entries; MalformedTree
    when they are no entries or a tree git would not write."""
    parts = ENTRY[len(sha) // 2].findall(raw)  # (entry, mode, name), in one pass
    if sum(len(entry) for entry, _, _ in parts) != len(raw):
        raise MalformedTree(f"tree {sha[:12]}: bytes that are no tree entries")
    check_tree([(name, _is_tree(mode)) for _, mode, name in parts])
    return BigTree(sha, raw), frozenset(entry for entry, _, _ in parts)


def splice(known: BigTree, sha: str, raw: bytes) -> tuple[BigTree, list[bytes], list[bytes]] | None:
    """Tree `sha` (its bytes `raw`) read as `known` with one run of entries replaced: the
    tree, `known`'s entries in the run and those in their place; None when the bytes
    that differ are no run of whole entries (read it whole); MalformedTree when the new
    tree is one git would not write."""
    old = known.raw
    head = _common_head(old, raw)
    tail = _common_tail(old, raw, min(len(old), len(raw)) - head)
    count = len(known.starts) - 1
    first = bisect_right(known.starts, head) - 1  # the entry the first differing byte is in
    end = bisect_left(known.starts, len(old) - tail)  # the first entry after the last
    begin, shift = known.starts[first], len(raw) - len(old)
    middle = raw[begin : known.starts[end] + shift]
    parts = ENTRY[len(sha) // 2].findall(middle)
    if sum(len(entry) for entry, _, _ in parts) != len(middle):
        return None  # the run does not end at an entry's end in the new bytes
    came = [(name, _is_tree(mode)) for _, mode, name in parts]
    came_names = {name for name, _ in came}
    gone = known.entries(first, end)
    gone_names = {_name(entry) for entry in gone}
    if came:  # names git writes, each once, in git's order with the entries around them
        before = [_named(e) for e in known.entries(first - 1, first)] if first else []
        after = [_named(e) for e in known.entries(end, end + 1)] if end < count else []
        check_tree([*before, *came, *after])
        for name, _ in came:
            if name in known.names and name not in gone_names:  # kept beside the run
                raise MalformedTree(f"tree entry {name!r}: out of git's order, or there twice")
    new = [entry for entry, _, _ in parts]
    names = known.names
    if came_names != gone_names:  # else a changed id: the same names
        names = (names - gone_names) | came_names
    starts = known.starts
    if [len(e) for e in new] != [len(e) for e in gone]:  # else the same starts
        within = tuple(accumulate((len(e) for e in new[:-1]), initial=begin)) if new else ()
        starts = (*starts[:first], *within, *(s + shift for s in starts[end:]))
    return BigTree(sha, raw, (starts, names)), gone, new


def _common_head(a: bytes, b: bytes) -> int:
    """How many leading bytes `a` and `b` share."""
    return _shared(lambda at, size: a[at : at + size] == b[at : at + size], min(len(a), len(b)))


def _common_tail(a: bytes, b: bytes, most: int) -> int:
    """How many trailing bytes `a` and `b` share, at most `most`."""
    la, lb = len(a), len(b)

    def same(at: int, size: int) -> bool:
        return a[la - at - size : la - at] == b[lb - at - size : lb - at]

    return _shared(same, most)


def _shared(same: Callable[[int, int], bool], most: int) -> int:
    """How many bytes from one end two byte strings share, at most `most` (`same(at,
    size)`: whether the `size` bytes past the first `at` agree): blocks of shrinking
    size, each level advancing only over blocks that agree (slices compare in C)."""
    at = 0
    for size in (4096, 256, 16, 1):
        while at + size <= most and same(at, size):
            at += size
    return at


def _is_tree(mode: bytes) -> bool:
    return canonical_mode(mode.decode("ascii")) == TREE_MODE


def _name(entry: bytes) -> bytes:
    return entry[entry.index(b" ") + 1 : entry.index(b"\0")]


def _named(entry: bytes) -> tuple[bytes, bool]:
    return _name(entry), _is_tree(entry[: entry.index(b" ")])
