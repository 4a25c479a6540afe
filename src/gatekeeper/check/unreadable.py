"""A release whose committed folder cannot be read: it fails, and says what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.check.report import Report

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import CheckOptions, Evaluation
    from gatekeeper.errors import InputError
    from gatekeeper.policy.loading import LoadedPolicy
    from gatekeeper.records.reading import RecordFile
    from gatekeeper.repo import GitRepo, TagInfo


def unreadable(
    tag: str,
    loaded: LoadedPolicy,
    *,
    info: TagInfo | None,
    revision: str,
    opts: CheckOptions,
    exc: InputError,
    held: tuple[RecordFile, ...] = (),
) -> Evaluation:
    """A release whose committed records cannot be parsed fails, and says what to do:
    records are append-only, so the broken one stays, and gate writes nothing more into a
    folder it cannot read: the release goes on under another tag."""
    from gatekeeper.check.evaluation import Evaluation
    from gatekeeper.records.layout import ReleaseLayout
    from gatekeeper.records.reading import ReleaseRecords, new_tag_command

    advice = (
        "committed records are append-only, so it stays as it is, and gate writes nothing "
        f"more into a folder it cannot read: release under a new tag (`{new_tag_command(tag)}`)"
    )
    report = unreadable_report(
        tag,
        loaded,
        info=info,
        revision=revision,
        stage=opts.stage,
        problem=exc.message,
        advice=advice,
    )
    layout = ReleaseLayout(loaded.policy.releases, tag)
    records = ReleaseRecords(layout, revision, files=held)  # what the folder holds, unread
    return Evaluation(report, None, records, {}, loaded)


def listed(repo: GitRepo, commit: str, releases: str, tag: str) -> tuple[RecordFile, ...]:
    """The files of a release folder that cannot be read, by path and blob (the audit asks
    what the tagged commit holds); none when even its tree cannot be listed."""
    from gatekeeper.errors import GateError
    from gatekeeper.records.layout import ReleaseLayout
    from gatekeeper.records.reading import RecordFile

    try:
        entries = repo.ls_tree(commit, ReleaseLayout(releases, tag).folder)
    except GateError:
        return ()
    return tuple(RecordFile(e.path, e.sha, "") for e in entries)


def unreadable_report(
    tag: str,
    loaded: LoadedPolicy,
    *,
    info: TagInfo | None,
    revision: str,
    stage: str,
    problem: str,
    advice: str = "",
) -> Report:
    """The report of a release that could not be judged: one failing `records` gate."""
    from gatekeeper.check.builtin import unreadable_gate

    return Report(
        release=tag,
        candidate=None,
        tag_commit=info.commit if info else None,
        revision=revision,
        policy_ref=loaded.commit,
        signatures=loaded.policy.signatures,
        stage=stage,
        gates=(unreadable_gate(problem, advice),),
    )
