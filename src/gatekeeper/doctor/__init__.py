"""`gate doctor`: what in a team's setup would let an unapproved release through.

gatekeeper can only judge the releases it is asked to judge, with the policy it is
given. Whether it is asked (hooks, CI), with which policy (the trusted ref) and whether
anything stops a tag nobody asked about (tag rulesets) is the setup's duty; each check
below is one small function that looks at one part of it and says, per problem, what
is wrong and how to fix it. A problem is data (exit 1); a check that could not run at
all, such as the GitHub API refusing the token, is an error (exit 2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup


@dataclass(frozen=True)
class Problem:
    """One thing wrong, and how to fix it (both one line)."""

    problem: str
    fix: str


@dataclass(frozen=True)
class Result:
    """What one check found: its problems, and what it looked at (said when it passes)."""

    note: str = ""
    problems: tuple[Problem, ...] = ()
    skipped: bool = False


@dataclass(frozen=True)
class Finding:
    """A problem with the check that found it."""

    check: str
    problem: str
    fix: str


@dataclass(frozen=True)
class Checked:
    """One check's outcome, named."""

    check: str
    result: Result

    @property
    def status(self) -> str:
        """`fail`, `skip` or `ok`."""
        if self.result.problems:
            return "fail"
        return "skip" if self.result.skipped else "ok"


@dataclass(frozen=True)
class Diagnosis:
    """Every check's outcome, in the order they ran."""

    checked: tuple[Checked, ...]

    @property
    def findings(self) -> list[Finding]:
        """Every problem, with its check."""
        return [Finding(c.check, p.problem, p.fix) for c in self.checked for p in c.result.problems]

    @property
    def passed(self) -> bool:
        """No check found anything wrong."""
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        """`passed`, `checks` (check, status, note) and `findings` (check, problem, fix)."""
        return {
            "passed": self.passed,
            "checks": [
                {"check": c.check, "status": c.status, "note": c.result.note} for c in self.checked
            ],
            "findings": [
                {"check": f.check, "problem": f.problem, "fix": f.fix} for f in self.findings
            ],
        }


@dataclass(frozen=True)
class Options:
    """What the command line asked for."""

    policy_ref: str | None = None
    skip: frozenset[str] = frozenset()
    github: str | None = None  # OWNER/REPO
    api_url: str = "https://api.github.com"
    allow_bypass: tuple[str, ...] = ()
    environ: dict[str, str] = field(default_factory=dict)  # where GITHUB_TOKEN is read


Check = Callable[["Setup"], Result]


def checks() -> dict[str, Check]:
    """The checks, in the order they run (and are printed)."""
    from gatekeeper.doctor import ci, environment, github, hooks, policy

    return {
        "versions": environment.versions,
        "trusted-ref": policy.trusted_ref,
        "keys": policy.keys,
        "hooks": hooks.installed_hooks,
        "pre-commit": hooks.pre_commit_config,
        "ci": ci.workflows,
        "commit-graph": environment.commit_graph,
        "editor-schema": policy.editor_schema,
        "github-rulesets": github.rulesets,
    }


def diagnose(where: Path, options: Options) -> Diagnosis:
    """Run every check not skipped; a git too old to open the repository is the one finding."""
    from gatekeeper.doctor.environment import git_too_old
    from gatekeeper.doctor.setup import Setup
    from gatekeeper.errors import InputError
    from gatekeeper.repo import open_repo

    unknown = sorted(options.skip - set(checks()))
    if unknown:
        raise InputError(
            f"--skip: unknown check '{unknown[0]}'", hint=f"one of: {', '.join(checks())}"
        )
    old = git_too_old()
    if old is not None:
        return Diagnosis((Checked("versions", Result(problems=(old,))),))
    with open_repo(where) as repo:
        setup = Setup(repo, options)
        return Diagnosis(
            tuple(
                Checked(name, check(setup))
                for name, check in checks().items()
                if name not in options.skip
            )
        )
