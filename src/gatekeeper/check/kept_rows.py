"""A `gate status` row as the kept file holds it (check/kept_status.py): the window its
judgement holds for, the row, and what lets it outlive commits and tags (kept_reads.py),
written as JSON and read back strictly: anything else raises, and the release is judged.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from gatekeeper.clock import Window
from gatekeeper.kept import as_list, as_mapping, as_text, as_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.check.status import ReleaseStatus

# A kept row: the window its judgement holds for, the row, and what lets it outlive
# commits on top of HEAD (None: it is used at that HEAD only).
Kept = tuple[Window, Any, dict[str, Any] | None]


def kept_doc(
    head: str, window: Window, row: ReleaseStatus, across: dict[str, Any] | None
) -> list[Any]:
    return [window_doc(window), _doc(row), _across_doc(head, row, across)]


def _doc(row: ReleaseStatus) -> dict[str, Any]:
    """Everything a row holds, as JSON (the status JSON leaves out who may take a step)."""
    return {
        "release": row.release,
        "stage": row.stage,
        "passed": row.passed,
        "title": row.title,
        "failing": list(row.failing),
        "missing": [[m.gate, m.why] for m in row.missing],
        "waiting_on": [list(p) for p in row.waiting_on],
        "stale": list(row.stale) if row.stale is not None else None,
        "next": [[s.command, [list(p) for p in s.by]] for s in row.next],
        "obligations": [
            [o.gate, o.due.isoformat() if o.due else None, o.overdue, o.pending, o.done]
            for o in row.obligations
        ],
    }


def row_of(doc: dict[str, Any]) -> ReleaseStatus:
    """A row as `_doc` writes it; anything else raises (and the release is judged)."""
    from gatekeeper.check.explain import Step
    from gatekeeper.check.status import Missing, Obligation, ReleaseStatus

    stale = doc["stale"]
    return ReleaseStatus(
        release=as_text(doc["release"]),
        stage=as_text(doc["stage"]),
        passed=_flag(doc["passed"]),
        title=as_text(doc["title"]),
        failing=tuple(as_text(g) for g in as_list(doc["failing"])),
        missing=tuple(Missing(as_text(g), as_text(w)) for g, w in _pairs(doc["missing"])),
        waiting_on=tuple((as_text(p), as_text(r)) for p, r in _pairs(doc["waiting_on"])),
        stale=None if stale is None else tuple(as_text(p) for p in as_list(stale)),
        next=tuple(
            Step(as_text(c), tuple((as_text(p), as_text(r)) for p, r in _pairs(by)))
            for c, by in _pairs(doc["next"])
        ),
        obligations=tuple(
            Obligation(as_text(g), _time(due), _flag(late), _flag(pending), _flag(done))
            for g, due, late, pending, done in (as_list(o) for o in as_list(doc["obligations"]))
        ),
    )


def kept_of(doc: object, judged: Callable[[object], Any] = as_mapping) -> Kept:
    """A kept row (or, `judged` reading it, another judgement kept the same way)."""
    window, row, across = as_list(doc)
    if across is None:
        return _window(as_list(window)), judged(row), None
    held = as_mapping(across)
    read = [as_text(path) for path in as_list(held["read"])]
    tags = as_mapping(held["tags"])
    asked = {
        "asked": {as_text(name) for name in as_list(tags["asked"])},
        "merged": {as_text(commit) for commit in as_list(tags["merged"])},
        "listed": _flag(tags["listed"]),
    }
    return (
        _window(as_list(window)),
        judged(row),
        {"latest": _time(held["latest"]), "read": read, "tags": asked},
    )


def _across_doc(head: str, row: ReleaseStatus, across: dict[str, Any] | None) -> Any:
    """What lets a row outlive commits on top of HEAD, as JSON (none for a row that
    shows HEAD's commit id: "no request at 1a2b3c4d5e6f")."""
    if across is None or shows_head(head, _doc(row)):
        return None
    return across_doc(across)


def across_doc(across: dict[str, Any]) -> dict[str, Any]:
    """What lets a judgement outlive commits on top of HEAD and tags added since, as JSON."""
    tags = across["tags"]
    asked = {"asked": sorted(tags["asked"]), "merged": sorted(tags["merged"])}
    return {
        "latest": _iso(across["latest"]),
        "read": sorted(across["read"]),
        "tags": {**asked, "listed": tags["listed"]},
    }


def kept_again(head: str, doc: list[Any]) -> list[Any]:
    """A kept row used again at `head`, as `kept_doc` would write it there (`doc` as the
    file held it, already read back by `kept_of`)."""
    window, row, across = doc
    return [window, row, None if across is None or shows_head(head, row) else across]


def shows_head(head: str, judged: object) -> bool:
    """Whether a kept judgement (a status row, an audit log's text as UTF-8) shows HEAD's
    commit id: it is kept for that HEAD only."""
    if isinstance(judged, bytes):  # searched as it is (its repr would be built byte by byte)
        return head[:7].encode("ascii") in judged
    return head[:7] in repr(judged)


def window_doc(window: Window) -> list[str | None]:
    return [_iso(window.since), _iso(window.until)]


def _window(doc: list[Any]) -> Window:
    since, until = doc
    return Window(_time(since), _time(until))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(value: object) -> datetime | None:
    return None if value is None else as_time(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("expected true or false")
    return value


def _pairs(value: object) -> list[list[Any]]:
    rows = as_list(value)
    if not all(isinstance(r, list) and len(r) == 2 for r in rows):
        raise TypeError("expected pairs")
    return rows
