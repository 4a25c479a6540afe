"""`gate doctor`: check the setup around the gate (hooks, CI, pins, keys, rulesets)."""

from __future__ import annotations

import enum
from typing import Annotated

import typer

from gatekeeper.cli.options import RepoDir, out, repo_dir


class DoctorFormat(enum.StrEnum):
    """Doctor's report formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


def doctor(
    github: Annotated[
        str | None,
        typer.Option(
            "--github",
            metavar="OWNER/REPO",
            help="Also read the repository's tag rulesets (token from GITHUB_TOKEN).",
        ),
    ] = None,
    api_url: Annotated[
        str,
        typer.Option("--api-url", envvar="GITHUB_API_URL", help="GitHub's REST API."),
    ] = "https://api.github.com",
    allow_bypass: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-bypass",
            metavar="TYPE:ID",
            help="A ruleset bypass actor that is your release automation, e.g. Integration:123.",
        ),
    ] = None,
    policy_ref: Annotated[
        str | None,
        typer.Option("--policy-ref", help="The trusted ref (default: origin/HEAD)."),
    ] = None,
    skip: Annotated[
        list[str] | None,
        typer.Option("--skip", metavar="CHECK", help="Leave a check out (e.g. hooks in CI)."),
    ] = None,
    fmt: Annotated[DoctorFormat, typer.Option("--format", help="Output format.")] = (
        DoctorFormat.text
    ),
    directory: RepoDir = None,
) -> int:
    """Check what would let an unapproved release through, and say how to fix each."""
    import os

    from gatekeeper.doctor import Options, diagnose, render

    options = Options(
        policy_ref=policy_ref,
        skip=frozenset(skip or ()),
        github=github,
        api_url=api_url,
        allow_bypass=tuple(allow_bypass or ()),
        environ=dict(os.environ),
    )
    diagnosis = diagnose(repo_dir(directory), options)
    shown = {"text": render.text, "json": render.json, "markdown": render.markdown}[fmt.value]
    out(shown(diagnosis), colour=fmt is DoctorFormat.text)
    return 0 if diagnosis.passed else 1
