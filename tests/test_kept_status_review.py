"""`gate status` with its kept files against a run that keeps nothing, after a review of
this round's kept-status changes: a differential fuzz (38 random repositories, 1,275
comparisons, 143 corrupted kept files) and a reading of the code, by a helper session.
Each test failed on the code it was written against (89987eb)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity, make_repo
from test_binding_trees import _entries, _tree
from test_kept_status import POST_CHECK, _fresh, _status
from test_kept_status_commits import _same_as_fresh


def test_a_request_filed_under_a_releases_tree_git_would_not_write_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit whose `releases/` tree git would not write (a name twice) is compared as
    one change of the whole folder, `releases/ (a tree git would not write)`
    (repo/treediff.py), both against its parent and against the well-formed commit on top
    of it. `requested` (check/kept_commits.py) classifies that path as no request, so the
    request filed in between, `releases/v1.1.0/request.toml`, is never listed again: the
    kept names ([v1.0.0]) are used and v1.1.0's row is missing, where a run that keeps
    nothing lists it. (A change reported for a whole folder has to have every release
    under it listed again, as it has every row under it judged again.)"""
    r, old, _ = _shipped_and_kept(tmp_path)
    assert r.gate("request", "v1.1.0", "--title", "Second").code == 0
    filed = r.git("rev-parse", "HEAD")
    # The same commit again, its releases/ tree with v1.1.0's entry written twice; then
    # the well-formed tree on top of it.
    releases = _entries(r, f"{filed}:releases")
    twice = [e for e in releases for _ in range(2 if e[1] == b"v1.1.0" else 1)]
    _odd_then_fixed(r, old, _with_releases(r, filed, twice), filed)
    assert "v1.1.0" in _fresh(r, monkeypatch)
    _same_as_fresh(r, monkeypatch)


def test_a_record_committed_under_a_releases_tree_git_would_not_write_has_the_row_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same path, `releases/ (a tree git would not write)`, is the one change
    `still_hold` sees for evidence attached to a tagged release through a commit whose
    `releases/` tree names `v1.0.0` twice (before and after the attachment), then a
    well-formed commit on top. `_overlap` compares it with the paths the row read
    (`releases/v1.0.0/...`) and finds none under it, so the kept row says `tagged` where
    a run that keeps nothing judges the folder again (git's own walk of that history lists
    v1.0.0's records deleted and added again in the odd commit: "records are append-only",
    and the post-check now attached) and prints another row."""
    r, old, _ = _shipped_and_kept(tmp_path)
    res = r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass", "--set", "summary=ok")
    assert res.code == 0, res.err
    attached = r.git("rev-parse", "HEAD")
    before = [e for e in _entries(r, f"{old}:releases") if e[1] == b"v1.0.0"]
    after = _entries(r, f"{attached}:releases")
    twice = before + after  # v1.0.0 as it was, then as it is: checkout keeps the later
    _odd_then_fixed(r, old, _with_releases(r, attached, twice), attached)
    assert "append-only" in _fresh(r, monkeypatch)
    _same_as_fresh(r, monkeypatch)


def test_a_request_filed_in_a_commit_whose_root_tree_git_would_not_write_is_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commit whose root tree git would not write (`app.py` twice, the way a tree is
    made to shield a tag: test_binding_trees.py) is compared against its parent, and the
    well-formed commit on top of it against it, as the one change `./ (a tree git would
    not write)` (repo/treediff.py). `_changed` (check/kept_commits.py) keeps only paths
    under `releases/`, so that change is dropped altogether: the request filed in that
    commit (`releases/v1.1.0/request.toml`, its `releases/` tree well-formed and different
    from the parent's) is neither listed again nor seen by any kept row. The kept names
    are used and v1.1.0 is missing, where a run that keeps nothing lists it."""
    r, old, _ = _shipped_and_kept(tmp_path)
    assert r.gate("request", "v1.1.0", "--title", "Second").code == 0
    filed = r.git("rev-parse", "HEAD")
    root = _entries(r, f"{filed}^{{tree}}")
    twice = [e for e in root for _ in range(2 if e[1] == b"app.py" else 1)]
    _odd_then_fixed(r, old, _tree(r, twice), filed)
    assert "v1.1.0" in _fresh(r, monkeypatch)
    _same_as_fresh(r, monkeypatch)


