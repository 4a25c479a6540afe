"""`gate status` rows kept across commits (check/kept_reads.py): a tagged release's row
judged reading only its tag, the release tags, HEAD's `releases/` and `policies/` and
HEAD's history is used after commits on top of HEAD that change none of those; any other
commit, or a row that read anything else, is judged again. Outputs are byte-identical to
a run that kept nothing.

A test that needs to know a kept row *was* used titles it KEPT in the file
(test_kept_status._mark): the mark shows only while the row is used."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import Repo, approve_all, make_repo
from gatekeeper.check.kept_commits import still_hold
from gatekeeper.clock import Window
from gatekeeper.repo import GitRepo
from test_kept_status import FORMATS, POST_CHECK, _fresh, _kept, _mark, _status


def _titles(r: Repo) -> dict[str, str]:
    rows = json.loads(_status(r, "--format", "json"))["releases"]
    return {row["release"]: row["title"] for row in rows}


def _shipped(tmp_path: Path, gates: str = POST_CHECK) -> Repo:
    """v1.0.0 tagged, v1.1.0 requested (untagged), HEAD a commit after the tag; a first
    status has kept its rows."""
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    r.write("app.py", "print('after the tag')\n")
    r.commit("after the tag")
    assert r.gate("request", "v1.1.0", "--title", "Second").code == 0
    _status(r)
    return r


def _same_as_fresh(r: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for fmt in FORMATS:
        assert _status(r, "--format", fmt) == _fresh(r, monkeypatch, "--format", fmt), fmt


def test_a_commit_that_changes_no_record_or_policy_keeps_the_tagged_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _shipped(tmp_path)
    r.write("app.py", "print('a fix')\n")
    r.commit("a fix")
    _same_as_fresh(r, monkeypatch)
    _mark(r)
    _mark(r, "v1.1.0")
    r.git("merge", "-q", "--no-ff", "-m", "an empty merge", "HEAD~1")  # sides the same
    r.write("app.py", "print('another')\n")
    r.commit("another")
    titles = _titles(r)
    assert titles["v1.0.0"] == "KEPT"  # the tagged release's row outlived both commits
    assert titles["v1.1.0"] == "Second"  # the untagged one is judged at HEAD: again


def _record_in_its_folder(r: Repo) -> None:
    """v1.0.0's own post-release evidence."""
    res = r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass", "--set", "summary=ok")
    assert res.code == 0, res.err


def _policy_edit(r: Repo) -> None:
    path = r.path / "policies/release.toml"
    path.write_text(path.read_text() + "\n# a comment\n")
    r.commit("policy comment")


def _added_and_dropped_on_a_side(r: Repo) -> None:
    """A side branch adds a file under releases/ and drops it again; merged, nothing
    changed end to end."""
    r.git("checkout", "-q", "-b", "side")
    r.write("releases/v1.0.0/notes.md", "later\n")
    r.commit("a note")
    (r.path / "releases/v1.0.0/notes.md").unlink()
    r.commit("no note")
    r.git("checkout", "-q", "main")
    r.write("app.py", "print('main moved on')\n")
    r.commit("main moved on")
    r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")


def _reset_back(r: Repo) -> None:
    r.git("reset", "-q", "--hard", "HEAD~1")
    r.write("app.py", "print('elsewhere')\n")
    r.commit("elsewhere")


@pytest.mark.parametrize(
    "change",
    [_record_in_its_folder, _policy_edit, _added_and_dropped_on_a_side, _reset_back],
)
def test_a_commit_that_may_change_a_row_has_it_judged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Repo], None]
) -> None:
    r = _shipped(tmp_path)
    _mark(r)
    change(r)
    assert _titles(r)["v1.0.0"] == "First", change.__name__
    _same_as_fresh(r, monkeypatch)


def test_records_of_other_releases_leave_a_row_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A busy repository commits records all day: an approval of v1.1.0 and a new
    release's request change nothing v1.0.0's row read (its folder, its history), so it
    is used; the new release gets a row of its own, and v1.1.0's is judged again."""
    r = _shipped(tmp_path)
    r.write("app.py", "print('code')\n")
    r.commit("code")
    _status(r)
    approve_all(r, "v1.1.0", roles=("alice",))
    _same_as_fresh(r, monkeypatch)  # with v1.0.0's row used
    _mark(r)
    approve_all(r, "v1.1.0", roles=("bob",))
    assert r.gate("request", "v1.2.0", "--title", "Third").code == 0
    titles = _titles(r)
    assert titles == {"v1.0.0": "KEPT", "v1.1.0": "Second", "v1.2.0": "Third"}, titles


