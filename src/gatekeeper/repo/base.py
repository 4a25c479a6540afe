"""Running git in an opened repository: the one place a git process is started for it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import GitError

if TYPE_CHECKING:
    import git


class RepoBase:
    """An opened repository and the one way to run git in it."""

    def __init__(self, repo: git.Repo) -> None:
        self._repo = repo
        self.root = Path(repo.working_tree_dir or repo.git_dir)

    # -- running git ---------------------------------------------------------------

    def run(self, *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None) -> str:
        """Run `git --literal-pathspecs ARGS` in the repository and return stdout."""
        proc = subprocess.run(
            ["git", "--literal-pathspecs", *args],
            cwd=self.root,
            input=stdin,
            capture_output=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise GitError(
                f"git {args[0]} failed: {detail[-1] if detail else 'exit ' + str(proc.returncode)}"
            )
        return proc.stdout.decode("utf-8", "surrogateescape")

    def _try(self, *args: str) -> str | None:
        try:
            return self.run(*args).strip()
        except GitError:
            return None
