"""Commands for auditors: the approval log and release receipts."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.cli.options import (
    RepoDir,
    is_date,
    iso_time,
    out,
    out_utf8,
    refuse_output,
    repo_dir,
    say,
)
from gatekeeper.errors import ExitCode, GateError, InputError

if TYPE_CHECKING:
    from datetime import datetime

    from gatekeeper.audit import AuditLog
    from gatekeeper.repo import GitRepo


class AuditFormat(enum.StrEnum):
    """Audit report formats."""

    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"
    intoto = "intoto"


def audit(
    tag: Annotated[str | None, typer.Argument(help="One release (default: all).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From DATE (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to DATE (ISO 8601).")] = None,
    policy_ref: Annotated[str | None, typer.Option("--policy-ref")] = None,
    default_branch: Annotated[
        str | None,
        typer.Option(
            "--default-branch",
            help="Branch a policy must come from (default: origin/HEAD or main).",
        ),
    ] = None,
    fmt: Annotated[AuditFormat, typer.Option("--format")] = AuditFormat.text,
    output: Annotated[Path | None, typer.Option("--output", help="Write to FILE.")] = None,
    directory: RepoDir = None,
) -> int:
    """The approval log from git history: timelines, verification, anomalies."""
    from gatekeeper.audit import audit as build
    from gatekeeper.check.preconditions import refuse_shallow
    from gatekeeper.check.receipt import receipts
    from gatekeeper.policy import tagname
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.repo import open_repo

    if tag is not None:
        tagname.check_syntax(tag)
    start, end = _day(since, "--since", end=False), _day(until, "--until", end=True)
    from gatekeeper.cli.progress import Progress

    with open_repo(repo_dir(directory)) as repo:
        if output:
            refuse_output(repo, output, "--output")  # before the audit runs, not after
        refuse_shallow(repo)
        head = repo.resolve_commit("HEAD", "HEAD")
        loaded = policy_in_force(repo, head, policy_ref)
        policy = loaded.policy
        branch = default_branch or _default_branch(repo)
        # The checks at the tags are judged as CI judges a pushed tag: against the trusted
        # ref (`--policy-ref`, else the default branch), whose records a tag on an earlier
        # commit must not leave out (a tag placed before a standing rejection).
        trusted = loaded.commit if policy_ref else _commit_of(repo, branch)
        progress = Progress("gate audit")
        log = build(
            repo,
            head,
            policy,
            only=tag,
            since=start,
            until=end,
            default_branch=branch,
            progress=progress,
            trusted=trusted,
            shown=fmt is AuditFormat.json,
        )
        progress.close()
        statements, left = receipts(repo, log, trusted) if fmt is AuditFormat.intoto else ([], [])
    for line in left:
        say(f"warning: {line}; `gate verify-receipt` says why")
    result = _render_audit(log, fmt, statements)
    if output:
        try:
            if isinstance(result, bytes):
                output.write_bytes(result + b"\n")
            else:
                output.write_text(result + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"--output {output}: cannot be written ({exc.strerror}); expected a file path",
                hint="name a file in a folder that exists and that you may write to",
            ) from None
        say(f"wrote {output}")
    elif isinstance(result, bytes):
        out_utf8(result)  # the JSON, as orjson made it
    else:
        out(result)
    return 0


def _render_audit(
    log: AuditLog, fmt: AuditFormat, statements: list[dict[str, object]]
) -> str | bytes:
    from gatekeeper.render import html, json, markdown, text

    if fmt is AuditFormat.json:
        return json.audit(log)
    if fmt is AuditFormat.intoto:
        return json.dumps(statements)
    if fmt is AuditFormat.markdown:
        return markdown.audit(log)
    if fmt is AuditFormat.html:
        return html.audit(log)
    return text.audit(log)


def _day(value: str | None, option: str, *, end: bool) -> datetime | None:
    """An ISO date or datetime; a bare date means the start (or, for --until, the end) of it."""
    from datetime import UTC, datetime, time

    if value is None:
        return None
    expected = "an ISO 8601 date, e.g. 2026-07-01, or a time with its UTC offset"
    hint = f"{option} 2026-07-01, or {option} 2026-07-01T09:00:00+08:00"
    if is_date(value):  # a bare date: that day in UTC
        moment = iso_time(option, value, UTC, expected=expected, hint=hint)
        return datetime.combine(moment.date(), time.max if end else time.min, UTC)
    return iso_time(option, value, None, expected=expected, hint=hint)


def _commit_of(repo: GitRepo, branch: str | None) -> str | None:
    """The commit `branch` names (None: no branch, or one that names none)."""
    if branch is None:
        return None
    try:
        return repo.resolve_commit(branch, "--default-branch")
    except GateError:
        return None


def _default_branch(repo: GitRepo) -> str | None:
    """origin/HEAD's branch, else main or master, else None (the check is then skipped)."""
    for ref in ("refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master"):
        if repo.has_ref(ref):
            return ref
    return None


def verify_receipt(
    name: Annotated[str, typer.Argument(metavar="TAG", help="Release tag to verify.")],
    policy_ref: Annotated[
        str | None,
        typer.Option("--policy-ref", help="Trusted ref to re-evaluate under (e.g. main)."),
    ] = None,
    allow_unsigned: Annotated[
        bool,
        typer.Option("--allow-unsigned", help="Accept a receipt whose tag is not signed."),
    ] = False,
    directory: RepoDir = None,
) -> int:
    """Re-evaluate the release under the trusted policy and compare the tag's receipt."""
    from gatekeeper.check.receipt_verify import verify
    from gatekeeper.policy import tagname
    from gatekeeper.repo import open_repo

    tagname.check_syntax(name)
    with open_repo(repo_dir(directory)) as repo:
        ok, bad = verify(repo, name, policy_ref, allow_unsigned=allow_unsigned)
    for line in ok:
        out(f"ok    {line}")
    for line in bad:
        out(f"FAIL  {line}")
    out(f"receipt of {name}: " + ("VERIFIED" if not bad else "DOES NOT MATCH"))
    return 0 if not bad else int(ExitCode.GATE_FAILED)
