"""What the history index holds for the audit: each record path's changes and release,
in the order git's walk (newest first) meets them, the policy changes, a log per release
with the anomalies of later changes, and which releases a period may hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gatekeeper.audit.model import ReleaseLog

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from gatekeeper.records.index import HistoryIndex
    from gatekeeper.repo import Change


@dataclass
class History:
    """What the history index holds for the audit."""

    per_path: dict[str, list[Change]] = field(default_factory=dict)  # oldest change first
    release: dict[str, str] = field(default_factory=dict)  # record path -> its release
    # Every release with a change in history, and every path changed under one: of them
    # all, also where only some are read (a period's audit: `from_index`'s `among`).
    names: set[str] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    policy_changes: list[Change] = field(default_factory=list)
    position: dict[tuple[str, str], int] = field(default_factory=dict)

    def seq(self, change: Change) -> int:
        """Where `change` stands in history: bigger is newer."""
        return self.position.get((change.commit, change.path), 0)


def release_logs(history: History) -> tuple[dict[str, ReleaseLog], dict[str, Change]]:
    """A log per release with the anomalies of later changes; each record's adding change."""
    from gatekeeper.audit.records import changes_anomalies

    added: dict[str, Change] = {}
    logs: dict[str, ReleaseLog] = {}
    for path, changes in history.per_path.items():
        tag = history.release[path]
        log = logs.setdefault(tag, ReleaseLog(tag))
        first, anomalies = changes_anomalies(path, changes)
        log.anomalies += anomalies
        when = {change.commit: change.authored_at for change in changes}
        log.tampered += [when[a.commit] for a in anomalies if a.commit in when]
        if first is not None:
            added[path] = first
    return logs, added


def maybe_in_period(
    logs: dict[str, ReleaseLog],
    added: dict[str, Change],
    history: History,
    period: tuple[datetime | None, datetime | None],
    releases: str,
) -> set[str]:
    """The releases that may be in the period: tagged or tampered with in it, or with a
    request added in it (a release is requested when its request was added, so only
    these requests need reading to know which are). The request is the one path the
    layout calls so (a sign-off folder's file named `request.toml` is no request)."""
    from gatekeeper.audit.model import within
    from gatekeeper.records.layout import request_of

    requested = {
        history.release[path]
        for path, change in added.items()
        if request_of(path, releases) is not None and within(change.authored_at, *period)
    }
    return requested | {tag for tag, log in logs.items() if log.in_period(*period)}


def place(index: HistoryIndex, history: History, releases: set[str]) -> None:
    """Where each change of `releases` and each policy change stands in history, newest
    first as git walks (by first-parent depth, a merge's side commits after it, a commit's
    paths in git's order): the order events of one time are told in."""
    from gatekeeper.records.index import order

    listed = [
        change
        for path, changes in history.per_path.items()
        if history.release[path] in releases
        for change in changes
    ]
    newest = sorted(listed + history.policy_changes, key=lambda c: order(index, c, newest=True))
    history.position = {(c.commit, c.path): -n for n, c in enumerate(newest)}


def may_be_in(
    index: HistoryIndex,
    tagged: dict[str, datetime | None],
    period: tuple[datetime | None, datetime | None],
) -> set[str] | None:
    """The releases a period may hold, from dates alone, without reading their changes:
    those with a change or the tag (`tagged`: each release tag's date) dated in it; a
    release requested, tampered with or tagged in the period is among them. None when
    there is no period."""
    from datetime import datetime

    from gatekeeper.audit.model import within

    if period == (None, None):
        return None
    found = {tag for tag, at in tagged.items() if within(at, *period)}
    for tag in index.tags():
        if tag not in found and any(
            within(datetime.fromisoformat(at), *period)
            for at, _ in index.changes.times_and_paths(tag)
        ):
            found.add(tag)
    found.update(tag for c, tag in _other_files(index) if within(c.authored_at, *period))
    return found


def from_index(index: HistoryIndex, only: str | None, among: set[str] | None = None) -> History:
    """What the history index holds for the audit: each record path's changes (oldest
    first) and release, and the policy changes, in the order git's walk (newest first)
    meets them: the record changed last first, as the audit has always listed what
    happened to each. `among`: only these releases' changes are read (every release's
    name and paths are known all the same)."""
    from gatekeeper.records.index import order

    def newest(change: Change) -> tuple[int, int, bytes]:
        return order(index, change, newest=True)

    history = History(policy_changes=sorted(index.policies, key=newest))
    per_path: dict[str, list[Change]] = {}
    for tag in [only] if only is not None else index.tags():
        if among is not None and tag not in among:
            paths = [path for _, path in index.changes.times_and_paths(tag)]
            history.names.update([tag] if paths else [])
            history.paths.update(paths)
            continue
        for change in index.changes.get(tag, []):
            per_path.setdefault(change.path, []).append(change)
            history.release[change.path] = tag
    for change, tag in _other_files(index):  # `releases/v1.0.0/notes.md`: append-only too
        if only is None or tag == only:
            history.names.add(tag)
            history.paths.add(change.path)
            if among is None or tag in among:
                per_path.setdefault(change.path, []).append(change)
                history.release[change.path] = tag
    history.names.update(history.release.values())
    history.paths.update(per_path)
    for path in sorted(per_path, key=lambda p: newest(per_path[p][-1])):
        history.per_path[path] = per_path[path]
    return history


def _other_files(index: HistoryIndex) -> Iterator[tuple[Change, str]]:
    """The changes no record's name places (a file directly in a release folder), each
    with the innermost release whose folder holds it, as the check reads that folder."""
    from gatekeeper.records.layout import enclosing_tags

    known = set(index.tags())
    for change in index.unfiled:
        tag = next((t for t in enclosing_tags(change.path, index.releases) if t in known), None)
        if tag is not None:
            yield change, tag