def test_evidence_attached_in_a_commit_whose_root_tree_git_would_not_write_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same dropped change hides a record from a kept row: post-check evidence
    attached to the tagged v1.0.0 in a commit whose root tree names `app.py` twice, then a
    well-formed commit on top. No path under `releases/` is among the changes, so
    v1.0.0's kept row (`tagged`, post-check due) is used, where a run that keeps nothing
    reads the evidence and prints another row."""
    r, old, kept = _shipped_and_kept(tmp_path)
    res = r.gate("attach", "v1.0.0", "post-check", "--set", "result=pass", "--set", "summary=ok")
    assert res.code == 0, res.err
    attached = r.git("rev-parse", "HEAD")
    root = _entries(r, f"{attached}^{{tree}}")
    twice = [e for e in root for _ in range(2 if e[1] == b"app.py" else 1)]
    _odd_then_fixed(r, old, _tree(r, twice), attached)
    assert _fresh(r, monkeypatch) != kept
    _same_as_fresh(r, monkeypatch)


def test_a_kept_history_index_whose_head_is_not_the_end_of_its_line_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`_load` (records/history_cache.py) checks every field of history-5.json but not
    that `head` is the last commit of `line`. A file whose `head` names an earlier commit
    of its own line (one field edited, everything else as `_save` wrote it) is believed:
    `extend` walks `head..HEAD` again and files every change of those commits a second
    time (and appends their commits to the line again), so v1.0.0's approvals read as
    "re-added after it was deleted" and v1.1.0's request as a broken revision chain.
    The file should be refused (rebuilt), as a truncated one is."""
    import json

    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    assert r.gate("request", "v1.1.0", "--title", "Second").code == 0
    _status(r)
    index = r.path / ".git" / "gatekeeper" / "history-5.json"
    doc = json.loads(index.read_bytes())
    doc["head"] = doc["line"].split(" ")[-3]
    index.write_text(json.dumps(doc))
    (r.path / ".git" / "gatekeeper" / "status-4.json").unlink()
    _same_as_fresh(r, monkeypatch)


def test_requests_nested_two_deep_in_a_release_folder_are_stale_in_every_process(
    tmp_path: Path,
) -> None:
    """Found as kept rows whose `stale` list differed from the no-cache run's, then seen
    to differ between two no-cache runs. check/binding.py `_records` maps each outer
    request path to ONE nested tag (`outer`, a dict built from a set): with
    `releases/v1.0.0/x/request.toml` and `releases/v1.0.0/x/y/request.toml` both tags
    `v1.0.0/x` and `v1.0.0/x/y` claim `releases/v1.0.0/request.toml`, the last one (in
    an order set by PYTHONHASHSEED) wins, and only it is found nested. So whether
    `releases/v1.0.0/x/request.toml` (a file of v1.0.0's folder, not a record of a release
    `v1.0.0/x`) shows as changed since the candidate depends on the process: a row kept
    by one run differs from what the next run judges."""
    import os

    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    request = (r.path / "releases/v1.0.0/request.toml").read_text()
    r.write("releases/v1.0.0/x/request.toml", request)
    r.write("releases/v1.0.0/x/y/request.toml", request)
    r.commit("request-shaped files inside v1.0.0's folder")
    outs = set()
    for seed in range(8):
        env = {**os.environ, "GATE_NO_CACHE": "1", "PYTHONHASHSEED": str(seed)}
        proc = subprocess.run(
            [sys.executable, "-m", "gatekeeper", "-C", str(r.path), "status"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        outs.add((proc.returncode, proc.stdout, proc.stderr))
    assert len(outs) == 1
    _, out, _ = outs.pop()
    assert "releases/v1.0.0/x/request.toml" in out


def _shipped_and_kept(tmp_path: Path) -> tuple[Repo, str, str]:
    """v1.0.0 tagged, a commit after the tag, and a first status that kept v1.0.0's row
    across commits: the repository, that commit, and the status printed."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "First").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    r.write("app.py", "print('after the tag')\n")
    old = r.commit("after the tag")
    return r, old, _status(r)


def _with_releases(r: Repo, commit: str, releases: list[tuple[bytes, bytes, bytes]]) -> str:
    """`commit`'s root tree with its `releases/` tree made of `releases` (raw entries)."""
    made = bytes.fromhex(_tree(r, releases))
    root = _entries(r, f"{commit}^{{tree}}")
    return _tree(r, [(m, n, made if n == b"releases" else s) for m, n, s in root])


def _odd_then_fixed(r: Repo, old: str, odd_tree: str, fixed: str) -> None:
    """On top of `old`, a commit of `odd_tree` (one git would not write), then one of
    `fixed`'s tree on top of that: main's history from here on."""
    bad = r.git("commit-tree", odd_tree, "-p", old, "-m", "odd", env=identity("dave"))
    good = r.git("commit-tree", f"{fixed}^{{tree}}", "-p", bad, "-m", "ok", env=identity("dave"))
    r.git("update-ref", "refs/heads/main", good)
    r.git("reset", "-q", "--hard")


@pytest.mark.parametrize("name", ["lib", "../etc", "v9.9.9", "x" * 300])
def test_a_kept_list_naming_no_release_is_listed_again(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A hand-edited, well-formed status-4.json whose release names hold one that is no
    release row at HEAD (no release tag of the policy, or no request there): status
    judged it and exited 2; now the folders are listed again, as a fresh run lists them."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    assert repo.gate("status").code == 0
    kept = repo.path / ".git" / "gatekeeper" / "status-4.json"
    doc = json.loads(kept.read_text())
    doc["names"] = ["v1.0.0", name]
    kept.write_text(json.dumps(doc))
    res = repo.gate("status")
    assert res.code == 0, res.err
    monkeypatch.setenv("GATE_NO_CACHE", "1")
    assert res.out == repo.gate("status").out
