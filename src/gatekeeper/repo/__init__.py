"""The one package that talks to git. It hands out small frozen value objects.

Every value that came from a user reaches git after `--end-of-options`, as a full
SHA, or under `--literal-pathspecs`, so it can never be read as an option.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import GitError, InputError
from gatekeeper.repo.base import require_git, run_git
from gatekeeper.repo.contents import MAX_BLOB_BYTES
from gatekeeper.repo.graph import GraphMixin
from gatekeeper.repo.parse import OBJECT_ID, refuse_unsafe
from gatekeeper.repo.tags import TagsMixin
from gatekeeper.repo.values import Change, CommitInfo, Identity, TagInfo, TreeEntry

if TYPE_CHECKING:
    from gatekeeper.repo.log import Ahead

__all__ = [
    "MAX_BLOB_BYTES",
    "Change",
    "CommitInfo",
    "GitRepo",
    "Identity",
    "TagInfo",
    "TreeEntry",
    "init_repo",
    "open_repo",
    "refuse_unsafe",
]


class GitRepo(TagsMixin, GraphMixin):
    """A repository opened for reading objects and making gatekeeper's own commits."""

    # -- revisions -----------------------------------------------------------------

    def close(self) -> None:
        """Stop the object reader."""
        self._objects.close()

    def forked(self) -> None:
        """In a forked process: an object reader of its own (check/workers.py)."""
        self._objects.forked()

    def probe(self) -> None:
        """Refuse a git older than gatekeeper needs, and let git say first when it will not
        work in this repository (e.g. `safe.directory`), rather than seeming empty."""
        require_git()
        self.run("rev-parse", "--git-dir")

    def head(self) -> str | None:
        """The commit HEAD points at, or None in a repository without commits."""
        sha = self._try("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        return sha if sha and OBJECT_ID.match(sha) else None

    def is_shallow(self) -> bool:
        """Whether this clone lacks history (history is the evidence, so we refuse it)."""
        memo = self._objects.memo
        if ("shallow",) not in memo:
            memo[("shallow",)] = self.run("rev-parse", "--is-shallow-repository").strip()
        return bool(memo[("shallow",)] == "true")

    def trees(self, commits: Sequence[str], folder: str) -> dict[str, str | None]:
        """The tree id of `folder` at each commit (full ids; None where it does not
        exist), as `tree_id` answers, git asked in few round trips (commit lists can be
        longer than a command line)."""
        from gatekeeper.repo import folders

        return folders.subtrees(self._objects, list(commits), folder)

    def index_entries(self, folder: str) -> list[TreeEntry]:
        """Entries under `folder` in the index (what the next commit will hold)."""
        out = self.run("ls-files", "-s", "-z", "--", f"{folder}/")
        entries = []
        for record in out.split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                mode, sha, _stage = meta.split()
                kind = "commit" if mode == "160000" else "blob"
                entries.append(TreeEntry(mode=mode, type=kind, sha=sha, size=None, path=path))
        return entries

    def staged_changes(self, folder: str) -> list[tuple[str, str]]:
        """(status, path) of staged changes under `folder` (honours GIT_INDEX_FILE)."""
        out = self.run(
            "diff", "--cached", "--no-renames", "--name-status", "-z", "--", f"{folder}/"
        )
        tokens = out.split("\0")
        return [(tokens[i], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2)]

    def history(
        self,
        rev: str,
        *folders: str,
        merges: bool = False,
        first_parent: bool = False,
        full: bool = False,
    ) -> Iterator[Change]:
        """Stream changes under `folders` reachable from `rev`, newest first; stop any time.

        With `merges`, a merge also shows what it changed against its first parent (so a
        record rewritten while merging is seen), in topological order. With
        `first_parent`, only the first-parent line of `rev` is walked: the history that
        was released, where a merge is one change against what came before it. With
        `full`, no side of a merge is pruned (`--full-history`): a commit whose change a
        merge dropped is still seen.
        """
        from gatekeeper.repo import log

        args = log.log_args(rev, folders, merges=merges, first_parent=first_parent, full=full)
        return log.stream(str(self.root), args)

    @contextmanager
    def history_ahead(
        self,
        rev: str | list[str],
        *folders: str,
        merges: bool = False,
        full: bool = False,
        within: str | None = None,
    ) -> Iterator[Ahead]:
        """`history` started now, read later: git walks while the caller does other work
        (`rev`: one revision, or several such as `head ^bottom`; `within`: a folder whose
        changes alone are wanted, from every commit: no pathspec, which git matches
        against every entry of a large folder's trees — 22 s of history with 5,000
        release folders, against 9 s to filter what is printed to one folder)."""
        from gatekeeper.repo import log

        args = log.log_args(
            rev, folders, merges=merges, first_parent=False, full=full, relative=within
        )
        ahead = log.Ahead(str(self.root), args, f"{within}/" if within else "")
        try:
            yield ahead
        finally:
            ahead.close()

    def refs_holding(self, path: str) -> list[str]:
        """Branches and remote-tracking branches whose tip has a file at `path` (one
        `for-each-ref`, then the object reader's `--batch-check`)."""
        from gatekeeper.repo import folders

        refs = self.run("for-each-ref", "--format=%(refname)", "refs/heads/", "refs/remotes/")
        names = [r for r in refs.splitlines() if r and not r.endswith("/HEAD")]
        if not names:
            return []
        if folders.git_reads_as_path(path):
            found = self._objects.headers([f"{ref}:{path}" for ref in names])
            held = [bool((h := found.get(f"{ref}:{path}")) and h[1] == "blob") for ref in names]
        else:  # walked here, at each branch's commit
            tips = self.run("rev-parse", "--end-of-options", *(f"{n}^{{commit}}" for n in names))
            held = self.holds([(tip, path) for tip in tips.split()])
        return [
            ref.removeprefix("refs/heads/").removeprefix("refs/remotes/")
            for ref, here in zip(names, held, strict=True)
            if here
        ]

    def hooks_dir(self) -> Path:
        """Where git looks for hooks (`core.hooksPath` or `.git/hooks`)."""
        return self.root / self.run("rev-parse", "--git-path", "hooks").strip()

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

    def stage(self, paths: Sequence[str]) -> dict[str, bytes]:
        """`git add` exactly `paths` and return the blob git stored for each (after
        `core.autocrlf`, `.gitattributes` and filters had their say)."""
        self._refuse_ignored(paths)
        self.run("add", "--", *paths)
        out = self.run("ls-files", "-s", "-z", "--", *paths)
        stored = {}
        for record in out.split("\0"):
            if record:
                meta, path = record.split("\t", 1)
                mode, sha, _stage = meta.split()
                stored[path] = self.read_blob(
                    TreeEntry(mode=mode, type="blob", sha=sha, size=None, path=path)
                )
        missing = [path for path in paths if path not in stored]
        if missing:
            raise GitError(f"{missing[0]}: git did not stage it", hint="is the path ignored?")
        return stored

    def _refuse_ignored(self, paths: Sequence[str]) -> None:
        """A path `.gitignore` ignores: `git add` would stage the others and refuse it."""
        ignored = self._try("check-ignore", "--", *paths)  # exit 1: none is
        if ignored:
            first = ignored.splitlines()[0]
            raise GitError(
                f"{first}: ignored by git (.gitignore or info/exclude); expected a file git adds",
                hint=f"let git add it: put !{first} in .gitignore, after the rule that ignores it",
            )

    def unstage(self, paths: Sequence[str]) -> None:
        """Put the index entries of `paths` back as HEAD has them (none, before the first
        commit)."""
        if self.head() is None:
            self.run("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *paths)
        else:
            self.run("reset", "--quiet", "HEAD", "--", *paths)

    def commit_files(
        self,
        paths: Sequence[str],
        message: str,
        *,
        commit: bool = True,
        signing_key: str | None = None,
    ) -> str | None:
        """Stage `paths` and commit exactly them (signed with exactly `signing_key`, an SSH
        key, when given); undo the staging if git refuses."""
        self._refuse_ignored(paths)
        self.run("add", "--", *paths)
        if not commit:  # left staged on purpose (--no-commit)
            return None
        args = ["commit", "--quiet", "-m", message]
        if signing_key is not None:
            key = f"user.signingKey={signing_key}"
            args = ["-c", "gpg.format=ssh", "-c", key, *args, "-S"]
        try:
            self.run(*args, "--only", "--", *paths)
        except GitError:
            self.unstage(paths)  # the index as it was
            raise
        return self.head()


def init_repo(path: Path, config: dict[str, str]) -> None:
    """`git init -b main` at `path` with repository-local config (for the demo)."""
    path.mkdir(parents=True, exist_ok=True)
    run_git(["init", "--quiet", "-b", "main"], path)
    for key, value in config.items():
        run_git(["config", "--end-of-options", key, value], path)


@contextmanager
def open_repo(path: str | Path = ".") -> Iterator[GitRepo]:
    """Open the repository containing `path`; exit 2 when there is none, when git refuses
    it (e.g. `safe.directory`, in git's words) or when git is older than gatekeeper needs.

    One `git rev-parse` finds it, not a git library (GitPython's import and its two `git
    version` processes were ~45 ms of every command); git's version is asked once."""
    from gatekeeper.repo.base import find_root

    root, bare = find_root(path)
    opened = GitRepo(root, bare=bare)
    try:
        require_git()
        yield opened
    finally:
        opened.close()
