"""The history index as `.git/gatekeeper/` keeps it (records/history_cache.py), packed so
that a run reads back only what it asks for.

A status after one release's records were committed judges that release and no other, yet
had to parse, check and rebuild every change of 5,000 releases from a 15 MB file, and
write them all again: 1 s of a 2.4 s run. Packed, each release's changes are one string
(their fields joined by NUL, which no commit id, e-mail, time, path or blob id holds),
the first-parent line one string, and the graph's side commits one more. Loading checks
every field as strictly as before, so a truncated, hand-edited or planted file is still
refused whole and never half read, but makes `Change` objects only for the releases a run
asks about (`Filed`); saving writes the strings it did not unpack as it read them.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gatekeeper.repo import Change

SEP = "\0"
_FIELDS = 7  # commit, author e-mail, authored at, status, path, blob, merge ("1" or "0")


class Filed(MutableMapping[str, "list[Change]"]):
    """tag -> its changes, oldest first; those read from the kept file are unpacked the
    first time they are asked for."""

    def __init__(self, packed: dict[str, str] | None = None) -> None:
        self._packed: dict[str, str] = dict(packed or {})
        self._made: dict[str, list[Change]] = {}

    def __getitem__(self, tag: str) -> list[Change]:
        made = self._made.get(tag)
        if made is None:
            made = self._made[tag] = unpack(self._packed.pop(tag))  # KeyError: neither
        return made

    def __setitem__(self, tag: str, changes: list[Change]) -> None:
        self._packed.pop(tag, None)
        self._made[tag] = changes

    def __delitem__(self, tag: str) -> None:
        if self._packed.pop(tag, None) is None:
            del self._made[tag]

    def __contains__(self, tag: object) -> bool:
        return tag in self._made or tag in self._packed

    def __iter__(self) -> Iterator[str]:
        return chain(list(self._made), list(self._packed))

    def __len__(self) -> int:
        return len(self._made) + len(self._packed)

    def times_and_paths(self, tag: str) -> list[tuple[str, str]]:
        """(authored at, path) of each of `tag`'s changes, the time as `pack` writes it,
        without making a `Change` (what a period's audit asks of every release)."""
        made = self._made.get(tag)
        if made is not None:
            return [(c.authored_at.isoformat(), c.path) for c in made]
        fields = self._packed[tag].split(SEP) if self._packed[tag] else []
        return list(zip(fields[2::_FIELDS], fields[4::_FIELDS], strict=True))

    def packed_one(self, tag: str) -> str:
        """`tag`'s changes as one string, as `packed` gives them, without unpacking them."""
        made = self._made.get(tag)
        return pack(made) if made is not None else self._packed[tag]

    def packed(self) -> dict[str, str]:
        """Every tag's changes as one string each (those never unpacked as they were read)."""
        return {**self._packed, **{tag: pack(changes) for tag, changes in self._made.items()}}


def pack(changes: Iterable[Change]) -> str:
    return SEP.join(
        SEP.join(
            (
                c.commit,
                c.author_email,
                c.authored_at.isoformat(),
                c.status,
                c.path,
                c.blob,
                "1" if c.merge else "0",
            )
        )
        for c in changes
    )


def unpack(packed: str) -> list[Change]:
    """Changes as `pack` wrote them (checked when the file was read: `checked`)."""
    from gatekeeper.repo import Change

    fields = packed.split(SEP) if packed else []
    return [
        Change(
            fields[i],
            fields[i + 1],
            datetime.fromisoformat(fields[i + 2]),
            fields[i + 3],
            fields[i + 4],
            fields[i + 5],
            fields[i + 6] == "1",
        )
        for i in range(0, len(fields), _FIELDS)
    ]


def checked(packed: object, known: dict[str, tuple[int, int]]) -> str:
    """`packed` if it is what `pack` writes, every change's commit one of `known`'s; else
    TypeError or ValueError (the file is not believed)."""
    if not isinstance(packed, str):
        raise TypeError("expected a string")
    fields = packed.split(SEP) if packed else []
    if len(fields) % _FIELDS:
        raise ValueError(f"expected fields in sevens, got {len(fields)}")
    if not dict.keys(known) >= set(fields[0::_FIELDS]):
        raise ValueError("a change of a commit the graph does not hold")
    if not {"0", "1"} >= set(fields[6::_FIELDS]) or not all(fields[4::_FIELDS]):
        raise ValueError("expected a merge flag and a path")
    if not all(map(_aware, set(fields[2::_FIELDS]))):
        raise ValueError("expected a time with its UTC offset")
    return packed


def _aware(text: str) -> bool:
    return datetime.fromisoformat(text).utcoffset() is not None


def line_of(packed: object) -> list[str]:
    """HEAD's first-parent line, root first, as `pack_line` wrote it."""
    if not isinstance(packed, str):
        raise TypeError("expected a string")
    line = packed.split(" ") if packed else []
    if len(set(line)) != len(line) or not all(line):
        raise ValueError("expected distinct commits")
    return line


def pack_line(line: list[str]) -> str:
    return " ".join(line)


def entries_of(line: list[str], side: object) -> Iterator[tuple[str, tuple[int, int]]]:
    """commit -> (depth, rank): the line's own commits at rank 0, then the side commits
    each merge brought in (rank 1 and up, at a depth the line has, none a line commit)."""
    yield from ((commit, (depth, 0)) for depth, commit in enumerate(line))
    if not isinstance(side, str):
        raise TypeError("expected a string")
    fields = side.split(SEP) if side else []
    if len(fields) % 3:
        raise ValueError("expected fields in threes")
    on_line = set(line)
    for commit, depth, rank in zip(fields[0::3], fields[1::3], fields[2::3], strict=True):
        at = (int(depth), int(rank))
        if commit in on_line or not (0 <= at[0] < len(line) and at[1] > 0):
            raise ValueError(f"{commit}: expected a side commit, at a depth of the line")
        yield commit, at


def pack_side(entry: dict[str, tuple[int, int]]) -> str:
    """The side commits of `entry` (rank 1 and up): the line's own are its positions."""
    return SEP.join(f"{c}{SEP}{d}{SEP}{r}" for c, (d, r) in entry.items() if r > 0)
