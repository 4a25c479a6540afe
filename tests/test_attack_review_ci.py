"""Security review of the CI integrations and hooks (action.yml, action/check.sh,
action/gitlab.sh, docs/workflows/, gate hook pre-push, gate check --all-tags, gate tag).
Each xfail test asserts the secure behaviour and fails on the code it was written against;
real git, bare origins, the action's own step run as a runner runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import Repo, approve_all, make_repo
from snippets import POST_CHECK
from test_action import EXPR, ROOT, _clone, _origin_tags, run_action

BIN = str(Path(sys.executable).parent)
RECHECK = {"all-tags": "true", "on-fail": "delete-tag"}


def _origin(r: Repo, tmp_path: Path) -> Path:
    remote = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    r.git("remote", "add", "origin", str(remote))
    return remote


def _fresh_clone(remote: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(remote), str(where)], check=True)
    return where


# --- 1. a junk tag of a pending release makes every shipped tag "owe" something ----------


def test_a_lightweight_tag_of_a_pending_release_does_not_get_shipped_tags_deleted(
    tmp_path: Path,
) -> None:
    """v1.0.0 is approved, tagged and passes the daily re-check. v1.1.0 is only requested
    (its request is on main, as requests filed a week ahead are). Mallory, who may push
    tags, pushes a *lightweight* tag v1.1.0 (in a batch of four, or on a commit whose
    workflow file she wrote, so no tag-push run removes it first). `overdue_elsewhere`
    counts every release tag as shipped, reads an undated tag as "owing its post-release
    gates at once", so the scheduled `--all-tags` run fails v1.0.0's `obligations` gate
    and `on-fail: delete-tag` deletes alice's approved tag along with mallory's. (So is
    every new approved tag's push run while the junk tag stands; a tag backdated past
    `due_hours` does the same.) Rule that should stop it: only a tag whose release passed
    its own pre-tag gates at the tagged commit (the tag gate aside, so a re-made
    lightweight tag of a shipped release still owes) can owe obligations."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    remote = _origin(r, tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    approve_all(r, "v1.0.0")
    assert r.gate("tag", "v1.0.0", who="alice").code == 0
    r.write("app.py", "print('v1.1')\n")
    r.commit("next")
    assert r.gate("request", "v1.1.0", "--title", "two", who="carol").code == 0
    r.git("push", "-q", "origin", "main", "v1.0.0")
    code, log, _, _ = run_action(_clone(remote, tmp_path), tmp_path, "refs/heads/main", RECHECK)
    assert code == 0 and _origin_tags(remote) == ["v1.0.0"], log  # control
    r.git("tag", "v1.1.0", "HEAD")  # mallory: lightweight, no approvals
    r.git("push", "-q", "origin", "v1.1.0")
    clone = _fresh_clone(remote, tmp_path / "next-day")
    code, log, _, _ = run_action(clone, tmp_path, "refs/heads/main", RECHECK)
    assert code == 1, log
    assert _origin_tags(remote) == ["v1.0.0"], log  # only mallory's tag goes


# --- 2. the scheduled re-check guesses `main` as the default branch ----------------------


