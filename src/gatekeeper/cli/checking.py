"""Commands that decide: check, tag, status, explain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gatekeeper.cli.options import (
    Format,
    FormatOpt,
    RepoDir,
    iso_time,
    out,
    refuse_output,
    say,
    work_tree,
)
from gatekeeper.errors import ExitCode, InputError

if TYPE_CHECKING:
    from gatekeeper.check.report import Report
    from gatekeeper.repo import GitRepo

Stage = Annotated[str, typer.Option("--stage", help="pre-tag (default) or post-release.")]


def render(report: Report, fmt: Format) -> str:
    """The report in the chosen format."""
    from gatekeeper.render import github, json, junit, markdown, text

    renderers = {
        Format.text: text.check,
        Format.json: json.check,
        Format.markdown: markdown.check,
        Format.github: github.check,
        Format.junit: junit.check,
    }
    return renderers[fmt](report)


def check(
    tag: Annotated[str | None, typer.Argument(help="Release tag to check.")] = None,
    tag_opt: Annotated[str | None, typer.Option("--tag", help="Same as TAG.")] = None,
    all_tags: Annotated[bool, typer.Option("--all-tags", help="Check every release tag.")] = False,
    rev: Annotated[
        str | None, typer.Option("--rev", help="Check this revision, not the tag.")
    ] = None,
    policy_ref: Annotated[
        str | None, typer.Option("--policy-ref", help="Read the policy from this trusted ref.")
    ] = None,
    stage: Stage = "pre-tag",
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Judge TTLs and ages at: now, tag (the tagger date; default for a tag) "
            "or an ISO 8601 time with its UTC offset.",
        ),
    ] = None,
    fmt: FormatOpt = Format.text,
    report_json: Annotated[
        Path | None, typer.Option("--report-json", help="Also write the JSON report to FILE.")
    ] = None,
    directory: RepoDir = None,
) -> int:
    """May this release be tagged? Exit 0 pass, 1 a gate failed, 2 bad input."""
    from gatekeeper.check.all_tags import check_each
    from gatekeeper.check.evaluation import CheckOptions, check_release

    if tag and tag_opt and tag != tag_opt:
        raise InputError(f"TAG '{tag}' and --tag '{tag_opt}' disagree", hint="give one of them")
    if stage not in {"pre-tag", "post-release"}:
        raise InputError(
            f"--stage: '{stage}'; expected pre-tag or post-release", hint="--stage pre-tag"
        )
    opts = CheckOptions(rev=rev, policy_ref=policy_ref, stage=stage, **_at(at))
    with work_tree(directory, "check") as repo:
        if report_json:
            refuse_output(repo, report_json, "--report-json")  # before anything is judged
        if all_tags:
            reports = check_each(repo, opts)
        else:
            reports = [check_release(repo, tag or tag_opt or _release_at_head(repo), opts)]
    from gatekeeper.render.json import dumps

    data = (
        {"releases": [r.to_json() for r in reports], "passed": all(r.passed for r in reports)}
        if all_tags
        else reports[0].to_json()
    )
    if report_json:
        _write_report(report_json, dumps(data) + "\n")
    if fmt is Format.json:
        out(dumps(data))
    elif fmt is Format.junit:  # one document, a <testsuite> per release
        from gatekeeper.render.junit import checks

        out(checks(reports))
    else:
        out("\n\n".join(render(r, fmt) for r in reports), colour=fmt is Format.text)
    if fmt is Format.github:
        _step_summary(reports)
    return 0 if all(r.passed for r in reports) else int(ExitCode.GATE_FAILED)


def _write_report(path: Path, text: str) -> None:
    """--report-json FILE, or exit 2 naming it (a folder, a missing folder, no permission)."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"--report-json {path}: cannot be written ({exc.strerror or exc}); expected a "
            "file in an existing, writable folder",
            hint="name a file such as gate-report.json",
        ) from None


def _step_summary(reports: list[Report]) -> None:
    """Append the gates table to the job summary GitHub Actions provides. The verdict is
    printed already (its `::stop-commands::` block resumed in the same write) and keeps its
    exit code: a summary that cannot be written is a warning, not a reason to exit 2."""
    import os

    from gatekeeper.render.github import summary

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    try:
        with Path(target).open("a", encoding="utf-8", errors="replace") as fh:
            fh.write(summary(reports))
    except OSError as exc:
        say(
            f"warning: GITHUB_STEP_SUMMARY={target}: cannot append the job summary "
            f"({exc.strerror or exc}); expected a writable file; the verdict above stands"
        )


