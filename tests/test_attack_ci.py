"""Third security review: integrations and tag handling. Each test asserts the secure
behaviour and failed on the code it was written against."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity
from test_action import _clone, _origin_tags, approved_origin, run_action

BIN = str(Path(sys.executable).parent)
FAR = "999999999999 +0000"  # year 33658: git mktag and git fsck accept it


def mktag(repo: Repo, name: str, tagger_date: str, commit: str = "HEAD") -> str:
    """An annotated tag written with plain `git mktag` (git's own checks pass)."""
    sha = repo.git("rev-parse", f"{commit}^{{commit}}")
    tagger = f"tagger dave <dave@example.com> {tagger_date}"
    body = f"object {sha}\ntype commit\ntag {name}\n{tagger}\n\nrelease\n"
    proc = subprocess.run(
        ["git", "mktag"], cwd=repo.path, input=body, capture_output=True, text=True, check=True
    )
    obj = proc.stdout.strip()
    repo.git("update-ref", f"refs/tags/{name}", obj)
    return obj


# --- 1. a tagger date past the year 9999 crashes the check: exit 2, never deleted ----------


def test_far_future_tagger_date_fails_and_is_deleted_on_tag_push(
    repo: Repo, tmp_path: Path
) -> None:
    repo, remote = approved_origin(repo, tmp_path)
    mktag(repo, "v2.0.0", FAR)
    assert subprocess.run(["git", "fsck", "--strict"], cwd=repo.path, check=False).returncode == 0
    repo.git("push", "-q", "origin", "v2.0.0")
    clone = _clone(remote, tmp_path)
    code, log, _, _ = run_action(clone, tmp_path, "refs/tags/v2.0.0", {"on-fail": "delete-tag"})
    assert code == 1, log
    assert "v2.0.0" not in _origin_tags(remote), log


def test_far_future_tag_does_not_shield_the_others_in_the_scheduled_recheck(
    repo: Repo, tmp_path: Path
) -> None:
    repo, remote = approved_origin(repo, tmp_path)
    repo.git("tag", "-a", "-m", "sneaky", "v3.0.0")  # an ordinary unapproved tag
    mktag(repo, "v4.0.0", FAR)
    repo.git("push", "-q", "origin", "v3.0.0", "v4.0.0")
    clone = _clone(remote, tmp_path)
    code, log, _, _ = run_action(
        clone, tmp_path, "refs/heads/main", {"all-tags": "true", "on-fail": "delete-tag"}
    )
    assert code == 1, log
    assert _origin_tags(remote) == ["v1.0.0"], log


def test_far_future_commit_date_fails_and_is_deleted_on_tag_push(
    repo: Repo, tmp_path: Path
) -> None:
    repo, remote = approved_origin(repo, tmp_path)
    repo.write("app.py", "print('evil')\n")
    repo.git("add", "-A")
    far = {**identity("dave"), "GIT_AUTHOR_DATE": f"@{FAR}", "GIT_COMMITTER_DATE": f"@{FAR}"}
    repo.git("commit", "-q", "-m", "evil", env=far)
    repo.git("tag", "-a", "-m", "evil", "v2.0.0")
    repo.git("push", "-q", "origin", "v2.0.0")
    clone = _clone(remote, tmp_path)
    code, log, _, _ = run_action(clone, tmp_path, "refs/tags/v2.0.0", {"on-fail": "delete-tag"})
    assert code == 1, log
    assert "v2.0.0" not in _origin_tags(remote), log


# --- 2. gate hook pre-push -----------------------------------------------------------------


def _sh(repo: Repo, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **identity("dave"), "PATH": BIN + os.pathsep + os.environ["PATH"]}
    return subprocess.run(
        ["git", *args], cwd=repo.path, capture_output=True, text=True, env=env, check=False
    )


def _hooked(repo: Repo, tmp_path: Path) -> Path:
    assert repo.gate("init", "--hooks").code == 0
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    repo.gate("request", "v2.0.0", "--title", "t2")
    assert _sh(repo, "push", "-q", "origin", "main").returncode == 0
    return remote


def _remote_tags(remote: Path) -> list[str]:
    return subprocess.run(
        ["git", "tag", "-l"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout.split()


def test_pre_push_refuses_an_unapproved_tag_while_head_is_unborn(
    repo: Repo, tmp_path: Path
) -> None:
    remote = _hooked(repo, tmp_path)
    repo.git("tag", "-a", "-m", "sneaky", "v2.0.0")
    assert _sh(repo, "push", "origin", "v2.0.0").returncode != 0  # refused, as it should be
    repo.git("checkout", "-q", "--orphan", "scratch")  # HEAD now names no commit
    push = _sh(repo, "push", "origin", "v2.0.0")
    assert push.returncode != 0, push.stderr
    assert "v2.0.0" not in _remote_tags(remote)


@pytest.mark.parametrize("separator", ["\u2028", "\u0085", "\u2029"])
def test_pre_push_sees_a_tag_pushed_from_a_ref_whose_name_holds_a_line_separator(
    repo: Repo, tmp_path: Path, separator: str
) -> None:
    """git allows U+2028 / U+0085 in ref names; str.splitlines() breaks a pre-push line at
    them, so the line that publishes refs/tags/v2.0.0 no longer has four fields."""
    remote = _hooked(repo, tmp_path)
    obj = mktag(repo, "v2.0.0", "1700000000 +0000")  # an annotated tag object named v2.0.0
    repo.git("tag", "-d", "v2.0.0")
    hidden = f"refs/tags/x{separator}"
    repo.git("update-ref", hidden, obj)
    push = _sh(repo, "push", "origin", f"{hidden}:refs/tags/v2.0.0")
    assert push.returncode != 0, push.stderr
    assert "v2.0.0" not in _remote_tags(remote)


def _bare_forge(repo: Repo, tmp_path: Path):  # type: ignore[no-untyped-def]
    from test_gitlab import Forge

    site = Forge(tmp_path / "forge")
    site.bare.parent.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "--bare", str(site.bare)], check=True)
    repo.git("remote", "add", "origin", str(site.bare))
    return site


@contextmanager
def _serving(site):  # type: ignore[no-untyped-def]
    from test_gitlab import _GitHTTP

    handler = type("Handler", (_GitHTTP,), {"forge": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- 3. GitLab: the job judges the tag as origin has it now, not the pipeline's commit ------


def test_gitlab_job_judges_the_commit_its_pipeline_runs_not_a_moved_tag(
    tmp_path: Path, repo: Repo
) -> None:
    """A tag pipeline deploys CI_COMMIT_SHA. gitlab.sh force-fetches every tag before the
    check, so a tag moved on origin after the push (to an approved commit) is what gets
    judged, and the pipeline of the unapproved commit passes."""
    from test_gitlab import _runner_clone, run_job

    site = _bare_forge(repo, tmp_path)
    repo.gate("request", "v2.0.0", "--title", "t")
    approve_all(repo, "v2.0.0")
    approved = repo.git("rev-parse", "HEAD")
    repo.git("push", "-q", "origin", "main")
    # The insider: an unapproved change, tagged v2.0.0 and pushed (its pipeline starts).
    repo.write("app.py", "print('evil')\n")
    evil = repo.commit("evil")
    repo.git("tag", "-a", "-m", "evil", "v2.0.0", evil)
    repo.git("push", "-q", "origin", "v2.0.0")
    with _serving(site):
        clone = _runner_clone(site, tmp_path, "refs/tags/v2.0.0")  # the pipeline of `evil`
        assert (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True
            ).stdout.strip()
            == evil
        )
        # ...then, before the job's fetch, the tag is moved to the approved commit.
        repo.git("tag", "-a", "-f", "-m", "fine", "v2.0.0", approved)
        repo.git("push", "-q", "-f", "origin", "v2.0.0")
        job = run_job(site, clone, "tag", {"on-fail": "fail"}, {"CI_COMMIT_SHA": evil})
    assert job.code != 0, job.log  # the pipeline that deploys `evil` must not pass


@pytest.mark.parametrize("planted", ["gate-report.json", "gate-junit.xml"])
def test_gitlab_unapproved_tag_is_deleted_whatever_the_tagged_tree_holds_at_the_report_paths(
    tmp_path: Path, repo: Repo, planted: str
) -> None:
    """GATE_REPORT / GATE_JUNIT are relative to CI_PROJECT_DIR, the tagged checkout. A
    folder committed there survives `rm -f`: gate exits 2 (--report-json cannot be
    written) or the redirect fails, and delete-tag deletes nothing."""
    from test_gitlab import _origin_tags as forge_tags
    from test_gitlab import _runner_clone, run_job

    site = _bare_forge(repo, tmp_path)
    repo.git("push", "-q", "origin", "main")
    repo.write(f"{planted}/keep", "x\n")
    repo.commit("a folder where the CI job writes its report")
    repo.git("tag", "-a", "-m", "sneaky", "v2.0.0")
    repo.git("push", "-q", "origin", "main", "v2.0.0")
    with _serving(site):
        clone = _runner_clone(site, tmp_path, "refs/tags/v2.0.0")
        job = run_job(site, clone, "tag", {"on-fail": "delete-tag"})
    assert job.code == 1, job.log
    assert "v2.0.0" not in forge_tags(site), job.log


# --- 4. gate doctor: "the gate runs in CI" when it never runs on a release tag -------------

from test_doctor import _doctor, _problems, _workflow, ready  # noqa: E402,F401


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('tags: ["v*"]', 'tags: ["release-*"]'),  # the policy's tags are v*: never triggered
        ('all-tags: "true"', 'all-tags: "false"'),  # the schedule re-checks nothing
    ],
    ids=["tag-filter-misses-release-tags", "schedule-without-all-tags"],
)
def test_doctor_reports_a_workflow_that_never_checks_release_tags(
    ready: Repo,  # noqa: F811
    old: str,
    new: str,
) -> None:
    workflow = _workflow()
    assert old in workflow
    ready.write(".github/workflows/release-gate.yml", workflow.replace(old, new))
    _, data = _doctor(ready)
    assert _problems(data, "ci"), data


