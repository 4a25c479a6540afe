"""What the tagged commit holds of a release: its folder and its request there."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.policy.loading import LoadedPolicy
    from gatekeeper.records.lineage import Lineage
    from gatekeeper.records.reading import ReleaseRecords
    from gatekeeper.repo import GitRepo, TagInfo
    from gatekeeper.trust.identity import Signer


def tagged_records(repo: GitRepo, records: ReleaseRecords, revision: str) -> ReleaseRecords:
    from gatekeeper.records.reading import read_release

    return read_release(repo, revision, records.layout.releases, records.tag)


def at_tag(repo: GitRepo, records: ReleaseRecords, info: TagInfo | None) -> ReleaseRecords | None:
    """The release's records at the tagged commit: what was released (its request says
    what it owes, whatever it was revised to since; its records came before the tag).
    None when untagged, or unreadable there (the tag gate fails on it, and the records
    judged stand in)."""
    if info is None or info.commit is None:
        return None
    try:
        return tagged_records(repo, records, info.commit)
    except InputError:
        return None


def shipped_paths(repo: GitRepo, records: ReleaseRecords, info: TagInfo | None) -> frozenset[str]:
    """The release folder's paths at the tagged commit (what came before the tag)."""
    tagged = at_tag(repo, records, info)
    return frozenset(f.path for f in tagged.files) if tagged else frozenset()


def after_tag(
    repo: GitRepo,
    records: ReleaseRecords,
    info: TagInfo,
    loaded: LoadedPolicy,
    *,
    line: str,
    lin: Lineage,
    signers: dict[str, Signer],
) -> dict[str, Signer]:
    """`signers`, the records made after the tag judged by the policy of the trusted line
    (`line`: its head) of the day each landed (trust/later.py)."""
    from gatekeeper.trust.later import Line, hold_to_line

    return hold_to_line(
        repo,
        Line(repo, line, loaded.policy),
        records,
        binding=loaded.policy,
        since=loaded.commit,
        lin=lin,
        signers=signers,
        shipped=shipped_paths(repo, records, info),
    )
