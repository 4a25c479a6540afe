"""The one module that talks to git. It hands out small frozen value objects.

Every value that came from a user reaches git after `--end-of-options`, as a full
SHA, or under `--literal-pathspecs`, so it can never be read as an option.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import GitError, InputError, UnsafePathError

if TYPE_CHECKING:
    import git

_SHA = re.compile(r"^[0-9a-f]{40}$")
MAX_BLOB_BYTES = 16 * 1024 * 1024
# How git's own signature blocks start (gpg, ssh, x509); anything else is just text.
_SIGNATURE_MARKERS = (
    "-----BEGIN PGP SIGNATURE-----",
    "-----BEGIN SSH SIGNATURE-----",
    "-----BEGIN SIGNED MESSAGE-----",
)


@dataclass(frozen=True)
class TreeEntry:
    """One file of a tree: mode, object type, blob id, size in bytes, path."""

    mode: str
    type: str
    sha: str
    size: int | None
    path: str


@dataclass(frozen=True)
class TagInfo:
    """What `refs/tags/<name>` is: annotated or not, the name inside it, where it peels to."""

    ref: str
    object_sha: str
    annotated: bool
    name_in_object: str | None
    commit: str | None
    tagger_email: str | None
    tagged_at: datetime | None
    signed: bool


@dataclass(frozen=True)
class Change:
    """One path changed by one commit (`A`dded, `M`odified, `D`eleted...)."""

    commit: str
    author_email: str
    authored_at: datetime
    status: str
    path: str
    blob: str = ""  # the content after the change (zeros for a deletion)
    merge: bool = False  # the change is a merge's difference to its first parent


@dataclass(frozen=True)
class Identity:
    """The author identity git would use for a commit now."""

    name: str
    email: str


class GitRepo:
    """A repository opened for reading objects and making gatekeeper's own commits."""

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

    # -- revisions -----------------------------------------------------------------

    def resolve_commit(self, rev: str, what: str = "--rev") -> str:
        """The full SHA of the commit `rev` names; exit 2 when it names none."""
        if not rev or any(ord(c) < 32 for c in rev):
            raise InputError(f"{what}: {rev!r} is not a revision", hint="give a branch, tag or SHA")
        sha = self._try("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
        if not sha or not _SHA.match(sha):
            raise InputError(
                f"{what}: '{rev}' does not name a commit in {self.root}",
                hint="check the name with `git rev-parse`",
            )
        return sha

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository without commits."""
        sha = self._try("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        return sha if sha and _SHA.match(sha) else None

    def is_shallow(self) -> bool:
        """Whether this clone lacks history (history is the evidence, so we refuse it)."""
        return self.run("rev-parse", "--is-shallow-repository").strip() == "true"

    def commit_time(self, sha: str) -> datetime:
        """The committer time of a commit."""
        return datetime.fromisoformat(self.run("show", "-s", "--format=%cI", sha).strip())

    def tag(self, name: str) -> TagInfo | None:
        """`refs/tags/<name>` only (a branch of the same name is never picked up)."""
        ref = f"refs/tags/{name}"
        target = self._try("rev-parse", "--verify", "--quiet", "--end-of-options", ref)
        if not target:
            return None
        commit = self._try("rev-parse", "--verify", "--quiet", f"{target}^{{commit}}")
        if self.run("cat-file", "-t", target).strip() != "tag":
            return TagInfo(ref, target, False, None, commit, None, None, False)
        body = self.run("cat-file", "tag", target)
        head, _, message = body.partition("\n\n")
        fields = dict(line.split(" ", 1) for line in head.splitlines() if " " in line)
        tagger = fields.get("tagger", "")
        match = re.match(r"^.*<([^>]*)> (\d+) ([+-]\d{4})$", tagger)
        when = _epoch(match.group(2), match.group(3)) if match else None
        return TagInfo(
            ref=ref,
            object_sha=target,
            annotated=True,
            name_in_object=fields.get("tag"),
            commit=commit,
            tagger_email=match.group(1) if match else None,
            tagged_at=when,
            signed=any(marker in message for marker in _SIGNATURE_MARKERS),
        )

    def tag_message(self, object_sha: str) -> str:
        """The message of an annotated tag object (signature included)."""
        return self.run("cat-file", "tag", object_sha).partition("\n\n")[2]

    def tags(self) -> dict[str, TagInfo]:
        """Every tag, in one `for-each-ref` call."""
        fmt = (
            "%00".join(
                [
                    "%(refname)",
                    "%(objecttype)",
                    "%(objectname)",
                    "%(*objectname)",
                    "%(tag)",
                    "%(taggeremail)",
                    "%(taggerdate:iso-strict)",
                    "%(contents:signature)",
                ]
            )
            + "%00%1e"
        )
        out = self.run("for-each-ref", f"--format={fmt}", "refs/tags/")
        result = {}
        for record in out.split("\0\x1e"):
            fields = record.lstrip("\n").split("\0")
            if len(fields) < 8:
                continue
            ref, kind, obj, peeled, name, email, date, signature = fields[:8]
            annotated = kind == "tag"
            result[ref.removeprefix("refs/tags/")] = TagInfo(
                ref=ref,
                object_sha=obj,
                annotated=annotated,
                name_in_object=name if annotated else None,
                commit=(peeled or None) if annotated else (obj if kind == "commit" else None),
                tagger_email=email.strip("<>") or None,
                tagged_at=datetime.fromisoformat(date) if date else None,
                signed=bool(signature.strip()),
            )
        return result

    def trees(self, commits: Sequence[str], folder: str) -> dict[str, str | None]:
        """The tree id of `folder` at each commit (None where it does not exist), in one
        `cat-file --batch-check` (commit lists can be longer than a command line)."""
        if not commits:
            return {}
        query = "".join(f"{c}:{folder}\n" for c in commits).encode()
        out = self.run("cat-file", "--batch-check=%(objectname) %(objecttype)", stdin=query)
        answers = out.splitlines()
        return {
            commit: answer.split()[0] if answer.endswith(" tree") else None
            for commit, answer in zip(commits, answers, strict=True)
        }

    def first_parent_commits(self, rev: str, folder: str) -> list[str]:
        """Commits on `rev`'s first-parent line that touched `folder`."""
        out = self.run("log", "--first-parent", "--format=%H", rev, "--", f"{folder}/")
        return out.split()

    def tag_names(self) -> list[str]:
        """Every tag name in the repository."""
        out = self.run("for-each-ref", "--format=%(refname)", "refs/tags/")
        return [line.removeprefix("refs/tags/") for line in out.splitlines() if line]

    # -- reading objects -------------------------------------------------------------

    def ls_tree(self, commit: str, folder: str) -> list[TreeEntry]:
        """Every entry under `folder` at `commit`, recursively (one subtree, not the repo)."""
        out = self.run("ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--", f"{folder}/")
        return [_tree_entry(record) for record in out.split("\0") if record]

    def paths(self, commit: str, folder: str) -> list[str]:
        """Paths of every file under `folder` at `commit`."""
        out = self.run(
            "ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, "--", f"{folder}/"
        )
        return [path for path in out.split("\0") if path]

    def index_entries(self, folder: str) -> list[TreeEntry]:
        """Entries under `folder` in the index (what the next commit will hold)."""
        out = self.run("ls-files", "-s", "-z", "--", f"{folder}/")
        entries = []
        for record in out.split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                mode, sha, _stage = meta.split()
                kind = "commit" if mode == "160000" else "blob"
                entries.append(TreeEntry(mode, kind, sha, None, path))
        return entries

    def staged_changes(self, folder: str) -> list[tuple[str, str]]:
        """(status, path) of staged changes under `folder` (honours GIT_INDEX_FILE)."""
        out = self.run(
            "diff", "--cached", "--no-renames", "--name-status", "-z", "--", f"{folder}/"
        )
        tokens = out.split("\0")
        return [(tokens[i], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2)]

    def read_blob(self, entry: TreeEntry, limit: int = MAX_BLOB_BYTES) -> bytes:
        """The content of a regular file entry; its size is checked before it is read."""
        refuse_unsafe(entry)
        binsha = bytes.fromhex(entry.sha)
        # `ls-tree -l` already told the size; otherwise ask (`cat-file --batch-check`).
        size = entry.size if entry.size is not None else self._repo.odb.info(binsha).size
        if size > limit:
            raise UnsafePathError(
                f"{entry.path}: {size} bytes; expected at most {limit}",
                hint="keep large artefacts outside git and record their digest instead",
            )
        data: bytes = self._repo.odb.stream(binsha).read()
        return data

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths whose content differs between two commits."""
        out = self.run("diff-tree", "-r", "-z", "--no-renames", "--name-only", old, new)
        return [path for path in out.split("\0") if path]

    def read_object(self, sha: str, path: str, limit: int = MAX_BLOB_BYTES) -> bytes:
        """A blob by id (from history), size-checked before it is read."""
        if not _SHA.match(sha):
            raise GitError(f"{path}: no blob id {sha!r}")
        return self.read_blob(TreeEntry("100644", "blob", sha, None, path), limit)

    def blob_at(self, commit: str, path: str) -> bytes:
        """A file's content at a commit (for records since deleted or edited)."""
        out = self.run("ls-tree", "-z", "-l", "--full-tree", commit, "--", path)
        entries = [_tree_entry(record) for record in out.split("\0") if record]
        if len(entries) != 1:
            raise GitError(f"{path}: not a file at {commit[:12]}")
        return self.read_blob(entries[0])

    def history(self, rev: str, *folders: str, merges: bool = False) -> Iterator[Change]:
        """Stream changes under `folders` reachable from `rev`, newest first; stop any time.

        With `merges`, a merge also shows what it changed against its first parent (so a
        record rewritten while merging is seen), in topological order.
        """
        args = [
            "git",
            "--literal-pathspecs",
            "log",
            "--no-renames",
            "--raw",
            "--no-abbrev",
            "-z",
            "--format=%x1e%H%x00%P%x00%ae%x00%aI",
        ]
        if merges:
            args += ["--diff-merges=first-parent", "--topo-order"]
        args += [rev, "--", *(f"{folder}/" for folder in folders)]
        with subprocess.Popen(args, cwd=self.root, stdout=subprocess.PIPE) as proc:
            if proc.stdout is None:  # pragma: no cover - PIPE always gives a stream
                raise GitError("git log: no output stream")
            try:
                yield from _parse_log(_tokens(proc.stdout))
            finally:
                proc.kill()

    def commit_signature(self, commit: str, allowed_signers: Path) -> tuple[str, str]:
        """(`%G?`, principal) of a commit, verified against an allowed-signers file."""
        out = self.run(
            "-c",
            f"gpg.ssh.allowedSignersFile={allowed_signers}",
            "show",
            "-s",
            "--format=%G?%x00%GS",
            commit,
        )
        status, _, principal = out.strip().partition("\0")
        return status, principal

    def hooks_dir(self) -> Path:
        """Where git looks for hooks (`core.hooksPath` or `.git/hooks`)."""
        return self.root / self.run("rev-parse", "--git-path", "hooks").strip()

    def has_ref(self, ref: str) -> bool:
        """Whether `ref` (a full ref name) exists."""
        return self._try("rev-parse", "--verify", "--quiet", "--end-of-options", ref) is not None

    def config(self, key: str) -> str | None:
        """A git config value, or None."""
        return self._try("config", "--get", key)

    # -- identity and working tree -----------------------------------------------------

    def author(self) -> Identity:
        """Who git would record as author now (`git var GIT_AUTHOR_IDENT`)."""
        ident = self._try("var", "GIT_AUTHOR_IDENT") or ""
        match = re.match(r"^(.*) <([^>]*)>", ident)
        if not match:
            raise InputError(
                "git has no author identity",
                hint="set it with `git config user.name` and `git config user.email`",
            )
        return Identity(match.group(1), match.group(2))

    def dirty(self, folders: Sequence[str]) -> list[str]:
        """Uncommitted changes under `folders` (reported as a warning, never read)."""
        out = self.run(
            "status",
            "--porcelain",
            "-z",
            "--untracked-files=all",
            "--",
            *(f"{f}/" for f in folders),
        )
        return [rec[3:] for rec in out.split("\0") if len(rec) > 3]

    # -- writing ---------------------------------------------------------------------

    def commit_files(
        self,
        paths: Sequence[str],
        message: str,
        *,
        commit: bool = True,
        sign: bool = False,
    ) -> str | None:
        """Stage `paths` and commit exactly them; undo the staging if git refuses."""
        self.run("add", "--", *paths)
        if not commit:
            return None
        args = ["commit", "--quiet", "-m", message, *(["-S"] if sign else [])]
        try:
            self.run(*args, "--only", "--", *paths)
        except GitError:
            self.run("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *paths)
            raise
        return self.head()

    def create_tag(self, name: str, commit: str, message: str, *, sign: bool) -> None:
        """Create an annotated (or signed) tag `name` on `commit`."""
        self.run("tag", "-s" if sign else "-a", "-m", message, "--end-of-options", name, commit)

    def push_tag(self, remote: str, name: str) -> None:
        """Push one tag to `remote`."""
        if remote.startswith("-") or not remote:
            raise InputError(f"--push: '{remote}' is not a remote name", hint="e.g. --push origin")
        self.run(
            "push", "--quiet", "--end-of-options", remote, f"refs/tags/{name}:refs/tags/{name}"
        )


def staged_paths(cwd: Path) -> list[str] | None:
    """Paths staged for the next commit, without loading GitPython (the hook's fast path).

    None when git cannot tell (not a repository); the caller then takes the full path.
    """
    proc = subprocess.run(
        ["git", "diff", "--cached", "--name-only", "--no-renames", "-z"],
        cwd=cwd,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        return None
    return [p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p]


def init_repo(path: Path, config: dict[str, str]) -> None:
    """`git init -b main` at `path` with repository-local config (for the demo)."""
    subprocess.run(["git", "init", "--quiet", "-b", "main", "--", str(path)], check=True)
    for key, value in config.items():
        subprocess.run(["git", "-C", str(path), "config", key, value], check=True)


@contextmanager
def open_repo(path: str | Path = ".") -> Iterator[GitRepo]:
    """Open the repository containing `path`; exit 2 when there is none."""
    import git

    try:
        repo = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitError(
            f"{path}: not inside a git repository", hint="run in a repository or pass -C PATH"
        ) from None
    with repo:
        yield GitRepo(repo)


def refuse_unsafe(entry: TreeEntry) -> None:
    """Symlinks, submodules, `..`, absolute paths and control characters are refused."""
    bad = None
    if entry.mode == "120000":
        bad = "is a symlink"
    elif entry.mode == "160000" or entry.type != "blob":
        bad = "is a submodule or not a regular file"
    elif entry.path.startswith("/") or ".." in entry.path.split("/"):
        bad = "is not a plain relative path"
    elif any(ord(c) < 32 or ord(c) == 127 for c in entry.path):
        bad = "has control characters in its name"
    if bad:
        raise UnsafePathError(
            f"{entry.path!r}: {bad}; expected a regular file",
            hint="release records must be plain files; remove it from the release folder",
        )


def _tree_entry(record: str) -> TreeEntry:
    meta, path = record.split("\t", 1)
    mode, kind, sha, size = meta.split()
    return TreeEntry(mode, kind, sha, None if size == "-" else int(size), path)


def _tokens(stream: object) -> Iterator[str]:
    buf = b""
    read = stream.read1  # type: ignore[attr-defined]
    while chunk := read(65536):
        buf += chunk
        *done, buf = buf.split(b"\0")
        for token in done:
            yield token.decode("utf-8", "surrogateescape")
    if buf:
        yield buf.decode("utf-8", "surrogateescape")


def _parse_log(tokens: Iterator[str]) -> Iterator[Change]:
    # A state machine, not a split: a hostile path cannot pose as a commit header.
    commit = email = ""
    merge = False
    when: datetime | None = None
    for raw in tokens:
        token = raw.removeprefix("\n")
        if token.startswith("\x1e") and _SHA.match(token[1:]):
            commit, parents = token[1:], next(tokens)
            email, when = next(tokens), datetime.fromisoformat(next(tokens))
            merge = len(parents.split()) > 1
        elif token.startswith(":") and when is not None:
            meta = token.split()
            yield Change(commit, email, when, meta[-1][0], next(tokens), meta[3], merge)


def _epoch(seconds: str, offset: str) -> datetime:
    from datetime import timedelta, timezone

    sign = -1 if offset.startswith("-") else 1
    tz = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
    return datetime.fromtimestamp(int(seconds), tz)
