"""The kept history index against a review that changed history under it: a shallow
clone later unshallowed, a branch switch, a side merge onto an old commit. With and
without the cache, every output is the same. Each failed on the code before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import Repo, approve_all, make_repo
from gatekeeper.records.index import FORMAT
from gatekeeper.records.index_file import unpack
from gatekeeper.records.index_walk import build
from gatekeeper.repo import open_repo


def _both(r: Repo, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[str, str]:
    """`gate ARGS` with the kept index, then without it."""
    warm = r.gate(*args)
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    cold = r.gate(*args)
    monkeypatch.delenv("GATE_NO_CACHE")
    assert warm.code == cold.code, (warm.err, cold.err)
    return warm.out, cold.out


def test_status_in_a_shallow_clone_keeps_no_index_to_be_believed_after_unshallowing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`gate status` saved the index of a shallow clone before refusing it; after `git
    fetch --unshallow` (HEAD unchanged) it was believed: every record attributed to
    whoever made the boundary commit, and history before it unseen."""
    origin = make_repo(tmp_path)
    assert origin.gate("request", "v1.0.0", "--title", "v1.0.0", who="carol").code == 0
    approve_all(origin, "v1.0.0")
    origin.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    origin.write("app.py", "print(2)\n")
    origin.commit("code")
    clone = Repo(tmp_path / "clone")
    origin.git("clone", "-q", "--depth", "1", f"file://{origin.path}", str(clone.path))
    refused = clone.gate("status", "--format", "json")
    assert refused.code == 2 and "shallow clone" in refused.err
    assert not (clone.path / ".git/gatekeeper").exists()
    clone.git("fetch", "-q", "--unshallow", "--tags")
    warm, cold = _both(clone, monkeypatch, "status", "--format", "json")
    assert '"passed": true' in cold
    assert warm == cold


def test_a_branch_switch_is_no_rewritten_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """status at main, then on a feature branch forked before it, then back at main: the
    audit said "history was rewritten" naming HEAD itself. Only a head that no branch
    holds any more was rewritten."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(r, "v1.0.0")
    assert r.gate("status").code in (0, 1)
    r.git("checkout", "-q", "-b", "feature", "HEAD~1")
    r.write("app.py", "print('feature')\n")
    r.commit("feature work")
    assert r.gate("status").code in (0, 1)
    r.git("checkout", "-q", "main")
    warm, cold = _both(r, monkeypatch, "audit", "--format", "json")
    assert warm == cold
    # A reset that leaves what was read on no branch is still reported.
    r.git("reset", "-q", "--hard", "HEAD~1")
    warm, _ = _both(r, monkeypatch, "audit", "--format", "json")
    kinds = [a["kind"] for a in json.loads(warm)["anomalies"]]
    assert kinds.count("history-rewritten") == 1, kinds


def test_an_index_extended_run_by_run_holds_a_side_merge_onto_an_old_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A side merge SM whose first parent is an old commit the last run already read:
    `git log LAST..HEAD` weighs SM only against its new parent (the old one is merely
    uninteresting) and left it out, where a full walk keeps its first-parent changes."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    old = r.git("rev-parse", "HEAD")
    r.write("app.py", "print(2)\n")
    r.commit("code")
    assert r.gate("status").code in (0, 1)  # the kept index reads up to here
    r.git("checkout", "-q", "-b", "x")
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    approve_all(r, "v1.0.0")
    monkeypatch.delenv("GATE_NO_CACHE")
    r.git("checkout", "-q", "-b", "f", old)
    r.git("merge", "-q", "--no-ff", "--no-edit", "x")  # SM: parents (old, x)
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "--no-edit", "f")
    assert r.gate("status").code in (0, 1)  # extended: only the new commits
    kept = json.loads((r.path / f".git/gatekeeper/history-{FORMAT}.json").read_text())
    with open_repo(r.path) as git:
        fresh = build(git, git.resolve_commit("HEAD"), "releases")
    assert sorted((c.commit, c.path, c.merge) for c in unpack(kept["changes"]["v1.0.0"])) == sorted(
        (c.commit, c.path, c.merge) for c in fresh.changes["v1.0.0"]
    )


def test_an_older_format_s_index_is_removed_when_the_new_one_is_kept(tmp_path: Path) -> None:
    """A kept index of an older format is never read again: the 15 MB a 5,000-release
    history left under `.git/gatekeeper/` goes when the new one is written (a link
    there is removed, not followed)."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    kept = r.path / ".git" / "gatekeeper"
    kept.mkdir()
    (kept / "history-4.json").write_text("{}")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("keep me\n")
    (kept / "history-3.json").symlink_to(elsewhere)
    (kept / "notes.json").write_text("not ours to remove\n")
    assert r.gate("status").code in (0, 1)
    assert sorted(p.name for p in kept.iterdir()) == [
        f"history-{FORMAT}.json",
        "notes.json",
        "status-4.json",
    ]
    assert elsewhere.read_text() == "keep me\n"
