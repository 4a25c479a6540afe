"""Hooks end to end: real `git commit` / `git push` to a local bare remote, plain hooks and
pre-commit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Repo, approve_all, identity

BIN = str(Path(sys.executable).parent)


@pytest.fixture(autouse=True)
def gate_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hooks call `gate` by name, as in a user's repository."""
    monkeypatch.setenv("PATH", BIN + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-cache"))


def sh(repo: Repo, *args: str, who: str = "dave") -> subprocess.CompletedProcess[str]:
    """Run git for real (hooks included) and return the result, failing or not."""
    return subprocess.run(
        ["git", *args],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, **identity(who)},
        check=False,
    )


def with_remote(repo: Repo, tmp_path: Path) -> Path:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.git("remote", "add", "origin", str(remote))
    return remote


def remote_tags(remote: Path) -> list[str]:
    out = subprocess.run(
        ["git", "tag", "-l"], cwd=remote, capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_plain_hooks_refuse_edits_and_unapproved_tags(repo: Repo, tmp_path: Path) -> None:
    res = repo.gate("init", "--hooks")
    assert res.code == 0, res.err
    assert (repo.path / ".git/hooks/pre-push").stat().st_mode & 0o111
    remote = with_remote(repo, tmp_path)
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    assert sh(repo, "push", "-q", "origin", "main").returncode == 0
    # An edited approval is refused at commit time; nothing changes.
    f = next((repo.path / "releases/v1.0.0/approvals").iterdir())
    f.write_text(f.read_text().replace('comment = ""', 'comment = "x"'))
    repo.git("add", "-A")
    head = repo.git("rev-parse", "HEAD")
    refused = sh(repo, "commit", "-m", "edit approval")
    assert refused.returncode != 0 and "append-only" in refused.stderr
    assert repo.git("rev-parse", "HEAD") == head
    repo.git("checkout", "HEAD", "--", ".")
    # `git commit PATH` commits through a temporary index (GIT_INDEX_FILE): still refused.
    f.write_text(f.read_text().replace('comment = ""', 'comment = "y"'))
    only = sh(repo, "commit", "-m", "edit approval", "--", str(f.relative_to(repo.path)))
    assert only.returncode != 0 and "append-only" in only.stderr
    assert repo.git("rev-parse", "HEAD") == head
    repo.git("checkout", "HEAD", "--", ".")
    # A tag nobody approved, on a commit the remote already has: refused.
    repo.gate("request", "v2.0.0", "--title", "t2")
    assert sh(repo, "push", "-q", "origin", "main").returncode == 0
    repo.git("tag", "-a", "-m", "sneaky", "v2.0.0")
    push = sh(repo, "push", "origin", "v2.0.0")
    assert push.returncode != 0 and "refused: v2.0.0: gates fail" in push.stderr
    assert "v2.0.0" not in remote_tags(remote)
    # The approved one goes through, and branch pushes are not slowed by a check.
    assert repo.gate("tag", "v1.0.0").code == 0
    ok = sh(repo, "push", "origin", "v1.0.0")
    assert ok.returncode == 0, ok.stderr
    assert remote_tags(remote) == ["v1.0.0"]


def test_init_hooks_respects_core_hooks_path(repo: Repo) -> None:
    repo.git("config", "core.hooksPath", ".husky")
    res = repo.gate("init", "--hooks")
    assert res.code == 2 and "core.hooksPath is set to '.husky'" in res.err
    assert not (repo.path / ".husky").exists()


def _pre_commit_config() -> str:
    """`repo: local` entries copied from .pre-commit-hooks.yaml (language: system: our gate)."""
    import yaml

    manifest = Path(__file__).parents[1] / ".pre-commit-hooks.yaml"
    hooks = yaml.safe_load(manifest.read_text())
    for hook in hooks:
        hook["language"] = "system"
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]})


def test_pre_commit_framework_end_to_end(repo: Repo, tmp_path: Path) -> None:
    repo.write(".pre-commit-config.yaml", _pre_commit_config())
    repo.commit("pre-commit config")
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "install",
            "--hook-type",
            "pre-commit",
            "--hook-type",
            "pre-push",
        ],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    remote = with_remote(repo, tmp_path)
    # A broken record is refused by a real `git commit`.
    repo.write("releases/v1.0.0/request.toml", 'schema = 1\nrelease = "v1.0.0"\nrisk = "huge"\n')
    repo.git("add", "-A")
    broken = sh(repo, "commit", "-m", "broken")
    assert broken.returncode != 0
    assert "releases/v1.0.0/request.toml: risk" in broken.stdout + broken.stderr
    repo.git("rm", "-q", "--cached", "-r", "releases")
    (repo.path / "releases/v1.0.0/request.toml").unlink()
    # A clean flow commits (gate's own commits run the hook too).
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    # An edited approval is refused.
    f = next((repo.path / "releases/v1.0.0/approvals").iterdir())
    original = f.read_text()
    f.write_text(original.replace('comment = ""', 'comment = "x"'))
    repo.git("add", "-A")
    edited = sh(repo, "commit", "-m", "edit")
    assert edited.returncode != 0 and "append-only" in edited.stdout + edited.stderr
    f.write_text(original)
    repo.git("add", "-A")
    # An unapproved tag on new commits is refused by a real `git push`; an approved one goes.
    # (pre-commit reports only the first pushed ref that brings new commits, and runs no
    # hook for a tag whose commits the remote has: the plain hook and CI cover those.)
    repo.write("app.py", "print('v2')\n")
    clean = sh(repo, "commit", "-qam", "v2 code")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    repo.git("tag", "-a", "-m", "unapproved", "v2.0.0")
    push = sh(repo, "push", "origin", "v2.0.0")
    assert push.returncode != 0
    assert "refused: v2.0.0: gates fail" in push.stdout + push.stderr
    assert "v2.0.0" not in remote_tags(remote)
    repo.git("tag", "-d", "v2.0.0")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    assert repo.gate("tag", "v1.0.0").code == 0
    ok = sh(repo, "push", "origin", "v1.0.0")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert remote_tags(remote) == ["v1.0.0"]


def test_init_with_hooks_commits_the_policy_before_the_hook_can_judge_it(
    tmp_path: Path,
) -> None:
    """A new team, no policy yet, no SSH key: `gate init --hooks` used to install the
    pre-commit hook first, which then refused the policy's own commit."""
    r = Repo(tmp_path / "fresh")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.commit("start")
    res = r.gate("init", "--hooks", "--template", "standard")
    assert res.code == 0, res.err
    assert "installed" in res.out and (r.path / ".git/hooks/pre-commit").exists()
    assert "policies/release.toml" in r.git("show", "--name-only", "--format=", "HEAD")
