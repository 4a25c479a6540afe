"""Failing closed, the edges: git's own words, odd tags, refs, revisions, roles, dates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import pytest

from conftest import Repo, approve_all, identity, make_repo
from gatekeeper.errors import GitError
from gatekeeper.repo import open_repo

if TYPE_CHECKING:
    from pathlib import Path

REL = "releases/v1.0.0"


def _check(r: Repo, *args: str) -> tuple[int, dict[str, Any]]:
    res = r.gate("check", "v1.0.0", *args, "--format", "json")
    assert res.code in (0, 1), res.err
    return res.code, json.loads(res.out)


def _gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in data["gates"] if g["id"] == gate_id)


def _approved(r: Repo) -> None:
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)


def test_git_failure_keeps_every_line_git_said(repo: Repo) -> None:
    with open_repo(repo.path) as git, pytest.raises(GitError) as caught:
        git.run("push", "--end-of-options", "no-such-remote", "HEAD")
    error = caught.value
    said = "\n".join(error.lines)
    assert "no-such-remote" in error.message
    assert "Could not read from remote repository" in said  # git's second line, kept


def test_refused_push_through_the_cli_says_what_git_said(repo: Repo) -> None:
    _approved(repo)
    before = repo.state()
    res = repo.gate("tag", "v1.0.0", "--push", "no-such-remote")  # refused before tagging
    assert res.code == 2 and "no remote of this repository" in res.err
    assert repo.state() == before
    repo.git("remote", "add", "gone", str(repo.path.parent / "no-such-repository"))
    res = repo.gate("tag", "v1.0.0", "--push", "gone")
    assert res.code == 2
    assert "tag v1.0.0 was made, but pushing it to gone failed" in res.err
    assert "Could not read from remote repository" in res.err  # git's own lines, kept
    assert "hint: push it when gone can be reached" in res.err
    assert "Traceback" not in res.err


def test_tag_of_a_tag_is_not_a_release_tag(repo: Repo) -> None:
    _approved(repo)
    repo.git("tag", "-a", "inner", "-m", "inner")
    inner = repo.git("rev-parse", "refs/tags/inner")
    body = (
        f"object {inner}\ntype tag\ntag v1.0.0\n"
        "tagger Dave <dave@example.com> 1900000000 +0000\n\nrelease\n"
    )
    outer = subprocess.run(
        ["git", "hash-object", "-t", "tag", "-w", "--stdin"],
        cwd=repo.path,
        input=body,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    repo.git("update-ref", "refs/tags/v1.0.0", outer)
    code, data = _check(repo, "--at", "2030-03-17T17:46:40+00:00")
    assert code == 1
    assert "points at a tag" in " ".join(_gate(data, "tag")["reasons"])


def test_policy_ref_reads_remote_tracking_branches_and_full_refs(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD")
    repo.git("update-ref", "refs/remotes/origin/main", head)
    repo.gate("request", "v1.0.0", "--title", "t")
    for ref in ("origin/main", "refs/remotes/origin/main", "main", head):
        code, data = _check(repo, "--policy-ref", ref)
        assert code == 1 and len(data["policy_ref"]) == 40, ref
    res = repo.gate("check", "v1.0.0", "--policy-ref", "v9")  # a tag name is not a trusted ref
    assert res.code == 2 and "refs/heads/v9 or refs/remotes/v9" in res.err


def test_revise_refuses_what_cannot_be_a_revision(tmp_path: Path) -> None:
    r = make_repo(tmp_path, extra='kinds = ["release", "hotfix"]')
    before = r.state()
    res = r.gate("request", "v1.0.0", "--revise", "--title", "x")
    assert res.code == 2 and "no committed request to revise" in res.err
    assert r.state() == before
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    before = r.state()
    res = r.gate("request", "v1.0.0", "--title", "again")
    assert res.code == 2 and "--revise" in res.err
    res = r.gate("request", "v1.0.0", "--revise", "--kind", "hotfx")
    assert res.code == 2 and "did you mean 'hotfix'" in res.err
    (r.path / REL / "request.toml").write_text("edited by hand\n")
    res = r.gate("request", "v1.0.0", "--revise", "--kind", "hotfix")
    assert res.code == 2 and "differs from the committed version" in res.err
    r.git("checkout", "--", f"{REL}/request.toml")
    assert r.state() == before
    assert r.gate("request", "v1.0.0", "--revise", "--kind", "hotfix").code == 0
    text = (r.path / REL / "request.toml").read_text()
    assert 'kind = "hotfix"' in text and 'title = "t"' in text and "revision = 2" in text


def test_a_revision_makes_earlier_approvals_stale(repo: Repo) -> None:
    _approved(repo)
    assert _check(repo)[0] == 0
    assert repo.gate("request", "v1.0.0", "--revise", "--risk", "major").code == 0
    code, data = _check(repo)
    assert code == 1
    assert "request.toml was edited after this was signed" in " ".join(
        _gate(data, "acceptance")["reasons"]
    )
    approve_all(repo)
    assert _check(repo)[0] == 0


def test_a_revoke_frees_the_role(tmp_path: Path) -> None:
    # carol holds pm and rnd; she approves as rnd by mistake, revokes, and approves as pm.
    r = make_repo(
        tmp_path,
        gates='[[gates]]\nid = "pm"\ntype = "approval"\nroles = ["pm"]\n',
    )
    policy = (r.path / "policies/release.toml").read_text()
    r.write(
        "policies/release.toml", policy.replace('members = ["bob"]', 'members = ["bob", "carol"]')
    )
    r.commit("carol joins rnd")
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    assert r.gate("approve", "v1.0.0", "--role", "rnd", who="carol").code == 0
    assert r.gate("revoke", "v1.0.0", "--role", "rnd", who="carol").code == 0
    assert r.gate("approve", "v1.0.0", "--role", "pm", who="carol").code == 0
    code, data = _check(r)
    assert code == 0, data
    assert "approved by carol as pm (unverified)" in _gate(data, "pm")["reasons"]


def test_an_approval_dated_in_the_future_does_not_count(repo: Repo) -> None:
    _approved(repo)
    path = next((repo.path / REL / "approvals").glob("*bob*"))
    text = path.read_text()
    forged = repo.write(
        f"{REL}/approvals/far-future-bob.toml",
        text.replace(text.split("at = ")[1].split("\n")[0], "2099-01-01T00:00:00Z"),
    )
    path.unlink()
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "bob, forever", env=identity("bob"))
    code, data = _check(repo)
    assert code == 1
    reasons = " ".join(_gate(data, "acceptance")["reasons"])
    assert f"{forged.name}: not counted: dated 2099-01-01" in reasons


def test_a_repository_git_refuses_says_what_git_said(repo: Repo) -> None:
    # Owned by someone else: git refuses it (safe.directory); that is what the user reads,
    # not "no commits yet".
    subprocess.run(["chown", "-R", "65534:65534", str(repo.path)], check=True)
    try:
        res = repo.gate("status")
    finally:
        subprocess.run(["chown", "-R", f"{os.getuid()}:{os.getgid()}", str(repo.path)], check=True)
    assert res.code == 2
    assert "dubious ownership" in res.err and "safe.directory" in res.err
    assert "no commits" not in res.err


def test_git_too_old_is_named(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in `git` that reports an old version and otherwise hands over to the real one.
    real = shutil.which("git")
    fake = tmp_path / "bin" / "git"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\nfor a; do [ "$a" = version ] && {{ echo "git version 2.20.1"; exit 0; }}; '
        f'done\nexec {real} "$@"\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr("gatekeeper.repo.base._checked", [])
    res = repo.gate("status")
    assert res.code == 2
    assert "git version 2.20.1: gatekeeper needs git 2.31 or newer" in res.err
