"""What the tagged commit holds of a release: its folder and its request there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.models.records import Request
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo, TagInfo


def tagged_records(repo: GitRepo, records: ReleaseRecords, revision: str) -> ReleaseRecords:
    from gatekeeper.records.reading import read_release

    return read_release(repo, revision, records.layout.releases, records.tag)


def at_tag(
    repo: GitRepo, records: ReleaseRecords, info: TagInfo | None
) -> tuple[frozenset[str], Request | None]:
    """The release folder's paths at the tagged commit, and its request there (what was
    released owes its post-release gates, whatever the request was revised to since).
    Unreadable there: the tag gate fails, and the records judged stand in."""
    if info is None or info.commit is None:
        return frozenset(), None
    try:
        tagged = tagged_records(repo, records, info.commit)
    except InputError:
        return frozenset(), None
    return frozenset(f.path for f in tagged.files), tagged.request