def test_a_release_tagged_on_a_branch_is_judged_again_once_merged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 tagged on `rel`, which main does not hold: its row asked about a commit
    outside HEAD's history, and is kept for that HEAD only; merging `rel` (no record
    changes) puts the tag on main's history, and the row is judged again."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    r.git("checkout", "-q", "-b", "rel")
    r.commit("the release branch's own commit (same tree)")
    assert r.gate("tag", "v1.0.0").code == 0
    r.git("checkout", "-q", "main")
    r.write("app.py", "print('main')\n")
    r.commit("main")
    _status(r)
    _mark(r)
    r.git("merge", "-q", "--no-ff", "-m", "merge rel", "rel")
    assert _titles(r)["v1.0.0"] == "First"
    _same_as_fresh(r, monkeypatch)


def test_a_row_that_asked_the_line_by_date_outlives_only_commits_dated_after(
    tmp_path: Path,
) -> None:
    """A row that asked "the newest line commit at or before T" (an earlier release's
    policy of its tag's day) is used after new line commits only when all are dated
    after T: a commit backdated to T or before would be the answer now."""
    r = make_repo(tmp_path)
    old = r.git("rev-parse", "HEAD")
    asked = datetime.now(UTC) - timedelta(days=3)
    window = Window(None, None)
    rows = {
        "v1.0.0": (window, {}, {"latest": asked, "read": []}),
        "v0.9.0": (window, {}, None),
    }
    r.write("app.py", "print('now')\n")
    new = r.commit("dated now")
    stamp = (asked - timedelta(days=1)).isoformat()
    r.write("app.py", "print('backdated')\n")
    r.git("add", "-A")
    r.git("commit", "-q", "-m", "backdated", env={"GIT_COMMITTER_DATE": stamp})
    newer = r.git("rev-parse", "HEAD")
    for head, kept_at, expected in (
        (new, old, ["v1.0.0"]),  # a row kept for `old` only is dropped
        (newer, new, []),
    ):
        repo = GitRepo(r.path)
        try:
            found = still_hold(repo, kept_at, head, "releases", rows)
        finally:
            repo.close()
        assert found is not None and list(found[0]) == expected, head
    repo = GitRepo(r.path)
    try:
        assert still_hold(repo, newer, old, "releases", rows) is None  # not on top
    finally:
        repo.close()


def test_the_kept_file_names_the_head_and_keeps_no_row_across_a_tagged_head(
    tmp_path: Path,
) -> None:
    """Rows judged while a release tag points at HEAD itself are kept for that HEAD only
    (the release's records at HEAD and at its tag are then one read)."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    _status(r)
    doc = json.loads(_kept(r).read_text())
    assert doc["head"] == r.git("rev-parse", "HEAD")
    assert doc["rows"]["v1.0.0"][2] is None
    r.write("app.py", "print('after')\n")
    r.commit("after")
    _status(r)
    across = json.loads(_kept(r).read_text())["rows"]["v1.0.0"][2]
    assert across["latest"] is None and "releases/v1.0.0" in across["read"], across


def test_only_the_release_tagged_at_head_is_kept_for_that_head_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after v1.1.0 is tagged, HEAD is its tag's commit: v1.1.0's row is kept for
    that HEAD only, while v1.0.0's, tagged earlier, outlives the commit that follows
    (before, every row was judged again after the first commit past a tagged HEAD)."""
    r = _shipped(tmp_path)
    approve_all(r, "v1.1.0")
    assert r.gate("tag", "v1.1.0").code == 0
    _kept(r).unlink()  # every row judged at the tagged HEAD
    _status(r)
    rows = json.loads(_kept(r).read_text())["rows"]
    assert rows["v1.1.0"][2] is None and rows["v1.0.0"][2] is not None
    _mark(r, "v1.0.0")
    r.write("app.py", "print('after the second tag')\n")
    r.commit("after the second tag")
    assert _titles(r) == {"v1.0.0": "KEPT", "v1.1.0": "Second"}
    _kept(r).write_text(_kept(r).read_text().replace('"KEPT"', '"First"'))
    _same_as_fresh(r, monkeypatch)


