"""The git adapter against real repositories: history parsing, merges, tags, big inputs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import Repo, identity
from gatekeeper.errors import GitError, UnsafePathError
from gatekeeper.repo import open_repo


def test_history_reports_blobs_and_merge_rewrites(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "side")
    repo.write("releases/v1/approvals/a.toml", "x = 1\n")
    side = repo.commit("side adds a record")
    repo.git("checkout", "-q", "main")
    repo.write("other.txt", "o\n")
    repo.commit("main moves")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "side")
    with open_repo(repo.path) as git:
        plain = list(git.history("HEAD", "releases"))
        merged = list(git.history("HEAD", "releases", merges=True))
    assert [(c.commit, c.status, c.merge) for c in plain] == [(side, "A", False)]
    assert [c.merge for c in merged] == [True, False]  # the merge shows it against main
    assert (
        merged[0].blob
        == merged[1].blob
        == repo.git("rev-parse", "HEAD:releases/v1/approvals/a.toml")
    )


def test_the_root_commit_s_records_are_read_whatever_log_showroot_says(tmp_path: Path) -> None:
    """`log.showRoot = false` (a user's setting) hid the root commit's files from history:
    the records it added had no author, a file it put under releases/ went unseen."""
    import os
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "__init__.py").write_text("x = 1\n")
    for args in (("config", "log.showRoot", "false"), ("add", "-A"), ("commit", "-qm", "root")):
        subprocess.run(
            ["git", "-C", str(tmp_path), *args], check=True, env={**os.environ, **identity("dave")}
        )
    with open_repo(tmp_path) as git:
        changes = list(git.history("HEAD", "releases"))
    assert [(c.status, c.path) for c in changes] == [("A", "releases/__init__.py")]


def test_hostile_path_cannot_pose_as_a_commit_header(repo: Repo) -> None:
    name = "releases/v1/\x1e" + "a" * 40
    blob = repo.git("hash-object", "-w", "--stdin")
    repo.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{name}")
    repo.git("commit", "-q", "-m", "odd")
    with open_repo(repo.path) as git:
        changes = list(git.history("HEAD", "releases"))
    assert [c.path for c in changes] == [name]


def test_trees_for_more_commits_than_a_command_line_holds(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD")
    with open_repo(repo.path) as git:
        trees = git.trees([head] * 60_000 + ["0" * 40], "policies")
    assert trees[head] == repo.git("rev-parse", "HEAD:policies")
    assert trees["0" * 40] is None


def test_tags_in_one_call(repo: Repo) -> None:
    repo.git("tag", "light")
    repo.git("tag", "-a", "-m", "annotated", "v1.0.0")
    with open_repo(repo.path) as git:
        tags = git.tags()
    head = repo.git("rev-parse", "HEAD")
    assert tags["light"].annotated is False and tags["light"].commit == head
    assert tags["v1.0.0"].annotated and tags["v1.0.0"].commit == head
    assert tags["v1.0.0"].name_in_object == "v1.0.0" and tags["v1.0.0"].signed is False


def test_folder_lookups_answer_as_git_does(repo: Repo) -> None:
    """A folder is found by git (`<commit>:<path>`), not by reading a tree of thousands of
    entries here: names with spaces or that read like git's own replies, a file or a
    submodule where a folder is asked, and what is not there all answer as git does."""
    repo.write("releases/v 1/request.toml", "x = 1\n")
    repo.write("releases/v2 missing/request.toml", "x = 1\n")
    repo.write("releases/file", "not a folder\n")
    gitlink = "1" * 40
    repo.git("update-index", "--add", "--cacheinfo", f"160000,{gitlink},releases/sub")
    head = repo.commit("odd names")
    folders = ["releases", "releases/v 1", "releases/v2 missing", "releases/file"]
    folders += ["releases/sub", "releases/none", "releases/v 1/request.toml", "nowhere/deep"]
    with open_repo(repo.path) as git:
        found = {folder: git.tree_id(head, folder) for folder in folders}
        listed = git.paths(head, "releases/v2 missing")
    expected = {
        folder: repo.git("rev-parse", f"{head}:{folder}") if folder in folders[:3] else None
        for folder in folders
    }
    assert found == expected
    assert listed == ["releases/v2 missing/request.toml"]


def test_a_full_commit_id_is_resolved_once_and_never_anything_else(repo: Repo) -> None:
    """`--policy-ref <sha>` is resolved by each of an audit's checks: a full id found to
    name a commit is not asked of git again; a blob's or a tag's id is still refused."""
    from gatekeeper.errors import InputError

    head = repo.git("rev-parse", "HEAD")
    repo.git("tag", "-a", "-m", "annotated", "v1.0.0")
    tag = repo.git("rev-parse", "v1.0.0")
    blob = repo.git("rev-parse", "HEAD:policies/release.toml")
    with open_repo(repo.path) as git:
        assert [git.resolve_trusted(head) for _ in range(3)] == [head] * 3
        assert git.resolve_commit(tag) == head  # a tag's id names its commit
        with pytest.raises(InputError):
            git.resolve_commit(blob)
        with pytest.raises(InputError):
            git.resolve_commit(blob)


def test_blobs_read_ahead_are_refused_as_when_read_one_at_a_time(repo: Repo) -> None:
    """Reading ahead keeps only small blobs: a big one, a tree's id and an unknown id are
    left for `read_object`, which refuses them as it always did."""
    from gatekeeper.repo.contents import MEMO_BLOB_BYTES

    small = repo.hash_object(b"small = 1\n")
    big = repo.hash_object(b"x" * (MEMO_BLOB_BYTES + 1))
    tree = repo.git("rev-parse", "HEAD^{tree}")
    with open_repo(repo.path) as git:
        git.read_ahead([small, big, tree, "0" * 40, "not an id"])
        assert git.read_object(small, "a.toml") == b"small = 1\n"
        assert len(git.read_object(big, "big.bin")) == MEMO_BLOB_BYTES + 1
        with pytest.raises(GitError):
            git.read_object(tree, "tree.toml")
        with pytest.raises(GitError):
            git.read_object("0" * 40, "none.toml")
        with pytest.raises(UnsafePathError):
            git.read_object(big, "big.bin", limit=MEMO_BLOB_BYTES)


def test_a_walk_started_ahead_reads_as_the_streamed_one(repo: Repo) -> None:
    """The audit starts its `git log` before judging the tags and reads it after: the
    same changes as the streamed walk; git's refusal is still an error, not silence."""
    repo.write("releases/v1/request.toml", "x = 1\n")
    repo.commit("a record")
    repo.write("releases/v1/request.toml", "x = 2\n")
    repo.commit("edited")
    with open_repo(repo.path) as git:
        streamed = list(git.history("HEAD", "releases", "policies", merges=True))
        with git.history_ahead("HEAD", "releases", "policies", merges=True) as walk:
            ahead = list(walk.changes())
        with git.history_ahead("HEAD", "releases") as unread:
            pass  # never read: git is stopped, its files closed
        with git.history_ahead("no-such-rev", "releases") as bad, pytest.raises(GitError):
            list(bad.changes())
    assert ahead == streamed and len(streamed) == 3
    assert unread._proc.poll() is not None and unread._out.closed


def test_a_walk_is_read_while_git_still_writes_it() -> None:
    """git's log is parsed as it is printed: a read that catches up with the writer waits
    for more rather than taking the end of what was printed so far for the end."""
    import tempfile

    from gatekeeper.repo.log import _Following
    from gatekeeper.repo.parse import tokens

    with tempfile.TemporaryFile() as out:
        writer = subprocess.Popen(
            ["sh", "-c", "printf 'one\\0tw'; sleep 0.3; printf 'o\\0three'"], stdout=out
        )
        assert list(tokens(_Following(out, writer))) == ["one", "two", "three"]
        assert writer.wait() == 0


def test_which_commits_lie_in_a_history_in_one_walk(repo: Repo) -> None:
    """`in_history_of` answers as `merge-base --is-ancestor` does for each commit: a
    commit on a side branch, the commit itself, an id that names nothing, and one that
    is no id at all."""
    first = repo.git("rev-parse", "HEAD")
    repo.write("app.py", "print('v2')\n")
    second = repo.commit("second")
    repo.git("checkout", "-q", "-b", "side", first)
    repo.write("side.txt", "s\n")
    side = repo.commit("side")
    repo.git("checkout", "-q", "main")
    nothing = "1" * 40
    with open_repo(repo.path) as git:
        asked = {first, second, side, nothing, "--all"}
        assert git.in_history_of(asked, second) == {first, second}
        assert git.in_history_of(asked, "--all") == set()  # no id: asked one by one
        assert git.in_history_of({side}, first) == set()


def test_a_commit_whose_tree_line_is_no_id_is_refused_not_followed(repo: Repo) -> None:
    """A hand-written commit (git calls it bogus) whose first line is `tree <id>^{tree}`
    or `tree main~0…^{tree}`: the line is not passed to git as an object name, which
    would answer with whatever tree `main` names when asked (found by a helper's review
    of the tree diff)."""
    good = repo.git("rev-parse", "HEAD")
    tree = repo.git("rev-parse", "HEAD^{tree}")
    by_ref = "main~0~0~0~0~0~0~0~0~0~0~0~0~0~00^{tree}"  # as long as an id
    assert len(by_ref) == len(tree)
    bogus = [
        repo.hash_object(
            f"tree {line}\nauthor a <a> 1 +0000\ncommitter a <a> 1 +0000\n\nx\n".encode(),
            "commit",
        )
        for line in (f"{tree}^{{tree}}", by_ref, tree.upper())
    ]
    with open_repo(repo.path) as git:
        for commit in bogus:
            with pytest.raises(GitError, match="bogus commit"):
                git.changes_between(commit, good)
