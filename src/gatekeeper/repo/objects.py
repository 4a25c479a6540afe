"""Reading objects through one persistent `git cat-file --batch` per repository.

Works for SHA-1 and SHA-256 repositories alike, never sees replace refs or grafts (the
process gets the adapter's environment), and knows an object's size before reading it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import IO, Any

from gatekeeper.errors import GitError, MalformedTree, UnsafePathError
from gatekeeper.repo.base import GIT, git_env
from gatekeeper.repo.parse import OBJECT_ID


def too_big(path: str, size: int, limit: int) -> UnsafePathError:
    """The refusal of a file larger than gatekeeper reads."""
    return UnsafePathError(
        f"{path}: {size} bytes; expected at most {limit}",
        hint="keep large artefacts outside git and record their digest instead",
    )


class ObjectReader:
    """`git cat-file --batch` (and `--batch-check` for sizes), started on first use and kept
    until `close`; `memo` holds what was derived from immutable objects in this process."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._check: subprocess.Popen[bytes] | None = None
        self._parents: list[subprocess.Popen[bytes]] = []  # after a fork: see `forked`
        self.memo: dict[tuple[str, ...], Any] = {}

    def read(self, sha: str, path: str, limit: int, kind: str = "blob") -> bytes:
        """The content of object `sha` of type `kind`; refused (unread) when larger than
        `limit`."""
        stdin, stdout = self._pipes()
        stdin.write(sha.encode("ascii") + b"\n")
        stdin.flush()
        header = stdout.readline().decode("ascii", "replace").split()
        if len(header) != 3 or header[1] != kind:
            if len(header) == 3:  # a different type: read past it, the process stays usable
                stdout.read(int(header[2]) + 1)
            raise GitError(f"{path}: object {sha[:12]} is {' '.join(header[1:]) or 'unreadable'}")
        size = int(header[2])
        if size > limit:
            self.close()  # the content stays unread: the process is dropped with it
            raise too_big(path, size, limit)
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        return data

    def read_many(self, shas: list[str], limit: int, kind: str = "blob") -> dict[str, bytes]:
        """Several objects of type `kind` in few round trips (requests a chunk at a time,
        small enough never to fill the pipe); each refused when larger than `limit`."""
        out: dict[str, bytes] = {}
        unique = list(dict.fromkeys(shas))
        for at in range(0, len(unique), 64):
            chunk = unique[at : at + 64]
            stdin, stdout = self._pipes()
            stdin.write(b"".join(sha.encode("ascii") + b"\n" for sha in chunk))
            stdin.flush()
            for n, sha in enumerate(chunk):
                header = stdout.readline().decode("ascii", "replace").split()
                if len(header) != 3 or header[1] != kind or int(header[2]) > limit:
                    self.close()  # the rest of the chunk stays unread: drop the process
                    what = " ".join(header[1:]) or "unreadable"
                    raise GitError(f"object {sha[:12]} is {what}; expected a {kind} ({n})")
                out[sha] = stdout.read(int(header[2]))
                stdout.read(1)
        return out

    def sizes(self, shas: list[str]) -> dict[str, int | None]:
        """Each object's size (None when missing), in one round trip of `--batch-check`."""
        found = self.headers(shas)
        return {sha: int(header[2]) if header else None for sha, header in found.items()}

    def headers(self, names: list[str]) -> dict[str, tuple[str, str, str] | None]:
        """(id, type, size) of each object name, None when git has no such object:
        `--batch-check` a chunk at a time. A name may be `<tree-ish>:<path>`, which git
        resolves itself, without a tree of thousands of entries read here. A lookup git
        dies on (a tree it would not write on the way) is MalformedTree, never None: the
        question is asked again of a fresh process first, since one that died of an
        earlier question takes the next one with it."""
        if not names:
            return {}
        unique = list(dict.fromkeys(names))
        out: dict[str, tuple[str, str, str] | None] = {}
        for at in range(0, len(unique), 256):  # a chunk at a time: no pipe fills up both ways
            chunk = unique[at : at + 256]
            query = b"".join(_line(name) for name in chunk)
            answers = self._ask(query, len(chunk))
            if len(answers) < len(chunk):
                answers = self._ask(query, len(chunk))
            if len(answers) < len(chunk):
                raise MalformedTree(
                    f"{chunk[len(answers)]}: git stopped looking it up (a tree on the way "
                    "is one git would not write)"
                )
            out.update(zip(chunk, map(_found, answers), strict=True))
        return out

    def resolve(self, name: str) -> str | None:
        """The object `<tree-ish>:<path>` names, asked of `git rev-parse` (a process of its
        own): for a path `--batch-check`, which reads a line at a time, would misread
        (a line break in it, or a CR before the line's end, which it drops)."""
        found = subprocess.run(
            [*GIT, "rev-parse", "--verify", "--quiet", "--end-of-options", name],
            cwd=self._root,
            capture_output=True,
            env=git_env(),
            check=False,
        )
        oid = found.stdout.decode("ascii", "replace").strip()
        return oid if found.returncode == 0 and OBJECT_ID.match(oid) else None

    def _ask(self, query: bytes, count: int) -> list[bytes]:
        """`count` answers of `--batch-check` to `query`, or the answers before it stopped
        (then the process is dropped)."""
        if self._check is None or self._check.poll() is not None:
            self._check = _start(self._root, "--batch-check")
        stdin, stdout = self._check.stdin, self._check.stdout
        if stdin is None or stdout is None:  # pragma: no cover - PIPEs
            raise GitError("git cat-file: no pipes")
        answers: list[bytes] = []
        try:
            stdin.write(query)
            stdin.flush()
            while len(answers) < count and (line := stdout.readline()).endswith(b"\n"):
                answers.append(line)
        except OSError:  # it had stopped: the pipe is closed
            pass
        if len(answers) < count:
            self._drop("_check")
        return answers

    def close(self) -> None:
        """Stop the processes (they start again on the next read)."""
        self._drop("_proc")
        self._drop("_check")

    def forked(self) -> None:
        """In a forked process: let go of the parent's processes, never stopping them (the
        pipes are the parent's; this process starts its own on its next read)."""
        for name in ("_proc", "_check"):
            proc = getattr(self, name)
            if proc is not None:
                setattr(self, name, None)
                self._parents.append(proc)  # never collected here: not this process's child
                for pipe in (proc.stdin, proc.stdout):
                    if pipe is not None:
                        os.close(pipe.fileno())  # this process's copy of the pipe

    def _drop(self, name: str) -> None:
        proc = getattr(self, name)
        if proc is not None:
            setattr(self, name, None)
            proc.kill()  # content may be left unread: do not wait for cat-file
            with proc:  # closes the pipes and reaps the process
                pass

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = _start(self._root, "--batch")
        if self._proc.stdin is None or self._proc.stdout is None:  # pragma: no cover - PIPEs
            raise GitError("git cat-file: no pipes")
        return self._proc.stdin, self._proc.stdout


def _found(line: bytes) -> tuple[str, str, str] | None:
    """`<id> <type> <size>`, or None for `<name> missing` (a name may hold spaces)."""
    words = line.decode("ascii", "replace").rstrip("\n").split(" ")
    if len(words) != 3 or not words[2].isdigit() or not OBJECT_ID.match(words[0]):
        return None
    return words[0], words[1], words[2]


def _line(name: str) -> bytes:
    if "\n" in name:  # one name a line: this one cannot be asked
        raise GitError(f"{name!r}: a newline in an object name")
    return name.encode("utf-8", "surrogateescape") + b"\n"


def _start(root: Path, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*GIT, "cat-file", mode],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=git_env(),
    )
