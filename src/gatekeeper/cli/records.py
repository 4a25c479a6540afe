"""Commands that write release records: request, approve, reject, revoke, attach."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.cli.options import NoCommit, RepoDir, iso_time, out, work_tree
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.records.recording import Written

Tag = Annotated[str, typer.Argument(help="Release tag, e.g. v1.4.0 or billing/v2.3.1.")]
Role = Annotated[str, typer.Option("--role", help="The policy role you sign as.")]
Comment = Annotated[str, typer.Option("--comment", help="Why; kept in the record.")]
Key = Annotated[  # a string: git's `key::ssh-ed25519 AAAA...` is not a path
    str | None,
    typer.Option(
        "--key",
        help="SSH key to sign with: a path, or key::PUBLIC-KEY for a key in ssh-agent "
        "(else GATE_SIGNING_KEY, user.signingkey).",
    ),
]


def _report(written: Written) -> None:
    for path in written.paths:
        out(f"wrote {path}")
    out(
        f"committed {written.commit[:12]}: {written.message}"
        if written.commit
        else "staged, not committed (--no-commit)"
    )


def request(
    tag: Tag,
    title: Annotated[str | None, typer.Option(help="One line saying what ships.")] = None,
    kind: Annotated[
        str | None, typer.Option(help="Release kind, e.g. server-upgrade (default: release).")
    ] = None,
    risk: Annotated[str | None, typer.Option(help="low, normal (default) or major.")] = None,
    component: Annotated[str | None, typer.Option(help="Component released, if any.")] = None,
    planned_at: Annotated[
        str | None, typer.Option("--planned-at", help="Planned release time (ISO 8601).")
    ] = None,
    candidate: Annotated[str | None, typer.Option(help="Candidate commit (default HEAD).")] = None,
    summary: Annotated[str | None, typer.Option(help="Summary of the change.")] = None,
    rollback_plan: Annotated[
        str | None, typer.Option("--rollback-plan", help="How to roll back.")
    ] = None,
    withdraw: Annotated[
        bool,
        typer.Option(
            "--withdraw",
            help="End a release that will not ship (needs --reason); the tag name stays used.",
        ),
    ] = False,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (with --withdraw).")] = None,
    revise: Annotated[
        bool,
        typer.Option(
            "--revise",
            help="Write the next revision of the request (the options given replace the "
            "old values); earlier approvals become stale.",
        ),
    ] = False,
    directory: RepoDir = None,
    no_commit: NoCommit = False,
    key: Key = None,
) -> int:
    """File a release request for a candidate commit (or, with --revise, revise it)."""

    from gatekeeper.records.recording import RequestFields, file_request, open_session

    planned = None
    if planned_at is not None:  # parsed here: typer's own error names no expected format
        expected = "an ISO 8601 time with its UTC offset"
        hint = "--planned-at 2026-07-01T22:00:00+08:00"
        planned = iso_time("--planned-at", planned_at, None, expected=expected, hint=hint)
    if withdraw and not (reason or "").strip():
        raise InputError(
            "--withdraw: needs --reason TEXT", hint=f"gate request {tag} --withdraw --reason ..."
        )
    fields = RequestFields(
        title,
        kind,
        risk,
        component,
        planned,
        candidate,
        summary,
        rollback_plan,
        withdrawn=reason.strip() if withdraw and reason else None,
    )
    revise = revise or withdraw  # a withdrawal is the request's last revision
    with work_tree(directory, "request") as repo:
        session = open_session(repo, tag, key)
        _report(file_request(session, tag, fields, revise=revise, commit=not no_commit))
    return 0


def _decision(decision: str, doc: str) -> Callable[..., int]:
    """`gate approve|reject|revoke`: one command per decision, one body."""

    def command(
        tag: Tag,
        role: Role,
        comment: Comment = "",
        directory: RepoDir = None,
        no_commit: NoCommit = False,
        key: Key = None,
    ) -> int:
        from gatekeeper.records.recording import open_session, sign_off

        with work_tree(directory, decision) as repo:
            session = open_session(repo, tag, key)
            _report(sign_off(session, tag, role, decision, comment, commit=not no_commit))
        return 0

    command.__doc__ = doc
    return command


approve = _decision("approve", "Approve a release in one of your roles.")
reject = _decision("reject", "Reject a release: it is blocked until you revoke the rejection.")
revoke = _decision("revoke", "Revoke your earlier approval or rejection (it frees the role).")


def attach(
    tag: Tag,
    kind: Annotated[str, typer.Argument(help="test-report, backup, env-check, launch-notice...")],
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[FILE]...",
            help="File to attach (JUnit XML, Markdown). A test-report takes several JUnit "
            "files, or a folder (its *.xml), judged together as one report.",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="key=value detail, repeatable (backup: target, location, taken_at)."
        ),
    ] = None,
    directory: RepoDir = None,
    no_commit: NoCommit = False,
    key: Key = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Record evidence that fails its gate (it will not count)."),
    ] = False,
) -> int:
    """Record a piece of evidence, its files copied beside it and pinned by sha256; a newer
    test-report record supersedes older ones."""
    from gatekeeper.records.attaching import attach as attach_evidence
    from gatekeeper.records.recording import open_session

    sets = {}
    for item in set_ or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise InputError(
                f"--set {item!r}: expected key=value", hint="e.g. --set target=database"
            )
        sets[name.strip()] = value
    with work_tree(directory, "attach") as repo:
        session = open_session(repo, tag, key)
        written = attach_evidence(
            session, tag, kind, files or None, sets, commit=not no_commit, force=force
        )
        _report(written)
    return 0


def emergency(
    tag: Tag,
    reason: Annotated[str, typer.Option("--reason", help="Why it cannot wait.")],
    ticket: Annotated[str, typer.Option("--ticket", help="Incident or ticket id.")] = "",
    directory: RepoDir = None,
    no_commit: NoCommit = False,
    key: Key = None,
) -> int:
    """Declare an emergency (紧急上线): failing gates are waived, except `never_waive`."""
    from gatekeeper.records.recording import declare_emergency, open_session

    if not reason.strip():
        raise InputError("--reason: empty", hint=f"gate emergency {tag} --reason TEXT")
    with work_tree(directory, "emergency") as repo:
        session = open_session(repo, tag, key)
        _report(declare_emergency(session, tag, reason.strip(), ticket, commit=not no_commit))
    return 0
