"""Running git: the one place a git process is started.

Every git process gets the same argv prefix and environment: replace refs and grafts
are ignored (an insider's `git replace` must not change what a check reads), user
values reach git only as literal pathspecs, and git's own stderr is kept whole in the
error it raises.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from gatekeeper.errors import GitError, InputError
from gatekeeper.repo.parse import OBJECT_ID

# Grafts are off through GIT_GRAFT_FILE=/dev/null; the advice git prints about grafts
# being deprecated would otherwise end up in every error message.
GIT = (
    "git",
    "--no-replace-objects",
    "--literal-pathspecs",
    "-c",
    "advice.graftFileDeprecated=false",
    "-c",  # what `git log` prints must not depend on a setting no kept index is keyed by
    "i18n.logOutputEncoding=UTF-8",
)
MIN_GIT = (2, 31)  # --diff-merges=first-parent; --end-of-options is 2.24
_checked: list[str] = []  # the version found, once per process


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every git process: no replace objects, no grafts."""
    return {
        **os.environ,
        "GIT_NO_REPLACE_OBJECTS": "1",
        "GIT_GRAFT_FILE": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        **(extra or {}),
    }


def run_git(
    args: Sequence[str],
    cwd: Path,
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Run `git ARGS` in `cwd` and return stdout; a failure raises GitError with git's words."""
    proc = subprocess.run(
        [*GIT, *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=git_env(env),
        check=False,
    )
    if proc.returncode != 0:
        raise git_failure(args, proc.returncode, proc.stderr)
    return proc.stdout


def require_git() -> str:
    """The git version, once per process; exit 2 when it is older than MIN_GIT."""
    import re

    if not _checked:
        found = run_git(["version"], Path()).decode("utf-8", "replace").strip()
        match = re.search(r"(\d+)\.(\d+)", found)
        version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        if version < MIN_GIT:
            raise GitError(
                f"{found or 'git'}: gatekeeper needs git {MIN_GIT[0]}.{MIN_GIT[1]} or newer",
                hint="install a newer git (Debian bookworm's 2.39 works)",
            )
        _checked.append(found)
    return _checked[0]


_DISCOVER = ("rev-parse", "--is-bare-repository", "--is-inside-work-tree", "--show-cdup")


def find_root(path: str | Path) -> tuple[Path, bool]:
    """The top folder of the repository holding `path` (its git dir when bare) and whether
    it is bare, from one `git rev-parse`: git's own discovery decides (worktrees, GIT_DIR,
    safe.directory), and no git library is imported for it. Exit 2 when `path` is in no
    repository."""
    where = Path(path)
    if not where.is_dir():
        raise _not_a_repository(path)
    args = [*_DISCOVER, "--absolute-git-dir"]
    try:
        proc = subprocess.run(
            [*GIT, *args], cwd=where, capture_output=True, env=git_env(), check=False
        )
        if proc.returncode != 0:  # git says why in the user's language; classify in C
            env = git_env({"LC_ALL": "C"})
            again = subprocess.run(
                [*GIT, *args], cwd=where, capture_output=True, env=env, check=False
            )
            if b"not a git repository" in again.stderr:
                raise _not_a_repository(path)
            raise git_failure(args, proc.returncode, proc.stderr)
    except OSError as exc:
        raise GitError(
            f"git: cannot run it: {exc.strerror or exc}", hint="install git 2.31 or newer"
        ) from None
    text = proc.stdout.decode("utf-8", "surrogateescape").removesuffix("\n")
    bare, inside, *rest = text.split("\n")
    if bare == "true":
        return Path("\n".join(rest)), True
    if inside == "true":  # the path up to the top, then the git dir
        return (where / rest[0]).resolve(), False
    if len(rest) == 2:  # outside a work tree git was told of (GIT_WORK_TREE): its path
        return Path(rest[0]).resolve(), False
    git_dir = Path("\n".join(rest))
    if git_dir.name == ".git":  # inside a repository's own .git: its work tree is the parent
        return git_dir.parent, False
    raise GitError(  # a --separate-git-dir, or a worktree's: the work tree is elsewhere
        f"{path}: inside the git directory {git_dir}, whose work tree is elsewhere",
        hint="run gate in the work tree, or pass -C WORK_TREE",
    )


def _not_a_repository(path: str | Path) -> GitError:
    return GitError(
        f"{path}: not inside a git repository", hint="run in a repository or pass -C PATH"
    )


def git_failure(args: Sequence[str], code: int, stderr: bytes) -> GitError:
    """git's stderr, whole: the first line is the message, every line is kept."""
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    hints = [line.removeprefix("hint:").strip() for line in lines if line.startswith("hint:")]
    said = [line for line in lines if not line.startswith("hint:")] or [f"exit {code}"]
    message = f"git {args[0] if args else ''} failed: {said[0]}"
    if "safe.directory" in "\n".join(lines):
        hints.append("if you trust this repository, git's own command above allows it")
    return GitError(
        message,
        hint=" ".join(hints) or None,
        lines=[message, *(f"  {line}" for line in lines[1:] if line != said[0])],
    )


class RepoBase:
    """An opened repository and the one way to run git in it."""

    def __init__(self, root: Path, *, bare: bool = False) -> None:
        """`root`: the working tree's top folder (the git dir of a bare repository), as
        `open_repo` found it; every git process of this repository runs there."""
        from gatekeeper.repo.objects import ObjectReader

        self.root = root
        self.bare = bare  # no working tree (what `gate audit` can still read)
        self._objects = ObjectReader(self.root)

    # -- running git ---------------------------------------------------------------

    def run(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        """Run `git ARGS` in the repository and return stdout as text."""
        return run_git(args, self.root, stdin=stdin, env=env).decode("utf-8", "surrogateescape")

    def run_bytes(self, *args: str, stdin: bytes | None = None) -> bytes:
        """Run `git ARGS` in the repository and return stdout as bytes."""
        return run_git(args, self.root, stdin=stdin)

    def _try(self, *args: str) -> str | None:
        try:
            return self.run(*args).strip()
        except GitError:
            return None

    # -- revisions -------------------------------------------------------------------

    def resolve_commit(self, rev: str, what: str = "--rev") -> str:
        """The full SHA of the commit `rev` names; exit 2 when it names none."""
        if not rev or any(ord(c) < 32 for c in rev):
            raise InputError(f"{what}: {rev!r} is not a revision", hint="give a branch, tag or SHA")
        known = ("commit-id", rev)  # a full id found to name a commit always will
        if known in self._objects.memo:
            return rev
        sha = self._try("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        if sha == rev:
            self._objects.memo[known] = True
        if not sha or not OBJECT_ID.match(sha):
            raise InputError(
                f"{what}: '{rev}' does not name a commit in {self.root}",
                hint="check the name with `git rev-parse`",
            )
        return sha