def test_a_head_whose_first_parent_line_leaves_the_old_head_has_rows_judged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """main (a code commit on top) merged into a branch made before it, and HEAD that
    branch: no record or policy changed anywhere, but the old HEAD is the merge's second
    parent, off the first-parent line every "taken in by" answer is read from."""
    r = _shipped(tmp_path)
    r.write("app.py", "print('code only')\n")
    r.commit("code only")
    _status(r)
    _mark(r)
    r.git("checkout", "-q", "-b", "feature", "HEAD~1")
    r.write("feature.py", "x = 1\n")
    r.commit("feature")
    r.git("merge", "-q", "--no-ff", "-m", "main into feature", "main")
    assert _titles(r)["v1.0.0"] == "First"
    _same_as_fresh(r, monkeypatch)


def test_a_row_under_a_gate_limited_to_changed_paths_outlives_a_code_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.1.0's DBA gate asks which releases came before and what changed since (tags
    merged into its commits, `holds`, history walks, the earlier release's own check):
    all of it about commits named by id, so the row outlives a commit on top."""
    from conftest import FixedClock
    from test_paths_and_obligations import DBA, START, _release

    r = make_repo(tmp_path, gates=DBA.replace("{glob}", "migrations/**"))
    clock = FixedClock(monkeypatch, START, timedelta(minutes=1))
    r.write("migrations/001.sql", "create table t (id int);\n")
    r.commit("schema")
    _release(r, clock, "v1.0.0")
    r.write("migrations/002.sql", "alter table t add column n int;\n")
    r.commit("schema 2")
    _release(r, clock, "v1.1.0")
    r.write("app.py", "x = 1\n")
    r.commit("after the tags")
    _status(r)
    r.write("app.py", "x = 2\n")
    r.commit("code")
    _same_as_fresh(r, monkeypatch)
    _mark(r, "v1.1.0")
    r.write("app.py", "x = 3\n")
    r.commit("more code")
    assert _titles(r)["v1.1.0"] == "KEPT"


def test_requests_added_removed_or_replaced_list_the_rows_a_fresh_run_lists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit that files, removes or replaces a request has only those folders listed
    again (not every release folder, which on 5,000 releases was half the run): the rows
    are the ones a run that kept nothing lists, and the rows the commit left are used."""
    r = _shipped(tmp_path)
    _mark(r)
    assert r.gate("request", "v1.2.0", "--title", "Third").code == 0
    request = (r.path / "releases/v1.2.0/request.toml").read_text()
    r.write("releases/notes/request.toml", request)  # a folder the policy names no release
    r.commit("a request-shaped file in a folder that is no release")
    assert _titles(r) == {"v1.0.0": "KEPT", "v1.1.0": "Second", "v1.2.0": "Third"}
    _unmark(r)
    _same_as_fresh(r, monkeypatch)
    _mark(r)
    r.git("rm", "-q", "releases/v1.1.0/request.toml")  # its approvals stay: no release
    r.git("rm", "-q", "releases/v1.2.0/request.toml")
    r.write("releases/v1.2.0/request.toml/x.toml", request)  # a folder in its place
    r.commit("requests withdrawn by hand")
    assert _titles(r) == {"v1.0.0": "KEPT"}
    _unmark(r)
    _same_as_fresh(r, monkeypatch)
    _mark(r)
    r.write("releases/v1.1.0/request.toml", request.replace("v1.2.0", "v1.1.0"))
    r.commit("filed again")
    assert _titles(r) == {"v1.0.0": "KEPT", "v1.1.0": "Third"}
    _unmark(r)
    _same_as_fresh(r, monkeypatch)


def _unmark(r: Repo) -> None:
    """v1.0.0's kept row titled as it was judged again."""
    doc = json.loads(_kept(r).read_text())
    doc["rows"]["v1.0.0"][1]["title"] = "First"
    _kept(r).write_text(json.dumps(doc))
