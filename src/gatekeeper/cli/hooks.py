"""`gate hook ...`: entry points for git hooks."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from gatekeeper.cli.options import RepoDir, out, repo_dir, say
from gatekeeper.errors import ExitCode

hook_app = typer.Typer(help="Entry points for git hooks (see hooks/ and .pre-commit-hooks.yaml).")

# The fast path in gatekeeper.cli reads git's stdin first and leaves it here.
PRE_PUSH_INPUT: list[str] = []


@hook_app.command("pre-push")
def pre_push(
    remote: Annotated[str | None, typer.Argument(help="Remote name (git passes it).")] = None,
    url: Annotated[str | None, typer.Argument(help="Remote URL (git passes it).")] = None,
    directory: RepoDir = None,
) -> int:
    """Refuse pushing any release tag whose check fails; branch pushes pass through."""
    from gatekeeper.check.evaluation import check_release
    from gatekeeper.check.pushing import from_pre_commit, parse_pre_push, pushed_tags, read_input
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.policy.tagname import is_release_tag
    from gatekeeper.render.text import check as render
    from gatekeeper.repo import open_repo

    refs = from_pre_commit(os.environ)
    if refs is None:
        refs = parse_pre_push(PRE_PUSH_INPUT[0] if PRE_PUSH_INPUT else read_input(sys.stdin))
    names, refusals = pushed_tags(refs)
    failed = list(refusals)
    with open_repo(repo_dir(directory)) as repo:
        head = repo.head()
        policy = policy_in_force(repo, head, None).policy if head and names else None
        for name in names:
            if policy is None or not is_release_tag(name, policy):
                continue
            report = check_release(repo, name)
            if not report.passed:
                out(render(report))
                failed.append(f"{name}: gates fail")
            else:
                say(f"gate: {name} passes its gates")
    for line in failed:
        say(f"refused: {line}")
    if failed:
        say(f"gate: push to {remote or 'remote'} refused; nothing was pushed")
        return int(ExitCode.GATE_FAILED)
    return 0
