"""What the checks share: the repository, the options, and the trusted policy, each
worked out once (several checks need the policy; one says why it cannot be read)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.doctor import Problem
from gatekeeper.errors import GateError

if TYPE_CHECKING:
    from gatekeeper.doctor import Options
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo

ORIGIN_HEAD = "refs/remotes/origin/HEAD"
# A CI file holds a few thousand values; aliases (`&a` ... `*a`) cost nothing to load but
# can spell out billions when walked (a few lines of YAML once took 2.5 GB).
MAX_VALUES = 200_000
MAX_DEPTH = 64


@dataclass(frozen=True)
class Trusted:
    """The ref CI reads the policy from, its commit, and what went wrong finding either."""

    ref: str | None
    commit: str | None
    problem: str | None = None
    fix: str = ""


class Setup:
    """One repository being diagnosed."""

    def __init__(self, repo: GitRepo, options: Options) -> None:
        self.repo = repo
        self.options = options
        self.root = repo.root
        self.answers: dict[str, str | None] = {}  # what each program asked once said

    def git(self, *args: str) -> str | None:
        """`git ARGS` through the one git runner; None when git says no."""
        try:
            return self.repo.run(*args).strip()
        except GateError:
            return None

    def shown(self, path: Path) -> str:
        """A path as the user would type it: relative to the repository when inside it."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def yaml(self, path: Path) -> tuple[dict[str, Any] | None, Problem | None]:
        """A YAML file's top mapping (None when absent, {} when not a mapping), or why it is
        unreadable; one too big or too deep to walk is unreadable too."""
        import yaml

        if not path.is_file():
            return None, None
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            _bounded(doc)
        except RecursionError:
            return None, Problem(
                f"{self.shown(path)}: not valid YAML (nested too deep)", "fix the file"
            )
        except (yaml.YAMLError, ValueError) as exc:  # UnicodeDecodeError is a ValueError
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return None, Problem(f"{self.shown(path)}: not valid YAML ({first})", "fix the file")
        except OSError as exc:
            problem = f"{self.shown(path)}: cannot be read ({exc.strerror or exc})"
            return None, Problem(problem, "make the file readable, or remove it")
        return (doc if isinstance(doc, dict) else {}), None

    @cached_property
    def tag_names(self) -> list[str]:
        """Every tag here (patterns are judged on real names, these among them)."""
        return self.repo.tag_names()

    @cached_property
    def trusted(self) -> Trusted:
        """`--policy-ref`, else the default branch as origin/HEAD names it."""
        if self.options.policy_ref:
            try:
                name = self.options.policy_ref
                return Trusted(name, self.repo.resolve_trusted(name, "--policy-ref"))
            except GateError as exc:
                return Trusted(None, None, exc.message, exc.hint or "give an existing ref")
        target = self.git("symbolic-ref", "--quiet", ORIGIN_HEAD)
        if target is None:
            return self._no_origin_head()
        commit = self.repo.ref_commit(target)
        if commit is None:
            return Trusted(
                target,
                None,
                f"origin/HEAD points at {target}, which does not exist here",
                "git fetch origin && git remote set-head origin --auto",
            )
        return Trusted(target, commit)

    def _no_origin_head(self) -> Trusted:
        remotes = (self.git("remote") or "").split()
        if "origin" not in remotes:
            return Trusted(
                None,
                None,
                "no remote 'origin': CI trusts the policy on the shared default branch, "
                "and nothing here names it",
                "git remote add origin URL && git fetch origin && git remote set-head origin "
                "--auto (or pass --policy-ref)",
            )
        return Trusted(
            None,
            None,
            "origin/HEAD is not set, so nothing here names the default branch CI trusts",
            "git remote set-head origin --auto",
        )

    @cached_property
    def trusted_policy(self) -> tuple[Policy | None, str | None]:
        """The policy at the trusted commit, or why it cannot be read."""
        from gatekeeper.policy.loading import load_policy

        commit = self.trusted.commit
        if commit is None:
            return None, None
        try:
            return load_policy(self.repo, commit).policy, None
        except GateError as exc:
            return None, exc.message

    @cached_property
    def policy(self) -> Policy | None:
        """The trusted policy, else the one at HEAD (what a local check would use)."""
        from gatekeeper.policy.loading import load_policy

        trusted, _ = self.trusted_policy
        if trusted is not None:
            return trusted
        head = self.repo.head()
        if head is None:
            return None
        try:
            return load_policy(self.repo, head).policy
        except GateError:
            return None


def _bounded(doc: Any) -> None:
    """Refuse a document with more than MAX_VALUES values once its aliases are spelled out,
    or nested deeper than MAX_DEPTH (walked without recursion, stopping at the limit)."""
    stack, seen = [(doc, 0)], 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_VALUES:
            raise ValueError(f"more than {MAX_VALUES} values once its aliases are expanded")
        if depth > MAX_DEPTH:
            raise ValueError(f"nested more than {MAX_DEPTH} deep")
        if isinstance(value, dict):
            stack += [(v, depth + 1) for v in (*value.keys(), *value.values())]
        elif isinstance(value, list):
            stack += [(v, depth + 1) for v in value]