def test_far_future_dates_are_read_by_every_command(repo: Repo) -> None:
    """A tag and a commit dated in the year 33658 are read as the latest date there is by
    status, audit and the checks, in every output format."""
    assert repo.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(repo)
    repo.write("app.py", "print('later')\n")
    repo.git("add", "-A")
    far = {**identity("dave"), "GIT_AUTHOR_DATE": f"@{FAR}", "GIT_COMMITTER_DATE": f"@{FAR}"}
    repo.git("commit", "-q", "-m", "far", env=far)
    mktag(repo, "v1.0.0", "999999999999 +1400")
    for args in (
        ("check", "v1.0.0"),
        ("check", "--all-tags", "--format", "json"),
        ("status", "--format", "json"),
        ("audit", "--format", "json"),
        ("audit", "--format", "html"),
        ("audit",),
    ):
        res = repo.gate(*args)
        assert res.code in (0, 1), (args, res.out, res.err)
    res = repo.gate("check", "v1.0.0")
    assert res.code == 1 and "[FAIL] tag" in res.out, res.out


def test_github_run_of_a_commit_the_tag_no_longer_names_fails_and_deletes_nothing(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tag-push run is for GITHUB_SHA; the tag was moved to an approved commit before
    the checkout fetched it. The run must not pass (deploy jobs `needs:` it), and the tag,
    which now names another commit, is left to that commit's own run."""
    repo, remote = approved_origin(repo, tmp_path)
    repo.write("app.py", "print('evil')\n")
    evil = repo.commit("evil")
    monkeypatch.setenv("GITHUB_SHA", evil)
    clone = _clone(remote, tmp_path)  # v1.0.0 on origin names the approved commit
    code, log, outputs, _ = run_action(
        clone, tmp_path, "refs/tags/v1.0.0", {"on-fail": "delete-tag"}
    )
    assert code == 1 and "moved" in log, log
    assert outputs.get("passed") == "false"
    assert "v1.0.0" in _origin_tags(remote)
    approved = subprocess.run(
        ["git", "rev-parse", "v1.0.0^{commit}"],
        cwd=clone,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    monkeypatch.setenv("GITHUB_SHA", approved)
    code, log, outputs, _ = run_action(
        clone, tmp_path, "refs/tags/v1.0.0", {"on-fail": "delete-tag"}
    )
    assert code == 0, log
