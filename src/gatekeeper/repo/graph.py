"""The commit graph: first-parent lines, ancestry and merge bases, asked of git."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from gatekeeper.errors import GitError
from gatekeeper.repo.contents import ContentsMixin
from gatekeeper.repo.parse import OBJECT_ID

if TYPE_CHECKING:
    from datetime import datetime


class GraphMixin(ContentsMixin):
    """Questions about history that need no object contents."""

    def last_commit_before(self, rev: str, when: datetime) -> str | None:
        """The newest commit on `rev`'s first-parent line committed at or before `when`
        (what `git rev-list -1 --first-parent --before=WHEN` answers: the first commit,
        newest first, whose committer time is not after `when`), from one read of that
        line per process and a bisect over the running minimum of those times."""
        import bisect

        key = ("first-parent-times", self._commit_id(rev))
        if key not in self.memo:
            out = self.run("rev-list", "--first-parent", "--timestamp", "--end-of-options", rev)
            pairs = [line.split() for line in out.splitlines()]
            lowest, floor = [], float("inf")
            for stamp, _ in pairs:
                floor = min(floor, int(stamp))
                lowest.append(-floor)  # non-decreasing, for bisect
            self.memo[key] = ([commit for _, commit in pairs], lowest)
        commits, lowest = self.memo[key]
        at = bisect.bisect_left(lowest, -when.timestamp())
        return commits[at] if at < len(commits) else None

    def first_parent_commits(self, rev: str, folder: str, *, since: str | None = None) -> list[str]:
        """Commits on `rev`'s first-parent line that touched `folder` (`since`: only those
        after that commit, one on the line)."""
        below = [f"^{since}"] if since else []
        out = self.run("log", "--first-parent", "--format=%H", rev, *below, "--", f"{folder}/")
        return out.split()

    def on_first_parent_line(self, old: str, new: str) -> bool:
        """Whether commit `old` is on `new`'s first-parent line (not merely in its
        history): the oldest commit the line has above `old` has `old` as first parent."""
        if not OBJECT_ID.match(old) or not self.is_ancestor(old, new):
            return False
        line = self.run("rev-list", "--first-parent", "--parents", new, f"^{old}").splitlines()
        oldest = line[-1].split() if line else []
        return len(oldest) > 1 and oldest[1] == old

    def is_ancestor(self, old: str, new: str) -> bool:
        """Whether commit `old` is in the history of `new` (false when either is unknown)."""
        if not OBJECT_ID.match(old):
            return False
        try:
            self.run("merge-base", "--is-ancestor", old, new)
        except GitError:
            return False
        return True

    def in_history_of(self, commits: set[str], rev: str) -> set[str]:
        """Those of `commits` that are in the history of `rev`, in one walk: what the
        commits reach and `rev` does not, less the commits; each asked on its own when
        that walk fails (an id that names no commit)."""
        wanted = {c for c in commits if OBJECT_ID.match(c)}
        if wanted and OBJECT_ID.match(rev):
            lines = "".join(f"{c}\n" for c in sorted(wanted)) + f"^{rev}\n"
            with contextlib.suppress(GitError):
                return wanted - set(self.run("rev-list", "--stdin", stdin=lines.encode()).split())
        return {c for c in wanted if self.is_ancestor(c, rev)}

    def merge_bases(self, one: str, other: str) -> list[str]:
        """Every best common ancestor of two commits (none: unrelated histories)."""
        try:
            out = self.run("merge-base", "--all", "--end-of-options", one, other)
        except GitError:
            return []
        return out.split()

    def first_parent_line(self, rev: str) -> frozenset[str]:
        """Every commit on `rev`'s first-parent line (no diffs: fast even on long lines)."""
        return frozenset(self.run("rev-list", "--first-parent", "--end-of-options", rev).split())

    def newest_of(self, commits: list[str]) -> frozenset[str]:
        """Those of `commits` that are in the history of none of the others: one walk of
        their history, children before parents, marking what lies below each (`merge-base
        --independent` is quadratic: 30 s for 5,000 release tags)."""
        wanted = set(commits)
        if len(wanted) < 2:
            return frozenset(wanted)
        out = self.run("rev-list", "--topo-order", "--parents", "--end-of-options", *sorted(wanted))
        below: set[str] = set()
        newest: set[str] = set()
        for line in out.splitlines():
            commit, *parents = line.split()
            if commit in wanted and commit not in below:
                newest.add(commit)
            if commit in wanted or commit in below:
                below.update(parents)
        return frozenset(newest)

    def paths_touched(self, old: str, new: str) -> set[str]:
        """Every path a commit in `old..new` changed, so a change made and undone in between
        is seen, not only what differs at the end. A merge counts what it changed against
        every parent (its own resolution): what its sides brought is their commits', and a
        back-merge of main brings no change main shipped before `old`."""
        out = self.run(
            "log", "--format=", "--name-only", "--no-renames", "-z",
            "--diff-merges=combined", "--end-of-options", f"{old}..{new}",
        )  # fmt: skip
        return {path for path in out.split("\0") if path}  # no header: paths, NUL-ended