def _gate_step(
    clone: Path, tmp_path: Path, ref: str, inputs: dict[str, str], default_branch: str
) -> tuple[int, str]:
    """action.yml's gate step with `github.event.repository.default_branch` as the event
    payload has it: a `schedule` event carries no `repository`, so it is ''."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    values = {f"inputs.{k}": v.get("default", "") for k, v in action["inputs"].items()}
    values.update({f"inputs.{k}": v for k, v in inputs.items()})
    values["github.action_path"] = str(ROOT)
    values["github.event.repository.default_branch"] = default_branch
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "gate")
    env = {k: EXPR.sub(lambda m: values[m.group(1)], str(v)) for k, v in step["env"].items()}
    (tmp_path / "output").write_text("")
    proc = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        cwd=clone,
        env={
            **os.environ,
            **env,
            "GITHUB_REF": ref,
            # a run with no repository in its event is the scheduled one
            "GITHUB_EVENT_NAME": "schedule" if not default_branch else "workflow_dispatch",
            "GITHUB_OUTPUT": str(tmp_path / "output"),
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "PATH": BIN + os.pathsep + os.environ["PATH"],
        },
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_the_scheduled_recheck_reads_the_default_branch_policy_not_a_branch_named_main(
    tmp_path: Path,
) -> None:
    """GitHub's `schedule` payload has no `repository`, so action.yml's DEFAULT_BRANCH
    (`github.event.repository.default_branch`) is empty on the daily re-check and
    check.sh falls back to `main`. In a repository whose default branch is `master`,
    mallory pushes an unprotected branch `main` whose policy names no release tags, and an
    unapproved tag v2.0.0 (its own push run is hers: the tagged commit's workflow file).
    The re-check reads `refs/remotes/origin/main`, judges nothing and passes: v2.0.0 is
    never deleted. (Without any `main` it exits 2 every day and deletes nothing.) Rule
    that should stop it: the trusted ref is the repository's real default branch (on a
    schedule, GITHUB_REF, which is always it), never a guessed name."""
    r = make_repo(tmp_path)
    r.git("branch", "-m", "master")
    remote = _origin(r, tmp_path)
    subprocess.run(["git", "symbolic-ref", "HEAD", "refs/heads/master"], cwd=remote, check=True)
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    approve_all(r, "v1.0.0")
    assert r.gate("tag", "v1.0.0", who="alice").code == 0
    r.git("push", "-q", "origin", "master", "v1.0.0")
    r.git("switch", "-q", "-c", "main")  # mallory
    r.write("policies/release.toml", 'schema = 1\ntags = ["x*"]\nsignatures = "none"\n')
    r.write("app.py", "print('evil')\n")
    r.commit("evil", who="mallory")
    r.git("tag", "-a", "-m", "evil", "v2.0.0")
    r.git("push", "-q", "origin", "main", "v2.0.0")
    clone = _clone(remote, tmp_path)
    flag = {**RECHECK, "on-fail": "fail"}
    code, log = _gate_step(clone, tmp_path, "refs/heads/master", flag, "master")
    assert code == 1 and "v2.0.0" in log, log  # control: workflow_dispatch (payload has it)
    code, log = _gate_step(clone, tmp_path, "refs/heads/master", RECHECK, "")  # the cron run
    assert code == 1, log
    assert _origin_tags(remote) == ["v1.0.0"], log


# --- 3. a queued tag-push run deletes the tag re-made under its name ---------------------


def _checkout_v4(remote: Path, tmp_path: Path, ref: str, sha: str) -> Path:
    """What actions/checkout@11bd719 (v4.2.2, the pin of docs/workflows/release-gate.yml)
    does with fetch-depth: 0 (src/git-source-provider.ts, src/ref-helper.ts): fetch every
    branch and tag; when `ref^{commit}` is not GITHUB_SHA, fetch again with
    `+<GITHUB_SHA>:<ref>`, which points the local tag at the run's commit; check it out."""
    clone = tmp_path / "checkout"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=clone, capture_output=True, text=True, check=False
        )

    git("remote", "add", "origin", str(remote))
    git("fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
    if git("rev-parse", "--verify", "-q", f"{ref}^{{commit}}").stdout.strip() != sha:
        assert git("fetch", "-q", "origin", f"+{sha}:{ref}").returncode == 0
    assert git("checkout", "-q", "--force", ref).returncode == 0
    return clone


def test_a_run_for_a_deleted_tag_does_not_delete_the_approved_tag_made_again_under_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Mallory pushes an unapproved annotated v2.0.0 on `evil`; its tag-push run is queued.
    She starts the re-check (workflow_dispatch: any writer may), which deletes her tag;
    alice then tags the approved release v2.0.0 and her run passes. Mallory's run starts:
    actions/checkout sees v2.0.0 no longer names GITHUB_SHA and fetches
    `+<evil>:refs/tags/v2.0.0`, so check.sh's "moved or deleted after the push" guard
    compares evil with evil and passes; the check fails (lightweight, stale) and
    `git push origin --delete refs/tags/v2.0.0` deletes whatever origin has under that
    name: alice's approved tag. The same unconditional delete-by-name is in the re-check
    and in gitlab.sh (a tag re-made while the check runs). Rule that should stop it: a run
    deletes only the tag object it judged (`git push --force-with-lease=refs/tags/X:<object>
    origin :refs/tags/X`), and the guard reads origin (`git ls-remote`), not the checkout."""
    r = make_repo(tmp_path)
    remote = _origin(r, tmp_path)
    subprocess.run(
        ["git", "config", "uploadpack.allowAnySHA1InWant", "true"], cwd=remote, check=True
    )
    assert r.gate("request", "v2.0.0", "--title", "two", who="carol").code == 0
    approve_all(r, "v2.0.0")
    r.git("push", "-q", "origin", "main")
    r.git("switch", "-q", "-c", "evil")
    r.write("app.py", "print('evil')\n")
    evil = r.commit("evil", who="mallory")
    r.git("tag", "-a", "-m", "evil", "v2.0.0")
    r.git("push", "-q", "origin", "evil", "v2.0.0")
    code, log, _, _ = run_action(_clone(remote, tmp_path), tmp_path, "refs/heads/main", RECHECK)
    assert code == 1 and _origin_tags(remote) == [], log
    r.git("switch", "-q", "main")
    r.git("tag", "-d", "v2.0.0")
    assert r.gate("tag", "v2.0.0", "--push", "origin", who="alice").code == 0
    approved = _fresh_clone(remote, tmp_path / "alice-run")
    code, log, _, _ = run_action(approved, tmp_path, "refs/tags/v2.0.0", {"on-fail": "delete-tag"})
    assert code == 0, log  # control: alice's run passes
    monkeypatch.setenv("GITHUB_SHA", evil)  # mallory's queued run
    clone = _checkout_v4(remote, tmp_path, "refs/tags/v2.0.0", evil)
    code, log, outputs, _ = run_action(
        clone, tmp_path, "refs/tags/v2.0.0", {"on-fail": "delete-tag"}
    )
    assert code == 1 and outputs.get("passed") == "false", log  # `evil` is not deployed
    assert _origin_tags(remote) == ["v2.0.0"], log  # ...and alice's tag is left alone
