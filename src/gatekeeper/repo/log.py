"""`git log` of release folders, parsed as it streams, or started ahead: git writes into
an unnamed temporary file and walks history on its own core while gatekeeper does other
work, and what it has written is parsed as soon as that work is done, while it walks on."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import IO

from gatekeeper.errors import GitError
from gatekeeper.repo.base import GIT, git_env, git_failure
from gatekeeper.repo.parse import parse_log, tokens
from gatekeeper.repo.values import Change


def log_args(
    rev: str | list[str],
    folders: tuple[str, ...],
    *,
    merges: bool,
    first_parent: bool,
    full: bool,
    relative: str | None = None,
) -> list[str]:
    """The one `git log` gatekeeper reads history with (see GitRepo.history); `relative`:
    every commit, its changes under that folder alone (paths shown relative to it)."""
    args = [*GIT, "log", "--root", "--no-renames", "--raw", "--no-abbrev", "-z", "--date=raw"]
    args.append("--format=%x1e%H%x00%P%x00%ae%x00%ad")
    if merges or first_parent:
        args += ["--diff-merges=first-parent", "--topo-order"]
    if first_parent:
        args.append("--first-parent")
    if full:
        args.append("--full-history")
    if relative is not None:
        args.append(f"--relative={relative}/")
    revs = [rev] if isinstance(rev, str) else rev
    return [*args, "--end-of-options", *revs, "--", *(f"{folder}/" for folder in folders)]


def stream(root: str, args: list[str]) -> Iterator[Change]:
    """Changes as git prints them; stopping early kills git."""
    with subprocess.Popen(
        args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env()
    ) as proc:
        if proc.stdout is None or proc.stderr is None:  # pragma: no cover - PIPE given
            raise GitError("git log: no output stream")
        done = False
        try:
            yield from parse_log(tokens(proc.stdout))
            done = True
        finally:
            if not done:
                proc.kill()
        code = proc.wait()
        if code != 0:
            raise git_failure(args[len(GIT) :], code, proc.stderr.read())


class Ahead:
    """A `git log` started now whose changes are read later (`changes`); `close` stops
    git if they never are."""

    def __init__(self, root: str, args: list[str], prefix: str = "") -> None:
        self._args, self._prefix = args, prefix
        # Owned past __init__: closed by `close` (GitRepo.history_ahead's `finally`).
        self._out: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._err: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = subprocess.Popen(
            args, cwd=root, stdout=self._out, stderr=self._err, env=git_env()
        )

    def running(self) -> bool:
        """Whether git is still walking."""
        return self._proc.poll() is None

    def changes(self) -> Iterator[Change]:
        """The changes git prints, newest first, read as it prints them (the walk is the
        longest part of a cold run: what it has printed is parsed while it walks on); a
        git that fails raises once its output is read, so a caller keeps none of it."""
        yield from parse_log(tokens(_Following(self._out, self._proc)), self._prefix)
        code = self._proc.wait()
        if code != 0:
            self._err.seek(0)
            raise git_failure(self._args[len(GIT) :], code, self._err.read())

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._out.close()
        self._err.close()


class _Following:
    """The file git writes to, read as it grows: a read at its end waits for more until
    git has exited, and only then reads as the end. Read at an offset of its own
    (`pread`): git writes through the same open file, whose offset is git's."""

    def __init__(self, file: IO[bytes], proc: subprocess.Popen[bytes]) -> None:
        self._fd, self._proc, self._at = file.fileno(), proc, 0

    def read(self, size: int) -> bytes:
        while not (chunk := os.pread(self._fd, size, self._at)):
            if self._proc.poll() is not None:  # what it wrote last; b"" at the end
                chunk = os.pread(self._fd, size, self._at)
                break
            time.sleep(0.002)
        self._at += len(chunk)
        return chunk
