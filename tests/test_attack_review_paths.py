"""Attack review of what a path under the releases folder is (records/layout.py), found
by a helper: places where two parts of gatekeeper disagreed on a path's kind or release.
Each test failed on the code it was written against."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, approve_all, component_repo, identity, make_repo

GATE = str(Path(sys.executable).parent / "gate")


def _hook(r: Repo) -> subprocess.CompletedProcess[str]:
    """`gate validate` as git's pre-commit hook runs it (the installed entry point, whose
    early answer runs first)."""
    return subprocess.run(
        [GATE, "validate"],
        cwd=r.path,
        capture_output=True,
        text=True,
        env={**os.environ, **identity("dave")},
        check=False,
    )


def _commit(r: Repo, message: str, who: str = "dave") -> None:
    r.git("add", "-A")
    r.git("commit", "-q", "--no-verify", "-m", message, env=identity(who))


def test_the_records_folder_cannot_be_the_policy_folder(tmp_path: Path) -> None:
    """Attack: `releases = "policies"`. The history index then read every policy change
    as a release folder's file that no release owns, and the audit showed no `policy`
    event for a change that switched the acceptance gate off between request and tag."""
    r = make_repo(tmp_path, extra='releases = "policies"')
    before = r.state()
    res = r.gate("request", "v1.0.0", "--title", "t")
    assert res.code == 2, res.out
    first = res.err.splitlines()[0]
    assert "policies/release.toml" in first and "releases" in first and "policies" in first
    assert "hint:" in res.err and "Traceback" not in res.err
    assert r.state() == before


@pytest.mark.parametrize("segment", ["approvals", "evidence", "emergency", "request.toml"])
def test_a_tag_with_a_record_folder_s_name_inside_is_refused(repo: Repo, segment: str) -> None:
    """Attack: release `v9/approvals/x`. `gate check` read its folder as that release's,
    while the history index, the binding, status and the audit filed every file there as
    an `other` file of a release `v9`: with the index kept, a deleted rejection was no
    longer seen by the check (the audit showed it under a phantom `v9`)."""
    tag = f"v9/{segment}/x"
    before = repo.state()
    res = repo.gate("request", tag, "--title", "nested")
    assert res.code == 2
    assert f"'{segment}' names a part of a release folder" in res.err and "hint:" in res.err
    assert repo.state() == before
    assert repo.gate("check", tag).code == 2


def test_a_record_folder_s_name_may_open_a_tag(tmp_path: Path) -> None:
    """Only a later segment is read as part of a release folder: `approvals/v9`'s folder is
    `releases/approvals/v9/`, whose files every part of gatekeeper places alike."""
    r = component_repo(tmp_path, gates="")
    assert r.gate("request", "approvals/v9", "--title", "first segment").code == 0
    approve_all(r, "approvals/v9")
    assert r.gate("check", "approvals/v9").code == 0
    assert "approvals/v9" in r.gate("status").out


def test_the_hook_refuses_an_edit_of_a_file_directly_in_a_release_folder(repo: Repo) -> None:
    """`releases/v1.0.0/notes.md` committed, then edited: the hook let the edit through
    (the file's name places it in no release), and the check then failed `records` for
    it for good."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    repo.write("releases/v1.0.0/notes.md", "first\n")
    _commit(repo, "notes")
    repo.write("releases/v1.0.0/notes.md", "second\n")
    repo.write("releases/README.md", "what these folders are\n")  # in no release
    repo.git("add", "-A")
    hook = _hook(repo)
    assert hook.returncode == 2, (hook.stdout, hook.stderr)
    assert "releases/v1.0.0/notes.md: committed records are append-only; edited" in hook.stderr
    repo.git("reset", "-q", "--", "releases/v1.0.0/notes.md")
    assert _hook(repo).returncode == 0  # a file in no release folder is no record
    _commit(repo, "readme")
    repo.write("releases/README.md", "edited\n")
    repo.git("add", "-A")
    assert _hook(repo).returncode == 0


def test_the_audit_reports_a_deleted_file_the_check_fails_on(repo: Repo) -> None:
    """`releases/v1.0.0/notes.md` committed, then deleted (hook skipped): the check fails
    `records` naming it; the audit showed the release clean."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    repo.write("releases/v1.0.0/notes.md", "first\n")
    _commit(repo, "notes")
    repo.git("rm", "-q", "releases/v1.0.0/notes.md")
    _commit(repo, "drop notes", who="mallory")
    check = repo.gate("check", "v1.0.0")
    assert "releases/v1.0.0/notes.md: deleted after it was committed" in check.out
    for args in ((), ("v1.0.0",)):
        data = json.loads(repo.gate("audit", *args, "--format", "json").out)
        (release,) = data["releases"]
        found = [(a["kind"], a["path"]) for a in release["anomalies"]]
        assert ("record-deleted", "releases/v1.0.0/notes.md") in found, found
        assert "mallory@example.com" in release["anomalies"][0]["message"]
