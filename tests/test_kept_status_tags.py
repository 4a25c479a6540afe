"""`gate status` rows kept across new tags and moved refs (check/kept_tags.py): a release
manager tags a release (or fetches) and asks again; each kept row is used when the tags
made since answer nothing it asked, and judged again otherwise. Outputs are
byte-identical to a run that kept nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import FixedClock, Repo, approve_all, make_repo
from gatekeeper.check.kept_tags import added_since, untouched
from gatekeeper.clock import Window
from gatekeeper.repo import GitRepo
from test_kept_status import _fresh, _kept, _mark, _status
from test_kept_status_commits import _same_as_fresh, _shipped, _titles


def test_tagging_the_next_release_leaves_the_shipped_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.1.0 approved and tagged at HEAD: v1.0.0's row is used (the new tag is on a
    commit its history does not hold); v1.1.0's, now tagged, is judged again."""
    r = _shipped(tmp_path)
    approve_all(r, "v1.1.0")
    _status(r)
    _mark(r)
    _mark(r, "v1.1.0")
    assert r.gate("tag", "v1.1.0").code == 0  # HEAD the same, one tag more
    titles = _titles(r)
    assert titles == {"v1.0.0": "KEPT", "v1.1.0": "Second"}, titles
    _unmark(r, "First")
    _same_as_fresh(r, monkeypatch)
    r.write("app.py", "print('after v1.1.0')\n")
    r.commit("after v1.1.0")
    _status(r)
    _mark(r)
    _mark(r, "v1.1.0")
    r.git("tag", "-a", "v1.2.0-rc", "-m", "not a release here")
    assert _titles(r) == {"v1.0.0": "KEPT", "v1.1.0": "KEPT"}
    _unmark(r, "First")
    _unmark(r, "Second", "v1.1.0")
    _same_as_fresh(r, monkeypatch)


def test_a_branch_made_or_fetched_at_the_same_head_leaves_the_tagged_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = _shipped(tmp_path)
    _mark(r)
    r.git("branch", "topic")
    r.git("update-ref", "refs/remotes/origin/main", "HEAD~1")
    assert _titles(r)["v1.0.0"] == "KEPT"
    _unmark(r, "First")
    _same_as_fresh(r, monkeypatch)


def _unmark(r: Repo, title: str, tag: str = "v1.0.0") -> None:
    """The kept row's own title back (marked KEPT to show it was used)."""
    doc = json.loads(_kept(r).read_text())
    assert doc["rows"][tag][1]["title"] == "KEPT"
    doc["rows"][tag][1]["title"] = title
    _kept(r).write_text(json.dumps(doc))


def _moved(r: Repo) -> None:
    r.git("tag", "-f", "-a", "v1.0.0", "-m", "re-made", "HEAD")


def _deleted(r: Repo) -> None:
    r.git("tag", "-a", "unrelated", "-m", "a tag", "HEAD~1")
    _status(r)
    _mark(r)
    r.git("tag", "-d", "unrelated")


def _tagged_before_its_commit(r: Repo) -> None:
    """A tag on a commit the tagged release's history holds (v1.0.0's own commit)."""
    r.git("tag", "v0.9.9", "v1.0.0^{commit}")


@pytest.mark.parametrize("change", [_moved, _deleted])
def test_a_tag_moved_or_deleted_has_every_row_judged_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Callable[[Repo], None]
) -> None:
    r = _shipped(tmp_path)
    _mark(r)
    change(r)
    assert _titles(r)["v1.0.0"] != "KEPT", change.__name__
    _same_as_fresh(r, monkeypatch)


POST_MIGRATION = (
    '[[gates]]\nid = "post-check"\ntype = "evidence"\nkind = "post-check"\n'
    'stage = "post-release"\ndue_hours = 24\nwhen = { paths = ["migrations/**"] }\n'
)


