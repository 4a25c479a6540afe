"""`gate hook ...`: entry points for git hooks."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.cli.options import RepoDir, out, repo_dir, say
from gatekeeper.errors import ExitCode

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo

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
            # HEAD unborn (`git checkout --orphan`): the policy the tagged commit holds;
            # none readable there: judged all the same (and refused with the reason)
            judging = policy or _policy_at_tag(repo, name)
            if judging is not None and not is_release_tag(name, judging):
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


def _policy_at_tag(repo: GitRepo, name: str) -> Policy | None:
    """The policy at the commit tag `name` names; None where there is none."""
    from gatekeeper.errors import GateError
    from gatekeeper.policy.loading import policy_in_force

    try:
        info = repo.tag(name)
        if info is None or info.commit is None:
            return None
        return policy_in_force(repo, info.commit, None).policy
    except GateError:
        return None
