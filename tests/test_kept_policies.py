"""The `policies/` trees ever on the default branch, kept between audits with the commit
they were read at (audit/policies.py): used again, and extended by the commits since,
only when that commit is on the branch's first-parent line now. A tree from commits
the branch no longer holds (a reset, a branch replaced by one that merged it) is never
carried over: the audit's "policy-off-default-branch" rests on this set."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import Repo
from gatekeeper.audit.policies import default_trees
from gatekeeper.repo import GitRepo

KEPT = Path(".git/gatekeeper/default-policies-1.json")


def _trees(r: Repo, *, kept: bool = True) -> set[str]:
    saved = os.environ.get("GATE_NO_CACHE")
    os.environ["GATE_NO_CACHE"] = "0" if kept else "1"
    repo = GitRepo(r.path)
    try:
        return default_trees(repo, "main")
    finally:
        repo.close()
        if saved is None:
            del os.environ["GATE_NO_CACHE"]
        else:
            os.environ["GATE_NO_CACHE"] = saved


def _policy(r: Repo, text: str, message: str) -> str:
    r.write("policies/extra.toml", f"# {text}\n")
    r.commit(message)
    return r.git("rev-parse", "HEAD:policies")


def _kept_at(r: Repo) -> str:
    return str(json.loads((r.path / KEPT).read_text())["commit"])


def _same(r: Repo) -> set[str]:
    """The kept answer, checked against one read afresh."""
    kept = _trees(r)
    assert kept == _trees(r, kept=False)
    assert _kept_at(r) == r.git("rev-parse", "main")
    return kept


def test_commits_on_top_extend_the_kept_trees(repo: Repo) -> None:
    first = repo.git("rev-parse", "HEAD:policies")
    assert _same(repo) == {first}
    second = _policy(repo, "two", "policy two")
    repo.write("app.py", "print('v2')\n")
    repo.commit("code only")
    assert _same(repo) == {first, second}
    # A side branch's policy change reaches the line through its merge, as the merge's.
    repo.git("checkout", "-q", "-b", "side")
    on_side = _policy(repo, "side", "side policy")
    repo.git("checkout", "-q", "main")
    repo.write("app.py", "print('v3')\n")
    repo.commit("code on main")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    merged = repo.git("rev-parse", "HEAD:policies")
    assert merged == on_side
    assert _same(repo) == {first, second, merged}


def test_a_tree_the_branch_no_longer_holds_is_not_carried_over(repo: Repo) -> None:
    first = repo.git("rev-parse", "HEAD:policies")
    before = repo.git("rev-parse", "HEAD")
    unreviewed = _policy(repo, "pushed, then reset away", "policy")
    assert _same(repo) == {first, unreviewed}
    repo.git("reset", "-q", "--hard", before)
    assert _same(repo) == {first}


def test_a_branch_that_merged_the_kept_commit_is_read_afresh(repo: Repo) -> None:
    """The kept commit is in the new branch's history but not on its first-parent line:
    the trees of the old line are not the new branch's."""
    first = repo.git("rev-parse", "HEAD:policies")
    base = repo.git("rev-parse", "HEAD")
    old_line = _policy(repo, "old line", "policy on the old main")
    assert _same(repo) == {first, old_line}
    old_main = repo.git("rev-parse", "main")
    repo.git("checkout", "-q", "-b", "other", base)
    _policy(repo, "first", "back to the first policy")  # the old line's file undone
    repo.git("rm", "-q", "policies/extra.toml")
    repo.commit("drop the extra file")
    repo.git("merge", "-q", "--no-ff", "-s", "ours", "-m", "keep ours", old_main)
    repo.git("branch", "-f", "main", "other")
    repo.git("checkout", "-q", "main")
    found = _same(repo)
    assert old_line not in found


@pytest.mark.parametrize(
    "doc",
    [
        '{"format": 1, "commit": "MAIN", "trees": ["not an id"]}',
        '{"format": 2, "commit": "MAIN", "trees": []}',
        '{"format": 1, "commit": "MAIN"}',
        '{"format": 1, "commit": "0000000000000000000000000000000000000000", "trees": []}',
        "[1, 2",
    ],
)
def test_a_kept_file_that_is_not_as_written_is_not_believed(repo: Repo, doc: str) -> None:
    first = repo.git("rev-parse", "HEAD:policies")
    assert _same(repo) == {first}
    second = _policy(repo, "two", "policy two")
    (repo.path / KEPT).write_text(doc.replace("MAIN", repo.git("rev-parse", "HEAD~1")))
    assert _same(repo) == {first, second}