def test_an_older_release_tagged_late_changes_what_came_before_a_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v1.0.0 (with the migration) is tagged only after v1.1.0 shipped: v1.1.0 asked
    which release tags its commit holds, and the new tag is one. v1.0.0 becomes its
    previous release, so the migration is no longer v1.1.0's change and its post-release
    check is not owed: its row is judged again and reads as a fresh run does."""
    from test_paths_and_obligations import START

    r = make_repo(tmp_path, gates=POST_MIGRATION)
    clock = FixedClock(monkeypatch, START, timedelta(minutes=1))
    clock.tick()
    r.write("migrations/001.sql", "create table t (id int);\n")
    r.commit("schema")
    approved = {}
    for tag in ("v1.0.0", "v1.1.0"):
        clock.tick()
        assert r.gate("request", tag, "--title", tag, who="carol").code == 0
        clock.tick()
        approve_all(r, tag)
        approved[tag] = r.git("rev-parse", "HEAD")
        clock.tick()
        r.write("app.py", f"x = '{tag}'\n")
        r.commit(f"code after {tag}'s approvals")
    r.git("tag", "-a", "v1.1.0", "-m", "v1.1.0", "HEAD")
    r.write("app.py", "x = 2\n")
    r.commit("after the tag")
    before = _row(_status(r, "--format", "json"), "v1.1.0")
    assert [o["gate"] for o in before["obligations"]] == ["post-check"], before
    _mark(r, "v1.1.0")
    clock.tick()
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0", approved["v1.0.0"])
    after = _row(_status(r, "--format", "json"), "v1.1.0")
    assert after["title"] != "KEPT" and after["obligations"] == [], after
    assert _status(r, "--format", "json") == _fresh(r, monkeypatch, "--format", "json")
    _mark(r, "v1.1.0")
    r.write("app.py", "x = 3\n")
    r.commit("a fix")
    r.git("tag", "-a", "v1.2.0", "-m", "a tag on top, which no row asked about")
    assert _titles(r)["v1.1.0"] == "KEPT"


def _row(out: str, tag: str) -> dict[str, Any]:
    rows = json.loads(out)["releases"]
    found: dict[str, Any] = next(row for row in rows if row["release"] == tag)
    return found


def test_what_a_row_asked_of_the_tags_decides_whether_a_new_one_leaves_it(
    tmp_path: Path,
) -> None:
    """Kept rows, each having asked something else: a tag name, the tags a commit holds,
    every tag; and tags added on HEAD, on a commit beside it, and on one it holds."""
    r = _shipped(tmp_path)
    _tagged_before_its_commit(r)
    repo = GitRepo(r.path)
    try:
        old = repo.head()
        assert old is not None
        shipped = repo.tags()["v1.0.0"].commit
        assert shipped is not None
        r.git("tag", "on-head")
        r.git("tag", "v2.0.0")
        r.git("checkout", "-q", "-b", "beside", "HEAD~1")
        r.commit("beside")
        r.git("tag", "beside-tag")
        r.git("checkout", "-q", "main")

        def asked(names: set[str], merged: set[str], listed: bool) -> Any:
            tags = {"asked": names, "merged": merged, "listed": listed}
            return (Window(None, None), {}, {"latest": None, "read": [], "tags": tags})

        rows = {
            "name": asked({"v2.0.0"}, set(), False),
            "merged": asked(set(), {shipped}, False),
            "listed": asked(set(), set(), True),
            "nothing": asked({"v1.0.0"}, set(), False),
        }
        for added, expected in (
            ({"on-head", "beside-tag"}, ["name", "merged", "nothing"]),
            ({"v2.0.0"}, ["merged", "nothing"]),
            ({"v0.9.9"}, ["name", "nothing"]),  # on v1.0.0's commit: "merged" asked it
            (set(), ["name", "merged", "listed", "nothing"]),
        ):
            assert list(untouched(repo, old, added, rows)) == expected, added
    finally:
        repo.close()
    assert added_since({"a": "1"}, {"a": "1", "b": "2"}) == {"b"}
    assert added_since({"a": "1"}, {"a": "2"}) is None
    assert added_since({"a": "1"}, {}) is None
    assert _kept(r).exists()
