"""Commands that set things up or check files: init, demo, schema, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gatekeeper.cli.options import NoCommit, RepoDir, out, say, work_tree
from gatekeeper.errors import InputError
from gatekeeper.models.schemas import NAMES as SCHEMAS


def init(
    template: Annotated[
        str, typer.Option("--template", help="minimal, standard or strict.")
    ] = "standard",
    hooks: Annotated[bool, typer.Option("--hooks", help="Install the plain git hooks.")] = False,
    directory: RepoDir = None,
    no_commit: NoCommit = False,
) -> int:
    """Scaffold policies/release.toml from a shipped template, with you as its first person."""
    from gatekeeper.policy.scaffold import (
        POLICY,
        existing_policy,
        hooks_to_install,
        init_policy,
        write_hooks,
    )

    with work_tree(directory, "init") as repo:
        plan = hooks_to_install(repo) if hooks else None  # refused before anything is written
        if plan and existing_policy(repo):
            for path in write_hooks(*plan):
                out(f"installed {path}")
            return 0
        # The policy first: a pre-commit hook installed before it would judge its commit.
        written, key, pid = init_policy(repo, template, commit=not no_commit)
        installed = write_hooks(*plan) if plan else []
    for path in installed:
        out(f"installed {path}")
    out(f"wrote {POLICY} (template '{template}'); you are person '{pid}'")
    out(
        f"your key: {key}"
        if key
        else f"no SSH public key found: add yours (`ssh-keygen -y -f YOUR_KEY`) to "
        f"people.{pid}.keys before the first request"
    )
    out(
        f"committed {written.commit[:12]}"
        if written.commit
        else "staged, not committed (--no-commit)"
    )
    out("next: add your colleagues under [people] and [roles], then `gate request TAG --title ...`")
    return 0


def demo(
    directory: Annotated[
        Path | None, typer.Argument(metavar="DIR", help="Where (default: a temp dir).")
    ] = None,
) -> int:
    """Build a throwaway repo and walk one release from request to tag."""
    from gatekeeper.demo import run_demo

    run_demo(directory, out)
    return 0


def schema(
    which: Annotated[str, typer.Argument(metavar="|".join(SCHEMAS))] = "policy",
) -> int:
    """Print the JSON Schema of a file type (for editors)."""
    from gatekeeper.models.schemas import json_schema
    from gatekeeper.render.json import dumps

    if which not in SCHEMAS:
        raise InputError(
            f"schema: unknown file type '{which}'", hint=f"one of: {', '.join(SCHEMAS)}"
        )
    out(dumps(json_schema(which)))
    return 0


def validate(
    paths: Annotated[list[str] | None, typer.Argument(metavar="[PATH]...")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every file in the index.")] = False,
    directory: RepoDir = None,
) -> int:
    """Schema-check policy and record files (default: what is staged) and append-only rules."""
    from gatekeeper.policy.loading import POLICY_DIR
    from gatekeeper.records import validate as v

    with work_tree(directory, "validate") as repo:
        folders = v.release_folders(repo)
        if paths:
            count = v.validate_files(repo.root, paths, folders)
            v.validate_index_append_only(repo, folders)
        else:
            count = v.validate_index(repo, folders, everything=everything)
        unstaged = [] if paths else v.unstaged(repo, POLICY_DIR)
    out(f"ok: {count} file(s) valid")
    if unstaged:
        say(
            f"note: {', '.join(unstaged[:5])} has changes that are not staged; validate read "
            "what is staged (name the file to check it on disk: `gate validate PATH`)"
        )
    return 0
