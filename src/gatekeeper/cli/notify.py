"""`gate notify TAG`: publish the launch notice (上线通告) once the release passes its gates."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.cli.options import NoCommit, RepoDir, out, say, work_tree
from gatekeeper.cli.records import Key, Tag
from gatekeeper.errors import ExitCode

if TYPE_CHECKING:
    from gatekeeper.notify.sending import Publication


def notify(
    tag: Tag,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what would be sent (secrets hidden); send nothing."),
    ] = False,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="CHANNEL", help="Send to this channel only (repeatable)."),
    ] = None,
    resend: Annotated[
        bool, typer.Option("--resend", help="Send to channels already sent to as well.")
    ] = False,
    policy_ref: Annotated[
        str | None, typer.Option("--policy-ref", help="Read the policy from this trusted ref.")
    ] = None,
    smtp_host: Annotated[
        str | None, typer.Option("--smtp-host", help="SMTP server (else GATE_SMTP_HOST).")
    ] = None,
    smtp_port: Annotated[
        int | None,
        typer.Option("--smtp-port", help="Port (else GATE_SMTP_PORT; default 587, 465 = TLS)."),
    ] = None,
    smtp_user: Annotated[
        str | None, typer.Option("--smtp-user", help="Login (else GATE_SMTP_USER).")
    ] = None,
    smtp_from: Annotated[
        str | None, typer.Option("--smtp-from", help="Sender address (else GATE_SMTP_FROM).")
    ] = None,
    smtp_password_file: Annotated[
        Path | None,
        typer.Option(
            "--smtp-password-file", help="File holding the password (else GATE_SMTP_PASSWORD)."
        ),
    ] = None,
    require_tls: Annotated[
        bool,
        typer.Option("--require-tls", help="Refuse a server that does not offer STARTTLS."),
    ] = False,
    smtp_ssl: Annotated[
        bool, typer.Option("--smtp-ssl", help="TLS from the start (implicit TLS, port 465).")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for each server (1-3600).")
    ] = 10.0,
    directory: RepoDir = None,
    no_commit: NoCommit = False,
    key: Key = None,
) -> int:
    """Publish the launch notice by email and to chat robots once every gate passes, and
    record it as notice-sent evidence. Exit 1 when the release fails its gates (nothing is
    sent) or a channel fails."""
    from gatekeeper.notify.config import SmtpOptions
    from gatekeeper.notify.sending import NotifyOptions, publish

    smtp = SmtpOptions(
        smtp_host, smtp_port, smtp_user, smtp_from, smtp_password_file, require_tls, smtp_ssl
    )
    opts = NotifyOptions(
        policy_ref, tuple(only or ()), resend, dry_run, smtp, timeout, key, not no_commit
    )
    with work_tree(directory, "notify") as repo:
        result = publish(repo, tag, opts)
    return _shown(result, tag, dry_run=dry_run)


def _shown(result: Publication, tag: str, *, dry_run: bool) -> int:
    """Print what happened; the exit code."""
    from gatekeeper.render.text import check as text_check

    if result.refused:
        out(text_check(result.report), colour=True)
        say(f"refused: '{tag}' fails its gates; nothing was sent or written")
        return int(ExitCode.GATE_FAILED)
    if dry_run:
        out("\n\n".join("\n".join(d.preview) for d in result.deliveries))
        out(
            f"dry run: nothing sent, nothing written (would record notice-sent as "
            f"{result.person}, for {result.notice.path if result.notice else '?'})"
        )
        return 0
    for outcome in result.outcomes:
        out(outcome.line())
    if result.written:
        for path in result.written.paths:
            out(f"wrote {path}")
        commit = result.written.commit
        out(
            f"committed {commit[:12]}: {result.written.message}"
            if commit
            else "staged, not committed (--no-commit)"
        )
    if result.record_problem:
        sent = ",".join(o.channel for o in result.outcomes if o.sent)
        say(f"error: sent, but not recorded: {result.record_problem}")
        say(f"hint: record it by hand: gate attach {tag} notice-sent --set channels={sent}")
    return 0 if result.passed else int(ExitCode.GATE_FAILED)
