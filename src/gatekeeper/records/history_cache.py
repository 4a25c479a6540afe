"""The history index, kept between runs under `.git/gatekeeper/`: keyed by the last commit
it read and its format; a repeat run reads only the commits since (`git log LAST..HEAD`).

It can't lie about what it does not know: when LAST is no longer on HEAD's first-parent
line (history rewritten, a branch switched) the index is built again from scratch, and it
holds derived facts only (which change, which commit, where in the graph), never a
verdict. Deleting it changes no output. `GATE_NO_CACHE=1` neither reads nor writes it,
nor does CI: what decides a release there never trusts a file in `.git/`.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.records.index import FORMAT, HistoryIndex, build, extend

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo

_MEMO = ("history-index",)
_PATH = ("history-path",)


def current_index(repo: GitRepo) -> HistoryIndex | None:
    """The index this process already has, if any (lineage asks, never builds)."""
    found: HistoryIndex | None = repo.memo.get(_MEMO)
    return found


def shared_index(repo: GitRepo, head: str, releases: str) -> HistoryIndex:
    """The index from `head`: this process's, else the cache brought up to date, else
    built in one pass; saved for the next run."""
    index = current_index(repo)
    if index is not None and index.head == head and index.releases == releases:
        return index
    path = _path(repo) if _cache_on() else None
    cached = _load(path, releases) if path else None
    read_up_to = cached.head if cached else None
    rewrites = list(cached.rewrites) if cached else []
    index = None
    if cached is not None and read_up_to == head:
        index = cached
    elif cached is not None and repo.is_ancestor(cached.head, head):
        index = cached if cached.line and extend(repo, cached, cached.head, head) else None
    elif read_up_to:
        rewrites.append(read_up_to)  # what the last run read is gone from HEAD's history
    if index is None:
        index = build(repo, head, releases)
    index.rewrites = rewrites
    if path and read_up_to != head:
        _save(path, index)
    repo.memo[_MEMO] = index
    return index


def kept_index(repo: GitRepo, releases: str) -> HistoryIndex | None:
    """The index from HEAD when .git/gatekeeper/ keeps one to bring up to date (never
    built from nothing here), else None."""
    if not _cache_on() or not _path(repo).exists():
        return None
    head = repo.head()
    return shared_index(repo, head, releases) if head else None


def rewrites_seen(repo: GitRepo) -> list[str]:
    """Heads earlier runs had read that HEAD's history no longer contains (history was
    rewritten since), from the index this process holds."""
    index = current_index(repo)
    return list(index.rewrites) if index else []


def _cache_on() -> bool:
    """Off with GATE_NO_CACHE=1, and on a CI runner (`envflags.in_ci`): a runner may keep
    `.git/` between jobs, and a job that ran a contributor's code could have written an
    index that hides a change from the release check that runs there next."""
    from gatekeeper.envflags import in_ci

    if os.environ.get("GATE_NO_CACHE", "") not in {"", "0"}:
        return False
    return not in_ci()


def _path(repo: GitRepo) -> Path:
    """Where the index is kept (asked of git once per process)."""
    if _PATH not in repo.memo:
        common = repo.run("rev-parse", "--git-common-dir").strip()
        repo.memo[_PATH] = (repo.root / common / "gatekeeper" / f"history-{FORMAT}.json").resolve()
    path: Path = repo.memo[_PATH]
    return path


def _load(path: Path, releases: str) -> HistoryIndex | None:
    """The cached index, or None when absent, of another format or unreadable."""
    from gatekeeper.repo import Change

    try:
        data = json.loads(path.read_bytes())
        if data["format"] != FORMAT or data["releases"] != releases:
            return None
        index = HistoryIndex(data["head"], releases, list(data["line"]))
        index.rewrites = [str(c) for c in data.get("rewrites", [])]
        index.entry = {c: (d, r) for c, (d, r) in data["entry"].items()}
        index.changes = {
            tag: [
                Change(commit, email, datetime.fromisoformat(when), status, p, blob, merge)
                for commit, email, when, status, p, blob, merge in rows
            ]
            for tag, rows in data["changes"].items()
        }
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return index


def _save(path: Path, index: HistoryIndex) -> None:
    """Written to a temporary file and renamed, so a reader never sees half of it."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "head": index.head,
        "releases": index.releases,
        "line": index.line,
        "rewrites": index.rewrites,
        "entry": index.entry,
        "changes": {
            tag: [
                [
                    c.commit,
                    c.author_email,
                    c.authored_at.isoformat(),
                    c.status,
                    c.path,
                    c.blob,
                    c.merge,
                ]
                for c in changes
            ]
            for tag, changes in index.changes.items()
        },
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
        temporary.replace(path)
    except OSError:
        pass  # a read-only .git: the cache is a speed-up, never required