def _at(value: str | None) -> dict[str, Any]:
    """`--at now|tag|ISO`: an ISO time, with its UTC offset, sets the clock the check
    judges by."""
    if value is None or value in {"now", "tag"}:
        return {"at": value}
    expected = "now, tag or an ISO 8601 time"
    hint = "--at now, or --at 2026-07-01T09:00:00+08:00"
    return {"at": "now", "now": iso_time("--at", value, None, expected=expected, hint=hint)}


def _not_junit(fmt: Format, command: str) -> None:
    """JUnit is a verdict per gate: only `gate check` has one to write (exit 2 elsewhere)."""
    if fmt is Format.junit:
        raise InputError(
            f"gate {command} --format junit: only gate check writes JUnit",
            hint=f"gate {command} --format text|json|markdown, or gate check --format junit",
        )


def _release_at_head(repo: GitRepo) -> str:
    from gatekeeper.check.finding import release_for_head

    return release_for_head(repo)


def tag(
    name: Annotated[str, typer.Argument(metavar="TAG", help="Release tag to create.")],
    rev: Annotated[str, typer.Option("--rev", help="Commit to tag.")] = "HEAD",
    sign: Annotated[
        bool, typer.Option("--sign", help="Sign the tag (git's signing config).")
    ] = False,
    push: Annotated[str | None, typer.Option("--push", metavar="REMOTE", help="Push it.")] = None,
    policy_ref: Annotated[str | None, typer.Option("--policy-ref")] = None,
    directory: RepoDir = None,
) -> int:
    """Create the annotated release tag, only if every gate passes."""
    from gatekeeper.check.tagging import create_release_tag
    from gatekeeper.render.text import check as text_check

    with work_tree(directory, "tag") as repo:
        if push:
            repo.check_remote(push)  # before the tag is made
        report, created = create_release_tag(repo, name, rev, policy_ref, sign=sign)
        if not created:
            out(text_check(report), colour=True)
            say(f"refused: '{name}' fails its gates; no tag was created")
            return int(ExitCode.GATE_FAILED)
        out(f"tagged {name} at {report.revision[:12]}")
        if push:
            repo.push_tag(push, name)
            out(f"pushed {name} to {push}")
    return 0


At = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Judge TTLs, ages and due times at: now, tag (the tagger date; default for a tag) "
        "or an ISO 8601 time with its UTC offset.",
    ),
]


def status(fmt: FormatOpt = Format.text, at: At = None, directory: RepoDir = None) -> int:
    """Every release: its stage, what is missing, who it waits on, whether it is stale,
    what to type next and which post-release obligations are due."""
    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.check.status import statuses
    from gatekeeper.cli.progress import Progress
    from gatekeeper.render import json, markdown, text

    _not_junit(fmt, "status")
    progress = Progress("gate status")
    with work_tree(directory, "status") as repo:
        rows = statuses(repo, CheckOptions(**_at(at)), progress=progress)
    progress.close()
    renderers = {Format.json: json.status, Format.markdown: markdown.status}
    out(renderers.get(fmt, text.status)(rows))
    return 0


def explain(
    tag: Annotated[
        str | None, typer.Argument(metavar="TAG", help="Release tag (default: HEAD's).")
    ] = None,
    policy_ref: Annotated[
        str | None, typer.Option("--policy-ref", help="Read the policy from this trusted ref.")
    ] = None,
    stage: Stage = "pre-tag",
    at: At = None,
    fmt: FormatOpt = Format.text,
    directory: RepoDir = None,
) -> int:
    """Why a release passes or fails: every rule, each sign-off that did not count and why,
    who could unblock it and the commands that would. Exit 0 pass, 1 not."""
    from gatekeeper.check.evaluation import CheckOptions, evaluate
    from gatekeeper.check.explain import explain as explained
    from gatekeeper.render import json, markdown, text

    _not_junit(fmt, "explain")
    if stage not in {"pre-tag", "post-release"}:
        raise InputError(
            f"--stage: '{stage}'; expected pre-tag or post-release", hint="--stage pre-tag"
        )
    opts = CheckOptions(policy_ref=policy_ref, stage=stage, **_at(at))
    with work_tree(directory, "explain") as repo:
        told = explained(evaluate(repo, tag or _release_at_head(repo), opts))
    renderers = {Format.json: json.explain, Format.markdown: markdown.explain}
    out(renderers.get(fmt, text.explain)(told), colour=fmt is Format.text)
    return 0 if told.passed else int(ExitCode.GATE_FAILED)
