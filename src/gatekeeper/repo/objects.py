"""Reading objects through one persistent `git cat-file --batch` per repository.

Works for SHA-1 and SHA-256 repositories alike, never sees replace refs or grafts (the
process gets the adapter's environment), and knows an object's size before reading it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import IO

from gatekeeper.errors import GitError, UnsafePathError
from gatekeeper.repo.base import GIT, git_env


class ObjectReader:
    """`git cat-file --batch`, started on first use and kept until `close`."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, sha: str, path: str, limit: int) -> bytes:
        """The content of blob `sha`; refused (unread) when larger than `limit`."""
        stdin, stdout = self._pipes()
        stdin.write(sha.encode("ascii") + b"\n")
        stdin.flush()
        header = stdout.readline().decode("ascii", "replace").split()
        if len(header) != 3 or header[1] != "blob":
            raise GitError(f"{path}: object {sha[:12]} is {' '.join(header[1:]) or 'unreadable'}")
        size = int(header[2])
        if size > limit:
            self.close()  # the content stays unread: the process is dropped with it
            raise UnsafePathError(
                f"{path}: {size} bytes; expected at most {limit}",
                hint="keep large artefacts outside git and record their digest instead",
            )
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        return data

    def close(self) -> None:
        """Stop the process (it starts again on the next read)."""
        if self._proc is not None:
            proc, self._proc = self._proc, None
            proc.kill()  # content may be left unread: do not wait for cat-file to finish it
            with proc:  # closes the pipes and reaps the process
                pass

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [*GIT, "cat-file", "--batch"],
                cwd=self._root,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=git_env(),
            )
        if self._proc.stdin is None or self._proc.stdout is None:  # pragma: no cover - PIPEs
            raise GitError("git cat-file: no pipes")
        return self._proc.stdin, self._proc.stdout
