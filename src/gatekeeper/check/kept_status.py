"""`gate status` kept between runs: each release's row and the window of time it holds for.

A row is judged from the repository at HEAD (every ref, object and git setting it may
read), gatekeeper's own code and what it runs on, a few environment variables and the
clock. The first four are the key: when any differs, nothing kept is used — but for a
new HEAD made of commits that change nothing a tagged release's row read: such a row,
judged reading nothing else (check/kept_reads.py), is used at that HEAD too. The clock is
each row's window (gatekeeper/clock.py): a row is used again only at a time that answers
every comparison its judgement made the same way, and a row whose judgement read the
clock otherwise (a reason that quotes the time, a freeze looked up in a zone) is judged
again on every run. So a kept row is what the check would judge again, never a verdict
it would not; deleting the file changes no output, and like the history index it is
neither read nor written with GATE_NO_CACHE=1 or on a CI runner (gatekeeper/kept.py).
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.clock import Window
from gatekeeper.kept import as_list, as_mapping, as_text, as_time

# A kept row: the window its judgement holds for, the row, and what lets it outlive
# commits on top of HEAD (None: it is used at that HEAD only).
Kept = tuple[Window, Any, dict[str, Any] | None]

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.check.status import ReleaseStatus
    from gatekeeper.repo import GitRepo

FORMAT = 3
_NAME = f"status-{FORMAT}.json"
# What a judgement may read from the environment: gatekeeper's and git's own settings,
# the locale git speaks in, and where programs (ssh-keygen) and settings are found.
_ENV_PREFIXES = ("GATE_", "GIT_", "LC_", "SSH_")
_ENV_NAMES = frozenset({"PATH", "HOME", "XDG_CONFIG_HOME", "LANG", "LANGUAGE", "TZ"})


@dataclass
class KeptStatus:
    """The rows an earlier run kept under the same key (none when nothing is kept)."""

    path: Path | None
    key: str
    repo: GitRepo
    head: str
    opts: CheckOptions
    base: str = ""  # the key without HEAD and the refs but the release tags
    names: list[str] | None = None  # the release rows at HEAD, in order
    # tag -> (window, row, across: None, or what lets it outlive commits on top of HEAD)
    rows: dict[str, Kept] = field(default_factory=dict)
    moved_from: str | None = None  # the HEAD the rows were kept at, when another

    def row(self, tag: str, at: datetime) -> ReleaseStatus | None:
        """The row kept for `tag` if it holds at `at`, else None (judge it again)."""
        kept = self.rows.get(tag)
        if kept is None or not kept[0].holds(at):
            return None
        try:
            return _row(kept[1])
        except (KeyError, TypeError, ValueError):
            return None

    def settle(self, releases: str) -> None:
        """Rows kept at another HEAD: only those the commits since leave as they were."""
        from gatekeeper.check.kept_commits import still_hold

        if self.moved_from is None:
            return
        found = still_hold(self.repo, self.moved_from, self.head, releases, self.rows)
        self.rows = found[0] if found else {}
        if found is None or found[1]:
            self.names = None  # list the release folders again

    def save(self, names: list[str], judged: dict[str, Kept], *, fresh: bool = True) -> None:
        """Keep every row whose judgement holds beyond its own moment (`fresh`: some were
        judged in this run, not only kept ones used again)."""
        from gatekeeper.kept import write_kept

        if self.path is None or self.repo.head() != self.head:
            return  # HEAD moved while judging (a branch switched): nothing is kept
        if fresh and _key(self.repo, self.head, self.opts) != (self.key, self.base):
            return  # a ref or setting changed while judging: what was judged is not keyed
        rows = {
            tag: [_window_doc(w), _doc(row), _across_doc(self.head, row, across)]
            for tag, (w, row, across) in judged.items()
            if not w.read
        }
        doc = {"format": FORMAT, "key": self.key, "base": self.base, "head": self.head}
        write_kept(self.path, {**doc, "names": names, "rows": rows})


def kept_status(repo: GitRepo, head: str, opts: CheckOptions) -> KeptStatus:
    """What an earlier run kept for this key; an empty one when nothing matches (or
    nothing is kept: then `save` keeps nothing either)."""
    from gatekeeper.kept import keeping, kept_path, read_kept

    if not keeping():
        return KeptStatus(None, "", repo, head, opts)
    key, base = _key(repo, head, opts)
    path = kept_path(repo, _NAME)
    doc = read_kept(path)
    empty = KeptStatus(path, key, repo, head, opts, base)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return empty
    try:
        kept_at = as_text(doc["head"])
        moved = None if doc.get("key") == key else kept_at
        if moved is not None and (doc.get("base") != base or kept_at == head):
            return empty
        names = [as_text(n) for n in as_list(doc["names"])]
        rows = {as_text(tag): _kept(kept) for tag, kept in as_mapping(doc["rows"]).items()}
    except (KeyError, IndexError, TypeError, ValueError):
        return empty
    if moved is not None:  # only rows that read nothing a commit could change, if any
        rows = {tag: kept for tag, kept in rows.items() if kept[2] is not None}
    return KeptStatus(path, key, repo, head, opts, base, names, rows, moved)


def _key(repo: GitRepo, head: str, opts: CheckOptions) -> tuple[str, str]:
    """Everything a row is judged from but the clock, as one digest; and the same without
    HEAD and the refs but the release tags (what a row kept across commits is judged
    from besides what check/kept_reads.py makes sure of)."""
    from dataclasses import replace

    refs = repo.run("for-each-ref", "--format=%(refname) %(objectname)")  # every ref
    tags = [line for line in refs.splitlines() if line.startswith("refs/tags/")]
    base = hashlib.sha256()
    for part in (
        str(FORMAT),
        "\n".join(tags),
        repo.run("config", "--list", "--show-origin", "-z"),  # every git setting
        repr(replace(opts, now=None)),
        sys.version,
        _code(),
        repr(sorted((k, v) for k, v in os.environ.items() if _judged_by(k))),
    ):
        base.update(part.encode("utf-8", "surrogateescape") + b"\0\0")
    key = hashlib.sha256(f"{base.hexdigest()}\0{head}\0{refs}".encode("utf-8", "surrogateescape"))
    return key.hexdigest(), base.hexdigest()


def _judged_by(name: str) -> bool:
    if name in {"GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"}:  # dates of commits git makes
        return False
    return name.startswith(_ENV_PREFIXES) or name in _ENV_NAMES


def _code() -> str:
    """gatekeeper's own modules, byte for byte, and every package installed beside it
    (a dist-info folder's name carries its version: tzdata, pydantic, cryptography)."""
    import gatekeeper

    digest = hashlib.sha256()
    package = Path(gatekeeper.__file__).parent
    for module in sorted(package.rglob("*.py")):
        digest.update(str(module.relative_to(package)).encode() + b"\0" + module.read_bytes())
    for entry in sys.path:
        try:
            names = sorted(p.name for p in Path(entry or ".").iterdir())
            digest.update("\0".join(names).encode("utf-8", "surrogateescape") + b"\0\0")
        except OSError:
            continue  # a zip file or a folder that is gone
    return digest.hexdigest()


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


def _row(doc: dict[str, Any]) -> ReleaseStatus:
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


def _kept(doc: object) -> Kept:
    window, row, across = as_list(doc)
    if across is None:
        return _window(as_list(window)), as_mapping(row), None
    held = as_mapping(across)
    read = [as_text(path) for path in as_list(held["read"])]
    return (
        _window(as_list(window)),
        as_mapping(row),
        {"latest": _time(held["latest"]), "read": read},
    )


def _across_doc(head: str, row: ReleaseStatus, across: dict[str, Any] | None) -> Any:
    """What lets a row outlive commits on top of HEAD, as JSON (none for a row that
    shows HEAD's commit id: "no request at 1a2b3c4d5e6f")."""
    if across is None or head[:7] in repr(_doc(row)):
        return None
    return {"latest": _iso(across["latest"]), "read": sorted(across["read"])}


def _window_doc(window: Window) -> list[str | None]:
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
